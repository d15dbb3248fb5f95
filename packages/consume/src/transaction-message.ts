import {
  type Clock,
  createMessage,
  MAX_NAME_LENGTH,
  type Message,
  messageFieldsOf,
  type StoredMessage,
  SystemProperty,
  SystemTopic,
} from '@eddy/message';
import { MAX_QUEUE_ID } from '@eddy/store';

/** The queue used in the half, op and check-max topics (RocketMQ uses 0 too). */
export const TRANSACTION_QUEUE_ID = 0;

/**
 * Property of a half message holding the random part of its transaction id (see
 * `formatTransactionId`). Stripped on delivery, like the other bookkeeping properties.
 */
export const TRANSACTION_NONCE_PROPERTY = SystemProperty.TRANSACTION_NONCE;

/** Property of an op record: `commit`, `rollback`, or `discard` (rolled back after the last check). */
export const TRANSACTION_RESOLUTION_PROPERTY = '__TRANSACTION_RESOLUTION';

/** RocketMQ's tag of op records (`TransactionalMessageUtil.REMOVE_TAG`). */
export const OP_RECORD_TAG = 'd';

/** How a transaction ended, as its op record says. */
export type TransactionOutcome = 'commit' | 'rollback' | 'discard';

/** Where a half message goes when committed. */
export interface TransactionTarget {
  readonly topic: string;
  readonly queueId: number;
}

/** What a half message carries beyond the message itself. */
export interface HalfMessageInfo {
  readonly target: TransactionTarget;
  readonly producerGroup: string;
  readonly nonce: string;
  /** The per-message check immunity (`CHECK_IMMUNITY_TIME_IN_SECONDS`) in ms, when set and valid. */
  readonly immunityMs: number | undefined;
}

// What a delivered message no longer carries: the half message's routing and transaction bookkeeping.
const BOOKKEEPING = [
  SystemProperty.REAL_TOPIC,
  SystemProperty.REAL_QUEUE_ID,
  SystemProperty.TRANSACTION_PREPARED,
  SystemProperty.PRODUCER_GROUP,
  SystemProperty.TRANSACTION_CHECK_TIMES,
  TRANSACTION_NONCE_PROPERTY,
] as const;

const OUTCOMES: ReadonlySet<string> = new Set<TransactionOutcome>(['commit', 'rollback', 'discard']);

/**
 * The copy of `message` stored in `RMQ_SYS_TRANS_HALF_TOPIC`: RocketMQ's layout (real topic and queue
 * in `REAL_TOPIC` / `REAL_QID`, `TRAN_MSG=true`, `PGROUP`), plus the transaction id's random part.
 */
export function toHalfMessage(
  message: Message,
  target: TransactionTarget,
  producerGroup: string,
  nonce: string,
): Message {
  return {
    ...messageFieldsOf(message),
    topic: SystemTopic.TRANSACTION_HALF,
    producerGroup,
    transaction: 'prepared',
    properties: {
      ...message.properties,
      [SystemProperty.REAL_TOPIC]: target.topic,
      [SystemProperty.REAL_QUEUE_ID]: String(target.queueId),
      [SystemProperty.TRANSACTION_PREPARED]: 'true',
      [SystemProperty.PRODUCER_GROUP]: producerGroup,
      [TRANSACTION_NONCE_PROPERTY]: nonce,
    },
  };
}

/** The bookkeeping of a stored half message, or `undefined` when it lacks any (not written by this service). */
export function halfMessageInfo(half: Message): HalfMessageInfo | undefined {
  const properties = half.properties;
  const topic = properties[SystemProperty.REAL_TOPIC];
  const queueText = properties[SystemProperty.REAL_QUEUE_ID];
  const producerGroup = properties[SystemProperty.PRODUCER_GROUP];
  const nonce = properties[TRANSACTION_NONCE_PROPERTY];
  if (topic === undefined || topic.length === 0 || topic.length > MAX_NAME_LENGTH) return undefined;
  if (queueText === undefined || !/^\d{1,5}$/.test(queueText) || Number(queueText) > MAX_QUEUE_ID) return undefined;
  if (producerGroup === undefined || nonce === undefined || !/^[0-9A-F]{16}$/.test(nonce)) return undefined;
  return { target: { topic, queueId: Number(queueText) }, producerGroup, nonce, immunityMs: checkImmunityMs(half) };
}

