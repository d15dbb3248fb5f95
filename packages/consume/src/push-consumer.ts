import {
  type Clock,
  EddyError,
  type Logger,
  parseWithSchema,
  type ScheduledTask,
  type StoredMessage,
  silentLogger,
} from '@eddy/message';
import type { AllocateMessageQueueStrategy } from '@eddy/routing';
import type { MessageStore } from '@eddy/store';
import { z } from 'zod';
import { type ConsumerGroupRegistry, type MessageModel, rejectDuplicateTopics } from './consumer-group-registry.js';
import type { ConsumerOffsetStore, OffsetScope } from './consumer-offset-store.js';
import { createMessageFilter } from './filter/message-filter.js';
import type { PullFilter, PullResult, PullService } from './pull-service.js';
import { type QueueLockManager, RENEW_INTERVAL_MS } from './queue-lock.js';
import { assignQueues } from './rebalance.js';
import { ConsumeFromWhereSchema, resolveStartOffset } from './start-position.js';

/** One topic a {@link PushConsumer} consumes; the filter defaults to every message (`TAG` `*`). */
export const PushSubscriptionSchema = z
  .object({
    topic: z.string().min(1),
    filterType: z.enum(['TAG', 'SQL92']).default('TAG'),
    expression: z.string().default('*'),
  })
  .strict();

/** {@link PushSubscriptionSchema}'s input. */
export type PushSubscription = z.input<typeof PushSubscriptionSchema>;

/** The plain-data options of {@link PushConsumer}, for config files; defaults are RocketMQ 4.x's. */
export const PushConsumerConfigSchema = z
  .object({
    group: z.string().min(1),
    clientId: z.string().min(1).max(1024),
    /** The topics to consume, each at most once. */
    subscriptions: z.array(PushSubscriptionSchema).min(1),
    messageModel: z.enum(['CLUSTERING', 'BROADCASTING']).default('CLUSTERING'),
    /** Where to start on a queue the group (or, broadcasting, the member) never committed on. */
    consumeFromWhere: ConsumeFromWhereSchema.default('LAST_OFFSET'),
    heartbeatIntervalMs: z.number().int().min(1).default(30_000),
    /** The periodic rebalance, on top of the one run on every change of the group (RocketMQ: 20 s). */
    rebalanceIntervalMs: z.number().int().min(1).default(20_000),
    /** Most messages one pull asks for. */
    pullBatchSize: z.number().int().min(1).max(1024).default(32),
    /** Most messages given to one handler call (RocketMQ's `consumeMessageBatchMaxSize`). */
    consumeBatchMaxSize: z.number().int().min(1).max(1024).default(1),
    /** How long a pull is held on a queue with nothing new (RocketMQ: 15 s). */
    pollTimeoutMs: z.number().int().min(1).default(15_000),
    /** Delay before a failed message is handed to the handler again, when there is no retry hook or it failed. */
    localRetryDelayMs: z.number().int().min(0).default(5_000),
    /** Pause after a pull or start-offset lookup that threw (RocketMQ: 3 s). */
    pullErrorDelayMs: z.number().int().min(0).default(3_000),
  })
  .strict()
  .superRefine(rejectDuplicateTopics);

// The numbers of `orderly`; its lock manager is injected, so it has no place in a config file.
const OrderlyTimingSchema = z
  .object({
    suspendMs: z.number().int().min(0).default(1_000),
    renewIntervalMs: z.number().int().min(1).default(RENEW_INTERVAL_MS),
  })
  .strict();

/** What a handler says of the messages it was given: all consumed, or all to be delivered again. */
export type ConsumeStatus = 'SUCCESS' | 'RETRY';

/** Where the messages given to a handler come from. */
export interface ConsumeContext {
  readonly group: string;
  readonly clientId: string;
  readonly topic: string;
  readonly queueId: number;
}

/**
 * Consumes messages of one queue, in offset order. A throw or rejection counts as `'RETRY'`. Handlers
 * of different queues run concurrently.
 */
