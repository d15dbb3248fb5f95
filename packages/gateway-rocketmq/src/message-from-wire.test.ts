import { describe, expect, it } from 'vitest';
import { messageFromWire } from './message-from-wire.js';
import type { WireMessage } from './proto/wire-types.js';

const context = { now: 1_700_000_000_000, peerHost: '10.0.0.9' };

function wire(overrides: Partial<WireMessage> = {}, system: WireMessage['systemProperties'] = {}): WireMessage {
  return {
    topic: { name: 'orders' },
    body: Buffer.from('x'),
    systemProperties: { messageId: '01AA', messageType: 'NORMAL', ...system },
    ...overrides,
  };
}

describe('messageFromWire', () => {
  it('maps every field of a normal message, with the topic as producer group', () => {
    const result = messageFromWire(
      wire(
        { userProperties: { region: 'eu' } },
        {
          tag: 'created',
          keys: ['k1', 'k2'],
          bornTimestamp: { seconds: 1_600_000_000, nanos: 5_000_000 },
          bornHost: 'host-1',
        },
      ),
      context,
    );
    if (!result.ok) throw new Error(result.status.message);
    expect(result.type).toBe('NORMAL');
    expect(result.message).toMatchObject({
      topic: 'orders',
      tag: 'created',
      keys: ['k1', 'k2'],
      properties: { region: 'eu' },
      messageId: '01AA',
      bornTimestamp: 1_600_000_000_005,
      bornHost: 'host-1',
      producerGroup: 'orders',
      transaction: 'none',
    });
  });

  it('fills in what the client left out: born time, born host, message id', () => {
    const result = messageFromWire(wire({}, { messageId: '' }), context);
    if (!result.ok) throw new Error(result.status.message);
    expect(result.message.bornTimestamp).toBe(context.now);
    expect(result.message.bornHost).toBe('10.0.0.9');
    expect(result.message.messageId).not.toBe('');
  });

  it('reads FIFO, DELAY and TRANSACTION messages', () => {
    const fifo = messageFromWire(wire({}, { messageType: 'FIFO', messageGroup: 'g' }), context);
    expect(fifo.ok && fifo.message.messageGroup).toBe('g');
    const delay = messageFromWire(
      wire({}, { messageType: 'DELAY', deliveryTimestamp: { seconds: 1_800_000_000 } }),
      context,
    );
    expect(delay.ok && delay.message.deliveryTimestamp).toBe(1_800_000_000_000);
    const transaction = messageFromWire(wire({}, { messageType: 'TRANSACTION' }), context);
    expect(transaction.ok && transaction.message.transaction).toBe('prepared');
    const inferred = messageFromWire(wire({}, { messageType: undefined, messageGroup: 'g' }), context);
    expect(inferred.ok && inferred.type).toBe('FIFO');
  });

  it.each([
    ['a system topic', wire({ topic: { name: 'RMQ_SYS_TRANS_HALF_TOPIC' } }), 'ILLEGAL_TOPIC'],
    ['a bad topic name', wire({ topic: { name: 'a b' } }), 'ILLEGAL_TOPIC'],
    ['an empty body', wire({ body: Buffer.alloc(0) }), 'MESSAGE_BODY_EMPTY'],
    ['no system properties', { topic: { name: 'orders' }, body: Buffer.from('x') }, 'BAD_REQUEST'],
    ['a reserved property', wire({ userProperties: { TAGS: 'x' } }), 'ILLEGAL_MESSAGE_PROPERTY_KEY'],
    ['a gzip body', wire({}, { bodyEncoding: 'GZIP' }), 'UNSUPPORTED'],
    ['FIFO without a group', wire({}, { messageType: 'FIFO' }), 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'],
    ['NORMAL with a group', wire({}, { messageGroup: 'g' }), 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'],
    ['DELAY without a time', wire({}, { messageType: 'DELAY' }), 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'],
    [
      'a transaction with a group',
      wire({}, { messageType: 'TRANSACTION', messageGroup: 'g' }),
      'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    ],
    ['a priority message', wire({}, { messageType: 'PRIORITY', priority: 1 }), 'UNSUPPORTED'],
  ] as const)('refuses %s with %s', (_what, message, code) => {
    const result = messageFromWire(message as WireMessage, context);
    expect(result.ok ? 'accepted' : result.status.code).toBe(code);
  });
});
