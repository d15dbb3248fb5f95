import { type Clock, DEFAULT_MESSAGE_LIMITS } from '@eddy/message';
import { z } from 'zod';

/**
 * The configurable part of {@link LmdbStoreOptions}, for config files and admin requests. The clock is
 * not configuration: code injects it. An app composes this schema with the other engines' under its
 * own discriminator, e.g. `LmdbStoreOptionsSchema.extend({ engine: z.literal('lmdb') })`.
 */
export const LmdbStoreOptionsSchema = z
  .object({
    /** The directory of the LMDB environment (`data.mdb`, `lock.mdb`); made if missing. */
    dir: z.string().min(1),
    /**
     * `'async'` (default): acknowledge once the write transaction is committed to the OS (LMDB `noSync`),
     * sync the file every `flushIntervalMs`. `'sync'`: acknowledge after LMDB's commit-time fsync (one
     * per append: no group commit, see the README).
     */
    flush: z.enum(['async', 'sync']).default('async'),
    /** Async mode: how often the environment is synced to disk, in ms of the injected clock. */
    flushIntervalMs: z.number().int().positive().max(3_600_000).default(500),
    /** Largest message body an append accepts, in bytes. Default 4 MiB. */
    maxBodySize: z
      .number()
      .int()
      .positive()
      .max(1024 * 1024 * 1024)
      .default(DEFAULT_MESSAGE_LIMITS.maxBodySize),
    /**
     * Most bytes of stored messages (records as encoded) the store holds; an append that would pass it
     * rejects with `DISK_FULL` (retriable) until retention or deletion frees room. Unset: no limit but the disk.
     */
    maxStoreSize: z.number().int().positive().optional(),
    /** Check every record's CRC32C when it is read. Default true. */
    verifyChecksumOnRead: z.boolean().default(true),
  })
  .strict();

/** {@link LmdbStoreOptionsSchema}'s output: every default applied. */
export type LmdbStoreConfig = z.output<typeof LmdbStoreOptionsSchema>;

/** Options of {@link openLmdbStore}: the configurable fields plus injected parts. */
export type LmdbStoreOptions = z.input<typeof LmdbStoreOptionsSchema> & {
  /** Where store timestamps and the async flush timer come from. Default: the system clock. */
  readonly clock?: Clock;
};