export type PushMessageHandler = (
  messages: readonly StoredMessage[],
  context: ConsumeContext,
) => ConsumeStatus | Promise<ConsumeStatus>;

/**
 * Takes over a message the handler failed (the retry service sends it to `%RETRY%<group>`). Once it
 * resolves the consumer moves past the message; if it throws, the message is redelivered locally.
 */
export type RetryHook = (message: StoredMessage, context: ConsumeContext) => void | Promise<void>;

/** A change of the queues a consumer holds on one topic, as {@link PushConsumerOptions.onRebalance} hears it. */
export interface RebalanceEvent {
  readonly clientId: string;
  readonly topic: string;
  /** Queues taken in this rebalance, sorted. */
  readonly added: readonly number[];
  /** Queues given up (or released by `stop()`), sorted. */
  readonly removed: readonly number[];
  /** Every queue held afterwards, sorted. */
  readonly assigned: readonly number[];
  /** Clock time of the change. */
  readonly at: number;
}

/** Options of {@link PushConsumer}: the configuration plus what code injects. */
export interface PushConsumerOptions extends z.input<typeof PushConsumerConfigSchema> {
  readonly registry: ConsumerGroupRegistry;
  readonly offsets: ConsumerOffsetStore;
  /** Share one with whoever appends, so that held pulls wake on appends. */
  readonly pulls: PullService;
  readonly store: MessageStore;
  readonly clock: Clock;
  readonly handler: PushMessageHandler;
  /** How CLUSTERING members share queues. Default: `allocateAveragely`; every member must use the same. */
  readonly strategy?: AllocateMessageQueueStrategy;
  /** Where failed messages go; without it they are redelivered locally after `localRetryDelayMs`. */
  readonly onRetry?: RetryHook;
  /** Hears every change of the queues held, including the release of all of them by `stop()`. */
  readonly onRebalance?: (event: RebalanceEvent) => void;
  /**
   * The queue ids of a topic. Default: the store's queues (`store.listQueues`), so a queue is found by
   * the first rebalance after its first append. Give the topic's configured queues (its route) when
   * known: every member must see the same list to share the queues exactly.
   */
  readonly listQueueIds?: (topic: string) => readonly number[] | Promise<readonly number[]>;
  /**
   * Consume orderly (RocketMQ's `MessageListenerOrderly`); CLUSTERING only. Each queue is consumed only
   * while this member holds its lock, a failed batch is handed again after `suspendMs` until it succeeds,
   * and `onRetry` and `localRetryDelayMs` are not used. See {@link PushConsumer}.
   */
  readonly orderly?: {
    /** The group's queue locks, shared by every member (the broker's `RebalanceLockManager`). */
    readonly locks: QueueLockManager;
    /** Pause before a failed batch is handed again (RocketMQ's `suspendCurrentQueueTimeMillis`). Default 1000. */
    readonly suspendMs?: number;
    /**
     * How often the assigned queues are locked again, which renews the leases held and retries the
     * queues refused. Default {@link RENEW_INTERVAL_MS}; keep it well below the locks' lease.
     */
    readonly renewIntervalMs?: number;
  };
  readonly logger?: Logger;
}

interface OrderlySettings {
  readonly locks: QueueLockManager;
  readonly suspendMs: number;
  readonly renewIntervalMs: number;
}

interface CompiledSubscription {
  readonly topic: string;
  readonly filterType: 'TAG' | 'SQL92';
  readonly expression: string;
  readonly filter: PullFilter;
}

