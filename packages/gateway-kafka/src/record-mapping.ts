import { createMessage, type Message, type StoredMessage } from '@eddy/message';
import {
  encodeControlRecord,
  encodeRecordBatches,
  type KafkaRecord,
  type KafkaRecordInit,
  type RecordBatchHeader,
  type RecordBatchInit,
} from '@eddy/protocol-kafka';

/**
 * Properties the gateway keeps on a message to give Kafka clients back exactly what they sent. Names
 * start with `__KAFKA_`; they are not turned into headers on the way back.
 */
export const KafkaProperty = {
  /** `1`: the record's value was null (a tombstone); the body is empty. */
  NULL_VALUE: '__KAFKA_NULL_VALUE',
  /** The record key, base64, when it is not valid UTF-8 (`keys` is then empty). */
  KEY_B64: '__KAFKA_KEY_B64',
  /** JSON array of header names whose values are base64 (not valid UTF-8). */
  B64_HEADERS: '__KAFKA_B64_HEADERS',
  /**
   * JSON array of `[name, base64 value | null]`: every header in order, kept when properties cannot
   * hold them faithfully (a repeated name, a null value, a name the gateway reserves).
   */
  HEADERS: '__KAFKA_HEADERS',
  PRODUCER_ID: '__KAFKA_PID',
  PRODUCER_EPOCH: '__KAFKA_EPOCH',
  SEQUENCE: '__KAFKA_SEQ',
  /** `1`: written inside a transaction. */
  TRANSACTIONAL: '__KAFKA_TXN',
  /** `commit` | `abort`: a transaction marker (control record). */
  CONTROL: '__KAFKA_CONTROL',
} as const;

/** The header that carries a RocketMQ tag both ways. */
export const TAG_HEADER = 'rocketmq.tag';

const INTERNAL_PREFIX = '__KAFKA_';
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
// Fatal, so that bytes that are not UTF-8 are noticed; the BOM kept, so that decoding round-trips.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

const toBase64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

/** The message fields a Kafka record maps to; the rest are a new message's defaults. */
type RecordFields = Pick<Message, 'body' | 'keys' | 'tag' | 'properties' | 'bornTimestamp'>;

/** A record of a stored batch as a message, without what the store assigns (topic, message id). */
export type DecodedKafkaRecord = Omit<Message, 'topic' | 'messageId'>;

/**
 * The Eddy message for record `index` of a produced batch (one record = one message, at the same queue
 * offset): value → body, key → `keys[0]`, headers → properties, `rocketmq.tag` → tag, record timestamp
 * → `bornTimestamp`, producer id / epoch / sequence / transactional flag → `__KAFKA_*` properties.
 */
export function recordToMessage(topic: string, batch: RecordBatchHeader, record: KafkaRecord, index: number): Message {
  return createMessage({ topic, ...recordFields(batch, record, index) });
}

/**
 * Record `index` of a stored batch as {@link recordToMessage} maps it, minus topic and message id
 * (the store has them): what the stored-batch decoder gives the RocketMQ side.
 */
export function recordToDecoded(batch: RecordBatchHeader, record: KafkaRecord, index: number): DecodedKafkaRecord {
  const { body, keys, tag, properties, bornTimestamp } = recordFields(batch, record, index);
  return {
    body,
    keys,
    tag,
    properties,
    bornTimestamp,
    bornHost: '',
    producerGroup: undefined,
    messageGroup: undefined,
    deliveryTimestamp: undefined,
    transaction: 'none',
    reconsumeTimes: 0,
  };
}

