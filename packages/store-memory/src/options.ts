import { type Clock, DEFAULT_MESSAGE_LIMITS } from '@eddy/message';
import { z } from 'zod';

/** Options of {@link openMemoryStore}. */
export interface MemoryStoreOptions {
  /** Where store timestamps come from. Default: the system clock. */
  readonly clock?: Clock;
  /** Largest message body an append accepts, in bytes. Default 4 MiB (`DEFAULT_MESSAGE_LIMITS.maxBodySize`). */
  readonly maxBodySize?: number;
}

/**
 * The configurable part of {@link MemoryStoreOptions}, for config files and admin requests. The clock
 * is not configuration: code injects it. An app composes this schema with the other engines' under its
 * own discriminator, e.g. `MemoryStoreOptionsSchema.extend({ engine: z.literal('memory') })`.
 */
export const MemoryStoreOptionsSchema = z
  .object({
    maxBodySize: z
      .number()
      .int()
      .positive()
      .max(1024 * 1024 * 1024)
      .default(DEFAULT_MESSAGE_LIMITS.maxBodySize),
  })
  .strict();
