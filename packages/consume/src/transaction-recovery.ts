import { type Clock, type Logger, type StoredMessage, SystemTopic } from '@eddy/message';
import type { MessageStore, MetadataOperation, MetadataStore } from '@eddy/store';
import type { DeliveryJournal } from './delivery-journal.js';
import {
  type HalfMessageInfo,
  halfMessageInfo,
  parseOpRecord,
  TRANSACTION_QUEUE_ID,
  type TransactionTarget,
  toCheckMaxMessage,
  toDeliveredMessage,
  toOpRecord,
} from './transaction-message.js';
import type { TransactionWatermarks } from './transaction-progress.js';
import {
  type CheckCount,
  checkCountPrefix,
  decodeCheckCount,
  decodeWatermarks,
  halfOffsetOfCheckKey,
  parseDeliveryId,
  progressKey,
  readHalf,
} from './transaction-state.js';

/** Messages read per store read while recovering. */
const RECOVERY_BATCH = 256;

/** What the transaction service's recovery did at start. */
export interface TransactionRecoveryReport {
  /** Relays (commits, rollbacks, discards) a crash interrupted, finished now. */
  readonly relaysFinished: number;
  /** Messages those relays were missing and recovery appended (committed copies, op records). */
  readonly messagesAppended: number;
  /** The watermarks recovery started from. */
  readonly from: TransactionWatermarks;
  /** Half messages read (from `from.halfOffset` to the end of the half queue). */
  readonly halvesRead: number;
  /** Op records read (from `from.opOffset` to the end of the op queue). */
  readonly opRecordsRead: number;
  /** Half messages found unresolved. */
  readonly pending: number;
}

/** An unresolved half message found by recovery. */
export interface RecoveredHalf {
  readonly halfOffset: number;
  readonly storeTimestamp: number;
  readonly info: HalfMessageInfo;
  /** Its durable check count, if it was checked before. */
  readonly checks: CheckCount | undefined;
}

/** Everything the service needs to carry on after {@link recoverTransactions}. */
export interface RecoveredTransactions {
  readonly halves: readonly RecoveredHalf[];
  /** The half queue's end. */
  readonly halfEnd: number;
  /** The op queue's end. */
  readonly opEnd: number;
  /** The op watermark that covers every op record of a recovered half. */
  readonly opFloor: number;
  /** Real queues that finished relays appended to (to wake their long polls). */
  readonly appendedTo: readonly TransactionTarget[];
  readonly report: TransactionRecoveryReport;
}

