import {
  type Clock,
  EddyError,
  type Logger,
  type Message,
  parseWithSchema,
  type ScheduledTask,
  type StoredMessage,
  SystemTopic,
  silentLogger,
  validateTopicName,
} from '@eddy/message';
import { checkQueueId, type MessageStore, type MetadataOperation, type MetadataStore } from '@eddy/store';
import { z } from 'zod';
import { type DeadlineEntry, DeadlineHeap } from './deadline-heap.js';
import { DeliveryJournal, type JournalEntry, type RelayedEntry } from './delivery-journal.js';
import { GroupCommit } from './transaction-group-commit.js';
import { formatTransactionId, parseTransactionId, TransactionNonceSource } from './transaction-id.js';
import {
  checkImmunityMs,
  halfMessageInfo,
  TRANSACTION_QUEUE_ID,
  type TransactionOutcome,
  type TransactionTarget,
  toCheckMaxMessage,
  toCheckView,
  toDeliveredMessage,
  toHalfMessage,
  toOpRecord,
} from './transaction-message.js';
import { TransactionProgress, type TransactionWatermarks } from './transaction-progress.js';
import { recoverTransactions, type TransactionRecoveryReport } from './transaction-recovery.js';
import {
  checkCountKey,
  encodeCheckCount,
  encodeWatermarks,
  formatDeliveryId,
  progressKey,
  readHalf,
  TRANSACTION_JOURNAL_NAME,
} from './transaction-state.js';

/** RocketMQ's `transactionTimeOut`: a half message younger than this is not checked back. */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 6000;
/** RocketMQ 4.9's `transactionCheckInterval` (5.x uses 30 s). */
export const DEFAULT_TRANSACTION_CHECK_INTERVAL_MS = 60_000;
/** RocketMQ's `transactionCheckMax`. */
export const DEFAULT_TRANSACTION_MAX_CHECKS = 15;
/** Most resolutions that share one journal relay (group commit of concurrent commits and rollbacks). */
export const TRANSACTION_RELAY_BATCH = 64;
/** Resolutions between two watermark writes; the service also writes them after each check run and at stop. */
export const TRANSACTION_PROGRESS_EVERY = 1024;

/** The configurable options of {@link TransactionService}, for config files. */
export const TransactionServiceConfigSchema = z
  .object({
    /** Age (by store time) from which an unresolved half message is checked back. */
    timeoutMs: z.number().int().nonnegative().default(DEFAULT_TRANSACTION_TIMEOUT_MS),
    /** Least time between two checks of one half message. */
    checkIntervalMs: z.number().int().positive().default(DEFAULT_TRANSACTION_CHECK_INTERVAL_MS),
    /** Checks of one half message before it is rolled back. */
    maxChecks: z.number().int().nonnegative().max(1_000_000).default(DEFAULT_TRANSACTION_MAX_CHECKS),
  })
  .strict();

/** A check-back: the broker should ask a live producer of `producerGroup` how the transaction ended. */
export interface HalfMessageCheck {
  /** The id the producer answers with, through {@link TransactionService.end} with `fromCheck`. */
  readonly transactionId: string;
  readonly producerGroup: string;
  /**
   * The message as it will be delivered (real topic and queue, no bookkeeping properties), with
   * `transaction` `'prepared'`, the half offset as `queueOffset` and the half message's store time.
   */
  readonly message: StoredMessage;
  /** How many times this half message has been checked, this check included (1 … maxChecks). */
  readonly checkTimes: number;
}

