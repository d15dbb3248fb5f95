/**
 * The memory engine of Eddy's storage contract, and its reference implementation: where the contract's
 * words leave room, what this engine does is what every engine must do, and the conformance suite
 * (`@eddy/store-conformance`) holds the others to it.
 *
 * - {@link openMemoryStore} opens an empty `MessageStore` (from `@eddy/store`) held in this process's memory.
 * - {@link MemoryStoreOptionsSchema} validates its configurable options.
 *
 * Guarantees: everything the contract promises except durability (`capabilities.durable` is false):
 * contiguous offsets per queue, atomic batches, monotonic store timestamps, message-exact retention
 * (`capabilities.retention` is `'message'`), UTF-8-ordered metadata with atomic batches. Stored data is
 * copied in and handed out as copies or frozen objects, so callers can neither change it by reusing
 * their buffers nor by writing into what they read.
 *
 * It does not persist anything, bound its memory (retention and `deleteRecordsBefore` are the only ways
 * to free it), or share data between processes or between two stores.
 *
 * @packageDocumentation
 */
export { openMemoryStore } from './memory-store.js';
export { type MemoryStoreOptions, MemoryStoreOptionsSchema } from './options.js';