// RocketMQ's ProcessQueue: one held queue and what of it is done.
interface ProcessQueue {
  readonly subscription: CompiledSubscription;
  readonly context: ConsumeContext;
  /** Every offset below is consumed or handed to the retry hook, except those in `retrying`; undefined until started. */
  done: number | undefined;
  /** Failed messages waiting for a local redelivery, by offset; their timer, or undefined while being redelivered. */
  readonly retrying: Map<number, ScheduledTask | undefined>;
  readonly redeliveries: Set<Promise<void>>;
  /** The offset last committed (or being committed). */
  committed: number | undefined;
  dropped: boolean;
  /** Resolves when the queue is dropped: ends held pulls and sleeps at once. */
  readonly drop: Promise<void>;
  readonly resolveDrop: () => void;
  loop: Promise<void>;
}

type State = 'idle' | 'running' | 'stopping';

/**
 * An in-process consumer with RocketMQ 4.x push semantics, built on pull: what a broker's embedded
 * client and the tests use.
 *
 * `start()` heartbeats into the {@link ConsumerGroupRegistry} and rebalances: at once, on every change
 * of the group and every `rebalanceIntervalMs`. Each queue it is given is pulled in its own loop with
 * long polling; messages go to the handler in offset order, `consumeBatchMaxSize` at a time, one call at
 * a time per queue, queues in parallel. After each pulled batch the consumer commits the lowest offset
 * still in process (a locally retried message holds it back), to the group's offset in CLUSTERING and
 * to the member's own in BROADCASTING.
 *
 * **Delivery.** At least once. In CLUSTERING each message is consumed by one member while the group is
 * stable. Around a rebalance a message may be consumed twice: the new owner of a queue starts from the
 * committed offset, which may still be below what the old owner consumed, and both may hold the queue
 * for a moment because each member rebalances on its own. A queue given up is no longer pulled, its
 * remaining batch is not handed out, and what was consumed is committed. `stop()` commits before it
 * leaves the group, so the queues' next owners start where it stopped.
 *
 * **Failures.** A batch the handler fails (`'RETRY'` or a throw) goes message by message to `onRetry`;
 * without it, or when it throws, the message is handed to the handler again after `localRetryDelayMs`
 * with `reconsumeTimes` increased, until it succeeds or the queue is given up, while the queue goes on.
 *
 * **Orderly** (`orderly`, CLUSTERING only; RocketMQ 4.x's `MessageListenerOrderly`). After each
 * rebalance, and every `orderly.renewIntervalMs`, the consumer locks the queues assigned to it
 * (`lockBatch`, which also renews the leases it holds). It takes only the queues it was granted; the
 * others are tried again at the next pass. Before each pull and each handler call it checks that it still
 * holds the queue's lock, and gives the queue up at once if the lease expired. A queue's messages go to
 * the handler in offset order, one batch at a time. A failed batch is handed again, with `reconsumeTimes`
 * increased, after `orderly.suspendMs`, as often as it takes: nothing is skipped and `onRetry` is not
 * called. The committed offset never passes a message that was not consumed. A queue given up (or every
 * queue, on `stop()`) finishes its batch, commits, and only then is unlocked (`stop()`: `unlockAll`).
 * The next owner therefore starts exactly where this one stopped, with no duplicates, and two members
 * never consume one queue at once. The exception is a member stalled past the lease: its queues go to
 * others once its locks expire, while its handler may still be running.
 */
export class PushConsumer {
  readonly #group: string;
  readonly #clientId: string;
  readonly #messageModel: MessageModel;
  readonly #config: z.output<typeof PushConsumerConfigSchema>;
  readonly #subscriptions: readonly CompiledSubscription[];
  readonly #scope: OffsetScope;
  readonly #registry: ConsumerGroupRegistry;
  readonly #offsets: ConsumerOffsetStore;
  readonly #pulls: PullService;
  readonly #store: MessageStore;
  readonly #clock: Clock;
  readonly #handler: PushMessageHandler;
  readonly #strategy: AllocateMessageQueueStrategy | undefined;
  readonly #onRetry: RetryHook | undefined;
  readonly #onRebalance: ((event: RebalanceEvent) => void) | undefined;
  readonly #listQueueIds: (topic: string) => readonly number[] | Promise<readonly number[]>;
  readonly #orderly: OrderlySettings | undefined;
  readonly #logger: Logger;