/** Options of {@link TransactionService}: the configuration plus what code injects. */
export interface TransactionServiceOptions extends z.input<typeof TransactionServiceConfigSchema> {
  /** Holds the half, op and real topics. */
  readonly store: MessageStore;
  readonly clock: Clock;
  /** Where check counts, watermarks and the relay journal are kept. Default: `store.metadata`. */
  readonly metadata?: MetadataStore;
  /** Receives recoveries, failed checks and given-up transactions. Default: silent. */
  readonly logger?: Logger;
  /** Called after a commit (or a discard) appended to a queue: wake long polls here. */
  readonly onAppended?: (topic: string, queueId: number) => void;
  /**
   * Called for each check-back. The broker asks a live producer of the group (any member, if the
   * original producer is gone), which answers later through `end(…, { fromCheck: true })`; no answer
   * means another check one interval later. Must not throw (a throw is logged and counts as asked).
   */
  readonly onCheck: (check: HalfMessageCheck) => void;
}

/** A producer's decision. */
export type TransactionResolution = 'commit' | 'rollback';

/** What {@link TransactionService.prepare} stored. */
export interface PrepareResult {
  /** Give this to the producer; it ends the transaction with it. */
  readonly transactionId: string;
  /** Offset of the half message in `RMQ_SYS_TRANS_HALF_TOPIC` queue 0. */
  readonly halfOffset: number;
}

/** What {@link TransactionService.end} did. */
export interface EndTransactionResult {
  /** `'not-found'`: no pending transaction has this id (unknown, guessed, or already ended). */
  readonly status: 'ok' | 'not-found';
  /** Where a commit delivered the message. */
  readonly delivered?: { readonly topic: string; readonly queueId: number; readonly queueOffset: number };
}

/** Options of {@link TransactionService.end}. */
export interface EndTransactionOptions {
  /** True when the decision answers a check-back (RocketMQ's `fromTransactionCheck`); only logged. */
  readonly fromCheck?: boolean;
}

// A half message waiting for its producer's decision; in the heap by its next check time.
interface PendingHalf extends DeadlineEntry {
  readonly halfOffset: number;
  readonly nonce: string;
  /** Checks so far (durable in metadata once made). */
  checkTimes: number;
  /** When it is next checked (or discarded, once checkTimes reached maxChecks). */
  deadline: number;
  heapIndex: number;
  /** A check in progress, which an `end` waits for so that its count write cannot outlive the resolution. */
  checking: Promise<void> | undefined;
}

const NOT_FOUND: EndTransactionResult = Object.freeze({ status: 'not-found' });

/**
 * Transactional messages, RocketMQ's way: half messages, commit or rollback, check-back.
 *
 * **Prepare** appends the message to `RMQ_SYS_TRANS_HALF_TOPIC` queue 0 (invisible to consumers), with
 * its real topic and queue in `REAL_TOPIC` / `REAL_QID`, `TRAN_MSG`, `PGROUP` and the random part of
 * its transaction id. The id is the half offset plus that random part, so it is resolvable after a
 * restart and cannot be guessed.
 *
 * **Commit** relays the message to its real queue and appends an op record (tag `d`, body = half offset)
 * to `RMQ_SYS_TRANS_OP_HALF_TOPIC`; **rollback** appends only the op record. Both go through one
 * {@link DeliveryJournal} relay, so the committed copy and the op record are each appended exactly once
 * even when the broker crashes between the steps, and the check count is deleted in the relay's final
 * metadata batch. The op record is the durable resolution: recovery treats a half as resolved exactly
 * when its op record exists, and the journal guarantees that it exists once the relay began.
 * Resolutions that arrive while a relay runs share the next one (group commit, up to
 * {@link TRANSACTION_RELAY_BATCH}): one intent, one append per queue and one batch for all of them.
 *
 * **Check-back**: a half message unresolved `timeoutMs` after its store time (or
 * `CHECK_IMMUNITY_TIME_IN_SECONDS`) is handed to `onCheck`, then again every `checkIntervalMs`, at most
 * `maxChecks` times; the count is written before each check. At the next due time after the last check
 * it is rolled back: a copy goes to `TRANS_CHECK_MAX_TIME_TOPIC` (RocketMQ 5), an op record with outcome
 * `discard` is appended, and an error is logged with the message id and producer group. The service
 * holds at most ONE clock task, for the earliest due half.
 *
 * **Restarts**: {@link TransactionService.start} finishes interrupted relays, then rebuilds the pending
 * halves and their check counts from the half topic, the op topic and metadata, reading from two
 * durable watermarks (see `TransactionProgress` in `transaction-progress.ts`): the cost is proportional
 * to what was prepared since the oldest half that was unresolved when they were last written, not to
 * the topic's history.
 *
 * Delivered messages keep the id, body, keys, tag, user properties, producer and message group; the
 * bookkeeping properties are stripped, `transaction` is `'commit'`, and the journal's `__DELIVERY_ID`
 * (`tx:<half offset>`) is added.
 */
