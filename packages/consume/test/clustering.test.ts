import { createMessage, type Message, type StoredMessage, systemClock } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openCommitLogStore, silentLogger } from '@eddy/store-commitlog';
import { openMemoryStore } from '@eddy/store-memory';
import { makeTempDir } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { ConsumerGroupRegistry } from '../src/consumer-group-registry.js';
import { ConsumerOffsetStore } from '../src/consumer-offset-store.js';
import { LongPollRegistry } from '../src/long-poll.js';
import { PullService } from '../src/pull-service.js';
import {
  type ConsumeStatus,
  PushConsumer,
  type PushConsumerOptions,
  type RebalanceEvent,
  type RetryHook,
} from '../src/push-consumer.js';

// Real time on purpose, with short intervals: members join and leave while a producer appends, which is
// what a fake clock cannot interleave faithfully. Every wait is bounded; the bounds are behaviour, not
// performance targets.

const TOPIC = 'orders';
const QUEUES = 8;
const QUEUE_IDS = Array.from({ length: QUEUES }, (_, queueId) => queueId);

interface Delivery {
  readonly clientId: string;
  readonly queueId: number;
  readonly offset: number;
  readonly reconsumeTimes: number;
  readonly at: number;
}

/** One broker's consume side on a store, and a record of what every consumer built on it received. */
class Harness {
  readonly registry = new ConsumerGroupRegistry({ clock: systemClock });
  readonly offsets: ConsumerOffsetStore;
  readonly pulls: PullService;
  readonly deliveries = new Map<string, Delivery[]>();
  readonly events: RebalanceEvent[] = [];
  readonly produced: string[] = [];

  constructor(readonly store: MessageStore) {
    this.offsets = new ConsumerOffsetStore(store.metadata);
    this.pulls = new PullService({ store, longPoll: new LongPollRegistry({ clock: systemClock }), clock: systemClock });
  }

  consumer(
    clientId: string,
    options: Partial<Omit<PushConsumerOptions, 'handler'>> & {
      handler?: (message: StoredMessage) => ConsumeStatus;
    } = {},
  ): PushConsumer {
    const { handler, ...rest } = options;
    return new PushConsumer({
      group: 'billing',
      clientId,
      subscriptions: [{ topic: TOPIC }],
      consumeFromWhere: 'FIRST_OFFSET',
      registry: this.registry,
      offsets: this.offsets,
      pulls: this.pulls,
      store: this.store,
      clock: systemClock,
      rebalanceIntervalMs: 100,
      pollTimeoutMs: 50,
      listQueueIds: () => QUEUE_IDS,
      onRebalance: (event) => this.events.push(event),
      handler: async (messages, context) => {
        // A turn of the event loop per call, as real work would take: rebalances land mid-batch.
        await new Promise((resolve) => setImmediate(resolve));
        for (const message of messages) {
          const status = handler?.(message) ?? 'SUCCESS';
          if (status === 'RETRY') return 'RETRY';
          let list = this.deliveries.get(message.messageId);
          if (list === undefined) {
            list = [];
            this.deliveries.set(message.messageId, list);
          }
          list.push({
            clientId: context.clientId,
            queueId: context.queueId,
            offset: message.queueOffset,
            reconsumeTimes: message.reconsumeTimes,
            at: Date.now(),
          });
        }
        return 'SUCCESS';
      },
      ...rest,
    });
  }

  /** Appends `total` messages in batches of `batchSize` over the queues in turn, pausing `pauseMs` between batches. */
  async produce(total: number, batchSize: number, pauseMs: number): Promise<void> {
    for (let sent = 0, batchIndex = 0; sent < total; batchIndex++) {
      const batch: Message[] = [];
      for (let i = 0; i < batchSize && sent < total; i++, sent++) {
        batch.push(createMessage({ topic: TOPIC, body: `message ${sent}` }));
      }
      await this.pulls.appendAndNotify(TOPIC, batchIndex % QUEUES, batch);
      for (const message of batch) this.produced.push(message.messageId);
      if (pauseMs > 0) await sleep(pauseMs);
    }
  }

