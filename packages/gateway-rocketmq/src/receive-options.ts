import type { WireStatus } from './proto/wire-types.js';
import { WHOLE_BROKER_QUEUE_ID } from './route.js';
import { statusOf } from './status.js';

/** Shortest invisible time, ms. Shorter requests are raised to it, not refused (see {@link clampInvisibleDuration}). */
export const MIN_INVISIBLE_MS = 1000;
/** Longest invisible time, ms (RocketMQ's proxy: 12 h). */
export const MAX_INVISIBLE_MS = 12 * 60 * 60 * 1000;
/**
 * Invisible time of a message received with `auto_renew` and no duration (push consumers), ms: RocketMQ's
 * proxy default. The gateway renews it while the consumer lives (see `InvisibilityRenewer`).
 */
export const AUTO_RENEW_INVISIBLE_MS = 60_000;
/** Most messages one receive returns. */
export const MAX_BATCH_SIZE = 1024;

/**
 * An invisible time the broker can use, or the status that refuses it. Requests below
 * {@link MIN_INVISIBLE_MS} are raised to it: the Node push consumer computes its nack delay in seconds
 * and sends it as milliseconds, so "1 s" arrives as 1 ms, and refusing would make it retry forever.
 * Above {@link MAX_INVISIBLE_MS} is refused with ILLEGAL_INVISIBLE_TIME.
 */
export function clampInvisibleDuration(requestedMs: number): { ms: number } | { status: WireStatus } {
  if (!Number.isFinite(requestedMs) || requestedMs > MAX_INVISIBLE_MS) {
    return {
      status: statusOf(
        'ILLEGAL_INVISIBLE_TIME',
        `invisible duration is ${requestedMs} ms; the limit is ${MAX_INVISIBLE_MS} ms (12 h)`,
      ),
    };
  }
  return { ms: Math.max(MIN_INVISIBLE_MS, Math.trunc(requestedMs)) };
}

/**
 * The invisible time of a receive: the request's (clamped), or {@link AUTO_RENEW_INVISIBLE_MS} when it
 * has none (push consumers never send one).
 */
export function receiveInvisibleDuration(requestedMs: number | undefined): { ms: number } | { status: WireStatus } {
  return requestedMs === undefined ? { ms: AUTO_RENEW_INVISIBLE_MS } : clampInvisibleDuration(requestedMs);
}

/**
 * How long a receive may wait for messages, ms: the request's wish (`maxMs` when it has none), at most
 * `maxMs` (the gateway's `maxLongPollingMs`), and short enough that the answer reaches the client before its deadline (the client keeps
 * requestTimeout + long polling for the whole call and collects the stream until it ends). A quarter of
 * the time left, at most one second, is kept for reading and sending the messages.
 */
export function longPollingMs(requestedMs: number | undefined, deadlineInMs: number, maxMs: number): number {
  const wish = Math.min(Math.max(0, requestedMs ?? maxMs), maxMs);
  if (!Number.isFinite(deadlineInMs)) return wish;
  const margin = Math.min(1000, Math.max(0, deadlineInMs) / 4);
  return Math.max(0, Math.min(wish, Math.floor(deadlineInMs - margin)));
}

/**
 * Which of the topic's queues a receive pops from; `undefined` means all of them.
 *
 * - {@link WHOLE_BROKER_QUEUE_ID} (−1): an assignment meaning "this broker" → all.
 * - 0 without `auto_renew`: a SimpleConsumer. The Node client 1.0.8 only ever uses queue 0 of a route
 *   (see `queuePermission`), so queue 0 stands for the broker → all.
 * - Anything else: a push consumer's assigned queue (orderly groups get one assignment per queue) → it.
 */
export function popQueueIds(queueId: number | undefined, autoRenew: boolean): number[] | undefined {
  const id = queueId ?? 0;
  if (id === WHOLE_BROKER_QUEUE_ID || (id === 0 && !autoRenew) || id < 0) return undefined;
  return [id];
}

/** A batch size the broker accepts: at least 1 (an unset size decodes as 0), at most {@link MAX_BATCH_SIZE}. */
export function batchSizeOf(requested: number | undefined): number {
  return Math.min(MAX_BATCH_SIZE, Math.max(1, Math.trunc(requested ?? 0)));
}