export class TransactionService {
  readonly #store: MessageStore;
  readonly #metadata: MetadataStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #onAppended: ((topic: string, queueId: number) => void) | undefined;
  readonly #onCheck: (check: HalfMessageCheck) => void;
  readonly #timeoutMs: number;
  readonly #checkIntervalMs: number;
  readonly #maxChecks: number;
  readonly #journal: DeliveryJournal;
  // Concurrent resolutions share one journal relay: one intent, one append per queue, one batch.
  readonly #relays: GroupCommit<{ entries: JournalEntry[]; after: MetadataOperation[] }, RelayedEntry[]>;
  readonly #nonces = new TransactionNonceSource();
  readonly #pending = new Map<number, PendingHalf>();
  readonly #due = new DeadlineHeap<PendingHalf>();
  readonly #busy = new Set<Promise<unknown>>();
  #progress: TransactionProgress | undefined;
  #state: 'new' | 'started' | 'stopped' = 'new';
  #recovering: Promise<void> | undefined;
  #recovery: TransactionRecoveryReport | undefined;
  #timer: ScheduledTask | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  #checkRun: Promise<void> | undefined;
  #progressWrites: Promise<void> = Promise.resolve();
  #written: TransactionWatermarks | undefined;
  #resolvedSinceWrite = 0;

