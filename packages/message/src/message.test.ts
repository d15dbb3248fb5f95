import { describe, expect, it } from 'vitest';
import type { Clock } from './clock.js';
import { createMessage } from './message.js';
import { MessageIdGenerator } from './message-id.js';

const clock: Clock = {
  now: () => 1_234,
  schedule: () => {
    throw new Error('not used');
  },
};

describe('createMessage', () => {
  it('fills the defaults: a generated id, born time from the clock, no keys, properties or transaction', () => {
    const ids = new MessageIdGenerator({ now: () => 1_234, random: new Uint8Array(10) });
    const message = createMessage({ topic: 't', body: 'héllo' }, { clock, ids });
    expect(message).toEqual({
      topic: 't',
      body: new TextEncoder().encode('héllo'),
      keys: [],
      tag: undefined,
      properties: {},
      messageId: '0000000004D20000000100000000' + '0000',
      bornTimestamp: 1_234,
      bornHost: '',
      producerGroup: undefined,
      messageGroup: undefined,
      deliveryTimestamp: undefined,
      transaction: 'none',
      reconsumeTimes: 0,
    });
    expect(message.body.byteLength).toBe(6);
  });

  it('keeps a client-supplied id and every given field, and the body bytes as given', () => {
    const body = new Uint8Array([0, 255]);
    const ids = new MessageIdGenerator({ random: new Uint8Array(10) });
    const message = createMessage(
      {
        topic: 't',
        body,
        keys: ['k'],
        tag: 'a',
        properties: { p: 'v' },
        messageId: 'client-id',
        bornTimestamp: 5,
        bornHost: 'h:1',
        producerGroup: 'pg',
        messageGroup: 'mg',
        deliveryTimestamp: 9,
        transaction: 'prepared',
        reconsumeTimes: 3,
      },
      { clock, ids },
    );
    expect(message.messageId).toBe('client-id');
    expect(message.body).toBe(body);
    expect(message).toMatchObject({ bornTimestamp: 5, bornHost: 'h:1', transaction: 'prepared', reconsumeTimes: 3 });
    // The injected generator was not used.
    expect(ids.next().slice(12, 20)).toBe('00000001');
  });

  it('uses the system clock and the default generator when none is injected', () => {
    const before = Date.now();
    const first = createMessage({ topic: 't', body: '' });
    const second = createMessage({ topic: 't', body: '' });
    expect(first.bornTimestamp).toBeGreaterThanOrEqual(before);
    expect(first.bornTimestamp).toBeLessThanOrEqual(Date.now());
    expect(first.messageId).toMatch(/^[0-9A-F]{32}$/);
    expect(first.messageId < second.messageId).toBe(true);
  });
});
