import { type Broker, createBroker } from '@eddy/broker';
import { KafkaErrorCode } from '@eddy/protocol-kafka';

type MessageStore = Broker['store'];

import { openCommitLogStore } from '@eddy/store-commitlog';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock, makeTempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KafkaProducerStateManager } from './producer-state.js';
import { controlMessage, KafkaProperty } from './record-mapping.js';
import { type KafkaTransactionCoordinator, openTransactionState } from './transaction-coordinator.js';
import { TRANSACTION_PREFIX } from './txn-state.js';
import { produceTestBatch, testBatch } from './txn-test-support.js';

const E = KafkaErrorCode;
const MAX_TIMEOUT = 900_000;

function init(coordinator: KafkaTransactionCoordinator, transactionalId: string | null, timeoutMs = 60_000) {
  return coordinator.initProducerId({
    transactionalId,
    transactionTimeoutMs: timeoutMs,
    producerId: -1n,
    producerEpoch: -1,
    producerFencedSupported: false,
  });
}

/** Writes a transactional batch as the Produce path does, checking with the coordinator first. */
async function produceTransactional(
  broker: Broker,
  producers: KafkaProducerStateManager,
  coordinator: KafkaTransactionCoordinator,
  partition: number,
  producerId: bigint,
  epoch: number,
  sequence: number,
  count = 1,
): Promise<number> {
  const error = coordinator.checkTransactionalProduce('t', partition, producerId, epoch);
  if (error !== E.NONE) return -error;
  const result = await produceTestBatch(
    broker,
    producers,
    't',
    partition,
    testBatch(producerId, epoch, sequence, count, true),
  );
  if ('errorCode' in result) return -result.errorCode;
  coordinator.recordTransactionalAppend('t', partition, producerId, result.baseOffset);
  return result.baseOffset;
}

async function markers(store: MessageStore, partition = 0) {
  const read = await store.read('t', partition, 0, { maxMessages: 1000 });
  if (read.status !== 'ok') return [];
  return read.messages
    .filter((message) => message.properties[KafkaProperty.CONTROL] !== undefined)
    .map((message) => ({
      offset: message.queueOffset,
      kind: message.properties[KafkaProperty.CONTROL],
      epoch: Number(message.properties[KafkaProperty.PRODUCER_EPOCH]),
    }));
}