  constructor(options: TransactionServiceOptions) {
    const { store, clock, metadata, logger, onAppended, onCheck, ...config } = options;
    const parsed = parseWithSchema(TransactionServiceConfigSchema, config, 'transaction service options');
    this.#store = store;
    this.#metadata = metadata ?? store.metadata;
    this.#clock = clock;
    this.#logger = logger ?? silentLogger;
    this.#onAppended = onAppended;
    this.#onCheck = onCheck;
    this.#timeoutMs = parsed.timeoutMs;
    this.#checkIntervalMs = parsed.checkIntervalMs;
    this.#maxChecks = parsed.maxChecks;
    this.#journal = new DeliveryJournal({
      store,
      metadata: this.#metadata,
      name: TRANSACTION_JOURNAL_NAME,
      logger: this.#logger,
    });
    this.#relays = new GroupCommit(async (items) => {
      const relayed = await this.#journal.relay(
        items.flatMap((item) => item.entries),
        items.flatMap((item) => item.after),
      );
      const byId = new Map(relayed.map((entry) => [entry.deliveryId, entry]));
      return items.map((item) => item.entries.map((entry) => byId.get(entry.deliveryId) as RelayedEntry));
    }, TRANSACTION_RELAY_BATCH);
  }

  /** Half messages waiting for a decision (not counting resolutions in progress). */
  get pending(): number {
    return this.#pending.size;
  }

  /** What the recovery of {@link TransactionService.start} did; `undefined` before it ran. */
  get lastRecovery(): TransactionRecoveryReport | undefined {
    return this.#recovery;
  }

  /**
   * Stores a half message for `target`. `message.producerGroup` is the group checked back; without
   * one, the target topic stands for it (RocketMQ 5's proxy does the same for gRPC producers).
   *
   * @throws `INVALID_ARGUMENT` for a bad target queue id; `INVALID_NAME` / `RESERVED_NAME` for a bad or
   * system target topic; `INTERNAL` (retriable) when the service is not started; the store's errors.
   */
  async prepare(message: Message, target: TransactionTarget): Promise<PrepareResult> {
    const progress = this.#requireStarted();
    checkQueueId(target.queueId);
    const nameError = validateTopicName(target.topic);
    if (nameError !== undefined) throw nameError;
    const nonce = this.#nonces.next();
    const half = toHalfMessage(message, target, message.producerGroup ?? target.topic, nonce);
    const ticket = progress.beginPrepare();
    let halfOffset: number | undefined;
    try {
      // No await between beginPrepare and the append call: the watermarks rely on it.
      const appended = await this.#track(
        this.#store.append(SystemTopic.TRANSACTION_HALF, TRANSACTION_QUEUE_ID, [half]),
      );
      halfOffset = appended.baseOffset;
      const entry: PendingHalf = {
        halfOffset: appended.baseOffset,
        nonce,
        checkTimes: 0,
        deadline: appended.storeTimestamp + (checkImmunityMs(half) ?? this.#timeoutMs),
        heapIndex: -1,
        checking: undefined,
      };
      this.#pending.set(entry.halfOffset, entry);
      this.#due.push(entry);
      this.#arm();
      return {
        transactionId: formatTransactionId({ halfOffset: entry.halfOffset, nonce }),
        halfOffset: entry.halfOffset,
      };
    } finally {
      progress.endPrepare(ticket, halfOffset);
    }
  }

  /**
   * Commits (relays the message to its real queue exactly once) or rolls back (it is never delivered)
   * a pending transaction. Ending a transaction that is not pending — unknown, guessed, already ended,
   * or rolled back after its last check — gives `{ status: 'not-found' }`.
   *
   * If the store fails part-way, the promise rejects and the decision, once its journal intent was
   * written, is finished by the next {@link TransactionService.start}; the transaction is no longer
   * pending in between.
   *
   * @throws `INVALID_ARGUMENT` for a resolution other than `'commit'` / `'rollback'`; `INTERNAL`
   * (retriable) when the service is not started; the store's errors.
   */
  async end(
    transactionId: string,
    resolution: TransactionResolution,
    options: EndTransactionOptions = {},
  ): Promise<EndTransactionResult> {
    this.#requireStarted();
    if (resolution !== 'commit' && resolution !== 'rollback') {
      throw new EddyError(
        'INVALID_ARGUMENT',
        `transaction resolution must be 'commit' or 'rollback', got '${resolution}'`,
      );
    }
    const parts = parseTransactionId(transactionId);
    const entry = parts === undefined ? undefined : this.#pending.get(parts.halfOffset);
    if (entry === undefined || entry.nonce !== parts?.nonce) return NOT_FOUND;
    // Taken synchronously: a second end of the same transaction finds nothing from here on.
    this.#take(entry);
    return this.#track(this.#resolve(entry, resolution, options.fromCheck === true));
  }

  /**
   * Recovers (finishes interrupted relays, rebuilds pending halves and check counts) on the first call,
   * then arms the check task. Call before {@link TransactionService.prepare} and {@link TransactionService.end};
   * calling it again (also after {@link TransactionService.stop}) only re-arms.
   */
  async start(): Promise<void> {
    if (this.#state === 'started') return;
    this.#recovering ??= this.#recover().catch((error: unknown) => {
      this.#recovering = undefined;
      throw error;
    });
    await this.#recovering;
    this.#state = 'started';
    this.#arm();
  }

  /** Cancels the check task, waits for work in progress and writes the watermarks; call before closing the store. */
  async stop(): Promise<void> {
    if (this.#state === 'started') this.#state = 'stopped';
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    await this.whenIdle();
    if (this.#progress !== undefined) await this.#writeProgress();
  }

  /** Resolves once no prepare, end, check run or watermark write is in progress. */
  async whenIdle(): Promise<void> {
    while (this.#busy.size > 0) await Promise.allSettled([...this.#busy]);
  }

  async #recover(): Promise<void> {
    const recovered = await recoverTransactions({
      store: this.#store,
      metadata: this.#metadata,
      journal: this.#journal,
      clock: this.#clock,
      logger: this.#logger,
    });
    const progress = new TransactionProgress({
      halfEnd: recovered.halfEnd,
      opEnd: recovered.opEnd,
      opFloor: recovered.opFloor,
    });
    for (const half of recovered.halves) {
      progress.addRecovered(half.halfOffset);
      const firstCheckAt = half.storeTimestamp + (half.info.immunityMs ?? this.#timeoutMs);
      const checkTimes = half.checks?.times ?? 0;
      const entry: PendingHalf = {
        halfOffset: half.halfOffset,
        nonce: half.info.nonce,
        checkTimes,
        deadline:
          half.checks === undefined || checkTimes === 0
            ? firstCheckAt
            : Math.max(firstCheckAt, half.checks.at + this.#checkIntervalMs),
        heapIndex: -1,
        checking: undefined,
      };
      this.#pending.set(half.halfOffset, entry);
      this.#due.push(entry);
    }
    this.#progress = progress;
    this.#recovery = recovered.report;
    this.#written = recovered.report.from;
    for (const target of recovered.appendedTo) this.#onAppended?.(target.topic, target.queueId);
    await this.#writeProgress();
  }

  async #resolve(
    entry: PendingHalf,
    resolution: TransactionResolution,
    fromCheck: boolean,
  ): Promise<EndTransactionResult> {
    await entry.checking;
    let half: StoredMessage | undefined;
    try {
      half = await readHalf(this.#store, entry.halfOffset);
    } catch (error) {
      // Nothing is written yet: the transaction stays pending, to be ended again or checked back.
      this.#putBack(entry);
      throw error;
    }
    const info = half === undefined ? undefined : halfMessageInfo(half);
    if (half === undefined || info === undefined) {
      this.#lose(entry);
      return NOT_FOUND;
    }
    const entries: JournalEntry[] = [];
    if (resolution === 'commit') {
      entries.push({
        deliveryId: formatDeliveryId({ kind: 'deliver', halfOffset: entry.halfOffset }),
        topic: info.target.topic,
        queueId: info.target.queueId,
        message: toDeliveredMessage(half, info.target),
      });
    }
    const relayed = await this.#relay(entry, entries, resolution);
    if (fromCheck) {
      this.#logger.info('a check-back answer ended a transaction', {
        halfOffset: entry.halfOffset,
        resolution,
        producerGroup: info.producerGroup,
      });
    }
    if (resolution === 'rollback') return { status: 'ok' };
    const delivered = relayed[0] as RelayedEntry;
    this.#onAppended?.(delivered.topic, delivered.queueId);
    return {
      status: 'ok',
      delivered: { topic: delivered.topic, queueId: delivered.queueId, queueOffset: delivered.queueOffset },
    };
  }

  // One journal relay: `entries` then the op record, and the check count deleted with the relay's end.
  async #relay(entry: PendingHalf, entries: JournalEntry[], outcome: TransactionOutcome): Promise<RelayedEntry[]> {
    const halfOffset = entry.halfOffset;
    const opId = formatDeliveryId({ kind: 'op', halfOffset, outcome });
    const all = [
      ...entries,
      {
        deliveryId: opId,
        topic: SystemTopic.TRANSACTION_OP_HALF,
        queueId: TRANSACTION_QUEUE_ID,
        message: toOpRecord(halfOffset, outcome, this.#clock),
      },
    ];
    let relayed: RelayedEntry[];
    try {
      relayed = await this.#relays.submit({
        entries: all,
        after: [{ type: 'delete', key: checkCountKey(halfOffset) }],
      });
    } catch (error) {
      // The transaction stays live in the watermarks, so a restart re-reads it; the journal's intent
      // (if it was written) makes that restart finish this decision rather than forget it.
      this.#logger.error('a transaction resolution failed part-way; the next start finishes it', {
        halfOffset,
        outcome,
        error: String(error),
      });
      throw error;
    }
    const op = relayed.find((item) => item.deliveryId === opId) as RelayedEntry;
    const progress = this.#progress as TransactionProgress;
    progress.opAppended(op.queueOffset);
    progress.release(halfOffset);
    if (++this.#resolvedSinceWrite >= TRANSACTION_PROGRESS_EVERY) void this.#writeProgress();
    return relayed;
  }

  // Takes a pending half out of the pending set and the check heap.
  #take(entry: PendingHalf): void {
    this.#pending.delete(entry.halfOffset);
    this.#due.remove(entry);
  }

  #putBack(entry: PendingHalf): void {
    if (this.#pending.has(entry.halfOffset)) return;
    this.#pending.set(entry.halfOffset, entry);
    this.#due.push(entry);
    this.#arm();
  }

  // The half message is gone (retention removed it): nothing can be delivered or checked.
  #lose(entry: PendingHalf): void {
    this.#take(entry);
    this.#progress?.release(entry.halfOffset);
    this.#logger.error('a pending half message is gone from the half topic; its transaction cannot be ended', {
      halfOffset: entry.halfOffset,
    });
    void this.#track(this.#metadata.delete(checkCountKey(entry.halfOffset))).catch(() => {});
  }

  // Keeps ONE clock task, at the earliest check time.
  #arm(): void {
    if (this.#state !== 'started' || this.#checkRun !== undefined) return;
    const head = this.#due.peek();
    if (head === undefined || (this.#timer !== undefined && this.#timerDue <= head.deadline)) return;
    this.#timer?.cancel();
    this.#timerDue = head.deadline;
    // At least 1 ms: a real timer may fire a little before now() reaches the due time.
    this.#timer = this.#clock.schedule(Math.max(1, head.deadline - this.#clock.now()), () => {
      this.#timer = undefined;
      this.#timerDue = Number.POSITIVE_INFINITY;
      this.#runChecks();
    });
  }

  #runChecks(): void {
    if (this.#checkRun !== undefined || this.#state !== 'started') return;
    this.#checkRun = this.#track(
      (async () => {
        try {
          for (;;) {
            const head = this.#due.peek();
            if (this.#state !== 'started' || head === undefined || head.deadline > this.#clock.now()) break;
            this.#due.remove(head);
            await this.#check(head);
          }
          await this.#writeProgress();
        } finally {
          this.#checkRun = undefined;
          this.#arm();
        }
      })(),
    );
  }

  async #check(entry: PendingHalf): Promise<void> {
    if (entry.checkTimes >= this.#maxChecks) {
      this.#take(entry);
      // A failed relay is logged by #relay and finished at the next start; a failed read is tried again.
      await this.#discard(entry).catch((error: unknown) => {
        this.#logger.warn('could not roll back a transaction whose checks ran out', {
          halfOffset: entry.halfOffset,
          error: String(error),
        });
      });
      return;
    }
    const checking = this.#ask(entry).catch((error: unknown) => {
      this.#logger.warn('a transaction check-back failed; trying again one interval later', {
        halfOffset: entry.halfOffset,
        error: String(error),
      });
      if (this.#pending.get(entry.halfOffset) === entry && entry.heapIndex < 0) {
        entry.deadline = this.#clock.now() + this.#checkIntervalMs;
        this.#due.push(entry);
      }
    });
    entry.checking = checking;
    await checking;
    entry.checking = undefined;
  }

  async #ask(entry: PendingHalf): Promise<void> {
    const half = await readHalf(this.#store, entry.halfOffset);
    if (this.#pending.get(entry.halfOffset) !== entry) return;
    const info = half === undefined ? undefined : halfMessageInfo(half);
    if (half === undefined || info === undefined) {
      this.#lose(entry);
      return;
    }
    const checkTimes = entry.checkTimes + 1;
    const at = this.#clock.now();
    // Counted before asking: a crash right after the ask never gives a transaction an extra check.
    await this.#metadata.put(checkCountKey(entry.halfOffset), encodeCheckCount({ times: checkTimes, at }));
    entry.checkTimes = checkTimes;
    if (this.#pending.get(entry.halfOffset) !== entry) return;
    entry.deadline = at + this.#checkIntervalMs;
    this.#due.push(entry);
    try {
      this.#onCheck({
        transactionId: formatTransactionId({ halfOffset: entry.halfOffset, nonce: entry.nonce }),
        producerGroup: info.producerGroup,
        message: toCheckView(half, info.target),
        checkTimes,
      });
    } catch (error) {
      this.#logger.warn('onCheck threw; the check counts as made', {
        halfOffset: entry.halfOffset,
        error: String(error),
      });
    }
  }

  // Rolls back a half message whose checks ran out, keeping a copy in TRANS_CHECK_MAX_TIME_TOPIC.
  async #discard(entry: PendingHalf): Promise<void> {
    let half: StoredMessage | undefined;
    try {
      half = await readHalf(this.#store, entry.halfOffset);
    } catch (error) {
      entry.deadline = this.#clock.now() + this.#checkIntervalMs;
      this.#putBack(entry);
      throw error;
    }
    const info = half === undefined ? undefined : halfMessageInfo(half);
    if (half === undefined || info === undefined) {
      this.#lose(entry);
      return;
    }
    const checkTimes = entry.checkTimes;
    await this.#relay(
      entry,
      [
        {
          deliveryId: formatDeliveryId({ kind: 'check-max', halfOffset: entry.halfOffset, checkTimes }),
          topic: SystemTopic.TRANSACTION_CHECK_MAX_TIME,
          queueId: TRANSACTION_QUEUE_ID,
          message: toCheckMaxMessage(half, checkTimes),
        },
      ],
      'discard',
    );
    this.#logger.error('transaction unresolved after the last check-back; rolled back', {
      transactionId: formatTransactionId({ halfOffset: entry.halfOffset, nonce: entry.nonce }),
      messageId: half.messageId,
      producerGroup: info.producerGroup,
      topic: info.target.topic,
      queueId: info.target.queueId,
      halfOffset: entry.halfOffset,
      checkTimes,
    });
    this.#onAppended?.(SystemTopic.TRANSACTION_CHECK_MAX_TIME, TRANSACTION_QUEUE_ID);
  }

  // Writes the watermarks when they moved; writes run one after another so that a later one always wins.
  #writeProgress(): Promise<void> {
    this.#resolvedSinceWrite = 0;
    const write = this.#progressWrites
      .then(async () => {
        const progress = this.#progress;
        if (progress === undefined) return;
        const next = progress.watermarks();
        const written = this.#written;
        if (written?.halfOffset === next.halfOffset && written.opOffset === next.opOffset) return;
        await this.#metadata.put(progressKey(), encodeWatermarks(next));
        this.#written = next;
      })
      .catch((error: unknown) => {
        this.#logger.warn('could not write the transaction watermarks; the next restart reads further back', {
          error: String(error),
        });
      });
    this.#progressWrites = write;
    return this.#track(write);
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#busy.add(promise);
    const settle = (): void => {
      this.#busy.delete(promise);
    };
    promise.then(settle, settle);
    return promise;
  }

  #requireStarted(): TransactionProgress {
    if (this.#state !== 'started' || this.#progress === undefined) {
      throw new EddyError('INTERNAL', 'the transaction service is not started: call start() first', {
        retriable: true,
      });
    }
    return this.#progress;
  }
}
