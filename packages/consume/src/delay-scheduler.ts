import {
  type Clock,
  EddyError,
  type Logger,
  type Message,
  messageFieldsOf,
  parseWithSchema,
  type ScheduledTask,
  type StoredMessage,
  SystemProperty,
  SystemTopic,
  silentLogger,
  validateTopicName,
} from '@eddy/message';
import {
  checkQueueId,
  decodeJsonValue,
  encodeJsonValue,
  MAX_QUEUE_ID,
  type MessageStore,
  type MetadataStore,
} from '@eddy/store';
import { z } from 'zod';
import { DeliveryJournal, type JournalEntry } from './delivery-journal.js';

/** RocketMQ's `messageDelayLevel`: level 1 is 1 s, level 18 is 2 h. */
export const DEFAULT_DELAY_LEVELS = '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h';

/**
 * Prefix of the scheduler's progress keys: `consume/schedule/<level>` holds `{ offset }`, the next
 * offset of `SCHEDULE_TOPIC_XXXX` queue `level - 1` to deliver.
 */
export const SCHEDULE_PROGRESS_PREFIX = 'consume/schedule/';

/** Most scheduled messages read, and relayed with one progress write, per level at a time. */
export const SCHEDULE_BATCH_SIZE = 32;

/** How long a level waits before trying again after a delivery failed (the store was full, say). */
export const SCHEDULE_FAILURE_BACKOFF_MS = 1000;

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a delay-level table the way RocketMQ writes it (`'1s 5s 10s 30s 1m … 2h'`): space-separated
 * positive integers, each with a unit `s`, `m`, `h` or `d`. Level `n` is the `n`-th entry.
 *
 * @returns the delay of each level in ms, level 1 first.
 * @throws `INVALID_CONFIG` naming the bad entry, or for an empty table or more levels than queue ids.
 */
export function parseDelayLevels(levels: string): number[] {
  const entries = levels
    .trim()
    .split(/\s+/)
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) throw new EddyError('INVALID_CONFIG', 'delay levels are empty');
  if (entries.length > MAX_QUEUE_ID + 1) {
    throw new EddyError('INVALID_CONFIG', `there are ${entries.length} delay levels; the limit is ${MAX_QUEUE_ID + 1}`);
  }
  return entries.map((entry, index) => {
    const match = /^(\d+)([smhd])$/.exec(entry);
    const amount = match === null ? 0 : Number(match[1]);
    const delay = amount * (UNIT_MS[match?.[2] ?? ''] ?? 0);
    if (!Number.isSafeInteger(delay) || delay <= 0) {
      throw new EddyError(
        'INVALID_CONFIG',
        `delay level ${index + 1} is '${entry}'; expected a positive integer with a unit s, m, h or d (e.g. '30s')`,
      );
    }
    return delay;
  });
}

