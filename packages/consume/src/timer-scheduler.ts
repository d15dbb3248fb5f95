import {
  type Clock,
  EddyError,
  type Logger,
  type Message,
  parseWithSchema,
  type ScheduledTask,
  type StoredMessage,
  SystemProperty,
  SystemTopic,
  silentLogger,
  validateTopicName,
} from '@eddy/message';
import { checkQueueId, type MessageStore, type MetadataStore } from '@eddy/store';
import { z } from 'zod';
import { notifyTargets, realTargetOf, type ScheduleTarget, withoutProperties } from './delay-scheduler.js';
import { DeliveryJournal, type JournalEntry } from './delivery-journal.js';
import { type TimerEntry, TimerIndex } from './timer-index.js';
import {
  decodeTimerProgress,
  isAfter,
  TIMER_PROGRESS_KEY,
  type TimerProgress,
  timerProgressPut,
} from './timer-progress.js';
import { TimerWatermark } from './timer-watermark.js';

/** How far ahead a timer may be due by default: one day, the RocketMQ 5 proxy's `maxDelayTimeMills`. */
export const DEFAULT_MAX_TIMER_DELAY_MS = 86_400_000;

/** Most timers relayed together (one journal relay, one progress write). */
export const TIMER_BATCH_SIZE = 256;

/** How long delivery waits before trying again after a relay failed (the store was full, say). */
export const TIMER_FAILURE_BACKOFF_MS = 1000;

/** The timer log is queue 0 of `rmq_sys_wheel_timer`. */
const TIMER_QUEUE_ID = 0;
/** Messages per read when a start scans the timer log. */
const SCAN_BATCH = 1024;
/** Wanted offsets at most this far apart are read in one call, the ones between thrown away. */
const READ_GAP = 16;
/** setTimeout's limit; a timer further out is armed again when this fires. */
const MAX_ARM_MS = 2_147_483_647;

// What a delivered timer message no longer carries; a delivery id from an earlier relay means nothing here.
const BOOKKEEPING = [SystemProperty.REAL_TOPIC, SystemProperty.REAL_QUEUE_ID];
const STALE = [SystemProperty.DELIVERY_ID];

/** The configurable options of {@link TimerScheduler}, for config files. */
export const TimerSchedulerConfigSchema = z
  .object({
    /** How far ahead of now a timer may be due; further is `ILLEGAL_DELIVERY_TIME`. */
    maxDelayMs: z
      .number()
      .int()
      .positive()
      .max(365 * 86_400_000)
      .default(DEFAULT_MAX_TIMER_DELAY_MS),
  })
  .strict();

/** Options of {@link TimerScheduler}. */
export interface TimerSchedulerOptions {
  /** Holds the timer log and the real topics timers are delivered to. One scheduler per store. */
  readonly store: MessageStore;
  readonly clock: Clock;
  /** Where progress and the delivery journal are kept. Default: `store.metadata`. */
  readonly metadata?: MetadataStore;
  /** Receives skipped timers, failed relays and recoveries. Default: silent. */
  readonly logger?: Logger;
  /** Called after a delivery appends to a real queue: wake long polls here (`PullService.notifyAppended`). */
  readonly onAppended?: (topic: string, queueId: number) => void;
  /** Default {@link DEFAULT_MAX_TIMER_DELAY_MS} (24 h). */
  readonly maxDelayMs?: number;
}

/** What {@link TimerScheduler.schedule} did. */
export interface TimerScheduleResult {
  /**
   * When the timer falls due, ms since the epoch: the message's `deliveryTimestamp`, or later when
   * that was at or before the last due time already delivered (a past time; see {@link TimerScheduler}).
   */
  readonly dueAt: number;
  /** Offset of the message in the timer log (`rmq_sys_wheel_timer` queue 0). */
  readonly timerOffset: number;
}

