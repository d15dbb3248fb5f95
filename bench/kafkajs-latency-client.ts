/**
 * The kafkajs clients of the Kafka bench's latency phase, each in a process of its own as an
 * application's producer and consumer would be. Times are CLOCK_MONOTONIC milliseconds (what
 * `process.hrtime` reads, the same in every process of the machine).
 *
 * - `produce <bootstrap> <topic> <size> <rate> <startMs> <endMs>`: from start to end, every
 *   millisecond, sends the messages due at `rate`, each stamped with the time it was made, acks=-1.
 *   Prints one JSON line: `{ sent, failures, firstFailure }`.
 * - `consume <bootstrap> <topic> <expected> <measureFromMs> <deadlineMs>`: a group consumer from the
 *   end; prints `ready` once it has joined, then reads until `expected` stamped messages came or the
 *   deadline passed, and prints `{ received, latencies }` (arrival − stamp of those stamped from
 *   `measureFromMs` on).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';

/** The stamp's marker, after the float64 time: values without it are not counted. */
const LATENCY_MARK = 0xeddc0de;
const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

const [role, bootstrap, topic, ...rest] = process.argv.slice(2);
const kafka = new Kafka({
  clientId: `bench-latency-${role}`,
  brokers: [String(bootstrap)],
  logLevel: logLevel.NOTHING,
});

async function produce(size: number, rate: number, start: number, end: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  let sent = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const inFlight = new Set<Promise<void>>();
  while (monotonicMs() < start) await sleep(1);
  for (;;) {
    const now = monotonicMs();
    if (now >= end) break;
    const due = Math.floor(((now - start) / 1000) * rate) - sent;
    if (due > 0) {
      const messages = Array.from({ length: due }, () => {
        const value = Buffer.alloc(size, 'x');
        value.writeDoubleLE(monotonicMs(), 0);
        value.writeUInt32LE(LATENCY_MARK, 8);
        return { value };
      });
      sent += due;
      const send = producer.send({ topic: String(topic), acks: -1, messages }).then(
        () => undefined,
        (error: unknown) => {
          failures++;
          firstFailure ??= (error as Error).message;
        },
      );
      inFlight.add(send);
      void send.finally(() => inFlight.delete(send));
    }
    await sleep(1);
  }
  await Promise.all(inFlight);
  await producer.disconnect();
  process.stdout.write(`${JSON.stringify({ sent, failures, firstFailure: firstFailure ?? null })}\n`);
}

async function consume(expected: number, measureFrom: number, deadline: number): Promise<void> {
  const consumer = kafka.consumer({ groupId: `bench-${topic}`, maxWaitTimeInMs: 5000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [String(topic)], fromBeginning: false });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  const latencies: number[] = [];
  let received = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const now = monotonicMs();
      for (const message of batch.messages) {
        const value = message.value;
        if (value === null || value.length < 12 || value.readUInt32LE(8) !== LATENCY_MARK) continue;
        received++;
        const stamp = value.readDoubleLE(0);
        if (stamp >= measureFrom) latencies.push(now - stamp);
      }
      if (received >= expected) done();
    },
  });
  await joined;
  await sleep(500);
  process.stdout.write('ready\n');
  await Promise.race([all, sleep(Math.max(0, deadline - monotonicMs()))]);
  await consumer.disconnect();
  process.stdout.write(`${JSON.stringify({ received, latencies })}\n`);
}

const numbers = rest.map(Number);
if (role === 'produce')
  await produce(numbers[0] as number, numbers[1] as number, numbers[2] as number, numbers[3] as number);
else if (role === 'consume') await consume(numbers[0] as number, numbers[1] as number, numbers[2] as number);
else throw new Error(`unknown role ${role}: produce or consume`);
