import { type Clock, EddyError, type Logger, parseWithSchema, type ScheduledTask, silentLogger } from '@eddy/message';
import { z } from 'zod';
import { type ConsumeFromWhere, ConsumeFromWhereSchema, DEFAULT_CONSUME_FROM_WHERE } from './start-position.js';

/** Most subscriptions one member may declare. */
export const MAX_SUBSCRIPTIONS = 1024;
/** Longest filter expression accepted (SQL92 expressions can be long; the wire allows far more). */
export const MAX_EXPRESSION_LENGTH = 64 * 1024;

/** One topic a member consumes and how it filters it. */
export const SubscriptionSchema = z
  .object({
    topic: z.string().min(1),
    /** `'TAG'` for tag expressions (`*`, `TagA || TagB`), `'SQL92'` for property expressions. */
    filterType: z.enum(['TAG', 'SQL92']),
    expression: z.string().max(MAX_EXPRESSION_LENGTH),
  })
  .strict();

/** {@link SubscriptionSchema}. */
export type Subscription = z.output<typeof SubscriptionSchema>;

/** How a group shares messages: each to one member (`CLUSTERING`) or every one to all (`BROADCASTING`). */
export type MessageModel = 'CLUSTERING' | 'BROADCASTING';

/**
 * What a member says in a heartbeat, validated at the boundary: client-supplied. A member subscribes to
 * each topic at most once.
 */
/**
 * A zod refinement that rejects a subscription list naming one topic twice, pointing at the repeat.
 * Shared by heartbeats and push-consumer configs.
 */
export function rejectDuplicateTopics(
  value: { readonly subscriptions: readonly { readonly topic: string }[] },
  context: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  value.subscriptions.forEach(({ topic }, index) => {
    if (seen.has(topic)) {
      context.addIssue({
        code: 'custom',
        path: ['subscriptions', index, 'topic'],
        message: `topic '${topic}' is subscribed twice`,
      });
    }
    seen.add(topic);
  });
}

export const ConsumerHeartbeatSchema = z
  .object({
    clientId: z.string().min(1).max(1024),
    messageModel: z.enum(['CLUSTERING', 'BROADCASTING']),
    subscriptions: z.array(SubscriptionSchema).max(MAX_SUBSCRIPTIONS),
    consumeFromWhere: ConsumeFromWhereSchema.optional(),
  })
  .strict()
  .superRefine(rejectDuplicateTopics);

/** {@link ConsumerHeartbeatSchema}'s input. */
export type ConsumerHeartbeat = z.input<typeof ConsumerHeartbeatSchema>;

/** A live member of a group, as the registry keeps it. */
export interface ConsumerMember {
  readonly clientId: string;
  readonly messageModel: MessageModel;
  /** Sorted by topic. */
  readonly subscriptions: readonly Subscription[];
  readonly consumeFromWhere: ConsumeFromWhere;
  /** Clock time of the member's latest heartbeat. */
  readonly lastHeartbeat: number;
}

/** A member whose subscriptions differ from the group's, as {@link GroupConsistency} names it. */
export interface SubscriptionDifference {
  readonly clientId: string;
  readonly messageModel: MessageModel;
  readonly subscriptions: readonly Subscription[];
}

/** Whether every member of a group subscribes alike; see {@link ConsumerGroupRegistry.consistency}. */
export interface GroupConsistency {
  readonly consistent: boolean;
  /**
   * What most members do (ties go to the member with the smallest client id): the reference the
   * differences are measured against. `undefined` for an empty group.
   */
  readonly expected:
    | { readonly messageModel: MessageModel; readonly subscriptions: readonly Subscription[] }
    | undefined;
  /** The members that differ from `expected` (message model or subscriptions), by client id. */
  readonly differences: readonly SubscriptionDifference[];
}

/** The configurable options of {@link ConsumerGroupRegistry}, for config files. */
export const ConsumerGroupRegistryConfigSchema = z
  .object({
    /** A member silent for longer than this is dropped (RocketMQ: 120 s). */
    memberExpiryMs: z.number().int().min(1).default(120_000),
    /** How often `start()` looks for silent members. */
    scanIntervalMs: z.number().int().min(1).default(10_000),
  })
  .strict();

