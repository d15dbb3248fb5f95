import { type StoredMessage, SystemTopic } from '@eddy/message';
import { decodeJsonValue, encodeJsonValue, type MessageStore } from '@eddy/store';
import { z } from 'zod';
import { TRANSACTION_QUEUE_ID, type TransactionOutcome } from './transaction-message.js';
import type { TransactionWatermarks } from './transaction-progress.js';

/**
 * Prefix of the transaction service's metadata: `consume/transaction/progress` (the watermarks) and
 * `consume/transaction/check/<half offset, 16 digits>` (the check count of a half message).
 */
export const TRANSACTION_STATE_PREFIX = 'consume/transaction/';

/** The name of the transaction service's delivery journal (`consume/journal/transaction/…`). */
export const TRANSACTION_JOURNAL_NAME = 'transaction';

const PROGRESS_KEY = `${TRANSACTION_STATE_PREFIX}progress`;
const CHECK_PREFIX = `${TRANSACTION_STATE_PREFIX}check/`;

const WatermarksSchema = z.object({
  v: z.literal(1),
  halfOffset: z.number().int().nonnegative(),
  opOffset: z.number().int().nonnegative(),
});

const CheckCountSchema = z.object({
  v: z.literal(1),
  times: z.number().int().nonnegative(),
  at: z.number().int().nonnegative(),
});

/** How often a half message was checked, and when last. */
export interface CheckCount {
  readonly times: number;
  readonly at: number;
}

/** The metadata key of the watermarks. */
export function progressKey(): string {
  return PROGRESS_KEY;
}

export function encodeWatermarks(watermarks: TransactionWatermarks): Uint8Array {
  return encodeJsonValue({ v: 1, halfOffset: watermarks.halfOffset, opOffset: watermarks.opOffset });
}

/** The stored watermarks, or `undefined` when unreadable. */
export function decodeWatermarks(value: Uint8Array): TransactionWatermarks | undefined {
  const parsed = WatermarksSchema.safeParse(safeDecode(value));
  return parsed.success ? { halfOffset: parsed.data.halfOffset, opOffset: parsed.data.opOffset } : undefined;
}

/** The metadata key of a half message's check count; zero-padded so that a scan returns offset order. */
export function checkCountKey(halfOffset: number): string {
  return `${CHECK_PREFIX}${String(halfOffset).padStart(16, '0')}`;
}

/** The prefix every check count key starts with. */
export function checkCountPrefix(): string {
  return CHECK_PREFIX;
}

/** The half offset a check count key names, or `undefined` for another key. */
export function halfOffsetOfCheckKey(key: string): number | undefined {
  const text = key.slice(CHECK_PREFIX.length);
  return key.startsWith(CHECK_PREFIX) && /^\d{16}$/.test(text) ? Number(text) : undefined;
}

export function encodeCheckCount(count: CheckCount): Uint8Array {
  return encodeJsonValue({ v: 1, times: count.times, at: count.at });
}

/** The stored check count, or `undefined` when unreadable. */
export function decodeCheckCount(value: Uint8Array): CheckCount | undefined {
  const parsed = CheckCountSchema.safeParse(safeDecode(value));
  return parsed.success ? { times: parsed.data.times, at: parsed.data.at } : undefined;
}

/**
 * One message a transaction relays through the delivery journal, named by its delivery id (stable
 * across restarts, so an interrupted relay is finished exactly once): `tx:<half offset>` for the copy
 * a commit delivers, `tx-op:<half offset>:<outcome>` for the op record, `tx-max:<half offset>:<checks>`
 * for the copy kept in `TRANS_CHECK_MAX_TIME_TOPIC`.
 */
export type TransactionRelay =
  | { readonly kind: 'deliver'; readonly halfOffset: number }
  | { readonly kind: 'op'; readonly halfOffset: number; readonly outcome: TransactionOutcome }
  | { readonly kind: 'check-max'; readonly halfOffset: number; readonly checkTimes: number };

export function formatDeliveryId(relay: TransactionRelay): string {
  switch (relay.kind) {
    case 'deliver':
      return `tx:${relay.halfOffset}`;
    case 'op':
      return `tx-op:${relay.halfOffset}:${relay.outcome}`;
    case 'check-max':
      return `tx-max:${relay.halfOffset}:${relay.checkTimes}`;
  }
}

/** What a delivery id names, or `undefined` for an id {@link formatDeliveryId} does not make. */
export function parseDeliveryId(deliveryId: string): TransactionRelay | undefined {
  const match = /^(tx|tx-op|tx-max):(\d{1,16})(?::(commit|rollback|discard|\d{1,9}))?$/.exec(deliveryId);
  if (match === null) return undefined;
  const halfOffset = Number(match[2]);
  const extra = match[3];
  if (!Number.isSafeInteger(halfOffset)) return undefined;
  if (match[1] === 'tx') return extra === undefined ? { kind: 'deliver', halfOffset } : undefined;
  if (match[1] === 'tx-op') {
    return extra === 'commit' || extra === 'rollback' || extra === 'discard'
      ? { kind: 'op', halfOffset, outcome: extra }
      : undefined;
  }
  return extra !== undefined && /^\d+$/.test(extra)
    ? { kind: 'check-max', halfOffset, checkTimes: Number(extra) }
    : undefined;
}

/** The half message at `halfOffset`, or `undefined` when it is not there (never written, or removed by retention). */
export async function readHalf(store: MessageStore, halfOffset: number): Promise<StoredMessage | undefined> {
  const read = await store.read(SystemTopic.TRANSACTION_HALF, TRANSACTION_QUEUE_ID, halfOffset, { maxMessages: 1 });
  if (read.status !== 'ok') return undefined;
  const message = read.messages[0];
  return message?.queueOffset === halfOffset ? message : undefined;
}

function safeDecode(value: Uint8Array): unknown {
  try {
    return decodeJsonValue(value);
  } catch {
    return undefined;
  }
}
