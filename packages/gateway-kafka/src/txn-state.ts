import { z } from 'zod';

/** Metadata key prefix of transaction state: `kafka/txn/<transactional id>`. */
export const TRANSACTION_PREFIX = 'kafka/txn/';

/**
 * Metadata key prefix of aborted transaction ranges:
 * `kafka/aborted/<topic>/<partition>/<marker offset, 16 digits>`, so a partition's ranges scan in offset order.
 */
export const ABORTED_PREFIX = 'kafka/aborted/';

/** Kafka's transaction states (`TransactionState` in the coordinator). */
export const TRANSACTION_STATES = [
  'Empty',
  'Ongoing',
  'PrepareCommit',
  'PrepareAbort',
  'CompleteCommit',
  'CompleteAbort',
] as const;

/** One of {@link TRANSACTION_STATES}. */
export type TransactionStateName = (typeof TRANSACTION_STATES)[number];

const TransactionPartitionSchema = z.object({
  topic: z.string(),
  partition: z.number().int().nonnegative(),
  /** The partition's end offset when it joined: none of the transaction's records lie below it. */
  addedAt: z.number().int().nonnegative(),
  /** The first offset the transaction wrote, once known (kept when the state is next written). */
  firstOffset: z.number().int().nonnegative().nullable(),
  /** Set when the transaction prepared: its marker lies at or above this offset (exactly-once markers). */
  markerFrom: z.number().int().nonnegative().nullable(),
});

const PendingOffsetSchema = z.object({
  group: z.string(),
  topic: z.string(),
  partition: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  metadata: z.string().nullable(),
});

/** The durable state of one transactional id, as stored under {@link TRANSACTION_PREFIX}. */
export const TransactionRecordSchema = z.object({
  transactionalId: z.string(),
  /** Decimal: JSON has no int64. */
  producerId: z.string().regex(/^\d+$/),
  producerEpoch: z.number().int().min(0).max(32767),
  state: z.enum(TRANSACTION_STATES),
  timeoutMs: z.number().int().positive(),
  /** When the open transaction began (first partition or group added); null when none is open. */
  startedAt: z.number().nullable(),
  partitions: z.array(TransactionPartitionSchema),
  groups: z.array(z.string()),
  /** TxnOffsetCommit offsets, committed to the group's offsets only when the transaction commits. */
  pendingOffsets: z.array(PendingOffsetSchema),
  updatedAt: z.number(),
});

/** The durable state of one transactional id. */
export type TransactionRecord = z.infer<typeof TransactionRecordSchema>;
/** A partition of a transaction. */
export type TransactionPartition = z.infer<typeof TransactionPartitionSchema>;
/** An offset commit waiting for the transaction's end. */
export type PendingOffset = z.infer<typeof PendingOffsetSchema>;

/** An aborted transaction's records on one partition: `firstOffset` to its abort marker at `lastOffset`. */
export const AbortedRangeSchema = z.object({
  producerId: z.string().regex(/^\d+$/),
  firstOffset: z.number().int().nonnegative(),
  lastOffset: z.number().int().nonnegative(),
});

/** A stored aborted range. */
export type AbortedRange = z.infer<typeof AbortedRangeSchema>;

/** The metadata key of the aborted range whose marker is at `lastOffset`. */
export function abortedKey(topic: string, partition: number, lastOffset: number): string {
  return `${ABORTED_PREFIX}${topic}/${partition}/${String(lastOffset).padStart(16, '0')}`;
}

/** True while markers may still be owed (the transaction's records are not yet decided on disk). */
export function isOpen(state: TransactionStateName): boolean {
  return state === 'Ongoing' || state === 'PrepareCommit' || state === 'PrepareAbort';
}
