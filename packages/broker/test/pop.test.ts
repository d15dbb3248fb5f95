import { deadLetterHistory } from '@eddy/consume';
import { SystemProperty } from '@eddy/message';
import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerPopRequest } from '../src/index.js';
import { codeOf, type MemoryBroker, memoryBroker, text } from './fixture.js';

const INVISIBLE = 30_000;

function request(overrides: Partial<BrokerPopRequest> = {}): BrokerPopRequest {
  return { group: 'g', topic: 't', clientId: 'c1', maxMessages: 16, invisibleDurationMs: INVISIBLE, ...overrides };
}

describe('pop, ack and redelivery', () => {
  let fixture: MemoryBroker;
  afterEach(() => fixture.close());

  it('pops from every read queue, acks, and redelivers what was not acked with a higher attempt', async () => {
    fixture = await memoryBroker();
    const { broker, message, clock } = fixture;
    await broker.topics.create({ name: 't', queueCount: 2 });
    for (const body of ['a', 'b', 'c', 'd']) await broker.send(message({ topic: 't', body }));

    const first = await broker.pop(request());
    expect(first.messages.map(({ message: popped }) => text(popped)).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(first.messages.every(({ deliveryAttempt }) => deliveryAttempt === 1)).toBe(true);
    for (const popped of first.messages) {
      if (text(popped.message) !== 'b') expect((await broker.ack('g', 't', popped.receiptHandle)).status).toBe('ok');
    }
    expect((await broker.pop(request())).messages).toEqual([]);

    await clock.advance(INVISIBLE - 1);
    expect((await broker.pop(request())).messages).toEqual([]);
    await clock.advance(1);
    const again = await broker.pop(request());
    expect(again.messages.map(({ message: popped, deliveryAttempt }) => [text(popped), deliveryAttempt])).toEqual([
      ['b', 2],
    ]);
    const handle = again.messages[0]?.receiptHandle as string;
    expect((await broker.ack('g', 'other-topic', handle)).status).toBe('invalid-handle');
    expect((await broker.ack('other-group', 't', handle)).status).toBe('invalid-handle');
    expect((await broker.ack('g', 't', handle)).status).toBe('ok');
    expect((await broker.ack('g', 't', handle)).status).toBe('invalid-handle');
    expect(
      (await broker.lag('g', 't')).map(({ queueId, committedOffset, lag }) => [queueId, committedOffset, lag]),
    ).toEqual([
      [0, 2, 0],
      [1, 2, 0],
    ]);
  });

  it('changes the invisible time through the broker: the old handle is void, the new one acks', async () => {
    fixture = await memoryBroker();
    const { broker, message, clock } = fixture;
    await broker.send(message({ topic: 't', body: 'slow' }));
    const [popped] = (await broker.pop(request())).messages;
    const changed = await broker.changeInvisibleDuration('g', 't', popped?.receiptHandle as string, 120_000);
    expect(changed.status).toBe('ok');
    await clock.advance(INVISIBLE);
    expect((await broker.pop(request())).messages).toEqual([]);
    expect((await broker.ack('g', 't', popped?.receiptHandle as string)).status).not.toBe('ok');
    expect((await broker.ack('g', 't', changed.receiptHandle)).status).toBe('ok');
    expect((await broker.changeInvisibleDuration('g', 'elsewhere', changed.receiptHandle, 1)).status).toBe(
      'invalid-handle',
    );
  });

  it('filters by tag and by SQL92, and refuses a bad filter', async () => {
    fixture = await memoryBroker();
    const { broker, message } = fixture;
    await broker.topics.create({ name: 't', queueCount: 1 });
    await broker.send(message({ topic: 't', body: '1', tag: 'TagA', properties: { region: 'eu', amount: '10' } }));
    await broker.send(message({ topic: 't', body: '2', tag: 'TagB', properties: { region: 'us', amount: '20' } }));
    await broker.send(message({ topic: 't', body: '3', tag: 'TagC', properties: { region: 'eu', amount: '30' } }));
    await broker.send(message({ topic: 't', body: '4', properties: { region: 'eu', amount: '40' } }));

    const tagged = await broker.pop(request({ group: 'tags', filter: { type: 'TAG', expression: 'TagA || TagC' } }));
    expect(tagged.messages.map(({ message: popped }) => text(popped))).toEqual(['1', '3']);
    const sql = await broker.pop(
      request({ group: 'sql', filter: { type: 'SQL92', expression: "region = 'eu' AND amount > 15" } }),
    );
    expect(sql.messages.map(({ message: popped }) => text(popped))).toEqual(['3', '4']);
    expect(await codeOf(broker.pop(request({ filter: { type: 'SQL92', expression: 'region =' } })))).toBe(
      'INVALID_FILTER',
    );
    expect(await codeOf(broker.pop(request({ queueIds: [1] })))).toBe('INVALID_ARGUMENT');
  });

  it('pops a FIFO group one message at a time', async () => {
    fixture = await memoryBroker();
    const { broker, message } = fixture;
    for (const body of ['g1-a', 'g1-b', 'g2-a']) {
      await broker.send(message({ topic: 't', body, messageGroup: body.slice(0, 2) }));
    }
    const first = await broker.pop(request({ fifo: true }));
    expect(first.messages.map(({ message: popped }) => text(popped)).sort()).toEqual(['g1-a', 'g2-a']);
    const g1 = first.messages.find(({ message: popped }) => text(popped) === 'g1-a');
    expect((await broker.pop(request({ fifo: true }))).messages).toEqual([]);
    await broker.ack('g', 't', g1?.receiptHandle as string);
    expect((await broker.pop(request({ fifo: true }))).messages.map(({ message: popped }) => text(popped))).toEqual([
      'g1-b',
    ]);
  });
});

describe('dead letters', () => {
  let fixture: MemoryBroker;
  afterEach(() => fixture.close());

  it('forwards a popped message to %DLQ%<group> with its history, once, and acks it', async () => {
    fixture = await memoryBroker();
    const { broker, message, store } = fixture;
    await broker.topics.create({ name: 't', queueCount: 1 });
    const sent = await broker.send(message({ topic: 't', body: 'poison', keys: ['k1'], properties: { a: '1' } }));
    const [popped] = (await broker.pop(request())).messages;
    const handle = popped?.receiptHandle as string;
    expect(await broker.forwardToDeadLetter('g', 'other', handle)).toEqual({ status: 'invalid-handle' });
    const forwarded = await broker.forwardToDeadLetter('g', 't', handle, {
      reason: 'cannot parse',
      deliveryAttempt: 3,
      maxDeliveryAttempts: 3,
    });
    expect(forwarded).toEqual({ status: 'ok', deadLetterTopic: '%DLQ%g' });
    expect((await broker.forwardToDeadLetter('g', 't', handle)).status).toBe('invalid-handle');

    const read = await store.read('%DLQ%g', 0, 0, { maxMessages: 10 });
    const deadLetters = read.status === 'ok' ? read.messages : [];
    expect(deadLetters).toHaveLength(1);
    const [deadLetter] = deadLetters;
    expect(deadLetter?.messageId).toBe(sent.messageId);
    expect(deadLetter?.properties.a).toBe('1');
    expect(deadLetterHistory(deadLetter as NonNullable<typeof deadLetter>)).toEqual({
      originTopic: 't',
      originMessageId: sent.messageId,
      reconsumeTimes: 3,
      maxReconsumeTimes: 3,
      reason: 'cannot parse',
    });
    // Acked for the group: nothing comes back after the invisible time.
    await fixture.clock.advance(INVISIBLE * 2);
    expect((await broker.pop(request())).messages).toEqual([]);
    expect((await broker.lag('g', 't'))[0]?.lag).toBe(0);
  });

  it('refuses to forward with an expired handle, writing nothing', async () => {
    fixture = await memoryBroker();
    const { broker, message, clock, store } = fixture;
    await broker.send(message({ topic: 't', body: 'late' }));
    const [popped] = (await broker.pop(request())).messages;
    await clock.advance(INVISIBLE);
    expect(await broker.forwardToDeadLetter('g', 't', popped?.receiptHandle as string)).toEqual({ status: 'expired' });
    expect(await store.queueRange('%DLQ%g', 0)).toBeUndefined();
  });

  it('re-sends a dead letter to the group retry topic (default) or to its origin topic', async () => {
    fixture = await memoryBroker();
    const { broker, message, store } = fixture;
    await broker.topics.create({ name: 't', queueCount: 1 });
    const sent = await broker.send(message({ topic: 't', body: 'again', tag: 'T' }));
    const [popped] = (await broker.pop(request())).messages;
    await broker.forwardToDeadLetter('g', 't', popped?.receiptHandle as string, { reason: 'boom' });

    expect(await broker.resendDeadLetter('g', 'no-such-id')).toBe(false);
    expect(await broker.resendDeadLetter('g', sent.messageId)).toBe(true);
    const retry = await store.read('%RETRY%g', 0, 0);
    const [retried] = retry.status === 'ok' ? retry.messages : [];
    expect(retried).toEqual(
      expect.objectContaining({ messageId: sent.messageId, tag: 'T', reconsumeTimes: 0, topic: '%RETRY%g' }),
    );
    expect(retried?.properties[SystemProperty.RETRY_TOPIC]).toBe('t');
    expect(retried?.properties[SystemProperty.DLQ_FAILURE_REASON]).toBeUndefined();

    // The id's newest copy is now the retry one; the dead letter is still found in the DLQ.
    expect(await broker.resendDeadLetter('g', sent.messageId, { target: 'origin' })).toBe(true);
    const origin = await store.read('t', 0, 1);
    const [resent] = origin.status === 'ok' ? origin.messages : [];
    expect(resent).toEqual(expect.objectContaining({ messageId: sent.messageId, topic: 't', reconsumeTimes: 0 }));
    expect(resent?.properties[SystemProperty.DLQ_ORIGIN_TOPIC]).toBeUndefined();
    const redelivered = await broker.pop(request());
    expect(redelivered.messages.map(({ message: popped2 }) => text(popped2))).toEqual(['again']);
  });
});
