import type { Logger } from '@eddy/message';
import { type Clock, DEFAULT_MESSAGE_LIMITS } from '@eddy/message';
import type { EncodedBatchDecoder } from '@eddy/store';
import { z } from 'zod';
import type { FileSystem } from './file-layer.js';

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

/**
 * Room a record needs beyond its body (header, topic, id, keys, properties): a segment must hold the
 * largest record whole, since a record never spans segments.
 */
export const RECORD_OVERHEAD_ALLOWANCE = 64 * KIB;

/**
 * The configurable options of {@link openCommitLogStore}, for config files and admin requests. The
 * clock, file system and logger are not configuration: code injects them (see {@link CommitLogStoreOptions}).
 */
export const CommitLogStoreOptionsSchema = z
  .object({
    /** Root directory of the store. */
    dir: z.string().min(1),
    /** CommitLog segment size in bytes; at least `maxBodySize` + 64 KiB so the largest record fits. */
    segmentSize: z
      .number()
      .int()
      .min(64 * KIB)
      .max(64 * GIB)
      .default(GIB),
    /** `'async'`: acknowledged once written to the OS; `'sync'`: once fdatasync'd (group commit). */
    flush: z.enum(['async', 'sync']).default('async'),
    /** How often the async flush (and, in both modes, the checkpoint) runs. */
    flushIntervalMs: z.number().int().min(1).max(3_600_000).default(500),
    /** Entries per ConsumeQueue file (20 bytes each). */
    consumeQueueEntriesPerFile: z.number().int().min(1).max(50_000_000).default(300_000),
    /** Most ConsumeQueue file handles kept open at once (least recently used are closed). */
    maxOpenConsumeQueueFiles: z.number().int().min(1).max(100_000).default(512),
    /** Hash slots per IndexFile. */
    indexSlots: z.number().int().min(1).max(50_000_000).default(500_000),
    /** Entries per IndexFile. */
    indexEntriesPerFile: z.number().int().min(1).max(100_000_000).default(2_000_000),
    /** The periodic cleaner deletes segments whose newest record is older than this. */
    retentionMs: z
      .number()
      .int()
      .min(1)
      .default(72 * 3600 * 1000),
    /** The periodic cleaner deletes oldest segments while the disk is fuller than this ratio (1 disables). */
    diskMaxUsedRatio: z.number().gt(0).max(1).default(0.75),
    /** How often the periodic cleaner runs. */
    cleanIntervalMs: z.number().int().min(1).default(10_000),
    /** Largest message body an append accepts, in bytes. */
    maxBodySize: z.number().int().positive().max(GIB).default(DEFAULT_MESSAGE_LIMITS.maxBodySize),
    /** On a corrupt record before the flushed point: truncate there and log what was dropped instead of failing. */
    repair: z.boolean().default(false),
    /** Check every record's CRC32C when reading it. */
    verifyChecksumOnRead: z.boolean().default(true),
  })
  .strict()
  .superRefine((options, context) => {
    const needed = options.maxBodySize + RECORD_OVERHEAD_ALLOWANCE;
    if (options.segmentSize < needed) {
      context.addIssue({
        code: 'custom',
        path: ['segmentSize'],
        message: `segmentSize is ${options.segmentSize} bytes; it must be at least maxBodySize + 64 KiB = ${needed} so that the largest record fits in one segment`,
      });
    }
  });

/** {@link CommitLogStoreOptionsSchema}'s input: every option but `dir` may be left out. */
export type CommitLogStoreConfig = z.input<typeof CommitLogStoreOptionsSchema>;

/** The options after defaults. */
export type ResolvedCommitLogStoreConfig = z.output<typeof CommitLogStoreOptionsSchema>;

/** Options of {@link openCommitLogStore}: the configuration plus what code injects. */
export interface CommitLogStoreOptions extends CommitLogStoreConfig {
  /** Where store timestamps and timers come from. Default: the system clock. */
  readonly clock?: Clock;
  /** The file layer; tests wrap it to inject faults. Default: {@link nodeFileSystem}. */
  readonly fileSystem?: FileSystem;
  /** Where recovery and retention report what they did. Default: JSON lines on stderr. */
  readonly logger?: Logger;
  /**
   * Decoders of the encoded batches this store may hold (see `appendEncoded`), by format: `read`,
   * `findById` and `findByKey` use them to give each record of a batch as a message. Reading a batch of
   * a format without a decoder fails with `UNSUPPORTED`.
   */
  readonly batchDecoders?: readonly EncodedBatchDecoder[];
}