/** The configurable options of {@link DelayLevelScheduler}, for config files. */
export const DelayLevelSchedulerConfigSchema = z
  .object({
    /** The delay of each level, RocketMQ's notation. */
    levels: z
      .string()
      .default(DEFAULT_DELAY_LEVELS)
      .superRefine((levels, context) => {
        try {
          parseDelayLevels(levels);
        } catch (error) {
          context.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }),
  })
  .strict();

/** Options of {@link DelayLevelScheduler}: the configuration plus what code injects. */
export interface DelayLevelSchedulerOptions extends z.input<typeof DelayLevelSchedulerConfigSchema> {
  /** Holds `SCHEDULE_TOPIC_XXXX` and the real topics messages are delivered to. */
  readonly store: MessageStore;
  readonly clock: Clock;
  /** Where progress offsets are kept. Default: `store.metadata`. */
  readonly metadata?: MetadataStore;
  /** Called after each delivery appends to a real queue: wake long polls here (`PullService.notifyAppended`). */
  readonly onAppended?: (topic: string, queueId: number) => void;
  /** Receives delivery failures and skipped messages. Default: silent. */
  readonly logger?: Logger;
}

/** Where a scheduled message goes when it falls due. */
export interface ScheduleTarget {
  readonly topic: string;
  readonly queueId: number;
}

/** What {@link DelayLevelScheduler.schedule} did. */
export interface ScheduleResult {
  /** The level used (the one asked for, capped at the highest). */
  readonly level: number;
  /** When the message falls due, ms since the epoch; it is delivered at or after this time. */
  readonly dueAt: number;
  /** Offset of the message in `SCHEDULE_TOPIC_XXXX` queue `level - 1`. */
  readonly scheduleOffset: number;
}

// The schedule bookkeeping a delivered message no longer carries.
const BOOKKEEPING = [SystemProperty.REAL_TOPIC, SystemProperty.REAL_QUEUE_ID, SystemProperty.DELAY_TIME_LEVEL];

// A delivery id left by an earlier relay (a retried message was delivered once already) means nothing here.
const STALE = [SystemProperty.DELIVERY_ID];

const ProgressSchema = z.object({ offset: z.number().int().nonnegative() });

interface LevelState {
  readonly level: number;
  /** The next offset of the level's queue to deliver, once loaded. */
  offset: number;
  timer: ScheduledTask | undefined;
  /** The run in progress, if any. */
  running: Promise<void> | undefined;
  /** Set when the queue may have changed during a run: run again at its end. */
  again: boolean;
}

/**
 * Delay levels, RocketMQ's way (`ScheduleMessageService`). {@link DelayLevelScheduler.schedule} appends a
 * message to `SCHEDULE_TOPIC_XXXX`, queue `level - 1`, with its real topic and queue in the `REAL_TOPIC` /
 * `REAL_QID` properties and `deliveryTimestamp` = now + the level's delay. Every message of a level has
 * the same delay, so each level's queue is in due order and the scheduler only ever looks at its head:
 * it keeps one progress offset per level (durable in metadata, `consume/schedule/<level>`) and delivers
 * due messages by appending them to their real queue without the bookkeeping properties. It holds at
 * most ONE clock task per level, at the head's due time, armed when a level is found waiting and woken
 * by `schedule()` when the level was idle; any number of waiting messages costs at most one timer per
 * level and no polling.
 *
 * **Delivery guarantee: exactly once, across crashes.** Each batch of due messages of a level (at most
 * {@link SCHEDULE_BATCH_SIZE}) is relayed through a {@link DeliveryJournal} named `delay`: every copy
 * carries the delivery id `delay:<level>:<offset>`, and the level's new progress offset is written in
 * the same atomic metadata batch that closes the relay. A crash anywhere in a relay is finished by
 * {@link DelayLevelScheduler.recover} at the next start: the copies that reached their queue stay, the
 * missing ones are appended (rebuilt from `SCHEDULE_TOPIC_XXXX`), then the progress moves. Relays of
 * all levels go one at a time, so that a failed relay can be finished in-process (the journal's
 * recovery must not race a relay in progress) before the level tries again.
 *
 * **Time.** A message is delivered no earlier than its due time by the injected clock, and as soon as
 * possible after it (a run after `start()` delivers everything that fell due while the broker was
 * down). If the wall clock steps back, a message scheduled after the step may be due before the head
 * of its level; it then waits for the head (late, never lost).
 *
 * A message that cannot be delivered (no or an invalid `REAL_TOPIC` / `REAL_QID`: not written by this
 * scheduler) is skipped with an error log. When a relay fails (disk full, say), the level finishes it
 * through the journal and tries again {@link SCHEDULE_FAILURE_BACKOFF_MS} later, without skipping.
 */
export class DelayLevelScheduler {
  readonly #store: MessageStore;
  readonly #metadata: MetadataStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #onAppended: ((topic: string, queueId: number) => void) | undefined;
  readonly #delays: readonly number[];
  readonly #levels: LevelState[];
  readonly #journal: DeliveryJournal;
  #recovered: Promise<void> | undefined;
  #started = false;
  // Relays (and the in-process recovery of a failed one) run one at a time, chained here.
  #relayLock: Promise<unknown> = Promise.resolve();
  // A relay failed and may be half done: the journal must finish it before any level relays again.
  #mustRecover = false;

  constructor(options: DelayLevelSchedulerOptions) {
    const { store, clock, metadata, onAppended, logger, ...config } = options;
    const parsed = parseWithSchema(DelayLevelSchedulerConfigSchema, config, 'delay level scheduler options');
    this.#store = store;
    this.#metadata = metadata ?? store.metadata;
    this.#clock = clock;
    this.#logger = logger ?? silentLogger;
    this.#onAppended = onAppended;
    this.#journal = new DeliveryJournal({ store, metadata: this.#metadata, name: 'delay', logger: this.#logger });
    this.#delays = parseDelayLevels(parsed.levels);
    this.#levels = this.#delays.map((_, index) => ({
      level: index + 1,
      offset: 0,
      timer: undefined,
      running: undefined,
      again: false,
    }));
  }

  /** How many levels there are; valid levels are 1 … levelCount. */
  get levelCount(): number {
    return this.#delays.length;
  }

  /** The delay of `level` in ms. @throws `INVALID_ARGUMENT` for a level outside 1 … levelCount. */
  delayOf(level: number): number {
    return this.#delays[this.#checkLevel(level) - 1] as number;
  }

  /** True between {@link DelayLevelScheduler.start} and {@link DelayLevelScheduler.stop}. */
  get started(): boolean {
    return this.#started;
  }

  /** Clock tasks held now: at most one per level. */
  get armedTimers(): number {
    return this.#levels.filter((state) => state.timer !== undefined).length;
  }

  /**
   * Schedules `message` for delivery to `target` after the level's delay. The copy stored in
   * `SCHEDULE_TOPIC_XXXX` keeps the message's id, body, keys, tag, properties and reconsume count.
   * Messages scheduled before {@link DelayLevelScheduler.start} are kept and delivered once started.
   *
   * @param level 1 … levelCount; a higher level is capped at the highest (RocketMQ's rule).
   * @throws `INVALID_ARGUMENT` for a level below 1 or not an integer, or a bad target queue id;
   * `INVALID_NAME` for a bad target topic; the store's errors for the append.
   */
  async schedule(message: Message, level: number, target: ScheduleTarget): Promise<ScheduleResult> {
    if (!Number.isInteger(level) || level < 1) {
      throw new EddyError('INVALID_ARGUMENT', `delay level must be an integer ≥ 1, got ${level}`);
    }
    const capped = Math.min(level, this.levelCount);
    checkQueueId(target.queueId);
    const nameError = validateTopicName(target.topic, { system: true });
    if (nameError !== undefined) throw nameError;
    const dueAt = this.#clock.now() + (this.#delays[capped - 1] as number);
    const scheduled: Message = {
      ...messageFieldsOf(message),
      topic: SystemTopic.SCHEDULE,
      properties: {
        ...withoutProperties(message, STALE).properties,
        [SystemProperty.REAL_TOPIC]: target.topic,
        [SystemProperty.REAL_QUEUE_ID]: String(target.queueId),
        [SystemProperty.DELAY_TIME_LEVEL]: String(capped),
      },
      deliveryTimestamp: dueAt,
    };
    const { baseOffset } = await this.#store.append(SystemTopic.SCHEDULE, capped - 1, [scheduled]);
    this.#wake(this.#levels[capped - 1] as LevelState);
    return { level: capped, dueAt, scheduleOffset: baseOffset };
  }

  /**
   * Finishes the relays a crash interrupted (through the journal), then loads each level's progress
   * offset from metadata. {@link DelayLevelScheduler.start} calls it; it runs once however often it is
   * called. Call it before anything else delivers from `SCHEDULE_TOPIC_XXXX`.
   *
   * @throws `CORRUPT_DATA` when a journal record is unreadable; the store's errors.
   */
  recover(): Promise<void> {
    this.#recovered ??= this.#recoverJournalAndProgress().catch((error: unknown) => {
      this.#recovered = undefined;
      throw error;
    });
    return this.#recovered;
  }

  /**
   * Recovers, then delivers everything already due on every level (what fell due while the broker was
   * down) and arms one timer per level that has messages waiting. Resolves when that first pass is done.
   */
  async start(): Promise<void> {
    await this.recover();
    if (this.#started) return;
    this.#started = true;
    for (const state of this.#levels) this.#wake(state);
    await this.whenIdle();
  }

  /** Cancels the timers and waits for deliveries in progress; call before closing the store. */
  async stop(): Promise<void> {
    this.#started = false;
    for (const state of this.#levels) {
      state.timer?.cancel();
      state.timer = undefined;
    }
    await this.whenIdle();
  }

  /** Resolves once no level is delivering (deliveries started by timers included). */
  async whenIdle(): Promise<void> {
    for (;;) {
      const running = this.#levels.flatMap((state) => (state.running === undefined ? [] : [state.running]));
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  /** The next offset to deliver of each level, level 1 first. */
  progress(): number[] {
    return this.#levels.map((state) => state.offset);
  }

  // Starts a run of the level unless one is going (which then runs again) or the level waits on its timer.
  #wake(state: LevelState): void {
    if (!this.#started) return;
    if (state.running !== undefined) {
      state.again = true;
      return;
    }
    if (state.timer !== undefined) return;
    state.running = this.#run(state).finally(() => {
      state.running = undefined;
    });
  }

  async #run(state: LevelState): Promise<void> {
    do {
      state.again = false;
      let waitUntil: number | undefined;
      try {
        waitUntil = await this.#deliverDue(state);
      } catch (error) {
        if (!this.#started) return;
        this.#logger.error('delay scheduler could not deliver; trying again shortly', {
          level: state.level,
          offset: state.offset,
          error: String(error),
        });
        waitUntil = this.#clock.now() + SCHEDULE_FAILURE_BACKOFF_MS;
        state.again = false;
      }
      if (waitUntil !== undefined && this.#started && !state.again) this.#arm(state, waitUntil);
    } while (state.again && this.#started);
  }

  #arm(state: LevelState, dueAt: number): void {
    state.timer?.cancel();
    // At least 1 ms: a real timer may fire a little before now() reaches the due time.
    state.timer = this.#clock.schedule(Math.max(1, dueAt - this.#clock.now()), () => {
      state.timer = undefined;
      this.#wake(state);
    });
  }

  // Delivers the level's due messages; returns the head's due time when one waits, undefined when empty.
  async #deliverDue(state: LevelState): Promise<number | undefined> {
    const queueId = state.level - 1;
    while (this.#started) {
      if (this.#mustRecover) await this.#exclusive(() => this.#finishFailedRelay());
      const from = state.offset;
      const read = await this.#store.read(SystemTopic.SCHEDULE, queueId, from, { maxMessages: SCHEDULE_BATCH_SIZE });
      if (read.status === 'unknown-queue') return undefined;
      if (read.status === 'offset-out-of-range') {
        // Below: retention removed what was never delivered. Above: the log lost its tail in a crash
        // after the progress was written. Either way continue from the nearest valid offset.
        const offset = from < read.minOffset ? read.minOffset : read.maxOffset;
        this.#logger.error('delay scheduler progress is outside its queue; moving it', {
          level: state.level,
          from,
          to: offset,
          minOffset: read.minOffset,
          maxOffset: read.maxOffset,
        });
        await this.#saveProgress(state, offset);
        continue;
      }
      if (read.messages.length === 0) return undefined;
      let next = from;
      let waitUntil: number | undefined;
      const entries: JournalEntry[] = [];
      for (const message of read.messages) {
        const dueAt = message.deliveryTimestamp ?? 0;
        if (dueAt > this.#clock.now()) {
          waitUntil = dueAt;
          break;
        }
        const entry = this.#entryFor(state.level, message);
        if (entry !== undefined) entries.push(entry);
        next = message.queueOffset + 1;
      }
      if (waitUntil === undefined) next = read.nextOffset;
      if (next !== from) await this.#relay(state, from, next, entries);
      if (waitUntil !== undefined) return waitUntil;
    }
    return undefined;
  }

  // One relay: the batch's copies and the level's new progress, atomically through the journal.
  async #relay(state: LevelState, from: number, next: number, entries: JournalEntry[]): Promise<void> {
    await this.#exclusive(async () => {
      // An in-process recovery may have moved the level while this batch was read: read it again.
      if (this.#mustRecover || state.offset !== from) return;
      try {
        await this.#journal.relay(entries, [
          { type: 'put', key: progressKey(state.level), value: encodeJsonValue({ offset: next }) },
        ]);
      } catch (error) {
        this.#mustRecover = true;
        // Some appends may have landed; a wake-up with nothing new is harmless, a missed one is not.
        notifyTargets(entries, this.#onAppended);
        throw error;
      }
      state.offset = next;
      notifyTargets(entries, this.#onAppended);
    });
  }

  // The journal entry relaying `scheduled`, or undefined (logged) when it names no valid real queue.
  #entryFor(level: number, scheduled: StoredMessage): JournalEntry | undefined {
    const target = realTargetOf(scheduled);
    if (target === undefined) {
      this.#logger.error('scheduled message has no valid REAL_TOPIC / REAL_QID; skipping it', {
        level,
        offset: scheduled.queueOffset,
        messageId: scheduled.messageId,
      });
      return undefined;
    }
    return {
      deliveryId: `${DELIVERY_ID_PREFIX}${level}:${scheduled.queueOffset}`,
      topic: target.topic,
      queueId: target.queueId,
      message: withoutProperties(scheduled, BOOKKEEPING),
    };
  }

  async #recoverJournalAndProgress(): Promise<void> {
    const rebuilt: JournalEntry[] = [];
    await this.#journal.recover(async (deliveryId) => {
      const entry = await this.#rebuild(deliveryId);
      if (entry !== undefined) rebuilt.push(entry);
      return entry?.message;
    });
    this.#mustRecover = false;
    await this.#loadProgress();
    notifyTargets(rebuilt, this.#onAppended);
  }

  // After a failed relay: finish it (or find it never began), then take every level's progress from metadata.
  async #finishFailedRelay(): Promise<void> {
    if (!this.#mustRecover) return;
    await this.#recoverJournalAndProgress();
  }

  async #loadProgress(): Promise<void> {
    for (const state of this.#levels) {
      const stored = await this.#metadata.get(progressKey(state.level));
      if (stored === undefined) continue;
      const parsed = ProgressSchema.safeParse(safeDecode(stored));
      if (parsed.success) {
        state.offset = parsed.data.offset;
      } else {
        this.#logger.error('delay scheduler progress is unreadable; starting the level at its first offset', {
          level: state.level,
        });
      }
    }
  }

  // The entry of the relay with this delivery id, made again from SCHEDULE_TOPIC_XXXX.
  async #rebuild(deliveryId: string): Promise<JournalEntry | undefined> {
    const match = /^delay:(\d+):(\d+)$/.exec(deliveryId);
    if (match === null) return undefined;
    const level = Number(match[1]);
    const offset = Number(match[2]);
    if (level < 1 || level > MAX_QUEUE_ID + 1 || !Number.isSafeInteger(offset)) return undefined;
    const read = await this.#store.read(SystemTopic.SCHEDULE, level - 1, offset, { maxMessages: 1 });
    const scheduled = read.status === 'ok' ? read.messages[0] : undefined;
    if (scheduled === undefined || scheduled.queueOffset !== offset) return undefined;
    return this.#entryFor(level, scheduled);
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#relayLock.then(task);
    this.#relayLock = run.catch(() => {});
    return run;
  }

  async #saveProgress(state: LevelState, offset: number): Promise<void> {
    await this.#metadata.put(progressKey(state.level), encodeJsonValue({ offset }));
    state.offset = offset;
  }

  #checkLevel(level: number): number {
    if (!Number.isInteger(level) || level < 1 || level > this.levelCount) {
      throw new EddyError('INVALID_ARGUMENT', `delay level must be an integer in 1…${this.levelCount}, got ${level}`);
    }
    return level;
  }
}

