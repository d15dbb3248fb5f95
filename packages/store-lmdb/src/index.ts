/**
 * The LMDB engine of Eddy's storage contract: one transactional file, fast random reads (look-ups by
 * key and id, many small queues) and simple operations.
 *
 * - {@link openLmdbStore} opens a `MessageStore` (from `@eddy/store`) in a directory.
 * - {@link LmdbStoreOptionsSchema} validates its configurable options.
 *
 * Guarantees: the whole contract, durably (`capabilities.durable` is true) with message-exact retention.
 * Every append is one LMDB write transaction holding its messages (in `@eddy/message`'s stored-record
 * format, CRC32C-checked on read), their id and key index entries and the queue's new state, so a crash
 * keeps all of a batch or none of it. Flush modes, in the CommitLog's words: `'async'` (default)
 * acknowledges once the commit reached the OS, so `kill -9` loses nothing, and syncs every
 * `flushIntervalMs`; `'sync'` acknowledges after LMDB's commit-time fsync. A full disk (or
 * `maxStoreSize`) rejects appends with a retriable `DISK_FULL`; what is stored stays readable.
 *
 * It does not replicate, compress, or share an environment between processes; power loss in async mode
 * can lose (see the README) more than the CommitLog's async mode does.
 *
 * @packageDocumentation
 */
export { openLmdbStore } from './lmdb-store.js';
export { type LmdbStoreConfig, type LmdbStoreOptions, LmdbStoreOptionsSchema } from './options.js';
