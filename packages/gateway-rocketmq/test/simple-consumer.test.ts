import { FilterExpression, type MessageView } from 'rocketmq-client-nodejs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Clients, type GatewayFixture, receiveUntil, startGatewayFixture, text } from './fixture.js';

// FilterType.SQL of the protocol (the client's generated enum is not importable from ESM).
const SQL = 2;

describe('SimpleConsumer and Producer through the gateway', () => {
  let fixture: GatewayFixture;
  let clients: Clients;

  beforeEach(async () => {
    fixture = await startGatewayFixture();
    clients = new Clients(fixture);
  });
  afterEach(async () => {
    await clients.shutdown();
    await fixture.close();
  });

  it('delivers a message with its keys, tag, properties and system fields, and not again after the ack', async () => {
    const producer = await clients.producer(['orders']);
    const consumer = await clients.simpleConsumer('billing', { orders: '*' });
    const before = Date.now();
    const receipt = await producer.send({
      topic: 'orders',
      body: Buffer.from('order 1'),
      tag: 'created',
      keys: ['order-1', 'customer-7'],
      properties: new Map([
        ['region', 'eu'],
        ['priority', 'high'],
      ]),
    });
    expect(receipt.messageId).toMatch(/^01[0-9A-F]{32}$/);

    const [message] = await receiveUntil(
      () => consumer.receive(10, 30_000),
      (all) => all.length > 0,
    );
    expect(message).toBeDefined();
    const view = message as MessageView;
    expect(text(view)).toBe('order 1');
    expect(view.messageId).toBe(receipt.messageId);
    expect(view.topic).toBe('orders');
    expect(view.tag).toBe('created');
    expect(view.keys).toEqual(['order-1', 'customer-7']);
    expect(Object.fromEntries(view.properties)).toEqual({ region: 'eu', priority: 'high' });
    expect(view.corrupted).toBeFalsy();
    expect(view.deliveryAttempt).toBe(1);
    expect(view.receiptHandle).not.toBe('');
    expect(view.offset).toBeGreaterThanOrEqual(0);
    expect(view.bornHost).not.toBe('');
    expect(view.bornTimestamp?.getTime()).toBeGreaterThanOrEqual(before - 1000);

    await consumer.ack(view);
    // One long poll (1 s) with nothing to deliver: the acked message does not come back.
    expect(await consumer.receive(10, 30_000)).toEqual([]);
  });

  it('delivers an unacked message again after its invisible time, with a higher delivery attempt', async () => {
    const producer = await clients.producer(['retries']);
    const consumer = await clients.simpleConsumer('workers', { retries: '*' });
    await producer.send({ topic: 'retries', body: Buffer.from('try me') });

    const first = await receiveUntil(
      () => consumer.receive(1, 1000),
      (all) => all.length > 0,
    );
    expect(first[0]?.deliveryAttempt).toBe(1);
    const again = await receiveUntil(
      () => consumer.receive(1, 1000),
      (all) => all.length > 0,
    );
    expect(again[0]?.messageId).toBe(first[0]?.messageId);
    expect(again[0]?.deliveryAttempt).toBe(2);
    expect(again[0]?.receiptHandle).not.toBe(first[0]?.receiptHandle);

    // The first delivery's handle is stale now; the second one acks.
    await expect(consumer.ack(first[0] as MessageView)).rejects.toMatchObject({ code: 40013 });
    await consumer.ack(again[0] as MessageView);
    expect(await consumer.receive(1, 1000)).toEqual([]);
  });

  it('changes the invisible time and hands back a handle the next ack accepts', async () => {
    const producer = await clients.producer(['extend']);
    const consumer = await clients.simpleConsumer('slow', { extend: '*' });
    await producer.send({ topic: 'extend', body: Buffer.from('long job') });
    const [message] = await receiveUntil(
      () => consumer.receive(1, 30_000),
      (all) => all.length > 0,
    );
    const view = message as MessageView;
    const handle = view.receiptHandle;
    await consumer.changeInvisibleDuration(view, 60_000);
    expect(view.receiptHandle).not.toBe(handle);
    await consumer.ack(view);
    expect(await consumer.receive(1, 1000)).toEqual([]);
  });

  it('filters by tag expression', async () => {
    const producer = await clients.producer(['tagged']);
    const consumer = await clients.simpleConsumer('tag-filter', { tagged: 'A || C' });
    for (const tag of ['B', 'A', 'C', 'B', 'A']) {
      await producer.send({ topic: 'tagged', body: Buffer.from(tag), tag });
    }
    const received = await receiveUntil(
      () => consumer.receive(32, 30_000),
      (all) => all.length >= 3,
    );
    for (const message of received) await consumer.ack(message);
    expect(received.map((message) => message.tag).sort()).toEqual(['A', 'A', 'C']);
    expect(await consumer.receive(32, 30_000)).toEqual([]);
  });

  it('filters by SQL92 expression on properties', async () => {
    const producer = await clients.producer(['priced']);
    const consumer = await clients.simpleConsumer('sql-filter', {
      priced: new FilterExpression("price > 10 AND currency = 'EUR'", SQL),
    });
    const offers = [
      ['5', 'EUR'],
      ['20', 'EUR'],
      ['30', 'USD'],
      ['11', 'EUR'],
    ] as const;
    for (const [price, currency] of offers) {
      await producer.send({
        topic: 'priced',
        body: Buffer.from(`${price} ${currency}`),
        properties: new Map([
          ['price', price],
          ['currency', currency],
        ]),
      });
    }
    const received = await receiveUntil(
      () => consumer.receive(32, 30_000),
      (all) => all.length >= 2,
    );
    for (const message of received) await consumer.ack(message);
    expect(received.map(text).sort()).toEqual(['11 EUR', '20 EUR']);
    expect(await consumer.receive(32, 30_000)).toEqual([]);
  });

  it('gives each message of a group to one consumer of the group, and every group its own copy', async () => {
    const producer = await clients.producer(['fanout']);
    const first = await clients.simpleConsumer('group-a', { fanout: '*' });
    const second = await clients.simpleConsumer('group-a', { fanout: '*' });
    const other = await clients.simpleConsumer('group-b', { fanout: '*' });
    const sent: string[] = [];
    for (let index = 0; index < 10; index += 1) {
      sent.push((await producer.send({ topic: 'fanout', body: Buffer.from(`m${index}`) })).messageId);
    }
    const groupA: MessageView[] = [];
    while (groupA.length < sent.length) {
      for (const consumer of [first, second]) {
        const batch = await consumer.receive(3, 30_000);
        for (const message of batch) await consumer.ack(message);
        groupA.push(...batch);
      }
    }
    const groupB = await receiveUntil(
      () => other.receive(32, 30_000),
      (all) => all.length >= sent.length,
    );
    expect(groupA.map((message) => message.messageId).sort()).toEqual([...sent].sort());
    expect(groupB.map((message) => message.messageId).sort()).toEqual([...sent].sort());
  });

  it('delivers a body at the 4 MiB limit, which the client could not take uncompressed', async () => {
    const producer = await clients.producer(['large']);
    const consumer = await clients.simpleConsumer('large-readers', { large: '*' });
    const body = Buffer.alloc(4 * 1024 * 1024, 'abc');
    await producer.send({ topic: 'large', body });
    const [message] = await receiveUntil(
      () => consumer.receive(1, 30_000),
      (all) => all.length > 0,
    );
    expect(message?.corrupted).toBeFalsy();
    expect(message?.body.equals(body)).toBe(true);
  });
});
