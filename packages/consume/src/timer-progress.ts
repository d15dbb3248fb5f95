import { EddyError } from '@eddy/message';
import { decodeJsonValue, encodeJsonValue, type MetadataOperation } from '@eddy/store';
import { z } from 'zod';

/** Metadata key of the timer scheduler's progress (see {@link TimerProgress}). */
export const TIMER_PROGRESS_KEY = 'consume/timer/progress';

/**
 * The timer scheduler's durable progress, written atomically with each relay. Timers are delivered in
 * (due, offset) order and every new timer is given a key above everything already delivered, so one
 * key splits the timer log: every timer at or below (`due`, `offset`) is delivered, every timer above
 * is not. `low` is where a restart starts scanning the log: every offset below it is delivered.
 */
export interface TimerProgress {
  /** Due time of the last timer delivered, ms since the epoch. */
  readonly due: number;
  /** Timer log offset of the last timer delivered. */
  readonly offset: number;
  /** The lowest timer log offset not delivered. */
  readonly low: number;
}

/** The progress before anything was delivered: below every key. */
export const NO_TIMER_PROGRESS: TimerProgress = { due: Number.NEGATIVE_INFINITY, offset: -1, low: 0 };

const TimerProgressSchema = z.object({
  due: z.number().int(),
  offset: z.number().int().nonnegative(),
  low: z.number().int().nonnegative(),
});

/** True when the timer (due, offset) comes after the progress key, i.e. is not delivered. */
export function isAfter(due: number, offset: number, progress: TimerProgress): boolean {
  return due > progress.due || (due === progress.due && offset > progress.offset);
}

/** The metadata write that records `progress`. */
export function timerProgressPut(progress: TimerProgress): MetadataOperation {
  return { type: 'put', key: TIMER_PROGRESS_KEY, value: encodeJsonValue(progress) };
}

/**
 * Reads the stored progress; `undefined` bytes mean nothing was delivered yet.
 *
 * @throws `CORRUPT_DATA` for a record it cannot read: guessing would deliver again or lose timers.
 */
export function decodeTimerProgress(bytes: Uint8Array | undefined): TimerProgress {
  if (bytes === undefined) return NO_TIMER_PROGRESS;
  let value: unknown;
  try {
    value = decodeJsonValue(bytes);
  } catch {
    value = undefined;
  }
  const parsed = TimerProgressSchema.safeParse(value);
  if (!parsed.success) {
    throw new EddyError('CORRUPT_DATA', `timer progress record ${TIMER_PROGRESS_KEY} is unreadable`, {
      details: { key: TIMER_PROGRESS_KEY },
    });
  }
  return parsed.data;
}