  #state: State = 'idle';
  // topic → queue id → the queue held.
  readonly #held = new Map<string, Map<number, ProcessQueue>>();
  // Dropped queues still finishing their batch and committing.
  readonly #draining = new Set<Promise<void>>();
  #timers: ScheduledTask[] = [];
  #unsubscribe: (() => void) | undefined;
  #rebalancing: Promise<void> | undefined;
  #rebalanceAgain = false;
  #stopping: Promise<void> | undefined;
  // Orderly: topic → the queues of the last rebalance, which every lock pass asks for.
  readonly #assigned = new Map<string, ReadonlySet<number>>();
  // Orderly: dropped queues (`queueKey`) not yet unlocked, which no lock pass takes again meanwhile.
  readonly #unlocking = new Set<string>();

  /**
   * @throws `INVALID_CONFIG` for options that do not fit {@link PushConsumerConfigSchema}, bad `orderly`
   * timings, or `orderly` with BROADCASTING; `INVALID_FILTER` for a bad expression.
   */
  constructor(options: PushConsumerOptions) {
    const {
      registry,
      offsets,
      pulls,
      store,
      clock,
      handler,
      strategy,
      onRetry,
      onRebalance,
      listQueueIds,
      orderly,
      logger,
      ...config
    } = options;
    this.#config = parseWithSchema(PushConsumerConfigSchema, config, 'push consumer options');
    this.#group = this.#config.group;
    this.#clientId = this.#config.clientId;
    this.#messageModel = this.#config.messageModel;
    if (orderly === undefined) {
      this.#orderly = undefined;
    } else {
      if (this.#messageModel === 'BROADCASTING') {
        throw new EddyError(
          'INVALID_CONFIG',
          `push consumer of group '${this.#group}': orderly consumption needs CLUSTERING; in BROADCASTING every member consumes every queue, so no queue can be locked`,
        );
      }
      const { locks, ...timing } = orderly;
      this.#orderly = { locks, ...parseWithSchema(OrderlyTimingSchema, timing, 'push consumer orderly options') };
    }
    this.#scope = this.#messageModel === 'BROADCASTING' ? { clientId: this.#clientId } : {};
    this.#subscriptions = this.#config.subscriptions.map(({ topic, filterType, expression }) => {
      const compiled = createMessageFilter({ type: filterType, expression });
      const filter: PullFilter = {
        ...(compiled.tags === undefined ? {} : { tags: compiled.tags }),
        matches: (message) => compiled.matches(message),
      };
      return { topic, filterType, expression, filter };
    });
    this.#registry = registry;
    this.#offsets = offsets;
    this.#pulls = pulls;
    this.#store = store;
    this.#clock = clock;
    this.#handler = handler;
    this.#strategy = strategy;
    this.#onRetry = onRetry;
    this.#onRebalance = onRebalance;
    this.#listQueueIds =
      listQueueIds ?? (async (topic) => (await store.listQueues(topic)).map(({ queueId }) => queueId));
    this.#logger = logger ?? silentLogger;
  }

  get group(): string {
    return this.#group;
  }

  get clientId(): string {
    return this.#clientId;
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#state === 'running';
  }

  /** The queues held now (orderly: assigned and locked), sorted by topic then queue id. */
  assignment(): { readonly topic: string; readonly queueId: number }[] {
    const queues: { topic: string; queueId: number }[] = [];
    for (const topic of [...this.#held.keys()].sort()) {
      const held = this.#held.get(topic) as Map<number, ProcessQueue>;
      for (const queueId of [...held.keys()].sort((a, b) => a - b)) queues.push({ topic, queueId });
    }
    return queues;
  }

  /**
   * Joins the group and takes its share of queues; resolves after the first rebalance. Idempotent while
   * running; a stopped consumer may be started again.
   */
  async start(): Promise<void> {
    if (this.#state === 'running') return;
    if (this.#state === 'stopping') await this.#stopping;
    this.#state = 'running';
    this.#unsubscribe = this.#registry.onChange((group) => {
      if (group === this.#group) this.#requestRebalance();
    });
    this.#heartbeat();
    this.#every(this.#config.heartbeatIntervalMs, () => this.#heartbeat());
    this.#every(this.#config.rebalanceIntervalMs, () => this.#requestRebalance());
    if (this.#orderly !== undefined) this.#every(this.#orderly.renewIntervalMs, () => this.#relock());
    await this.rebalance();
  }

  /** Rebalances now (or after the one in progress) and resolves when done. */
  async rebalance(): Promise<void> {
    this.#requestRebalance();
    await this.#rebalancing;
  }

  /**
   * Gives up every queue (waiting for the batches being consumed), commits, and leaves the group.
   * Idempotent.
   */
  stop(): Promise<void> {
    if (this.#state === 'idle') return Promise.resolve();
    if (this.#stopping !== undefined) return this.#stopping;
    this.#state = 'stopping';
    this.#stopping = (async () => {
      for (const timer of this.#timers) timer.cancel();
      this.#timers = [];
      this.#unsubscribe?.();
      this.#unsubscribe = undefined;
      await this.#rebalancing;
      for (const [topic, held] of this.#held) {
        const removed = [...held.keys()].sort((a, b) => a - b);
        for (const queue of held.values()) this.#drop(queue);
        held.clear();
        if (removed.length > 0) this.#emit({ topic, added: [], removed, assigned: [] });
      }
      this.#held.clear();
      while (this.#draining.size > 0) await Promise.all([...this.#draining]);
      this.#assigned.clear();
      this.#orderly?.locks.unlockAll(this.#group, this.#clientId);
      this.#registry.unregister(this.#group, this.#clientId);
      this.#state = 'idle';
      this.#stopping = undefined;
    })();
    return this.#stopping;
  }

  #every(intervalMs: number, task: () => void): void {
    const index = this.#timers.length;
    const tick = (): void => {
      if (this.#state !== 'running') return;
      this.#timers[index] = this.#clock.schedule(intervalMs, tick);
      task();
    };
    this.#timers.push(this.#clock.schedule(intervalMs, tick));
  }

  #heartbeat(): void {
    this.#registry.heartbeat(this.#group, {
      clientId: this.#clientId,
      messageModel: this.#messageModel,
      subscriptions: this.#subscriptions.map(({ topic, filterType, expression }) => ({
        topic,
        filterType,
        expression,
      })),
      consumeFromWhere: this.#config.consumeFromWhere,
    });
  }

  #requestRebalance(): void {
    if (this.#state !== 'running') return;
    if (this.#rebalancing !== undefined) {
      this.#rebalanceAgain = true;
      return;
    }
    this.#rebalancing = (async () => {
      do {
        this.#rebalanceAgain = false;
        try {
          await this.#rebalanceOnce();
        } catch (error) {
          this.#logger.error('rebalance failed', {
            group: this.#group,
            clientId: this.#clientId,
            error: String(error),
          });
        }
      } while (this.#rebalanceAgain && this.#state === 'running');
      this.#rebalancing = undefined;
    })();
  }

  async #rebalanceOnce(): Promise<void> {
    for (const subscription of this.#subscriptions) {
      const { topic } = subscription;
      const queueIds = [...(await this.#listQueueIds(topic))];
      if (this.#state !== 'running') return;
      // Read after the await, so that the members are as fresh as the queues.
      const members = this.#registry.members(this.#group);
      const assigned = new Set(
        assignQueues({
          group: this.#group,
          topic,
          clientId: this.#clientId,
          queues: queueIds,
          members,
          ...(this.#strategy === undefined ? {} : { strategy: this.#strategy }),
        }),
      );
      this.#assigned.set(topic, assigned);
      this.#apply(subscription, assigned);
    }
  }

  // Orderly: a lock pass between rebalances (RocketMQ's `lockAll` every 20 s).
  #relock(): void {
    if (this.#state !== 'running') return;
    for (const subscription of this.#subscriptions) {
      const assigned = this.#assigned.get(subscription.topic);
      if (assigned !== undefined) this.#apply(subscription, assigned);
    }
  }

  // Holds the assigned queues of the topic (orderly: those of them locked) and gives up the others.
  // Synchronous, so that lock passes and rebalances never interleave inside it.
  #apply(subscription: CompiledSubscription, assigned: ReadonlySet<number>): void {
    const { topic } = subscription;
    let held = this.#held.get(topic);
    if (held === undefined) {
      held = new Map();
      this.#held.set(topic, held);
    }
    let wanted = assigned;
    if (this.#orderly !== undefined) {
      // One LOCK_BATCH_MQ renews what is held and tries the rest. A queue still being unlocked is left
      // for a later pass, or its unlock would release the new lock.
      const asked = [...assigned]
        .filter((queueId) => !this.#unlocking.has(queueKey(topic, queueId)))
        .sort((a, b) => a - b)
        .map((queueId) => ({ topic, queueId }));
      const granted = this.#orderly.locks.lockBatch(this.#group, this.#clientId, asked);
      wanted = new Set(granted.map(({ queueId }) => queueId));
    }
    const removed = [...held.keys()].filter((queueId) => !wanted.has(queueId)).sort((a, b) => a - b);
    const added = [...wanted].filter((queueId) => !held.has(queueId)).sort((a, b) => a - b);
    for (const queueId of removed) {
      this.#drop(held.get(queueId) as ProcessQueue);
      held.delete(queueId);
    }
    for (const queueId of added) held.set(queueId, this.#take(subscription, queueId));
    if (added.length > 0 || removed.length > 0) {
      this.#emit({ topic, added, removed, assigned: [...held.keys()].sort((a, b) => a - b) });
    }
  }

  #holdsLock(queue: ProcessQueue): boolean {
    const { topic, queueId } = queue.context;
    return this.#orderly?.locks.isLockedBy(this.#group, topic, queueId, this.#clientId) ?? true;
  }

  // Orderly: the queue's lease expired (another member may hold it now), so it is given up at once.
  #lose(queue: ProcessQueue): void {
    const { topic, queueId } = queue.context;
    const held = this.#held.get(topic);
    if (held?.get(queueId) !== queue) return;
    this.#logger.warn('queue lock lost; giving the queue up', { ...queue.context });
    held.delete(queueId);
    this.#drop(queue);
    this.#emit({ topic, added: [], removed: [queueId], assigned: [...held.keys()].sort((a, b) => a - b) });
  }

  #emit(event: Omit<RebalanceEvent, 'clientId' | 'at'>): void {
    const full: RebalanceEvent = { clientId: this.#clientId, at: this.#clock.now(), ...event };
    this.#logger.info('queues rebalanced', { group: this.#group, ...full });
    try {
      this.#onRebalance?.(full);
    } catch (error) {
      this.#logger.error('rebalance listener failed', { group: this.#group, error: String(error) });
    }
  }

  #take(subscription: CompiledSubscription, queueId: number): ProcessQueue {
    let resolveDrop!: () => void;
    const drop = new Promise<void>((resolve) => {
      resolveDrop = resolve;
    });
    const queue: ProcessQueue = {
      subscription,
      context: { group: this.#group, clientId: this.#clientId, topic: subscription.topic, queueId },
      done: undefined,
      retrying: new Map(),
      redeliveries: new Set(),
      committed: undefined,
      dropped: false,
      drop,
      resolveDrop,
      loop: Promise.resolve(),
    };
    queue.loop = this.#run(queue);
    return queue;
  }

  // Stops the queue's loop and redeliveries; the queue commits what it consumed once its batch is over,
  // and only then (orderly) is unlocked, so that the next owner starts past everything consumed here.
  #drop(queue: ProcessQueue): void {
    queue.dropped = true;
    queue.resolveDrop();
    for (const timer of queue.retrying.values()) timer?.cancel();
    const { topic, queueId } = queue.context;
    const orderly = this.#orderly;
    if (orderly !== undefined) this.#unlocking.add(queueKey(topic, queueId));
    const finished = (async () => {
      try {
        await this.#commit(queue);
        await queue.loop;
        await Promise.all([...queue.redeliveries]);
        await this.#commit(queue);
      } finally {
        if (orderly !== undefined) {
          orderly.locks.unlock(this.#group, topic, queueId, this.#clientId);
          this.#unlocking.delete(queueKey(topic, queueId));
          // Taken again at once if still assigned, rather than at the next pass.
          this.#relock();
        }
      }
    })();
    this.#draining.add(finished);
    void finished.finally(() => this.#draining.delete(finished));
  }

  async #run(queue: ProcessQueue): Promise<void> {
    const { topic, queueId } = queue.context;
    while (!queue.dropped) {
      try {
        if (queue.done === undefined) {
          queue.done = await this.#startOffset(queue);
          continue;
        }
        if (!this.#holdsLock(queue)) {
          this.#lose(queue);
          return;
        }
        const offset = queue.done;
        const result = await Promise.race([
          this.#pulls.pull({
            group: this.#group,
            topic,
            queueId,
            offset,
            maxMessages: this.#config.pullBatchSize,
            filter: queue.subscription.filter,
            pollTimeoutMs: this.#config.pollTimeoutMs,
          }),
          queue.drop,
        ]);
        if (result === undefined || queue.dropped) return;
        await this.#handlePull(queue, offset, result);
      } catch (error) {
        this.#logger.warn('pull failed', { group: this.#group, topic, queueId, error: String(error) });
        await this.#sleep(queue, this.#config.pullErrorDelayMs);
      }
    }
  }

  async #startOffset(queue: ProcessQueue): Promise<number> {
    const { topic, queueId } = queue.context;
    const committed = await this.#offsets.committed(this.#group, topic, queueId, this.#scope);
    if (committed !== undefined) return committed;
    const start = await resolveStartOffset(this.#store, topic, queueId, this.#config.consumeFromWhere);
    // Stored at once: a member taking the queue later must start here too, not at a later "last offset".
    await this.#offsets.commit(this.#group, topic, queueId, start, this.#scope);
    queue.committed = start;
    return start;
  }

  async #handlePull(queue: ProcessQueue, offset: number, result: PullResult): Promise<void> {
    switch (result.status) {
      case 'found': {
        const { messages } = result;
        const size = this.#config.consumeBatchMaxSize;
        for (let at = 0; at < messages.length; at += size) {
          if (queue.dropped) return;
          const batch = messages.slice(at, at + size);
          if (this.#orderly !== undefined) {
            if (!(await this.#consumeOrderly(queue, batch, this.#orderly.suspendMs))) return;
            queue.done = (batch[batch.length - 1] as StoredMessage).queueOffset + 1;
            continue;
          }
          const status = await this.#consume(batch, queue.context);
          if (status === 'RETRY') {
            // The new owner delivers it again from the committed offset.
            if (queue.dropped) return;
            for (const message of batch) await this.#handOff(queue, message);
          }
          queue.done = (batch[batch.length - 1] as StoredMessage).queueOffset + 1;
        }
        if (queue.dropped) return;
        queue.done = result.nextOffset;
        await this.#commit(queue);
        return;
      }
      case 'no-matched-message':
      case 'no-new-message':
        queue.done = result.nextOffset;
        await this.#commit(queue);
        return;
      case 'offset-out-of-range':
        this.#logger.warn('offset out of range; moving to the nearest valid offset', {
          ...queue.context,
          offset,
          minOffset: result.minOffset,
          maxOffset: result.maxOffset,
          nextOffset: result.nextOffset,
        });
        queue.done = result.nextOffset;
        // Below the committed offset only when the queue was deleted and made again: a reset.
        await this.#commit(queue, result.nextOffset < offset);
        return;
      case 'unknown-queue':
        // The pull was held for the whole poll time: the queue will exist with its first append.
        return;
    }
  }

  async #consume(messages: readonly StoredMessage[], context: ConsumeContext): Promise<ConsumeStatus> {
    try {
      const status = await this.#handler(messages, context);
      return status === 'SUCCESS' ? 'SUCCESS' : 'RETRY';
    } catch (error) {
      this.#logger.warn('message handler failed; the messages will be retried', {
        ...context,
        firstOffset: messages[0]?.queueOffset,
        error: String(error),
      });
      return 'RETRY';
    }
  }

  // Hands the batch over until it is consumed (true) or the queue is given up first (false): a failed
  // batch blocks its queue, since a later message must not be consumed before it.
  async #consumeOrderly(queue: ProcessQueue, batch: readonly StoredMessage[], suspendMs: number): Promise<boolean> {
    let attempt = batch;
    for (;;) {
      if (queue.dropped) return false;
      if (!this.#holdsLock(queue)) {
        this.#lose(queue);
        return false;
      }
      if ((await this.#consume(attempt, queue.context)) === 'SUCCESS') return true;
      if (queue.dropped) return false;
      // What came before the batch is consumed: commit it rather than hold it through the retries.
      await this.#commit(queue);
      await this.#sleep(queue, suspendMs);
      attempt = attempt.map((message) => ({ ...message, reconsumeTimes: message.reconsumeTimes + 1 }));
    }
  }

  async #handOff(queue: ProcessQueue, message: StoredMessage): Promise<void> {
    if (this.#onRetry !== undefined) {
      try {
        await this.#onRetry(message, queue.context);
        return;
      } catch (error) {
        this.#logger.warn('retry hook failed; redelivering locally', {
          ...queue.context,
          offset: message.queueOffset,
          error: String(error),
        });
      }
    }
    this.#redeliverLater(queue, { ...message, reconsumeTimes: message.reconsumeTimes + 1 });
  }

  #redeliverLater(queue: ProcessQueue, message: StoredMessage): void {
    if (queue.dropped) return;
    const offset = message.queueOffset;
    const timer = this.#clock.schedule(this.#config.localRetryDelayMs, () => {
      if (queue.dropped) return;
      queue.retrying.set(offset, undefined);
      const redelivery = (async () => {
        const status = await this.#consume([message], queue.context);
        if (queue.dropped) return;
        if (status === 'SUCCESS') {
          queue.retrying.delete(offset);
          await this.#commit(queue);
        } else {
          await this.#handOff(queue, message);
        }
      })();
      queue.redeliveries.add(redelivery);
      void redelivery.finally(() => queue.redeliveries.delete(redelivery));
    });
    queue.retrying.set(offset, timer);
  }

  // Commits the lowest offset still in process, if it moved.
  async #commit(queue: ProcessQueue, force = false): Promise<void> {
    let offset = queue.done;
    if (offset === undefined) return;
    for (const retrying of queue.retrying.keys()) offset = Math.min(offset, retrying);
    if (offset === queue.committed) return;
    queue.committed = offset;
    const { topic, queueId } = queue.context;
    try {
      await this.#offsets.commit(this.#group, topic, queueId, offset, { ...this.#scope, force });
    } catch (error) {
      if (queue.committed === offset) queue.committed = undefined;
      this.#logger.error('offset commit failed', { group: this.#group, topic, queueId, offset, error: String(error) });
    }
  }

  #sleep(queue: ProcessQueue, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.#clock.schedule(ms, resolve);
      void queue.drop.then(() => {
        timer.cancel();
        resolve();
      });
    });
  }
}

function queueKey(topic: string, queueId: number): string {
  return `${topic}/${queueId}`;
}