// The one mapping of a record to message fields. The keys and tags a Produce hands the store with an
// encoded batch (scanRecordBatch) must match what this gives: UTF-8 key → keys, first non-null
// `rocketmq.tag` header value that is UTF-8 → tag.
function recordFields(batch: RecordBatchHeader, record: KafkaRecord, index: number): RecordFields {
  const properties: Record<string, string> = {};
  let keys: string[] = [];
  if (record.key !== null) {
    const key = utf8OrUndefined(record.key);
    if (key === undefined) properties[KafkaProperty.KEY_B64] = toBase64(record.key);
    else keys = [key];
  }
  if (record.value === null) properties[KafkaProperty.NULL_VALUE] = '1';

  let tag: string | undefined;
  const names = new Set<string>();
  const binary: string[] = [];
  let verbatim = false;
  for (const { key: name, value } of record.headers) {
    if (value === null || names.has(name) || name.startsWith(INTERNAL_PREFIX)) {
      verbatim = true;
      continue;
    }
    names.add(name);
    const text = utf8OrUndefined(value);
    if (name === TAG_HEADER && text !== undefined && tag === undefined) {
      tag = text;
    } else if (text === undefined) {
      properties[name] = toBase64(value);
      binary.push(name);
    } else {
      properties[name] = text;
    }
  }
  if (verbatim) {
    properties[KafkaProperty.HEADERS] = JSON.stringify(
      record.headers.map(({ key: name, value }) => [name, value === null ? null : toBase64(value)]),
    );
  }
  if (binary.length > 0) properties[KafkaProperty.B64_HEADERS] = JSON.stringify(binary);

  if (batch.producerId >= 0n) {
    properties[KafkaProperty.PRODUCER_ID] = batch.producerId.toString();
    properties[KafkaProperty.PRODUCER_EPOCH] = String(batch.producerEpoch);
    if (batch.baseSequence >= 0) {
      // Sequences wrap at 2^31 - 1 to 0 (KIP-98).
      properties[KafkaProperty.SEQUENCE] = String((batch.baseSequence + index) % 2 ** 31);
    }
  }
  if (batch.isTransactional) properties[KafkaProperty.TRANSACTIONAL] = '1';

  const timestamp = Number(batch.baseTimestamp + record.timestampDelta);
  return {
    body: record.value ?? EMPTY,
    keys,
    tag,
    properties,
    // Kafka's "no timestamp" (-1) cannot be stored; 0 makes the way back use the store time.
    bornTimestamp: Number.isSafeInteger(timestamp) && timestamp > 0 ? timestamp : 0,
  };
}

/** A transaction marker for `topic`: a message with `__KAFKA_CONTROL` and the producer's id and epoch, empty body. */
export function controlMessage(
  topic: string,
  producerId: bigint,
  producerEpoch: number,
  kind: 'commit' | 'abort',
  timestamp: number,
): Message {
  return createMessage({
    topic,
    body: EMPTY,
    properties: {
      [KafkaProperty.CONTROL]: kind,
      [KafkaProperty.PRODUCER_ID]: producerId.toString(),
      [KafkaProperty.PRODUCER_EPOCH]: String(producerEpoch),
      [KafkaProperty.TRANSACTIONAL]: '1',
    },
    bornTimestamp: timestamp,
  });
}

interface BatchKey {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly transactional: boolean;
  readonly control: boolean;
}

function batchKeyOf(message: StoredMessage): BatchKey {
  const { properties } = message;
  const pid = properties[KafkaProperty.PRODUCER_ID];
  const epoch = properties[KafkaProperty.PRODUCER_EPOCH];
  return {
    producerId: pid === undefined ? -1n : BigInt(pid),
    producerEpoch: epoch === undefined ? -1 : Number(epoch),
    transactional: properties[KafkaProperty.TRANSACTIONAL] === '1',
    control: properties[KafkaProperty.CONTROL] !== undefined,
  };
}

function sameBatch(a: BatchKey, b: BatchKey): boolean {
  return (
    a.producerId === b.producerId &&
    a.producerEpoch === b.producerEpoch &&
    a.transactional === b.transactional &&
    !a.control &&
    !b.control
  );
}

function timestampOf(message: StoredMessage): bigint {
  return BigInt(message.bornTimestamp > 0 ? message.bornTimestamp : message.storeTimestamp);
}

