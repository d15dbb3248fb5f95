/** What a receipt handle names: one delivery of one message to one consumer group. */
export interface ReceiptHandleFields {
  readonly group: string;
  readonly topic: string;
  readonly queueId: number;
  /** The message's queue offset. */
  readonly offset: number;
  /**
   * Unique to one delivery: a later delivery of the same message, or a change of its invisible time,
   * gets a new token, so a handle from before no longer matches.
   */
  readonly token: string;
  /** When the delivery's invisible time ends (ms of the service's clock); the handle expires then. */
  readonly invisibleUntil: number;
}

// A version tag in front, so the layout can change without old handles being misread.
const VERSION = 'e1.';

/**
 * A receipt handle: opaque to clients, `e1.` + base64url of a JSON array of the fields. Not signed:
 * a forged handle can only name a delivery token the broker issued, which it cannot guess.
 */
export function encodeReceiptHandle(fields: ReceiptHandleFields): string {
  const { group, topic, queueId, offset, token, invisibleUntil } = fields;
  const json = JSON.stringify([group, topic, queueId, offset, token, invisibleUntil]);
  return VERSION + Buffer.from(json, 'utf8').toString('base64url');
}

/** The fields of a handle from {@link encodeReceiptHandle}, or `undefined` for anything else. */
export function decodeReceiptHandle(handle: string): ReceiptHandleFields | undefined {
  if (typeof handle !== 'string' || !handle.startsWith(VERSION) || handle.length > 4096) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(handle.slice(VERSION.length), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 6) return undefined;
  const [group, topic, queueId, offset, token, invisibleUntil] = parsed as unknown[];
  if (typeof group !== 'string' || typeof topic !== 'string' || typeof token !== 'string') return undefined;
  if (!isNonNegativeInteger(queueId) || !isNonNegativeInteger(offset) || !isNonNegativeInteger(invisibleUntil)) {
    return undefined;
  }
  return { group, topic, queueId, offset, token, invisibleUntil };
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
