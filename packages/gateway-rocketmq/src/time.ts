import type { WireTime } from './proto/wire-types.js';

/**
 * Milliseconds of a `google.protobuf.Duration`, or `undefined` when it is absent or not finite. Nanos
 * below a millisecond are dropped: every duration in this protocol is at least milliseconds coarse.
 */
export function durationToMs(duration: WireTime | undefined | null): number | undefined {
  if (duration === undefined || duration === null) return undefined;
  const ms = (duration.seconds ?? 0) * 1000 + Math.trunc((duration.nanos ?? 0) / 1_000_000);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A `google.protobuf.Duration` of `ms` milliseconds (≥ 0, whole seconds plus nanos). */
export function msToDuration(ms: number): WireTime {
  const whole = Math.max(0, Math.trunc(ms));
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1_000_000 };
}

/** Milliseconds since the epoch of a `google.protobuf.Timestamp`, or `undefined` when absent or not finite. */
export function timestampToMs(timestamp: WireTime | undefined | null): number | undefined {
  return durationToMs(timestamp);
}

/** A `google.protobuf.Timestamp` of `ms` milliseconds since the epoch. */
export function msToTimestamp(ms: number): WireTime {
  const whole = Math.trunc(ms);
  const seconds = Math.floor(whole / 1000);
  return { seconds, nanos: (whole - seconds * 1000) * 1_000_000 };
}