/** What {@link recoverTransactions} reads and writes. */
export interface TransactionRecoveryOptions {
  readonly store: MessageStore;
  readonly metadata: MetadataStore;
  readonly journal: DeliveryJournal;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Rebuilds the transaction service's state after a restart, in this order:
 *
 * 1. finishes relays a crash interrupted (the delivery journal appends what is missing: the committed
 *    copy, the op record, the `TRANS_CHECK_MAX_TIME_TOPIC` copy; each rebuilt from its half message);
 * 2. reads the op records from the op watermark on: the halves they name are resolved;
 * 3. reads the half messages from the half watermark on: those not resolved are pending;
 * 4. loads the check counts of pending halves and deletes the counts of resolved ones.
 *
 * The work is proportional to what was prepared since the oldest half unresolved at the last
 * watermark write, not to the history of the topic.
 */
export async function recoverTransactions(options: TransactionRecoveryOptions): Promise<RecoveredTransactions> {
  const { store, metadata, journal, clock, logger } = options;
  const appendedTo: TransactionTarget[] = [];
  const relays = await journal.recover(async (deliveryId) => {
    const relay = parseDeliveryId(deliveryId);
    if (relay === undefined) return undefined;
    if (relay.kind === 'op') return toOpRecord(relay.halfOffset, relay.outcome, clock);
    const half = await readHalf(store, relay.halfOffset);
    const info = half === undefined ? undefined : halfMessageInfo(half);
    if (half === undefined || info === undefined) return undefined;
    if (relay.kind === 'check-max') return toCheckMaxMessage(half, relay.checkTimes);
    appendedTo.push(info.target);
    return toDeliveredMessage(half, info.target);
  });

  const stored = await metadata.get(progressKey());
  let from: TransactionWatermarks = { halfOffset: 0, opOffset: 0 };
  if (stored !== undefined) {
    const decoded = decodeWatermarks(stored);
    if (decoded === undefined) {
      logger.error('transaction watermarks are unreadable; reading the half and op queues from their start');
    } else {
      from = decoded;
    }
  }

  const resolved = new Set<number>();
  const ops = await readQueue(store, SystemTopic.TRANSACTION_OP_HALF, from.opOffset, logger, (record) => {
    const op = parseOpRecord(record);
    if (op === undefined) {
      logger.warn('skipping an unreadable transaction op record', { opOffset: record.queueOffset });
    } else if (op.halfOffset >= from.halfOffset) {
      resolved.add(op.halfOffset);
    }
  });

  const found: { half: StoredMessage; info: HalfMessageInfo }[] = [];
  const halves = await readQueue(store, SystemTopic.TRANSACTION_HALF, from.halfOffset, logger, (half) => {
    if (resolved.has(half.queueOffset)) return;
    const info = halfMessageInfo(half);
    if (info === undefined) {
      logger.error('skipping a half message without valid transaction bookkeeping', {
        halfOffset: half.queueOffset,
        messageId: half.messageId,
      });
      return;
    }
    found.push({ half, info });
  });
  // The log lost its tail (a power failure with async flush): everything below the watermark was
  // resolved, so no op record read so far can name a half that will be prepared from here on.
  const opFloor = halves.tailLost ? ops.end : from.opOffset;

  const counts = new Map<number, CheckCount>();
  const stale: MetadataOperation[] = [];
  const pendingOffsets = new Set(found.map(({ half }) => half.queueOffset));
  for (const { key, value } of await metadata.scan(checkCountPrefix())) {
    const halfOffset = halfOffsetOfCheckKey(key);
    const count = decodeCheckCount(value);
    if (halfOffset !== undefined && pendingOffsets.has(halfOffset) && count !== undefined) {
      counts.set(halfOffset, count);
    } else {
      stale.push({ type: 'delete', key });
    }
  }
  if (stale.length > 0) await metadata.batch(stale);

  const report: TransactionRecoveryReport = {
    relaysFinished: relays.length,
    messagesAppended: relays.reduce((sum, relay) => sum + relay.appended.length, 0),
    from,
    halvesRead: halves.read,
    opRecordsRead: ops.read,
    pending: found.length,
  };
  if (relays.length > 0 || found.length > 0) logger.info('recovered transactional messages', report);
  return {
    halves: found.map(({ half, info }) => ({
      halfOffset: half.queueOffset,
      storeTimestamp: half.storeTimestamp,
      info,
      checks: counts.get(half.queueOffset),
    })),
    halfEnd: halves.end,
    opEnd: ops.end,
    opFloor,
    appendedTo,
    report,
  };
}

// Reads queue 0 of `topic` from `from` to its end; returns the end and how many messages were read.
async function readQueue(
  store: MessageStore,
  topic: string,
  from: number,
  logger: Logger,
  visit: (message: StoredMessage) => void,
): Promise<{ end: number; read: number; tailLost: boolean }> {
  let offset = from;
  let read = 0;
  for (;;) {
    const result = await store.read(topic, TRANSACTION_QUEUE_ID, offset, { maxMessages: RECOVERY_BATCH });
    if (result.status === 'unknown-queue') return { end: 0, read, tailLost: from > 0 };
    if (result.status === 'offset-out-of-range') {
      if (offset < result.minOffset) {
        logger.warn('transaction records below the queue start were removed before recovery read them', {
          topic,
          from: offset,
          minOffset: result.minOffset,
        });
        offset = result.minOffset;
        continue;
      }
      logger.error('the queue ends below the transaction watermark: its tail was lost', {
        topic,
        watermark: offset,
        maxOffset: result.maxOffset,
      });
      return { end: result.maxOffset, read, tailLost: true };
    }
    for (const message of result.messages) visit(message);
    read += result.messages.length;
    if (result.messages.length === 0 || result.nextOffset >= result.maxOffset) {
      return { end: Math.max(result.nextOffset, result.maxOffset), read, tailLost: false };
    }
    offset = result.nextOffset;
  }
}
