import { ConsumeResult, type MessageView } from 'rocketmq-client-nodejs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Clients, type GatewayFixture, startGatewayFixture, text } from './fixture.js';

/** A promise with its resolve function. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('PushConsumer through the gateway', () => {
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

  it('gives each message to exactly one of two consumers of a group', async () => {
    const producer = await clients.producer(['jobs']);
    const seen: { consumer: string; messageId: string }[] = [];
    const all = signal();
    const sent = new Set<string>();
    const listener = (consumer: string) => (message: MessageView) => {
      seen.push({ consumer, messageId: message.messageId });
      if (sent.size === 20 && [...sent].every((id) => seen.some((entry) => entry.messageId === id))) all.resolve();
      return ConsumeResult.SUCCESS;
    };
    const first = await clients.pushConsumer('job-runners', { jobs: '*' }, listener('first'));
    const second = await clients.pushConsumer('job-runners', { jobs: '*' }, listener('second'));
    for (let index = 0; index < 20; index += 1) {
      sent.add((await producer.send({ topic: 'jobs', body: Buffer.from(`job ${index}`) })).messageId);
    }
    await all.promise;
    // Shutting down waits for the receive in flight and the acks: nothing more can arrive after this.
    await Promise.all([first.shutdown(), second.shutdown()]);
    const ids = seen.map((entry) => entry.messageId);
    expect(ids.length).toBe(20);
    expect(new Set(ids)).toEqual(sent);
  });

  it('redelivers a message the listener failed, with the next delivery attempt', async () => {
    const producer = await clients.producer(['flaky']);
    const attempts: number[] = [];
    const succeeded = signal();
    await clients.pushConsumer('flaky-group', { flaky: '*' }, (message) => {
      attempts.push(message.deliveryAttempt ?? 0);
      if (attempts.length === 1) return ConsumeResult.FAILURE;
      succeeded.resolve();
      return ConsumeResult.SUCCESS;
    });
    await producer.send({ topic: 'flaky', body: Buffer.from('fails once') });
    await succeeded.promise;
    expect(attempts).toEqual([1, 2]);
  });

  it('filters by tag for push consumers too', async () => {
    const producer = await clients.producer(['events']);
    const received: string[] = [];
    const done = signal();
    await clients.pushConsumer('event-readers', { events: 'keep' }, (message) => {
      received.push(text(message));
      if (text(message) === 'last') done.resolve();
      return ConsumeResult.SUCCESS;
    });
    await producer.send({ topic: 'events', body: Buffer.from('dropped'), tag: 'skip' });
    await producer.send({ topic: 'events', body: Buffer.from('first'), tag: 'keep' });
    await producer.send({ topic: 'events', body: Buffer.from('last'), tag: 'keep' });
    await done.promise;
    expect(received.sort()).toEqual(['first', 'last']);
  });
});
