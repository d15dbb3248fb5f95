import type { StoredMessage, TopicConfig, TransactionPhase } from '@eddy/message';

/** A stored message as the admin API shows it. */
export interface StoredMessageJson {
  readonly messageId: string;
  readonly topic: string;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly storeTimestamp: number;
  readonly bornTimestamp: number;
  readonly bornHost: string;
  readonly tag: string | null;
  readonly keys: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
  readonly producerGroup: string | null;
  readonly messageGroup: string | null;
  readonly deliveryTimestamp: number | null;
  readonly transaction: TransactionPhase;
  readonly reconsumeTimes: number;
  /** The body's length in bytes. */
  readonly bodySize: number;
  /** The body, base64: always present, since bodies are opaque bytes. */
  readonly bodyBase64: string;
  /** The body as text, present only when it is valid UTF-8. */
  readonly bodyUtf8?: string;
}

/**
 * Turns a stored message into JSON. Absent optional fields are `null` rather than left out, so every
 * answer has the same keys.
 */
export function storedMessageJson(message: StoredMessage): StoredMessageJson {
  const body = Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength);
  const text = decodeUtf8(message.body);
  return {
    messageId: message.messageId,
    topic: message.topic,
    queueId: message.queueId,
    queueOffset: message.queueOffset,
    storeTimestamp: message.storeTimestamp,
    bornTimestamp: message.bornTimestamp,
    bornHost: message.bornHost,
    tag: message.tag ?? null,
    keys: message.keys,
    properties: message.properties,
    producerGroup: message.producerGroup ?? null,
    messageGroup: message.messageGroup ?? null,
    deliveryTimestamp: message.deliveryTimestamp ?? null,
    transaction: message.transaction,
    reconsumeTimes: message.reconsumeTimes,
    bodySize: message.body.byteLength,
    bodyBase64: body.toString('base64'),
    ...(text === undefined ? {} : { bodyUtf8: text }),
  };
}

/** A topic's config as the admin API shows it: `retentionMs` is `null` for the broker's default. */
export interface TopicConfigJson extends Omit<TopicConfig, 'retentionMs'> {
  readonly retentionMs: number | null;
}

/** Turns a topic config into JSON (see {@link TopicConfigJson}). */
export function topicConfigJson(config: TopicConfig): TopicConfigJson {
  return {
    name: config.name,
    readQueueNums: config.readQueueNums,
    writeQueueNums: config.writeQueueNums,
    perm: config.perm,
    messageType: config.messageType,
    retentionMs: config.retentionMs ?? null,
  };
}

// Fatal: a body that is not UTF-8 must not come back as text with replacement characters in it.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}