function headersOf(message: StoredMessage): { key: string; value: Uint8Array | null }[] {
  const { properties } = message;
  const verbatim = properties[KafkaProperty.HEADERS];
  if (verbatim !== undefined) {
    const list = JSON.parse(verbatim) as [string, string | null][];
    return list.map(([key, value]) => ({ key, value: value === null ? null : fromBase64(value) }));
  }
  const binaryList = properties[KafkaProperty.B64_HEADERS];
  const binary = new Set<string>(binaryList === undefined ? [] : (JSON.parse(binaryList) as string[]));
  const headers: { key: string; value: Uint8Array | null }[] = [];
  if (message.tag !== undefined) headers.push({ key: TAG_HEADER, value: encoder.encode(message.tag) });
  for (const [key, value] of Object.entries(properties)) {
    if (key.startsWith(INTERNAL_PREFIX)) continue;
    headers.push({ key, value: binary.has(key) ? fromBase64(value) : encoder.encode(value) });
  }
  return headers;
}

function keyOf(message: StoredMessage): Uint8Array | null {
  const binary = message.properties[KafkaProperty.KEY_B64];
  if (binary !== undefined) return fromBase64(binary);
  const key = message.keys[0];
  return key === undefined ? null : encoder.encode(key);
}

function controlRecord(message: StoredMessage): KafkaRecordInit {
  const kind = message.properties[KafkaProperty.CONTROL] === 'commit' ? 'commit' : 'abort';
  return { offsetDelta: 0, ...encodeControlRecord({ kind, coordinatorEpoch: 0 }) };
}

/**
 * Stored messages (consecutive offsets of one queue) as Kafka record batches v2, uncompressed and
 * concatenated, ready for a Fetch response. Consecutive messages with the same producer id, epoch and
 * transactional flag share a batch; each transaction marker is a control batch of its own. Messages
 * that did not come from Kafka map back too: `keys[0]` → key, tag → `rocketmq.tag` header, properties
 * → headers, born (else store) time → timestamp.
 */
export function messagesToRecordBatches(messages: readonly StoredMessage[]): Uint8Array {
  const parts: RecordBatchInit[] = [];
  let start = 0;
  while (start < messages.length) {
    const first = messages[start] as StoredMessage;
    const key = batchKeyOf(first);
    let end = start + 1;
    while (end < messages.length && sameBatch(key, batchKeyOf(messages[end] as StoredMessage))) end++;
    parts.push(encodeGroup(messages.slice(start, end), key));
    start = end;
  }
  // Sized first and written once into one buffer.
  return encodeRecordBatches(parts);
}

function encodeGroup(group: readonly StoredMessage[], key: BatchKey): RecordBatchInit {
  const first = group[0] as StoredMessage;
  const baseTimestamp = timestampOf(first);
  let maxTimestamp = baseTimestamp;
  const records: KafkaRecordInit[] = group.map((message) => {
    const timestamp = timestampOf(message);
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    if (key.control) return controlRecord(message);
    const nullValue = message.properties[KafkaProperty.NULL_VALUE] === '1';
    return {
      offsetDelta: message.queueOffset - first.queueOffset,
      timestampDelta: timestamp - baseTimestamp,
      key: keyOf(message),
      value: nullValue ? null : message.body,
      headers: headersOf(message),
    };
  });
  const sequence = first.properties[KafkaProperty.SEQUENCE];
  const last = group[group.length - 1] as StoredMessage;
  return {
    baseOffset: BigInt(first.queueOffset),
    partitionLeaderEpoch: 0,
    lastOffsetDelta: last.queueOffset - first.queueOffset,
    baseTimestamp,
    maxTimestamp,
    producerId: key.producerId,
    producerEpoch: key.producerEpoch,
    baseSequence: sequence === undefined ? -1 : Number(sequence),
    isTransactional: key.transactional,
    isControl: key.control,
    records,
  };
}