describe('KafkaTransactionCoordinator', () => {
  let store: MessageStore;
  let broker: Broker;
  let clock: FakeClock;
  let producers: KafkaProducerStateManager;
  let coordinator: KafkaTransactionCoordinator;
  let woken: string[];

  beforeEach(async () => {
    store = await openMemoryStore();
    clock = new FakeClock();
    broker = createBroker({ store, clock });
    await broker.start();
    await broker.topics.create({ name: 't', queueCount: 2 });
    woken = [];
    ({ producers, transactions: coordinator } = await openTransactionState({
      broker,
      transactionMaxTimeoutMs: MAX_TIMEOUT,
      onAppended: (topic, partition) => woken.push(`${topic}/${partition}`),
    }));
  });
  afterEach(async () => {
    await coordinator.close();
    await broker.close();
    await store.close();
  });

  it('gives idempotent producers fresh ids and transactional ids a bumped epoch', async () => {
    expect(await init(coordinator, null)).toEqual({ errorCode: E.NONE, producerId: 0n, producerEpoch: 0 });
    expect(await init(coordinator, null)).toEqual({ errorCode: E.NONE, producerId: 1n, producerEpoch: 0 });
    expect(await init(coordinator, 'tx')).toEqual({ errorCode: E.NONE, producerId: 2n, producerEpoch: 0 });
    expect(await init(coordinator, 'tx')).toEqual({ errorCode: E.NONE, producerId: 2n, producerEpoch: 1 });
    expect(coordinator.describe('tx')).toMatchObject({ state: 'Empty', producerId: '2', producerEpoch: 1 });
  });

  it('refuses a transaction timeout above transactionMaxTimeoutMs', async () => {
    expect((await init(coordinator, 'tx', MAX_TIMEOUT + 1)).errorCode).toBe(E.INVALID_TRANSACTION_TIMEOUT);
    expect((await init(coordinator, 'tx', 0)).errorCode).toBe(E.INVALID_TRANSACTION_TIMEOUT);
  });

  it('checks the epoch a KIP-360 client says it holds', async () => {
    await init(coordinator, 'tx');
    const stale = { transactionalId: 'tx', transactionTimeoutMs: 1000, producerId: 0n, producerEpoch: 5 };
    expect(await coordinator.initProducerId({ ...stale, producerFencedSupported: true })).toMatchObject({
      errorCode: E.PRODUCER_FENCED,
    });
    expect(await coordinator.initProducerId({ ...stale, producerEpoch: 0, producerFencedSupported: true })).toEqual({
      errorCode: E.NONE,
      producerId: 0n,
      producerEpoch: 1,
    });
  });

  it('commits: data below the LSO only after the marker, offsets committed with it', async () => {
    const { producerId: pid, producerEpoch: epoch } = await init(coordinator, 'tx');
    expect(coordinator.checkTransactionalProduce('t', 0, pid, epoch)).toBe(E.INVALID_TXN_STATE);
    expect(await coordinator.addPartitions('tx', pid, epoch, [{ name: 't', partitions: [0, 1] }])).toEqual([
      {
        name: 't',
        results: [
          { partitionIndex: 0, errorCode: 0 },
          { partitionIndex: 1, errorCode: 0 },
        ],
      },
    ]);
    await store.append('t', 0, [controlMessage('t', 99n, 0, 'commit', 0)]);
    expect(await produceTransactional(broker, producers, coordinator, 0, pid, epoch, 0, 2)).toBe(1);
    expect(coordinator.lastStableOffset('t', 0, 3)).toBe(1);
    expect(coordinator.lastStableOffset('t', 1, 0)).toBe(0);

    expect(await coordinator.addOffsets('tx', pid, epoch, 'g')).toBe(E.NONE);
    const offsets = [{ name: 't', partitions: [{ partitionIndex: 0, offset: 7, metadata: 'm' }] }];
    expect(await coordinator.commitOffsets('tx', 'g', pid, epoch, offsets)).toEqual([
      { name: 't', results: [{ partitionIndex: 0, errorCode: 0 }] },
    ]);
    expect(await broker.offsets.committed('g', 't', 0)).toBeUndefined();

    expect(await coordinator.endTransaction('tx', pid, epoch, true)).toBe(E.NONE);
    expect(await markers(store)).toEqual([
      { offset: 0, kind: 'commit', epoch: 0 },
      { offset: 3, kind: 'commit', epoch },
    ]);
    expect(await markers(store, 1)).toEqual([{ offset: 0, kind: 'commit', epoch }]);
    expect(woken).toEqual(['t/0', 't/1']);
    expect(coordinator.lastStableOffset('t', 0, 4)).toBe(4);
    expect(coordinator.abortedTransactions('t', 0, 0, 4)).toEqual([]);
    expect(await broker.offsets.committed('g', 't', 0)).toBe(7);
    expect(coordinator.describe('tx')).toMatchObject({ state: 'CompleteCommit', partitions: [], pendingOffsets: [] });
    // A retried EndTxn is answered again; the other outcome is refused.
    expect(await coordinator.endTransaction('tx', pid, epoch, true)).toBe(E.NONE);
    expect(await coordinator.endTransaction('tx', pid, epoch, false)).toBe(E.INVALID_TXN_STATE);
  });

  it('keeps a partition open from AddPartitionsToTxn on, before the produce path records its first append', async () => {
    const { producerId: pid, producerEpoch: epoch } = await init(coordinator, 'tx');
    await store.append('t', 0, [controlMessage('t', 99n, 0, 'commit', 0)]);
    await coordinator.addPartitions('tx', pid, epoch, [{ name: 't', partitions: [0] }]);
    // Another producer's record lands first, then the transaction's: readable in the store before the
    // produce path gets to recordTransactionalAppend. A read_committed fetch must stop before both.
    await store.append('t', 0, [controlMessage('t', 98n, 0, 'commit', 0)]);
    await store.append('t', 0, [controlMessage('t', 97n, 0, 'commit', 0)]);
    expect(coordinator.lastStableOffset('t', 0, 3)).toBe(1);
    // Its first append says where it really starts: the other producer's record becomes readable.
    coordinator.recordTransactionalAppend('t', 0, pid, 2);
    expect(coordinator.lastStableOffset('t', 0, 3)).toBe(2);
    coordinator.recordTransactionalAppend('t', 0, pid, 5);
    expect(coordinator.lastStableOffset('t', 0, 6)).toBe(2);
    expect(await coordinator.endTransaction('tx', pid, epoch, false)).toBe(E.NONE);
    expect(coordinator.lastStableOffset('t', 0, 7)).toBe(7);
  });

  it('aborts: the range is listed for read_committed fetches and pending offsets are dropped', async () => {
    const { producerId: pid, producerEpoch: epoch } = await init(coordinator, 'tx');
    await coordinator.addPartitions('tx', pid, epoch, [{ name: 't', partitions: [0] }]);
    await coordinator.addOffsets('tx', pid, epoch, 'g');
    await coordinator.commitOffsets('tx', 'g', pid, epoch, [
      { name: 't', partitions: [{ partitionIndex: 0, offset: 3, metadata: null }] },
    ]);
    expect(await produceTransactional(broker, producers, coordinator, 0, pid, epoch, 0, 3)).toBe(0);
    expect(await coordinator.endTransaction('tx', pid, epoch, false)).toBe(E.NONE);
    expect(await markers(store)).toEqual([{ offset: 3, kind: 'abort', epoch }]);
    expect(coordinator.abortedTransactions('t', 0, 0, 4)).toEqual([{ producerId: pid, firstOffset: 0n }]);
    expect(coordinator.abortedTransactions('t', 0, 4, 10)).toEqual([]);
    expect(coordinator.lastStableOffset('t', 0, 4)).toBe(4);
    expect(await broker.offsets.committed('g', 't', 0)).toBeUndefined();

    // The next transaction of the same producer starts afresh.
    expect(await coordinator.addPartitions('tx', pid, epoch, [{ name: 't', partitions: [0] }])).toEqual([
      { name: 't', results: [{ partitionIndex: 0, errorCode: 0 }] },
    ]);
    expect(await produceTransactional(broker, producers, coordinator, 0, pid, epoch, 3)).toBe(4);
    expect(await coordinator.endTransaction('tx', pid, epoch, true)).toBe(E.NONE);
  });

  it('refuses what does not fit the transaction state', async () => {
    const { producerId: pid, producerEpoch: epoch } = await init(coordinator, 'tx');
    expect(await coordinator.addOffsets('nope', pid, epoch, 'g')).toBe(E.INVALID_PRODUCER_ID_MAPPING);
    expect(await coordinator.addOffsets('tx', pid + 1n, epoch, 'g')).toBe(E.INVALID_PRODUCER_ID_MAPPING);
    const offsets = [{ name: 't', partitions: [{ partitionIndex: 0, offset: 1, metadata: null }] }];
    expect((await coordinator.commitOffsets('tx', 'g', pid, epoch, offsets))[0]?.results[0]?.errorCode).toBe(
      E.INVALID_TXN_STATE,
    );
    expect(
      await coordinator.addPartitions('tx', pid, epoch, [
        { name: 't', partitions: [0, 5] },
        { name: 'u', partitions: [0] },
      ]),
    ).toEqual([
      {
        name: 't',
        results: [
          { partitionIndex: 0, errorCode: E.OPERATION_NOT_ATTEMPTED },
          { partitionIndex: 5, errorCode: E.UNKNOWN_TOPIC_OR_PARTITION },
        ],
      },
      { name: 'u', results: [{ partitionIndex: 0, errorCode: E.UNKNOWN_TOPIC_OR_PARTITION }] },
    ]);
    expect(coordinator.checkTransactionalProduce('t', 0, 77n, 0)).toBe(E.INVALID_PRODUCER_ID_MAPPING);
    expect(await coordinator.endTransaction('tx', pid, epoch, true)).toBe(E.NONE);
  });

  it('fences a zombie: a second InitProducerId aborts its open transaction with the new epoch', async () => {
    const old = await init(coordinator, 'tx');
    await coordinator.addPartitions('tx', old.producerId, old.producerEpoch, [{ name: 't', partitions: [0] }]);
    await produceTransactional(broker, producers, coordinator, 0, old.producerId, old.producerEpoch, 0, 2);

    const next = await init(coordinator, 'tx');
    expect(next).toEqual({ errorCode: E.NONE, producerId: old.producerId, producerEpoch: 1 });
    expect(await markers(store)).toEqual([{ offset: 2, kind: 'abort', epoch: 1 }]);
    expect(coordinator.abortedTransactions('t', 0, 0, 3)).toEqual([{ producerId: old.producerId, firstOffset: 0n }]);
    expect(coordinator.checkTransactionalProduce('t', 0, old.producerId, 0)).toBe(E.INVALID_PRODUCER_EPOCH);
    expect(producers.checkBatch('t', 0, testBatch(old.producerId, 0, 2, 1, true))).toEqual({
      status: 'error',
      errorCode: E.INVALID_PRODUCER_EPOCH,
    });
    expect(await coordinator.addPartitions('tx', old.producerId, 0, [{ name: 't', partitions: [0] }])).toEqual([
      { name: 't', results: [{ partitionIndex: 0, errorCode: E.INVALID_PRODUCER_EPOCH }] },
    ]);
    expect(await coordinator.endTransaction('tx', old.producerId, 0, true)).toBe(E.INVALID_PRODUCER_EPOCH);
    expect(await coordinator.addPartitions('tx', next.producerId, 1, [{ name: 't', partitions: [0] }])).toEqual([
      { name: 't', results: [{ partitionIndex: 0, errorCode: E.NONE }] },
    ]);
  });

  it('aborts a transaction older than its timeout, fencing its producer', async () => {
    const { producerId: pid, producerEpoch: epoch } = await init(coordinator, 'tx', 10_000);
    await coordinator.addPartitions('tx', pid, epoch, [{ name: 't', partitions: [0] }]);
    await produceTransactional(broker, producers, coordinator, 0, pid, epoch, 0);
    await clock.advance(9_999);
    await coordinator.whenIdle();
    expect(coordinator.describe('tx')?.state).toBe('Ongoing');
    await clock.advance(1);
    await coordinator.whenIdle();
    expect(coordinator.describe('tx')).toMatchObject({ state: 'CompleteAbort', producerEpoch: 1 });
    expect(await markers(store)).toEqual([{ offset: 1, kind: 'abort', epoch: 1 }]);
    expect(coordinator.lastStableOffset('t', 0, 2)).toBe(2);
    expect(await coordinator.endTransaction('tx', pid, epoch, true)).toBe(E.INVALID_PRODUCER_EPOCH);
  });
});

