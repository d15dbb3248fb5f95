/**
 * Eddy's default storage engine: a RocketMQ-style file store implementing `@eddy/store`'s
 * `MessageStore`.
 *
 * - One **CommitLog** of fixed-size segment files holds every queue's records in arrival order, so
 *   writes are sequential however many queues there are; a batch is one write.
 * - A **ConsumeQueue** per queue maps offsets to CommitLog positions in 20-byte entries (with the tag
 *   code, so tag filters skip without reading records); its file handles are opened lazily and closed
 *   least-recently-used, so 10,000 queues need a bounded number of descriptors.
 * - A hash-slot **key index** answers `findById` and `findByKey`; results are confirmed on the record.
 * - **Flush modes**: `'async'` (acknowledged once written to the OS; fdatasync every `flushIntervalMs`)
 *   and `'sync'` (acknowledged after the fdatasync that covers it; concurrent appends share one).
 * - A **checkpoint** and an **abort** marker: a clean stop reopens from the checkpoint; after a crash
 *   the CommitLog is scanned from the checkpoint with CRC32C checks, a torn tail is cut, and a corrupt
 *   record before the flushed point stops the open with `CORRUPT_DATA` (unless `repair`).
 * - **Retention** deletes whole segments by age and disk usage, moving queues' minimum offsets.
 *
 * Guarantees: the storage contract (`@eddy/store-conformance` passes, durable); `kill -9` loses no
 * acknowledged append in either mode; power loss loses none in `'sync'` mode and at most the last
 * `flushIntervalMs` in `'async'` mode. It does not replicate, and one directory belongs to one open store
 * (nothing locks it against a second process).
 *
 * @packageDocumentation
 */

export { createJsonLogger, type Logger, silentLogger } from '@eddy/message';
export { CommitLogStore, openCommitLogStore } from './commitlog-store.js';
export {
  FaultyFileSystem,
  type FaultyFileSystemCounts,
  type FaultyFileSystemOptions,
} from './faulty-file-system.js';
export { type FileHandle, type FileSystem, nodeFileSystem } from './file-layer.js';
export {
  type CommitLogStoreConfig,
  type CommitLogStoreOptions,
  CommitLogStoreOptionsSchema,
  type ResolvedCommitLogStoreConfig,
} from './options.js';
