import { EddyError } from '@eddy/message';
import { decodeJsonValue, encodeJsonValue } from '@eddy/store';
import { z } from 'zod';

/**
 * Prefix of the pop state in the metadata store. One queue's state lives under
 * `consume/pop/<group>/<topic>/<queueId>/`: `inflight/<offset>` for each message delivered and not yet
 * acked, `acked/<offset>` for each message acked above the group's committed offset. Offsets are
 * zero-padded to 16 digits so that keys sort in offset order.
 */
export const POP_STATE_PREFIX = 'consume/pop/';

/** The two kinds of pop record. */
export type PopRecordKind = 'inflight' | 'acked';

/** A delivered, not yet acked message, as stored under its `inflight/<offset>` key. */
export interface InFlightRecord {
  /** Deliveries so far (1 after the first). */
  readonly attempt: number;
  /** When it becomes visible again, ms of the clock. */
  readonly invisibleUntil: number;
  /** The token of the current delivery, part of its receipt handle. */
  readonly token: string;
  /** The popping client of the current delivery. */
  readonly clientId: string;
  /** The message's group, for FIFO ordering; absent for a message without one. */
  readonly messageGroup?: string | undefined;
}

/** A key of the pop state, taken apart. */
export interface PopKey {
  readonly group: string;
  readonly topic: string;
  readonly queueId: number;
  readonly kind: PopRecordKind;
  readonly offset: number;
}

const OFFSET_DIGITS = 16;

const InFlightRecordSchema = z.object({
  attempt: z.number().int().min(1),
  invisibleUntil: z.number().int().nonnegative(),
  token: z.string().min(1),
  clientId: z.string(),
  messageGroup: z.string().optional(),
});

/** Throws `INVALID_NAME` for a group or topic that cannot be a key segment (empty, or holding `/`). */
export function checkPopName(kind: 'group' | 'topic', name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new EddyError('INVALID_NAME', `${kind} name is empty`);
  if (name.includes('/')) {
    throw new EddyError('INVALID_NAME', `${kind} name '${name}' contains '/', which no ${kind} name may hold`);
  }
}

/** The prefix of one queue's pop state, ending in `/`. */
export function popQueuePrefix(group: string, topic: string, queueId: number): string {
  return `${POP_STATE_PREFIX}${group}/${topic}/${queueId}/`;
}

/** The key of one record. */
export function popRecordKey(
  group: string,
  topic: string,
  queueId: number,
  kind: PopRecordKind,
  offset: number,
): string {
  return `${popQueuePrefix(group, topic, queueId)}${kind}/${String(offset).padStart(OFFSET_DIGITS, '0')}`;
}

/** Takes a key under {@link POP_STATE_PREFIX} apart; `undefined` for a key of another shape. */
export function parsePopKey(key: string): PopKey | undefined {
  if (!key.startsWith(POP_STATE_PREFIX)) return undefined;
  const parts = key.slice(POP_STATE_PREFIX.length).split('/');
  if (parts.length !== 5) return undefined;
  const [group, topic, queueIdText, kind, offsetText] = parts as [string, string, string, string, string];
  if (group === '' || topic === '' || (kind !== 'inflight' && kind !== 'acked')) return undefined;
  if (!/^\d+$/.test(queueIdText) || !/^\d+$/.test(offsetText)) return undefined;
  const queueId = Number(queueIdText);
  const offset = Number(offsetText);
  if (!Number.isSafeInteger(queueId) || !Number.isSafeInteger(offset)) return undefined;
  return { group, topic, queueId, kind, offset };
}

/** The stored bytes of an in-flight record. */
export function encodeInFlightRecord(record: InFlightRecord): Uint8Array {
  const { attempt, invisibleUntil, token, clientId, messageGroup } = record;
  return encodeJsonValue(
    messageGroup === undefined
      ? { attempt, invisibleUntil, token, clientId }
      : { attempt, invisibleUntil, token, clientId, messageGroup },
  );
}

/** An in-flight record back from its bytes. @throws `CORRUPT_DATA` when it is not one. */
export function decodeInFlightRecord(key: string, value: Uint8Array): InFlightRecord {
  let parsed: unknown;
  try {
    parsed = decodeJsonValue(value);
  } catch (cause) {
    throw new EddyError('CORRUPT_DATA', `pop record under '${key}' is not JSON`, { cause });
  }
  const result = InFlightRecordSchema.safeParse(parsed);
  if (!result.success) {
    throw new EddyError(
      'CORRUPT_DATA',
      `pop record under '${key}' is not { attempt, invisibleUntil, token, clientId }`,
    );
  }
  return result.data;
}

/** The stored bytes of an acked record: nothing but the fact, an empty object so fields can come later. */
export const ACKED_RECORD_VALUE: Uint8Array = encodeJsonValue({});