/**
 * Timer messages, RocketMQ 5's arbitrary delivery time (`TIMER_DELIVER_MS`), for millions of pending
 * timers. See docs/scheduled-messages.md for the design.
 *
 * **Storage.** {@link TimerScheduler.schedule} appends the message to the timer log, `rmq_sys_wheel_timer`
 * queue 0, with its real queue in `REAL_TOPIC` / `REAL_QID` and its due time as `deliveryTimestamp`.
 * Memory holds only (due, offset) of each pending timer, 16 bytes, in a heap ({@link TimerIndex}); the
 * message is read back from the log when it falls due. ONE clock task is armed, for the earliest due
 * time, however many timers wait.
 *
 * **Delivery: exactly once, across crashes.** Due timers go in (due, offset) order, up to
 * {@link TIMER_BATCH_SIZE} per relay of a {@link DeliveryJournal} named `timer` (delivery id
 * `timer:<offset>`); the relay's closing metadata batch also writes the progress key
 * (`consume/timer/progress`, {@link TimerProgress}): every timer at or below it is delivered, every
 * timer above it is not. A new timer is always keyed above every timer already handed to a relay (its
 * due time is raised to the last one relayed when it is earlier, which only happens to a time already
 * past), so that one key stays true. A start finishes interrupted relays, then scans the timer log
 * from the progress's low watermark (the oldest undelivered offset) and indexes the timers above the
 * key: its cost is proportional to the log written since the oldest pending timer was.
 *
 * **Time.** Never delivered before its due time by the injected clock; due now or in the past means
 * delivered at once. If the wall clock steps back, timers wait for the clock to reach them again, and
 * a timer scheduled meanwhile for a time before the last one delivered is delivered at that time
 * instead (late by at most the step, never early, never out of the key order).
 *
 * A timer whose message is gone (retention) or names no valid real queue is skipped with an error log.
 * When a relay fails (disk full, say), the journal finishes it and delivery goes on
 * {@link TIMER_FAILURE_BACKOFF_MS} later. Delivered copies keep the id, body, keys, tag, message group,
 * reconsume count and properties, minus `REAL_TOPIC` / `REAL_QID`, plus `__DELIVERY_ID`;
 * `deliveryTimestamp` stays the due time.
 */
export class TimerScheduler {
  readonly #store: MessageStore;
  readonly #metadata: MetadataStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #onAppended: ((topic: string, queueId: number) => void) | undefined;
  readonly #maxDelayMs: number;
  readonly #journal: DeliveryJournal;
  readonly #index = new TimerIndex();
  #watermark = new TimerWatermark(0);
  /** The latest due time handed to a relay: new timers are keyed at or above it. */
  #frontier = Number.NEGATIVE_INFINITY;
  /** Due times of schedules whose append is in flight (with counts): nothing at or after them is relayed. */
  readonly #appending = new Map<number, number>();
  /** Timers of the batch being relayed. */
  #relaying = 0;
  /** The batch of a failed relay, until the journal has finished it (or found it never began). */
  #stranded: TimerEntry[] = [];
  /** When delivery tries again after a failure. */
  #retryAt: number | undefined;
  #recovered: Promise<void> | undefined;
  #started = false;
  #timer: ScheduledTask | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  #running: Promise<void> | undefined;

