import type { Clock } from '@eddy/message';
import { z } from 'zod';

/** An injected {@link Clock}: anything with `now()` and `schedule()`. Code only; never from configuration. */
export const ClockSchema = z.custom<Clock>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Clock).now === 'function' &&
    typeof (value as Clock).schedule === 'function',
  'must be a Clock (now() and schedule())',
);
