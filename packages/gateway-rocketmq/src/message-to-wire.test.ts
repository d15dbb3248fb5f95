import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { createMessage, type StoredMessage } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { md5Digest } from './body-digest.js';
import { COMPRESS_ABOVE_BYTES, messageToWire } from './message-to-wire.js';

function stored(overrides: Partial<StoredMessage> = {}): StoredMessage {
  const message = createMessage({
    topic: 'orders',
    body: 'hello',
    tag: 'created',
    keys: ['k1'],
    properties: { region: 'eu' },
    messageId: '01ABC',
    bornTimestamp: 1_700_000_000_123,
    bornHost: 'producer-host',
  });
  return { ...message, queueId: 2, queueOffset: 41, storeTimestamp: 1_700_000_000_200, ...overrides };
}

describe('messageToWire', () => {
  it('sets every field a consumer dereferences, and the delivery fields', () => {
    const wire = messageToWire(stored(), 'broker:8081', {
      receiptHandle: 'handle',
      deliveryAttempt: 3,
      invisibleDurationMs: 15_000,
    });
    expect(wire).toEqual({
      topic: { resourceNamespace: '', name: 'orders' },
      userProperties: { region: 'eu' },
      body: new TextEncoder().encode('hello'),
      systemProperties: {
        tag: 'created',
        keys: ['k1'],
        messageId: '01ABC',
        bodyDigest: { type: 'MD5', checksum: '5D41402ABC4B2A76B9719D911017C592' },
        bodyEncoding: 'IDENTITY',
        messageType: 'NORMAL',
        bornTimestamp: { seconds: 1_700_000_000, nanos: 123_000_000 },
        bornHost: 'producer-host',
        storeTimestamp: { seconds: 1_700_000_000, nanos: 200_000_000 },
        storeHost: 'broker:8081',
        queueId: 2,
        queueOffset: 41,
        receiptHandle: 'handle',
        deliveryAttempt: 3,
        invisibleDuration: { seconds: 15, nanos: 0 },
      },
    });
  });

  it('marks FIFO and delay messages and leaves out delivery fields for a check-back', () => {
    const fifo = messageToWire(stored({ messageGroup: 'g' }), 'b:1').systemProperties;
    expect(fifo).toMatchObject({ messageType: 'FIFO', messageGroup: 'g' });
    expect(fifo?.receiptHandle).toBeUndefined();
    const delayed = messageToWire(stored({ deliveryTimestamp: 1_700_000_005_000 }), 'b:1').systemProperties;
    expect(delayed).toMatchObject({ messageType: 'DELAY', deliveryTimestamp: { seconds: 1_700_000_005, nanos: 0 } });
    expect(messageToWire(stored({ transaction: 'prepared' }), 'b:1').systemProperties?.messageType).toBe('TRANSACTION');
  });

  it('never sends a delivery attempt below 1', () => {
    const wire = messageToWire(stored(), 'b:1', { receiptHandle: 'h', deliveryAttempt: 0, invisibleDurationMs: 1000 });
    expect(wire.systemProperties?.deliveryAttempt).toBe(1);
  });

  it('compresses bodies near the 4 MiB gRPC limit when that helps, digesting the bytes sent', () => {
    const big = new Uint8Array(COMPRESS_ABOVE_BYTES + 1).fill(7);
    const wire = messageToWire(stored({ body: big }), 'b:1');
    expect(wire.systemProperties?.bodyEncoding).toBe('GZIP');
    expect(wire.body?.byteLength).toBeLessThan(big.byteLength);
    expect(wire.systemProperties?.bodyDigest?.checksum).toBe(md5Digest(wire.body as Uint8Array));
    expect(new Uint8Array(gunzipSync(wire.body as Uint8Array))).toEqual(big);
    // Random bytes do not compress: they go as they are.
    const random = new Uint8Array(randomBytes(COMPRESS_ABOVE_BYTES + 1));
    expect(messageToWire(stored({ body: random }), 'b:1').systemProperties?.bodyEncoding).toBe('IDENTITY');
  });
});