  constructor(options: TimerSchedulerOptions) {
    const parsed = parseWithSchema(
      TimerSchedulerConfigSchema,
      options.maxDelayMs === undefined ? {} : { maxDelayMs: options.maxDelayMs },
      'timer scheduler options',
    );
    this.#store = options.store;
    this.#metadata = options.metadata ?? options.store.metadata;
    this.#clock = options.clock;
    this.#logger = options.logger ?? silentLogger;
    this.#onAppended = options.onAppended;
    this.#maxDelayMs = parsed.maxDelayMs;
    this.#journal = new DeliveryJournal({
      store: options.store,
      metadata: this.#metadata,
      name: 'timer',
      logger: this.#logger,
    });
  }

  /** Timers scheduled and not yet delivered (known once recovered: `start()` or a first `schedule()`). */
  get pending(): number {
    return this.#index.size + this.#stranded.length + this.#relaying;
  }

  /** True between {@link TimerScheduler.start} and {@link TimerScheduler.stop}. */
  get started(): boolean {
    return this.#started;
  }

  /** The largest delay accepted, in ms. */
  get maxDelayMs(): number {
    return this.#maxDelayMs;
  }

  /**
   * Schedules `message` for delivery to `target` at `message.deliveryTimestamp`. Durable once it
   * resolves. Before {@link TimerScheduler.start} the timer is kept and delivered once started.
   *
   * @throws `ILLEGAL_DELIVERY_TIME` when the time is more than `maxDelayMs` ahead of now;
   * `INVALID_ARGUMENT` when the message has no `deliveryTimestamp` or the target queue id is bad;
   * `INVALID_NAME` for a bad target topic; the store's errors for the append.
   */
  async schedule(message: Message, target: ScheduleTarget): Promise<TimerScheduleResult> {
    checkQueueId(target.queueId);
    const nameError = validateTopicName(target.topic, { system: true });
    if (nameError !== undefined) throw nameError;
    const requested = message.deliveryTimestamp;
    if (requested === undefined || !Number.isSafeInteger(requested)) {
      throw new EddyError(
        'INVALID_ARGUMENT',
        `a timer message needs a deliveryTimestamp in ms since the epoch, got ${String(requested)}`,
      );
    }
    const now = this.#clock.now();
    if (requested - now > this.#maxDelayMs) {
      throw new EddyError(
        'ILLEGAL_DELIVERY_TIME',
        `delivery time ${formatTime(requested)} is ${requested - now} ms from now; the limit is ${this.#maxDelayMs} ms (maxDelayMs)`,
        { details: { limit: 'maxDelayMs', value: requested - now, max: this.#maxDelayMs } },
      );
    }
    await this.recover();
    const dueAt = Math.max(requested, this.#frontier);
    const timed: Message = {
      ...withoutProperties(message, STALE),
      topic: SystemTopic.TIMER,
      deliveryTimestamp: dueAt,
    };
    const withTarget: Message = {
      ...timed,
      properties: {
        ...timed.properties,
        [SystemProperty.REAL_TOPIC]: target.topic,
        [SystemProperty.REAL_QUEUE_ID]: String(target.queueId),
      },
    };
    this.#appending.set(dueAt, (this.#appending.get(dueAt) ?? 0) + 1);
    try {
      const { baseOffset } = await this.#store.append(SystemTopic.TIMER, TIMER_QUEUE_ID, [withTarget]);
      this.#index.push(dueAt, baseOffset);
      return { dueAt, timerOffset: baseOffset };
    } finally {
      const count = (this.#appending.get(dueAt) ?? 1) - 1;
      if (count === 0) this.#appending.delete(dueAt);
      else this.#appending.set(dueAt, count);
      this.#wake();
    }
  }

  /**
   * Finishes the relays a crash interrupted, loads the progress and indexes the pending timers by
   * scanning the timer log from the low watermark. Runs once however often it is called;
   * {@link TimerScheduler.start} and the first {@link TimerScheduler.schedule} call it.
   *
   * @throws `CORRUPT_DATA` when the progress or a journal record is unreadable; the store's errors.
   */
  recover(): Promise<void> {
    this.#recovered ??= this.#recover().catch((error: unknown) => {
      this.#recovered = undefined;
      throw error;
    });
    return this.#recovered;
  }

  /**
   * Recovers, delivers everything already due (what fell due while the broker was down) and arms one
   * clock task for the earliest pending timer. Resolves when that first pass is done.
   */
  async start(): Promise<void> {
    await this.recover();
    if (this.#started) return;
    this.#started = true;
    this.#wake();
    await this.whenIdle();
  }

  /** Cancels the clock task and waits for a relay in progress; call before closing the store. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#disarm();
    await this.whenIdle();
  }

  /** Resolves once no delivery is running (deliveries started by the clock task included). */
  async whenIdle(): Promise<void> {
    for (;;) {
      const running = this.#running;
      if (running === undefined) return;
      await running;
    }
  }

  // Delivers now if something is deliverable, else keeps one clock task armed for the next due time.
  #wake(): void {
    if (!this.#started || this.#running !== undefined) return;
    const next = this.#nextWake();
    if (next === undefined) {
      if (this.#index.size === 0) this.#disarm();
      return;
    }
    if (next > this.#clock.now()) {
      this.#arm(next);
      return;
    }
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
      this.#wake();
    });
  }

  // When to look again: after a failure's back-off, else at the head's due time; undefined while the
  // head waits for a schedule in flight (whose end wakes us).
  #nextWake(): number | undefined {
    if (this.#retryAt !== undefined) return this.#retryAt;
    if (this.#stranded.length > 0) return this.#clock.now();
    const due = this.#index.peekDue();
    if (due === undefined || due >= this.#appendingFloor()) return undefined;
    return due;
  }

  #arm(due: number): void {
    if (this.#timer !== undefined && this.#timerDue === due) return;
    this.#disarm();
    this.#timerDue = due;
    this.#timer = this.#clock.schedule(Math.min(MAX_ARM_MS, due - this.#clock.now()), () => {
      this.#timer = undefined;
      this.#timerDue = Number.POSITIVE_INFINITY;
      if (this.#retryAt !== undefined && this.#retryAt <= this.#clock.now()) this.#retryAt = undefined;
      this.#wake();
    });
  }

  #disarm(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
  }

  async #run(): Promise<void> {
    try {
      this.#retryAt = undefined;
      if (this.#stranded.length > 0) await this.#finishFailedRelay();
      await this.#deliverDue();
    } catch (error) {
      if (!this.#started) return;
      this.#logger.error('timer scheduler could not deliver; trying again shortly', {
        pending: this.pending,
        error: String(error),
      });
      this.#retryAt = this.#clock.now() + TIMER_FAILURE_BACKOFF_MS;
    }
  }

  async #deliverDue(): Promise<void> {
    while (this.#started) {
      const now = this.#clock.now();
      // A schedule in flight will be keyed at its due time: relaying past it would leave it below the key.
      const floor = this.#appendingFloor();
      const batch: TimerEntry[] = [];
      while (batch.length < TIMER_BATCH_SIZE) {
        const due = this.#index.peekDue();
        if (due === undefined || due > now || due >= floor) break;
        batch.push(this.#index.pop() as TimerEntry);
      }
      if (batch.length === 0) return;
      await this.#relay(batch);
    }
  }

  async #relay(batch: TimerEntry[]): Promise<void> {
    const last = batch[batch.length - 1] as TimerEntry;
    this.#frontier = Math.max(this.#frontier, last.due);
    this.#relaying = batch.length;
    let entries: JournalEntry[] = [];
    try {
      const offsets = new Set(batch.map((entry) => entry.offset));
      const messages = await this.#readTimers(offsets);
      entries = batch.flatMap(({ offset }) => this.#entryFor(offset, messages.get(offset)) ?? []);
      const progress: TimerProgress = { due: last.due, offset: last.offset, low: this.#watermark.lowWith(offsets) };
      await this.#journal.relay(entries, [timerProgressPut(progress)]);
      for (const offset of offsets) this.#watermark.markDone(offset);
    } catch (error) {
      this.#stranded = batch;
      throw error;
    } finally {
      this.#relaying = 0;
      // After a failure some appends may have landed: a wake-up with nothing new is harmless.
      notifyTargets(entries, this.#onAppended);
    }
  }

  // Finishes a failed relay through the journal, then keeps the batch's timers that it did not deliver.
  async #finishFailedRelay(): Promise<void> {
    await this.#recoverJournal();
    const progress = decodeTimerProgress(await this.#metadata.get(TIMER_PROGRESS_KEY));
    for (const entry of this.#stranded) {
      if (isAfter(entry.due, entry.offset, progress)) this.#index.push(entry.due, entry.offset);
      else this.#watermark.markDone(entry.offset);
    }
    this.#stranded = [];
  }

  async #recover(): Promise<void> {
    await this.#recoverJournal();
    let progress = decodeTimerProgress(await this.#metadata.get(TIMER_PROGRESS_KEY));
    const range = await this.#store.queueRange(SystemTopic.TIMER, TIMER_QUEUE_ID);
    const maxOffset = range?.maxOffset ?? 0;
    if (progress.low > maxOffset) {
      // The log lost its tail (power loss before a flush) but not the progress: what is gone is gone;
      // offsets are given out again from the end, so the key must not claim them.
      this.#logger.error('the timer log ends below the timer progress; continuing from its end', {
        low: progress.low,
        maxOffset,
      });
      progress = { due: progress.due, offset: Math.min(progress.offset, maxOffset - 1), low: maxOffset };
    }
    let offset = progress.low;
    if (range !== undefined && offset < range.minOffset) {
      this.#logger.error('timers below the timer log start were removed before delivery', {
        low: offset,
        minOffset: range.minOffset,
      });
      offset = range.minOffset;
    }
    const watermark = new TimerWatermark(offset);
    this.#index.clear();
    for (;;) {
      const read = await this.#store.read(SystemTopic.TIMER, TIMER_QUEUE_ID, offset, { maxMessages: SCAN_BATCH });
      if (read.status !== 'ok' || read.messages.length === 0) break;
      for (const message of read.messages) {
        const due = message.deliveryTimestamp ?? 0;
        if (isAfter(due, message.queueOffset, progress)) this.#index.push(due, message.queueOffset);
        else watermark.markDone(message.queueOffset);
      }
      offset = read.nextOffset;
    }
    this.#watermark = watermark;
    this.#frontier = Math.max(this.#frontier, progress.due);
  }

  async #recoverJournal(): Promise<void> {
    const rebuilt: JournalEntry[] = [];
    await this.#journal.recover(async (deliveryId) => {
      const match = /^timer:(\d+)$/.exec(deliveryId);
      const offset = match === null ? -1 : Number(match[1]);
      if (!Number.isSafeInteger(offset) || offset < 0) return undefined;
      const entry = this.#entryFor(offset, (await this.#readTimers(new Set([offset]))).get(offset));
      if (entry !== undefined) rebuilt.push(entry);
      return entry?.message;
    });
    notifyTargets(rebuilt, this.#onAppended);
  }

  // The journal entry delivering the timer at `offset`, or undefined (logged) when it cannot be delivered.
  #entryFor(offset: number, message: StoredMessage | undefined): JournalEntry | undefined {
    if (message === undefined) {
      this.#logger.error('a due timer is gone from the timer log; skipping it', { offset });
      return undefined;
    }
    const target = realTargetOf(message);
    if (target === undefined) {
      this.#logger.error('timer message has no valid REAL_TOPIC / REAL_QID; skipping it', {
        offset,
        messageId: message.messageId,
      });
      return undefined;
    }
    return {
      deliveryId: `timer:${offset}`,
      topic: target.topic,
      queueId: target.queueId,
      message: withoutProperties(message, BOOKKEEPING),
    };
  }

  // The timer log messages at `offsets` (those still there), reading runs of close offsets in one call.
  async #readTimers(offsets: ReadonlySet<number>): Promise<Map<number, StoredMessage>> {
    const sorted = [...offsets].sort((a, b) => a - b);
    const found = new Map<number, StoredMessage>();
    for (let first = 0; first < sorted.length; ) {
      let last = first;
      while (
        last + 1 < sorted.length &&
        (sorted[last + 1] as number) - (sorted[last] as number) <= READ_GAP &&
        (sorted[last + 1] as number) - (sorted[first] as number) < SCAN_BATCH
      ) {
        last++;
      }
      const until = sorted[last] as number;
      let from = sorted[first] as number;
      while (from <= until) {
        const read = await this.#store.read(SystemTopic.TIMER, TIMER_QUEUE_ID, from, {
          maxMessages: until - from + 1,
        });
        if (read.status === 'unknown-queue') return found;
        if (read.status === 'offset-out-of-range') {
          if (from >= read.minOffset) break;
          from = read.minOffset;
          continue;
        }
        for (const message of read.messages) {
          if (offsets.has(message.queueOffset)) found.set(message.queueOffset, message);
        }
        if (read.messages.length === 0) break;
        from = read.nextOffset;
      }
      first = last + 1;
    }
    return found;
  }

  // The earliest due time of a schedule in flight, or +∞.
  #appendingFloor(): number {
    let floor = Number.POSITIVE_INFINITY;
    for (const due of this.#appending.keys()) floor = Math.min(floor, due);
    return floor;
  }
}

function formatTime(time: number): string {
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString();
}
