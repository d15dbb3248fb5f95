import { ConsumeResult, type MessageView } from 'rocketmq-client-nodejs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Clients, type GatewayFixture, receiveUntil, startGatewayFixture, text } from './fixture.js';

describe('FIFO and delay messages through the gateway', () => {
  let fixture: GatewayFixture;
  let clients: Clients;

  beforeEach(async () => {
    fixture = await startGatewayFixture({ timerMaxDelayMs: 60_000 });
    clients = new Clients(fixture);
  });
  afterEach(async () => {
    await clients.shutdown();
    await fixture.close();
  });

  async function sendGroups(
    topic: string,
    groups: readonly string[],
    perGroup: number,
  ): Promise<Map<string, string[]>> {
    const producer = await clients.producer([topic]);
    const sent = new Map<string, string[]>(groups.map((group) => [group, []]));
    for (let index = 0; index < perGroup; index += 1) {
      for (const group of groups) {
        const body = `${group}-${index}`;
        await producer.send({ topic, body: Buffer.from(body), messageGroup: group });
        sent.get(group)?.push(body);
      }
    }
    return sent;
  }

  it('keeps the order of each message group and holds a group back until its message is acked', async () => {
    await fixture.broker.topics.create({ name: 'fifo-orders', messageType: 'FIFO' });
    const sent = await sendGroups('fifo-orders', ['g1', 'g2', 'g3'], 5);
    const consumer = await clients.simpleConsumer('fifo-readers', { 'fifo-orders': '*' });

    const received = new Map<string, string[]>();
    let total = 0;
    while (total < 15) {
      const batch = await consumer.receive(32, 30_000);
      // One message per group at a time: the next of a group waits for this one's ack.
      const groups = batch.map((message) => message.messageGroup);
      expect(new Set(groups).size).toBe(groups.length);
      for (const message of batch) {
        const group = message.messageGroup as string;
        received.set(group, [...(received.get(group) ?? []), text(message)]);
        await consumer.ack(message);
      }
      total += batch.length;
    }
    expect(received).toEqual(sent);
  });

  it('consumes FIFO groups in order with a push consumer, dead-lettering a message that keeps failing', async () => {
    await fixture.broker.topics.create({ name: 'fifo-push', messageType: 'FIFO' });
    const sent = await sendGroups('fifo-push', ['a', 'b'], 4);
    const consumed = new Map<string, string[]>();
    let attemptsOfPoison = 0;
    let resolveDone: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    await clients.pushConsumer('fifo-push-group', { 'fifo-push': '*' }, (message: MessageView) => {
      if (text(message) === 'a-1') {
        attemptsOfPoison += 1;
        return ConsumeResult.FAILURE;
      }
      const group = message.messageGroup as string;
      consumed.set(group, [...(consumed.get(group) ?? []), text(message)]);
      if ([...consumed.values()].flat().length === 7) resolveDone();
      return ConsumeResult.SUCCESS;
    });
    await done;
    expect(consumed.get('a')).toEqual(sent.get('a')?.filter((body) => body !== 'a-1'));
    expect(consumed.get('b')).toEqual(sent.get('b'));
    // The server's backoff policy allows 17 attempts; then the client forwards it to the DLQ.
    expect(attemptsOfPoison).toBe(17);

    const deadLetters = await clients.simpleConsumer('dlq-inspector', { '%DLQ%fifo-push-group': '*' });
    const [deadLetter] = await receiveUntil(
      () => deadLetters.receive(1, 30_000),
      (all) => all.length > 0,
    );
    expect(deadLetter === undefined ? undefined : text(deadLetter)).toBe('a-1');
  });

  it('delivers a delay message no earlier than its delivery timestamp', async () => {
    const producer = await clients.producer(['reminders']);
    const consumer = await clients.simpleConsumer('reminder-readers', { reminders: '*' });
    const deliveryTimestamp = new Date(Date.now() + 1500);
    const receipt = await producer.send({ topic: 'reminders', body: Buffer.from('wake up'), deliveryTimestamp });
    const [message] = await receiveUntil(
      () => consumer.receive(1, 30_000),
      (all) => all.length > 0,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(deliveryTimestamp.getTime());
    expect(message?.messageId).toBe(receipt.messageId);
    expect(message?.deliveryTimestamp?.getTime()).toBe(deliveryTimestamp.getTime());
  });

  it('refuses a delivery timestamp beyond the broker limit', async () => {
    const producer = await clients.producer(['far-future']);
    await expect(
      producer.send({ topic: 'far-future', body: Buffer.from('later'), delay: 3_600_000 }),
    ).rejects.toMatchObject({ code: 40012 });
  });
});