/** Options of {@link ConsumerGroupRegistry}: the configuration plus what code injects. */
export interface ConsumerGroupRegistryOptions extends z.input<typeof ConsumerGroupRegistryConfigSchema> {
  readonly clock: Clock;
  /** Receives the inconsistency warnings and expiries. Default: silent. */
  readonly logger?: Logger;
}

/** Called with a group whose membership or subscriptions changed: the trigger for rebalancing. */
export type GroupChangeListener = (group: string) => void;

/**
 * The live members of every consumer group, from their heartbeats (RocketMQ's `ConsumerManager`).
 *
 * A member is added by its first heartbeat and dropped by {@link ConsumerGroupRegistry.unregister} or when silent for longer
 * than `memberExpiryMs` ({@link ConsumerGroupRegistry.expire}, run every `scanIntervalMs` after {@link ConsumerGroupRegistry.start}). Listeners
 * registered with {@link ConsumerGroupRegistry.onChange} hear of every change of a group's membership, message model or
 * subscriptions, synchronously, once per change; a heartbeat that changes nothing only refreshes the member.
 *
 * RocketMQ expects every member of a group to subscribe to the same topics with the same filters. The
 * registry keeps serving an inconsistent group (each member gets what it asked for) but reports it
 * through {@link ConsumerGroupRegistry.consistency} and logs one warning per change that leaves the group inconsistent.
 */
export class ConsumerGroupRegistry {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #memberExpiryMs: number;
  readonly #scanIntervalMs: number;
  readonly #groups = new Map<string, Map<string, ConsumerMember>>();
  readonly #listeners = new Set<GroupChangeListener>();
  #scan: ScheduledTask | undefined;

  constructor(options: ConsumerGroupRegistryOptions) {
    const { clock, logger, ...config } = options;
    const parsed = parseWithSchema(ConsumerGroupRegistryConfigSchema, config, 'consumer group registry options');
    this.#clock = clock;
    this.#logger = logger ?? silentLogger;
    this.#memberExpiryMs = parsed.memberExpiryMs;
    this.#scanIntervalMs = parsed.scanIntervalMs;
  }

