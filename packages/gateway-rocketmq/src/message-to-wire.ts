import { gzipSync } from 'node:zlib';
import type { StoredMessage } from '@eddy/message';
import { md5Digest } from './body-digest.js';
import { messageTypeOf } from './message-type.js';
import type { WireMessage, WireSystemProperties } from './proto/wire-types.js';
import { msToDuration, msToTimestamp } from './time.js';

/** What one delivery adds to a message (absent for a transaction check-back). */
export interface DeliveryFields {
  readonly receiptHandle: string;
  /** 1 on the first delivery. */
  readonly deliveryAttempt: number;
  readonly invisibleDurationMs: number;
}

/**
 * Bodies larger than this are sent GZIP-compressed when that makes them smaller, bytes. gRPC clients
 * keep a 4 MiB receive limit by default (the Node client does not raise it), so a message near the
 * 4 MiB body limit would otherwise be refused by the client on every delivery.
 */
export const COMPRESS_ABOVE_BYTES = 4 * 1024 * 1024 - 256 * 1024;

/**
 * A stored message as the protocol carries it to a consumer or a transaction checker. Every field the
 * Node client dereferences is set: `system_properties`, `body_digest` (MD5, uppercase hex), message
 * id, born and store times and hosts, queue id and offset, and, for a delivery, the receipt handle and
 * a delivery attempt of at least 1. The body goes as stored (IDENTITY), or GZIP-compressed above
 * {@link COMPRESS_ABOVE_BYTES}; the digest is of the bytes sent, as both official clients check it
 * before they decompress.
 */
export function messageToWire(message: StoredMessage, storeHost: string, delivery?: DeliveryFields): WireMessage {
  const { body, encoding } = encodeBody(message.body);
  const system: WireSystemProperties = {
    keys: [...message.keys],
    messageId: message.messageId,
    bodyDigest: { type: 'MD5', checksum: md5Digest(body) },
    bodyEncoding: encoding,
    messageType: messageTypeOf(message),
    bornTimestamp: msToTimestamp(message.bornTimestamp),
    bornHost: message.bornHost,
    storeTimestamp: msToTimestamp(message.storeTimestamp),
    storeHost,
    queueId: message.queueId,
    queueOffset: message.queueOffset,
  };
  if (message.tag !== undefined) system.tag = message.tag;
  if (message.messageGroup !== undefined) system.messageGroup = message.messageGroup;
  if (message.deliveryTimestamp !== undefined) system.deliveryTimestamp = msToTimestamp(message.deliveryTimestamp);
  if (delivery !== undefined) {
    system.receiptHandle = delivery.receiptHandle;
    system.deliveryAttempt = Math.max(1, delivery.deliveryAttempt);
    system.invisibleDuration = msToDuration(delivery.invisibleDurationMs);
  }
  return {
    topic: { resourceNamespace: '', name: message.topic },
    userProperties: { ...message.properties },
    systemProperties: system,
    body,
  };
}

function encodeBody(body: Uint8Array): { body: Uint8Array; encoding: 'IDENTITY' | 'GZIP' } {
  if (body.byteLength <= COMPRESS_ABOVE_BYTES) return { body, encoding: 'IDENTITY' };
  const compressed = gzipSync(body);
  return compressed.byteLength < body.byteLength
    ? { body: compressed, encoding: 'GZIP' }
    : { body, encoding: 'IDENTITY' };
}
