/**
 * The storage contract of Eddy: what a storage engine must do, in a dozen members.
 *
 * - {@link MessageStore}: per-queue append-only logs of messages, with reads by offset (and tag),
 *   look-ups by time, id and key, topic deletion, retention, flush and close.
 * - {@link MetadataStore}: the durable key-value store for broker state.
 * - Result types ({@link ReadResult}, {@link AppendResult}) and capability flags.
 * - Small helpers every engine shares so that all engines agree: {@link checkAppend},
 *   {@link resolveReadOptions}, {@link createTagFilter}, {@link SerialExecutor}.
 *
 * It holds no engine. Engines are `@eddy/store-memory`, `@eddy/store-commitlog` and `@eddy/store-lmdb`;
 * each proves itself with `@eddy/store-conformance`.
 *
 * @packageDocumentation
 */
export {
  checkAppend,
  checkEncodedBatch,
  checkOffset,
  checkQueueId,
  checkStorable,
  MAX_ENCODED_BATCH_RECORDS,
  MAX_QUEUE_ID,
  storeClosedError,
} from './append-check.js';
export {
  type DecodedRecord,
  type EncodedBatch,
  type EncodedBatchDecoder,
  type EncodedBatchStore,
  type ReadEncodedOptions,
  type ReadEncodedResult,
  type StoredEntry,
  supportsEncodedBatches,
} from './encoded-batch.js';
export type {
  AppendResult,
  MessageStore,
  MessageStoreFactory,
  QueueRange,
  ReadOptions,
  ReadResult,
  RetentionPolicy,
  RetentionReport,
  StoreCapabilities,
} from './message-store.js';
export {
  checkMetadataKey,
  checkMetadataOperations,
  checkMetadataScan,
  checkMetadataValue,
  compareKeys,
  decodeJsonValue,
  encodeJsonValue,
  MAX_METADATA_KEY_BYTES,
  type MetadataEntry,
  type MetadataOperation,
  type MetadataStore,
} from './metadata-store.js';
export {
  createTagFilter,
  DEFAULT_READ_MAX_BYTES,
  DEFAULT_READ_MAX_MESSAGES,
  DEFAULT_READ_MAX_SCAN,
  type ResolvedReadOptions,
  readResultError,
  resolveReadOptions,
  type TagFilter,
} from './read-options.js';
export { SerialExecutor } from './serial-executor.js';
