import {
  decodeRecordBatches,
  encodeRecordBatch,
  initProducerIdCodec,
  KafkaReader,
  KafkaWriter,
  produceCodec,
} from '@eddy/protocol-kafka';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaFixture, kafkaFixture, text } from './fixture.js';
import { rawClient } from './raw-client.js';

/** Reads `topic` from the beginning until `last` arrives; returns the values seen, in order. */
async function readUntil(kafka: Kafka, topic: string, last: string, readUncommitted: boolean): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({
    groupId: `reader-${topic}-${readUncommitted}`,
    maxWaitTimeInMs: 100,
    readUncommitted,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const values: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          const value = text(message.value) ?? '';
          values.push(value);
          if (value === last) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return values;
}

function body(write: (writer: KafkaWriter) => void): Uint8Array {
  const writer = new KafkaWriter();
  write(writer);
  return writer.finish();
}

// On both kinds of store: records kept as messages (memory), batches kept as they came (CommitLog).
describe.each(['memory', 'commitlog'] as const)(
  'kafkajs 2.2.4 idempotent and transactional producers (%s)',
  (engine) => {
    let fixture: KafkaFixture;
    let kafka: Kafka;

    beforeAll(async () => {
      fixture = await kafkaFixture({ engine });
      kafka = new Kafka({ clientId: 'txn-test', brokers: [fixture.bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        topics: ['idem', 'raw-idem', 'txn', 'txn-in', 'txn-out', 'fence'].map((topic) => ({ topic, numPartitions: 1 })),
      });
      await admin.disconnect();
    });
    afterAll(async () => {
      await fixture?.close();
    });

    it('an idempotent kafkajs producer gets a producer id and its records once each', async () => {
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      for (let i = 0; i < 3; i++) await producer.send({ topic: 'idem', acks: -1, messages: [{ value: `m${i}` }] });
      await producer.disconnect();
      const read = await fixture.store.read('idem', 0, 0, { maxMessages: 10 });
      expect(read.status === 'ok' && read.messages.map((message) => message.properties.__KAFKA_SEQ)).toEqual([
        '0',
        '1',
        '2',
      ]);
    });

    it('a batch sent twice (a retry whose answer was lost) is stored once and answered with its first offset', async () => {
      const client = await rawClient(fixture.gateway.port);
      try {
        client.request(
          22,
          1,
          1,
          body((w) =>
            initProducerIdCodec.encodeRequest(w, 1, {
              transactionalId: null,
              transactionTimeoutMs: 60000,
              producerId: -1n,
              producerEpoch: -1,
            }),
          ),
        );
        const init = initProducerIdCodec.decodeResponse(new KafkaReader((await client.next()).subarray(4)), 1);
        expect(init.errorCode).toBe(0);
        const batch = encodeRecordBatch({
          producerId: init.producerId,
          producerEpoch: init.producerEpoch,
          baseSequence: 0,
          records: [{ value: new TextEncoder().encode('a') }, { value: new TextEncoder().encode('b') }],
        });
        const produce = body((w) =>
          produceCodec.encodeRequest(w, 7, {
            transactionalId: null,
            acks: -1,
            timeoutMs: 5000,
            topics: [{ name: 'raw-idem', partitions: [{ index: 0, records: batch }] }],
          }),
        );
        const offsets: bigint[] = [];
        for (const correlationId of [2, 3]) {
          client.request(0, 7, correlationId, produce);
          const response = produceCodec.decodeResponse(new KafkaReader((await client.next()).subarray(4)), 7);
          const partition = response.topics[0]?.partitions[0];
          expect(partition?.errorCode).toBe(0);
          offsets.push(partition?.baseOffset ?? -1n);
        }
        expect(offsets).toEqual([0n, 0n]);
        expect((await fixture.store.queueRange('raw-idem', 0))?.maxOffset).toBe(2);
        // A gap is refused.
        const gap = encodeRecordBatch({
          producerId: init.producerId,
          producerEpoch: init.producerEpoch,
          baseSequence: 5,
          records: [{ value: new TextEncoder().encode('c') }],
        });
        client.request(
          0,
          7,
          4,
          body((w) =>
            produceCodec.encodeRequest(w, 7, {
              transactionalId: null,
              acks: -1,
              timeoutMs: 5000,
              topics: [{ name: 'raw-idem', partitions: [{ index: 0, records: gap }] }],
            }),
          ),
        );
        const refused = produceCodec.decodeResponse(new KafkaReader((await client.next()).subarray(4)), 7);
        expect(refused.topics[0]?.partitions[0]?.errorCode).toBe(45);
        expect(decodeRecordBatches(batch)).toHaveLength(1);
      } finally {
        client.close();
      }
    });

    it('commit and abort: read_committed sees only committed records, read_uncommitted sees all', async () => {
      const producer = kafka.producer({ transactionalId: 'kjs-tx', maxInFlightRequests: 1, idempotent: true });
      await producer.connect();
      const committed = await producer.transaction();
      await committed.send({ topic: 'txn', messages: [{ value: 'c1' }, { value: 'c2' }] });
      await committed.commit();
      const aborted = await producer.transaction();
      await aborted.send({ topic: 'txn', messages: [{ value: 'a1' }] });
      await aborted.abort();
      const last = await producer.transaction();
      await last.send({ topic: 'txn', messages: [{ value: 'end' }] });
      await last.commit();
      await producer.disconnect();

      expect(await readUntil(kafka, 'txn', 'end', false)).toEqual(['c1', 'c2', 'end']);
      expect(await readUntil(kafka, 'txn', 'end', true)).toEqual(['c1', 'c2', 'a1', 'end']);
    });

    it('sendOffsets commits the group offsets with the transaction, and only then', async () => {
      const producer = kafka.producer({ transactionalId: 'kjs-eos', maxInFlightRequests: 1, idempotent: true });
      await producer.connect();
      const admin = kafka.admin();
      await admin.connect();
      const offsetsOf = async () =>
        (await admin.fetchOffsets({ groupId: 'eos-group', topics: ['txn-in'] }))[0]?.partitions[0]?.offset;

      const aborted = await producer.transaction();
      await aborted.send({ topic: 'txn-out', messages: [{ value: 'x' }] });
      await aborted.sendOffsets({
        consumerGroupId: 'eos-group',
        topics: [{ topic: 'txn-in', partitions: [{ partition: 0, offset: '5' }] }],
      });
      await aborted.abort();
      expect(await offsetsOf()).toBe('-1');

      const transaction = await producer.transaction();
      await transaction.send({ topic: 'txn-out', messages: [{ value: 'y' }] });
      await transaction.sendOffsets({
        consumerGroupId: 'eos-group',
        topics: [{ topic: 'txn-in', partitions: [{ partition: 0, offset: '7' }] }],
      });
      expect(await offsetsOf()).toBe('-1');
      await transaction.commit();
      expect(await offsetsOf()).toBe('7');
      await admin.disconnect();
      await producer.disconnect();
    });

    it('a second producer with the same transactional id fences the first', async () => {
      const zombie = kafka.producer({ transactionalId: 'kjs-fence', maxInFlightRequests: 1, idempotent: true });
      await zombie.connect();
      const open = await zombie.transaction();
      await open.send({ topic: 'fence', messages: [{ value: 'zombie' }] });

      const successor = kafka.producer({ transactionalId: 'kjs-fence', maxInFlightRequests: 1, idempotent: true });
      await successor.connect();
      // kafkajs sends the transactional InitProducerId when the first transaction begins.
      const transaction = await successor.transaction();
      await expect(open.send({ topic: 'fence', messages: [{ value: 'late' }] })).rejects.toThrow(/epoch/i);
      await expect(open.commit()).rejects.toThrow();

      await transaction.send({ topic: 'fence', messages: [{ value: 'ok' }] });
      await transaction.commit();
      await successor.disconnect();
      await zombie.disconnect().catch(() => {});

      expect(await readUntil(kafka, 'fence', 'ok', false)).toEqual(['ok']);
    });
  },
);
