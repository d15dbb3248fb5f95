import { createMessage, type StoredMessage } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { storedMessageJson, topicConfigJson } from './admin-json.js';

function stored(body: Uint8Array | string): StoredMessage {
  const message = createMessage({ topic: 't', body, keys: ['k'], tag: 'TagA', messageId: 'id-1', bornTimestamp: 5 });
  return { ...message, queueId: 2, queueOffset: 7, storeTimestamp: 9 };
}

describe('storedMessageJson', () => {
  it('gives a UTF-8 body both as base64 and as text', () => {
    const json = storedMessageJson(stored('héllo'));
    expect(json).toEqual({
      messageId: 'id-1',
      topic: 't',
      queueId: 2,
      queueOffset: 7,
      storeTimestamp: 9,
      bornTimestamp: 5,
      bornHost: '',
      tag: 'TagA',
      keys: ['k'],
      properties: {},
      producerGroup: null,
      messageGroup: null,
      deliveryTimestamp: null,
      transaction: 'none',
      reconsumeTimes: 0,
      bodySize: 6,
      bodyBase64: Buffer.from('héllo').toString('base64'),
      bodyUtf8: 'héllo',
    });
  });

  it('gives a body that is not UTF-8 as base64 only', () => {
    const json = storedMessageJson(stored(new Uint8Array([0xff, 0xfe, 0x00])));
    expect(json.bodyBase64).toBe('//4A');
    expect(json).not.toHaveProperty('bodyUtf8');
    expect(json.bodySize).toBe(3);
  });

  it('reads only the body bytes of a view into a larger buffer', () => {
    const backing = new Uint8Array([1, 2, 0x61, 0x62, 3]);
    const json = storedMessageJson(stored(backing.subarray(2, 4)));
    expect(json.bodyUtf8).toBe('ab');
    expect(json.bodyBase64).toBe(Buffer.from('ab').toString('base64'));
  });
});

describe('topicConfigJson', () => {
  it('writes the default retention as null', () => {
    expect(
      topicConfigJson({
        name: 't',
        readQueueNums: 4,
        writeQueueNums: 4,
        perm: 6,
        messageType: 'NORMAL',
        retentionMs: undefined,
      }),
    ).toEqual({ name: 't', readQueueNums: 4, writeQueueNums: 4, perm: 6, messageType: 'NORMAL', retentionMs: null });
  });
});