describe('KafkaTransactionCoordinator after a restart (CommitLog store)', () => {
  const opener = (temp: { path: string }, clock: FakeClock) => async () => {
    const store = await openCommitLogStore({
      dir: temp.path,
      clock,
      segmentSize: 1024 * 1024,
      maxBodySize: 64 * 1024,
      diskMaxUsedRatio: 1,
    });
    const broker = createBroker({ store, clock });
    await broker.start();
    const state = await openTransactionState({ broker, transactionMaxTimeoutMs: MAX_TIMEOUT });
    return { store, broker, ...state };
  };
  const shut = async (opened: Awaited<ReturnType<ReturnType<typeof opener>>>) => {
    await opened.transactions.close();
    await opened.broker.close();
    await opened.store.close();
  };

  it('an abort after a restart lists the aborted range even though the first offset was lost', async () => {
    const temp = await makeTempDir('kafka-txn');
    const open = opener(temp, new FakeClock());
    try {
      let opened = await open();
      await opened.broker.topics.create({ name: 't', queueCount: 1 });
      const a = await init(opened.transactions, 'a');
      await opened.transactions.addPartitions('a', a.producerId, a.producerEpoch, [{ name: 't', partitions: [0] }]);
      await produceTransactional(opened.broker, opened.producers, opened.transactions, 0, a.producerId, 0, 0, 2);
      await shut(opened);
      opened = await open();
      expect(await opened.transactions.endTransaction('a', a.producerId, 0, false)).toBe(E.NONE);
      expect(opened.transactions.abortedTransactions('t', 0, 0, 3)).toEqual([
        { producerId: a.producerId, firstOffset: 0n },
      ]);
      await shut(opened);
    } finally {
      await temp.remove();
    }
  });

  it('keeps open transactions open and completes prepared ones with exactly one marker', async () => {
    const temp = await makeTempDir('kafka-txn');
    const open = opener(temp, new FakeClock());
    try {
      let opened = await open();
      await opened.broker.topics.create({ name: 't', queueCount: 1 });
      const a = await init(opened.transactions, 'a');
      const b = await init(opened.transactions, 'b');
      for (const [id, { producerId, producerEpoch }] of [
        ['a', a],
        ['b', b],
      ] as const) {
        await opened.transactions.addPartitions(id, producerId, producerEpoch, [{ name: 't', partitions: [0] }]);
      }
      await opened.broker.store.append('t', 0, [controlMessage('t', 50n, 0, 'abort', 0)]);
      await produceTransactional(opened.broker, opened.producers, opened.transactions, 0, a.producerId, 0, 0, 2);
      await produceTransactional(opened.broker, opened.producers, opened.transactions, 0, b.producerId, 0, 0, 1);
      expect(opened.transactions.lastStableOffset('t', 0, 4)).toBe(1);
      // 'b' crashed half-way through an abort: Prepare written, marker appended, Complete not written.
      const record = opened.transactions.describe('b');
      if (record === undefined) throw new Error('no record');
      record.state = 'PrepareAbort';
      for (const partition of record.partitions) partition.markerFrom = 4;
      await opened.store.metadata.put(`${TRANSACTION_PREFIX}b`, new TextEncoder().encode(JSON.stringify(record)));
      await opened.store.append('t', 0, [controlMessage('t', b.producerId, 0, 'abort', 0)]);
      await shut(opened);

      opened = await open();
      expect(opened.transactions.describe('b')?.state).toBe('CompleteAbort');
      expect(await markers(opened.store)).toEqual([
        { offset: 0, kind: 'abort', epoch: 0 },
        { offset: 4, kind: 'abort', epoch: 0 },
      ]);
      expect(opened.transactions.abortedTransactions('t', 0, 0, 5)).toEqual([
        { producerId: b.producerId, firstOffset: 3n },
      ]);
      // 'a' is still open; its first offset was only in memory, so the LSO falls back to where it joined.
      expect(opened.transactions.describe('a')?.state).toBe('Ongoing');
      expect(opened.transactions.lastStableOffset('t', 0, 5)).toBe(0);
      expect(await opened.transactions.endTransaction('a', a.producerId, 0, true)).toBe(E.NONE);
      expect(opened.transactions.lastStableOffset('t', 0, 6)).toBe(6);
      // A producer retrying its last batch after the restart gets the original offset back.
      expect(opened.producers.checkBatch('t', 0, testBatch(a.producerId, 0, 0, 2, true))).toEqual({
        status: 'duplicate',
        baseOffset: 1,
      });
      await shut(opened);

      opened = await open();
      expect(await markers(opened.store)).toHaveLength(3);
      expect(opened.transactions.abortedTransactions('t', 0, 0, 6)).toEqual([
        { producerId: b.producerId, firstOffset: 3n },
      ]);
      await shut(opened);
    } finally {
      await temp.remove();
    }
  });
});