  received(): number {
    return this.produced.filter((id) => this.deliveries.has(id)).length;
  }

  /** Messages delivered more than once, with every delivery. */
  duplicates(): [string, Delivery[]][] {
    return [...this.deliveries].filter(([, list]) => list.length > 1);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * The scenario: a producer appends `total` messages across 8 queues while three members of one
 * group join and leave. Returns the harness for the checks.
 */
async function churn(store: MessageStore, total: number, stepMs: number): Promise<Harness> {
  const harness = new Harness(store);
  const a = harness.consumer('consumer-a');
  const b = harness.consumer('consumer-b');
  const c = harness.consumer('consumer-c');
  // About 500 batches, spread over the membership changes below.
  const batchSize = Math.max(1, Math.round(total / 500));
  const producing = harness.produce(total, batchSize, 5);
  const script: (() => Promise<void>)[] = [
    () => a.start(),
    () => b.start(),
    () => c.start(),
    () => b.stop(),
    () => b.start(),
    () => a.stop(),
    () => a.start(),
    () => c.stop(),
  ];
  for (const step of script) {
    await step();
    await sleep(stepMs);
  }
  await producing;
  await waitFor(() => harness.received() === total, 10_000, `all ${total} messages`);
  await Promise.all([a.stop(), b.stop(), c.stop()]);
  expect(harness.registry.members('billing')).toEqual([]);
  return harness;
}

function checkChurn(harness: Harness, total: number): void {
  // No loss.
  expect(new Set(harness.produced).size).toBe(total);
  expect(harness.received()).toBe(total);

  // Duplicates only for queues that changed owner, and only around the change.
  const changed = new Set(harness.events.flatMap((event) => event.removed));
  const duplicates = harness.duplicates();
  const deliveredTwice = duplicates.reduce((sum, [, list]) => sum + list.length - 1, 0);
  for (const [, list] of duplicates) {
    const queueId = (list[0] as Delivery).queueId;
    expect(changed.has(queueId)).toBe(true);
    for (const delivery of list.slice(1)) {
      const near = harness.events.some(
        (event) =>
          (event.added.includes(queueId) || event.removed.includes(queueId)) &&
          delivery.at >= event.at - 100 &&
          delivery.at <= event.at + 2_000,
      );
      expect(near, `duplicate at ${delivery.at} on queue ${queueId} far from any rebalance of it`).toBe(true);
    }
  }
  // A handover re-delivers at most what the old owner had in flight and had not committed.
  expect(deliveredTwice).toBeLessThan(total * 0.05);
  const handovers = harness.events.reduce((sum, event) => sum + event.removed.length, 0);
  process.stdout.write(
    `clustering churn: ${total} messages, ${harness.events.length} rebalance events, ${handovers} queues given up, ` +
      `${duplicates.length} messages delivered twice (${deliveredTwice} extra deliveries)\n`,
  );
}

describe('PushConsumer, CLUSTERING', () => {
  it('with no membership change while messages flow, delivers each of 10,000 exactly once', async () => {
    const store = await openMemoryStore();
    const harness = new Harness(store);
    const consumers = ['consumer-a', 'consumer-b', 'consumer-c'].map((id) => harness.consumer(id));
    for (const consumer of consumers) await consumer.start();
    // Each member computes its share on its own: wait until the three shares tile the queues.
    await waitFor(
      () => {
        const held = consumers.flatMap((consumer) => consumer.assignment().map(({ queueId }) => queueId));
        return held.length === QUEUES && new Set(held).size === QUEUES;
      },
      2_000,
      'a settled assignment',
    );
    const eventsBefore = harness.events.length;

    await harness.produce(10_000, 50, 0);
    await waitFor(() => harness.received() === 10_000, 10_000, 'all 10,000 messages');
    // Periodic rebalances ran meanwhile (100 ms) and moved nothing.
    expect(harness.events.length).toBe(eventsBefore);
    expect(harness.duplicates()).toEqual([]);
    // Each queue was consumed by exactly one member, in offset order.
    const byQueue = new Map<number, Delivery[]>();
    for (const [delivery] of harness.deliveries.values()) {
      const list = byQueue.get((delivery as Delivery).queueId) ?? [];
      list.push(delivery as Delivery);
      byQueue.set((delivery as Delivery).queueId, list);
    }
    for (const list of byQueue.values()) {
      expect(new Set(list.map(({ clientId }) => clientId)).size).toBe(1);
    }

    for (const consumer of consumers) await consumer.stop();
    for (const { queueId, maxOffset } of await store.listQueues(TOPIC)) {
      expect(await harness.offsets.committed('billing', TOPIC, queueId)).toBe(maxOffset);
    }
    await store.close();
  });

  it('loses nothing while 3 members join and leave during 10,000 messages; duplicates only around rebalances', async () => {
    const store = await openMemoryStore();
    const harness = await churn(store, 10_000, 300);
    checkChurn(harness, 10_000);
    for (const { queueId, maxOffset } of await store.listQueues(TOPIC)) {
      expect(await harness.offsets.committed('billing', TOPIC, queueId)).toBe(maxOffset);
    }
    await store.close();
  }, 20_000);

  it('does the same on the CommitLog engine (2,000 messages)', async () => {
    const dir = await makeTempDir('push-consumer');
    const store = await openCommitLogStore({ dir: dir.path, logger: silentLogger });
    try {
      const harness = await churn(store, 2_000, 150);
      checkChurn(harness, 2_000);
    } finally {
      await store.close();
      await dir.remove();
    }
  }, 20_000);

  it('stop() commits before it leaves, so the next owner starts where it stopped', async () => {
    const store = await openMemoryStore();
    const harness = new Harness(store);
    const a = harness.consumer('consumer-a');
    await a.start();
    await harness.produce(400, 50, 0);
    await waitFor(() => harness.received() === 400, 5_000, '400 messages');
    await a.stop();
    expect(harness.registry.members('billing')).toEqual([]);
    const b = harness.consumer('consumer-b');
    await b.start();
    await harness.produce(80, 10, 0);
    await waitFor(() => harness.received() === 480, 5_000, '480 messages');
    await b.stop();
    expect(harness.duplicates()).toEqual([]);
    const byB = [...harness.deliveries.values()].filter(([delivery]) => delivery?.clientId === 'consumer-b');
    expect(byB).toHaveLength(80);
    await store.close();
  });
});

describe('PushConsumer, BROADCASTING', () => {
  it('delivers every message to each of 3 members exactly once, with offsets per member', async () => {
    const store = await openMemoryStore();
    const harness = new Harness(store);
    const ids = ['member-a', 'member-b', 'member-c'];
    const consumers = ids.map((id) => harness.consumer(id, { messageModel: 'BROADCASTING' }));
    for (const consumer of consumers) await consumer.start();
    for (const consumer of consumers) expect(consumer.assignment()).toHaveLength(QUEUES);

    const total = 3_000;
    await harness.produce(total, 30, 0);
    const complete = (): boolean =>
      harness.produced.every((id) => new Set(harness.deliveries.get(id)?.map(({ clientId }) => clientId)).size === 3);
    await waitFor(complete, 10_000, 'every message at every member');
    for (const consumer of consumers) await consumer.stop();

    for (const id of harness.produced) {
      const members = (harness.deliveries.get(id) as Delivery[]).map(({ clientId }) => clientId).sort();
      expect(members).toEqual(ids);
    }
    for (const { queueId, maxOffset } of await store.listQueues(TOPIC)) {
      for (const clientId of ids) {
        expect(await harness.offsets.committed('billing', TOPIC, queueId, { clientId })).toBe(maxOffset);
      }
      expect(await harness.offsets.committed('billing', TOPIC, queueId)).toBeUndefined();
    }
    expect(await harness.offsets.membersWithOffsets('billing')).toEqual(ids);
    await store.close();
  });
});

describe('PushConsumer, failures', () => {
  it('redelivers a failed message locally with reconsumeTimes + 1, holding the committed offset back', async () => {
    const store = await openMemoryStore();
    const harness = new Harness(store);
    let failures = 0;
    const consumer = harness.consumer('consumer-a', {
      localRetryDelayMs: 150,
      handler: (message) => {
        if (message.queueOffset === 3 && message.reconsumeTimes === 0) {
          failures++;
          return 'RETRY';
        }
        return 'SUCCESS';
      },
    });
    await consumer.start();
    // One batch, to queue 0.
    await harness.produce(10, 10, 0);
    // Everything but offset 3 is consumed at once; the offset waits for it.
    await waitFor(() => harness.received() === 9, 2_000, '9 messages');
    expect(await harness.offsets.committed('billing', TOPIC, 0)).toBe(3);
    await waitFor(() => harness.received() === 10, 2_000, 'the redelivery');
    const redelivered = harness.deliveries.get(harness.produced[3] as string) as Delivery[];
    expect(redelivered).toEqual([expect.objectContaining({ offset: 3, reconsumeTimes: 1 })]);
    expect(failures).toBe(1);
    await waitFor(() => harness.duplicates().length === 0, 100, 'no duplicates');
    await consumer.stop();
    expect(await harness.offsets.committed('billing', TOPIC, 0)).toBe(10);
    await store.close();
  });

  it('hands a failed message to onRetry and moves on', async () => {
    const store = await openMemoryStore();
    const harness = new Harness(store);
    const retried: number[] = [];
    const onRetry: RetryHook = (message, context) => {
      expect(context).toEqual({ group: 'billing', clientId: 'consumer-a', topic: TOPIC, queueId: 0 });
      retried.push(message.queueOffset);
    };
    const consumer = harness.consumer('consumer-a', {
      onRetry,
      localRetryDelayMs: 10,
      handler: (message) => (message.queueOffset % 4 === 1 ? 'RETRY' : 'SUCCESS'),
    });
    await consumer.start();
    await harness.produce(8, 8, 0);
    await waitFor(() => harness.received() === 6, 2_000, '6 messages');
    await consumer.stop();
    expect(retried).toEqual([1, 5]);
    expect(await harness.offsets.committed('billing', TOPIC, 0)).toBe(8);
    await store.close();
  });
});

describe('PushConsumer, long polling', () => {
  it('a consumer held on an empty queue gets a message within 200 ms of its append', async () => {
    const store = await openMemoryStore();
    const harness = new Harness(store);
    let receivedAt = 0;
    const consumer = harness.consumer('consumer-a', {
      pollTimeoutMs: 15_000,
      rebalanceIntervalMs: 20_000,
      consumeFromWhere: 'LAST_OFFSET',
      handler: () => {
        receivedAt = performance.now();
        return 'SUCCESS';
      },
    });
    await consumer.start();
    // Let every queue's pull reach its hold.
    await sleep(100);
    const sentAt = performance.now();
    await harness.pulls.appendAndNotify(TOPIC, 5, [createMessage({ topic: TOPIC, body: 'wake up' })]);
    await waitFor(() => receivedAt > 0, 1_000, 'the message');
    expect(receivedAt - sentAt).toBeLessThan(200);
    await consumer.stop();
    await store.close();
  });

  it('an idle consumer does not spin: 500 ms idle costs well under 100 ms of CPU', async () => {
    const store = await openMemoryStore();
    const harness = new Harness(store);
    // Short polls and frequent rebalances, the settings of the churn tests: still no busy loop.
    const consumers = ['consumer-a', 'consumer-b'].map((id) =>
      harness.consumer(id, { pollTimeoutMs: 200, rebalanceIntervalMs: 100, heartbeatIntervalMs: 100 }),
    );
    for (const consumer of consumers) await consumer.start();
    await sleep(100);
    const before = process.cpuUsage();
    await sleep(500);
    const cpu = process.cpuUsage(before);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    expect(cpuMs).toBeLessThan(100);
    for (const consumer of consumers) await consumer.stop();
    await store.close();
  });
});
