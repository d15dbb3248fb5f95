import { type Broker, createBroker } from '@eddy/broker';
import { createMessage, silentLogger } from '@eddy/message';
import { openMemoryStore } from '@eddy/store-memory';

type MessageStore = Awaited<ReturnType<typeof openMemoryStore>>;

import { FakeClock } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvisibilityRenewer } from './invisibility-renewer.js';

describe('InvisibilityRenewer', () => {
  let clock: FakeClock;
  let store: MessageStore;
  let broker: Broker;
  let alive: boolean;
  let renewer: InvisibilityRenewer;

  beforeEach(async () => {
    clock = new FakeClock();
    store = await openMemoryStore({ clock });
    broker = createBroker({ store, clock });
    await broker.start();
    alive = true;
    renewer = new InvisibilityRenewer({
      broker,
      clock,
      logger: silentLogger,
      invisibleMs: 60_000,
      isAlive: () => alive,
    });
    await broker.send(createMessage({ topic: 'work', body: 'job' }, { clock }));
  });
  afterEach(async () => {
    renewer.close();
    await broker.close();
    await store.close();
  });

  async function popOne(): Promise<{ receiptHandle: string; invisibleUntil: number }[]> {
    const result = await broker.pop({
      group: 'g',
      topic: 'work',
      clientId: 'c1',
      maxMessages: 1,
      invisibleDurationMs: 60_000,
    });
    return result.messages;
  }

  it('keeps a delivery invisible while its consumer lives, and settles to a handle that acks', async () => {
    const [delivery] = await popOne();
    if (delivery === undefined) throw new Error('nothing popped');
    renewer.track('c1', 'g', 'work', delivery.receiptHandle, delivery.invisibleUntil);
    await clock.advance(5 * 60_000);
    expect(await popOne()).toEqual([]);
    expect(renewer.size).toBe(1);

    const current = await renewer.settle(delivery.receiptHandle);
    expect(current).not.toBe(delivery.receiptHandle);
    expect(renewer.size).toBe(0);
    expect((await broker.ack('g', 'work', current)).status).toBe('ok');
  });

  it('stops renewing when the consumer is gone, so the message comes back', async () => {
    const [delivery] = await popOne();
    if (delivery === undefined) throw new Error('nothing popped');
    renewer.track('c1', 'g', 'work', delivery.receiptHandle, delivery.invisibleUntil);
    alive = false;
    await clock.advance(60_000);
    expect(renewer.size).toBe(0);
    expect(await popOne()).toHaveLength(1);
  });

  it('stops renewing a forgotten client and passes unknown handles through', async () => {
    const [delivery] = await popOne();
    if (delivery === undefined) throw new Error('nothing popped');
    renewer.track('c1', 'g', 'work', delivery.receiptHandle, delivery.invisibleUntil);
    renewer.forgetClient('c1');
    expect(renewer.size).toBe(0);
    expect(await renewer.settle(delivery.receiptHandle)).toBe(delivery.receiptHandle);
    await clock.advance(60_000);
    expect(await popOne()).toHaveLength(1);
  });
});