function progressKey(level: number): string {
  return `${SCHEDULE_PROGRESS_PREFIX}${level}`;
}

const DELIVERY_ID_PREFIX = 'delay:';

function safeDecode(value: Uint8Array): unknown {
  try {
    return decodeJsonValue(value);
  } catch {
    return undefined;
  }
}

/**
 * The real queue a scheduled or timer message names in `REAL_TOPIC` / `REAL_QID`, or undefined when
 * either is missing or invalid (the message was not written by a scheduler).
 */
export function realTargetOf(message: Message): ScheduleTarget | undefined {
  const topic = message.properties[SystemProperty.REAL_TOPIC];
  const queueText = message.properties[SystemProperty.REAL_QUEUE_ID];
  const queueId = queueText !== undefined && /^\d{1,5}$/.test(queueText) ? Number(queueText) : -1;
  if (topic === undefined || validateTopicName(topic, { system: true }) !== undefined) return undefined;
  if (queueId < 0 || queueId > MAX_QUEUE_ID) return undefined;
  return { topic, queueId };
}

/** A copy of `message` (without its queue position) whose properties lack `names`. */
export function withoutProperties(message: Message, names: readonly string[]): Message {
  const properties: Record<string, string> = { ...message.properties };
  for (const name of names) delete properties[name];
  return { ...messageFieldsOf(message), properties };
}

/** Calls `onAppended` once for each queue the entries went to. */
export function notifyTargets(
  entries: readonly JournalEntry[],
  onAppended: ((topic: string, queueId: number) => void) | undefined,
): void {
  if (onAppended === undefined || entries.length === 0) return;
  const seen = new Set<string>();
  for (const { topic, queueId } of entries) {
    const key = `${topic}\u0000${queueId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    onAppended(topic, queueId);
  }
}