/**
 * The message a commit appends to the real queue: the half message's id, body, keys, tag, user
 * properties, producer and message group, without the bookkeeping properties, with `transaction`
 * `'commit'` (RocketMQ marks a committed message with its commit type too).
 */
export function toDeliveredMessage(half: Message, target: TransactionTarget): Message {
  return { ...messageFieldsOf(half), topic: target.topic, transaction: 'commit', properties: withoutBookkeeping(half) };
}

/**
 * The half message as a producer's checker sees it: as it will be delivered (real topic and queue, no
 * bookkeeping), still `'prepared'`, with the half offset as its queue offset.
 */
export function toCheckView(half: StoredMessage, target: TransactionTarget): StoredMessage {
  return {
    ...messageFieldsOf(half),
    topic: target.topic,
    queueId: target.queueId,
    queueOffset: half.queueOffset,
    storeTimestamp: half.storeTimestamp,
    transaction: 'prepared',
    properties: withoutBookkeeping(half),
  };
}

/**
 * The copy kept in `TRANS_CHECK_MAX_TIME_TOPIC` when the checks ran out (RocketMQ 5 does the same):
 * the half message with its real topic and queue, producer group and the number of checks, so an
 * operator can see where it was going and send it again.
 */
export function toCheckMaxMessage(half: Message, checkTimes: number): Message {
  const properties: Record<string, string> = { ...half.properties };
  delete properties[TRANSACTION_NONCE_PROPERTY];
  properties[SystemProperty.TRANSACTION_CHECK_TIMES] = String(checkTimes);
  return {
    ...messageFieldsOf(half),
    topic: SystemTopic.TRANSACTION_CHECK_MAX_TIME,
    transaction: 'rollback',
    properties,
  };
}

/**
 * An op record of `RMQ_SYS_TRANS_OP_HALF_TOPIC`: RocketMQ's form (tag `d`, the half offset in decimal
 * as the body) plus the outcome in a property.
 */
export function toOpRecord(halfOffset: number, outcome: TransactionOutcome, clock: Clock): Message {
  return createMessage(
    {
      topic: SystemTopic.TRANSACTION_OP_HALF,
      body: String(halfOffset),
      tag: OP_RECORD_TAG,
      properties: { [TRANSACTION_RESOLUTION_PROPERTY]: outcome },
    },
    { clock },
  );
}

/** The half offset and outcome an op record names, or `undefined` for a record that is not one. */
export function parseOpRecord(record: Message): { halfOffset: number; outcome: TransactionOutcome } | undefined {
  const text = Buffer.from(record.body.buffer, record.body.byteOffset, record.body.byteLength).toString();
  const outcome = record.properties[TRANSACTION_RESOLUTION_PROPERTY] ?? 'rollback';
  if (!/^\d{1,16}$/.test(text) || !OUTCOMES.has(outcome)) return undefined;
  const halfOffset = Number(text);
  return Number.isSafeInteger(halfOffset) ? { halfOffset, outcome: outcome as TransactionOutcome } : undefined;
}

/**
 * A message's `CHECK_IMMUNITY_TIME_IN_SECONDS` in ms: how long after its store time it is first checked
 * back, instead of the service's timeout. Whole seconds, as RocketMQ reads it; `undefined` when absent
 * or not a whole number.
 */
export function checkImmunityMs(message: Message): number | undefined {
  const text = message.properties[SystemProperty.CHECK_IMMUNITY_TIME_IN_SECONDS];
  if (text === undefined || !/^\d{1,9}$/.test(text)) return undefined;
  return Number(text) * 1000;
}

function withoutBookkeeping(message: Message): Record<string, string> {
  const properties: Record<string, string> = { ...message.properties };
  for (const name of BOOKKEEPING) delete properties[name];
  return properties;
}