  /**
   * Records a member's heartbeat: adds the member, or refreshes it and takes its new subscriptions.
   *
   * @returns true when the group changed (a new member, or a new message model or subscriptions).
   * @throws `INVALID_ARGUMENT` for an empty group name or a heartbeat that does not fit {@link ConsumerHeartbeatSchema}.
   */
  heartbeat(group: string, heartbeat: ConsumerHeartbeat): boolean {
    if (typeof group !== 'string' || group.length === 0) throw new EddyError('INVALID_ARGUMENT', 'group name is empty');
    const result = ConsumerHeartbeatSchema.safeParse(heartbeat);
    if (!result.success) {
      const problems = result.error.issues.map(
        (issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`,
      );
      throw new EddyError('INVALID_ARGUMENT', `invalid heartbeat for group '${group}': ${problems.join('; ')}`);
    }
    const { clientId, messageModel, consumeFromWhere } = result.data;
    const member: ConsumerMember = {
      clientId,
      messageModel,
      subscriptions: [...result.data.subscriptions].sort((a, b) => compare(a.topic, b.topic)),
      consumeFromWhere: consumeFromWhere ?? DEFAULT_CONSUME_FROM_WHERE,
      lastHeartbeat: this.#clock.now(),
    };
    let members = this.#groups.get(group);
    if (members === undefined) {
      members = new Map();
      this.#groups.set(group, members);
    }
    const previous = members.get(clientId);
    members.set(clientId, member);
    const changed = previous === undefined || signature(previous) !== signature(member);
    if (changed) this.#changed(group);
    return changed;
  }

  /** Removes a member that is leaving; true if it was there. */
  unregister(group: string, clientId: string): boolean {
    const members = this.#groups.get(group);
    if (members?.delete(clientId) !== true) return false;
    if (members.size === 0) this.#groups.delete(group);
    this.#changed(group);
    return true;
  }

  /** The group's live members, sorted by client id; empty for an unknown group. */
  members(group: string): ConsumerMember[] {
    const members = this.#groups.get(group);
    if (members === undefined) return [];
    return [...members.values()].sort((a, b) => compare(a.clientId, b.clientId));
  }

  /** One member, or `undefined`. */
  member(group: string, clientId: string): ConsumerMember | undefined {
    return this.#groups.get(group)?.get(clientId);
  }

  /** Every group with at least one live member, sorted. */
  groups(): string[] {
    return [...this.#groups.keys()].sort(compare);
  }

  /**
   * Drops every member silent for longer than `memberExpiryMs`, telling listeners once per group.
   *
   * @returns the members dropped.
   */
  expire(): { readonly group: string; readonly clientId: string }[] {
    const now = this.#clock.now();
    const dropped: { group: string; clientId: string }[] = [];
    for (const group of this.groups()) {
      const members = this.#groups.get(group) as Map<string, ConsumerMember>;
      const before = dropped.length;
      for (const member of this.members(group)) {
        if (now - member.lastHeartbeat <= this.#memberExpiryMs) continue;
        members.delete(member.clientId);
        dropped.push({ group, clientId: member.clientId });
        this.#logger.info('consumer expired', {
          group,
          clientId: member.clientId,
          silentMs: now - member.lastHeartbeat,
          memberExpiryMs: this.#memberExpiryMs,
        });
      }
      if (members.size === 0) this.#groups.delete(group);
      if (dropped.length > before) this.#changed(group);
    }
    return dropped;
  }

  /** Runs {@link ConsumerGroupRegistry.expire} every `scanIntervalMs` on the clock until {@link ConsumerGroupRegistry.stop}. Idempotent. */
  start(): void {
    if (this.#scan !== undefined) return;
    const tick = (): void => {
      this.#scan = this.#clock.schedule(this.#scanIntervalMs, tick);
      this.expire();
    };
    this.#scan = this.#clock.schedule(this.#scanIntervalMs, tick);
  }

  /** Stops the periodic expiry. Idempotent. */
  stop(): void {
    this.#scan?.cancel();
    this.#scan = undefined;
  }

  /**
   * Calls `listener` with the group after each change of its membership or subscriptions.
   *
   * @returns a function that removes the listener.
   */
  onChange(listener: GroupChangeListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Whether every member of the group has the same message model and subscriptions, naming those that differ. */
  consistency(group: string): GroupConsistency {
    const members = this.members(group);
    const counts = new Map<string, { count: number; member: ConsumerMember }>();
    for (const member of members) {
      const key = signature(member);
      const entry = counts.get(key);
      if (entry === undefined) counts.set(key, { count: 1, member });
      else entry.count++;
    }
    let reference: { key: string; count: number; member: ConsumerMember } | undefined;
    // Members are in client id order, so the first signature to reach the top count wins a tie.
    for (const [key, { count, member }] of counts) {
      if (reference === undefined || count > reference.count) reference = { key, count, member };
    }
    const differences = members
      .filter((member) => reference !== undefined && signature(member) !== reference.key)
      .map(({ clientId, messageModel, subscriptions }) => ({ clientId, messageModel, subscriptions }));
    const expected =
      reference === undefined
        ? undefined
        : { messageModel: reference.member.messageModel, subscriptions: reference.member.subscriptions };
    return { consistent: differences.length === 0, expected, differences };
  }

  #changed(group: string): void {
    const consistency = this.consistency(group);
    if (!consistency.consistent) {
      this.#logger.warn('consumer group is inconsistent: its members subscribe differently', {
        group,
        expected: consistency.expected,
        differences: consistency.differences,
      });
    }
    for (const listener of [...this.#listeners]) {
      try {
        listener(group);
      } catch (error) {
        this.#logger.error('consumer group change listener failed', { group, error: String(error) });
      }
    }
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Subscriptions are sorted by topic when stored, so equal subscriptions give equal signatures.
function signature(member: ConsumerMember): string {
  return JSON.stringify([
    member.messageModel,
    member.subscriptions.map(({ topic, filterType, expression }) => [topic, filterType, expression.trim()]),
  ]);
}
