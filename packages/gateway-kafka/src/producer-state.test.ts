import { type Broker, createBroker } from '@eddy/broker';
import { KafkaErrorCode } from '@eddy/protocol-kafka';

type MessageStore = Broker['store'];

import { openCommitLogStore } from '@eddy/store-commitlog';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock, makeTempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaProducerStateManager, lastSequenceOf, MAX_SEQUENCE, PRODUCER_ID_KEY } from './producer-state.js';
import { produceTestBatch, testBatch } from './txn-test-support.js';

const E = KafkaErrorCode;

describe('KafkaProducerStateManager', () => {
  let store: MessageStore;
  let broker: Broker;
  let producers: KafkaProducerStateManager;

  beforeEach(async () => {
    store = await openMemoryStore();
    broker = createBroker({ store, clock: new FakeClock() });
    await broker.start();
    producers = new KafkaProducerStateManager(broker);
    await producers.start();
  });
  afterEach(async () => {
    await broker.close();
    await store.close();
  });

  const produce = (batch: ReturnType<typeof testBatch>, partition = 0) =>
    produceTestBatch(broker, producers, 't', partition, batch);

  it('allocates producer ids from a durable counter, never twice', async () => {
    const ids = await Promise.all([producers.allocateProducerId(), producers.allocateProducerId()]);
    expect(ids.sort()).toEqual([0n, 1n]);
    expect(new TextDecoder().decode(await store.metadata.get(PRODUCER_ID_KEY))).toBe('{"next":"2"}');
    expect(await new KafkaProducerStateManager(broker).allocateProducerId()).toBe(2n);
  });

  it('appends batches in sequence and answers a retried batch with its first base offset', async () => {
    expect(await produce(testBatch(5n, 0, 0, 3))).toEqual({ baseOffset: 0 });
    expect(await produce(testBatch(5n, 0, 3, 2))).toEqual({ baseOffset: 3 });
    expect(await produce(testBatch(5n, 0, 0, 3))).toEqual({ baseOffset: 0 });
    expect(await produce(testBatch(5n, 0, 3, 2))).toEqual({ baseOffset: 3 });
    expect((await store.queueRange('t', 0))?.maxOffset).toBe(5);
  });

  it('remembers only the last 5 batches', async () => {
    for (let sequence = 0; sequence < 6; sequence++) await produce(testBatch(5n, 0, sequence));
    expect(producers.checkBatch('t', 0, testBatch(5n, 0, 1))).toEqual({ status: 'duplicate', baseOffset: 1 });
    expect(producers.checkBatch('t', 0, testBatch(5n, 0, 0))).toEqual({
      status: 'error',
      errorCode: E.OUT_OF_ORDER_SEQUENCE_NUMBER,
    });
  });

  it('refuses a gap with OUT_OF_ORDER_SEQUENCE_NUMBER', async () => {
    await produce(testBatch(5n, 0, 0, 2));
    expect(await produce(testBatch(5n, 0, 3))).toEqual({ errorCode: E.OUT_OF_ORDER_SEQUENCE_NUMBER });
  });

  it('refuses an older epoch and wants a new epoch to start at sequence 0', async () => {
    await produce(testBatch(5n, 1, 0, 2));
    expect(await produce(testBatch(5n, 0, 2))).toEqual({ errorCode: E.INVALID_PRODUCER_EPOCH });
    expect(await produce(testBatch(5n, 2, 7))).toEqual({ errorCode: E.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(await produce(testBatch(5n, 2, 0))).toEqual({ baseOffset: 2 });
    expect(await produce(testBatch(5n, 1, 2))).toEqual({ errorCode: E.INVALID_PRODUCER_EPOCH });
  });

  it('keeps state per partition and accepts any sequence from a producer it does not know', async () => {
    await produce(testBatch(5n, 0, 0));
    expect(await produce(testBatch(5n, 0, 40), 1)).toEqual({ baseOffset: 0 });
    expect(await produce(testBatch(6n, 0, 9))).toEqual({ baseOffset: 1 });
  });

  it('wraps sequences at 2^31-1 to 0', async () => {
    const crossing = testBatch(5n, 0, MAX_SEQUENCE - 1, 3);
    expect(lastSequenceOf(crossing)).toBe(0);
    await produce(testBatch(5n, 0, MAX_SEQUENCE - 3, 2));
    expect(await produce(crossing)).toEqual({ baseOffset: 2 });
    expect(await produce(crossing)).toEqual({ baseOffset: 2 });
    expect(await produce(testBatch(5n, 0, 1))).toEqual({ baseOffset: 5 });
  });

  it('fences an epoch on a partition once a marker with a newer epoch was written there', async () => {
    await produce(testBatch(5n, 0, 0));
    producers.recordMarker('t', 0, 5n, 1);
    expect(producers.checkBatch('t', 0, testBatch(5n, 0, 1))).toEqual({
      status: 'error',
      errorCode: E.INVALID_PRODUCER_EPOCH,
    });
  });

  it('ignores batches without a producer id', async () => {
    expect(producers.checkBatch('t', 0, testBatch(-1n, -1, -1))).toEqual({ status: 'append' });
  });
});

describe('KafkaProducerStateManager after a restart (CommitLog store)', () => {
  it('rebuilds state from the partition tails, so a retry after a restart is not stored twice', async () => {
    const temp = await makeTempDir('kafka-producer-state');
    const clock = new FakeClock();
    const open = async () => {
      const store = await openCommitLogStore({
        dir: temp.path,
        clock,
        segmentSize: 1024 * 1024,
        maxBodySize: 64 * 1024,
        diskMaxUsedRatio: 1,
      });
      const broker = createBroker({ store, clock });
      await broker.start();
      const producers = new KafkaProducerStateManager(broker);
      await producers.start();
      return { store, broker, producers };
    };
    try {
      let { store, broker, producers } = await open();
      await produceTestBatch(broker, producers, 't', 0, testBatch(5n, 0, 0, 3));
      await produceTestBatch(broker, producers, 't', 0, testBatch(9n, 2, 0, 1));
      await produceTestBatch(broker, producers, 't', 0, testBatch(5n, 0, 3, 2));
      await broker.close();
      await store.close();

      ({ store, broker, producers } = await open());
      expect(await produceTestBatch(broker, producers, 't', 0, testBatch(5n, 0, 3, 2))).toEqual({ baseOffset: 4 });
      expect(await produceTestBatch(broker, producers, 't', 0, testBatch(5n, 0, 0, 3))).toEqual({ baseOffset: 0 });
      expect(await produceTestBatch(broker, producers, 't', 0, testBatch(5n, 0, 1, 2))).toEqual({ baseOffset: 1 });
      expect(await produceTestBatch(broker, producers, 't', 0, testBatch(5n, 0, 6))).toEqual({
        errorCode: E.OUT_OF_ORDER_SEQUENCE_NUMBER,
      });
      expect(await produceTestBatch(broker, producers, 't', 0, testBatch(9n, 1, 1))).toEqual({
        errorCode: E.INVALID_PRODUCER_EPOCH,
      });
      expect(await produceTestBatch(broker, producers, 't', 0, testBatch(5n, 0, 5))).toEqual({ baseOffset: 6 });
      expect((await store.queueRange('t', 0))?.maxOffset).toBe(7);
      expect(await producers.allocateProducerId()).toBe(0n);
      await broker.close();
      await store.close();
    } finally {
      await temp.remove();
    }
  });
});
