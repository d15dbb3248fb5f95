// Fuzzes a real `eddy start` process's Kafka listener: for every advertised API and version, valid requests
// built with the codecs' encodeRequest are mutated (bit flips, truncations, corrupted length fields, random
// bodies, huge or negative size prefixes) and sent in bursts on throw-away connections. After each API's burst
// a fresh connection must still be answered (ApiVersions and Metadata), and at the end kafkajs still produces
// and the process has not exited. Randomness is seeded (mulberry32); the fuzzing is bounded in time.
import { connect, type Socket } from 'node:net';
import { KAFKA_HANDLERS, type KafkaApiHandler } from '@eddy/gateway-kafka';
import {
  type ApiCodec,
  apiVersionsCodec,
  decodeResponseHeader,
  encodeRequestHeader,
  KafkaReader,
  KafkaWriter,
  metadataCodec,
} from '@eddy/protocol-kafka';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDDY_ARGS } from './kafka-clients.js';
import { type EddyProcess, startEddy } from './launch.js';

const SEED = Number(process.env.EDDY_FUZZ_SEED ?? 0x5eed);
/** Time budget of the whole fuzzing loop; the last APIs get fewer frames when it runs out. */
const BUDGET_MS = 8_000;
const FRAMES_PER_VERSION = 12;
const SAMPLES_PER_VERSION = 3;

// biome-ignore lint/suspicious/noExplicitAny: the table mixes every API's types.
type AnyCodec = ApiCodec<any, any>;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(SEED);
const int = (below: number): number => Math.floor(random() * below);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
const randomBytes = (length: number): Buffer => Buffer.from(Array.from({ length }, () => int(256)));

/**
 * Valid request bodies of `codec` at `version`: decoded from filler bytes (zeros, ones, sparse small values)
 * and re-encoded with encodeRequest, so they hold whatever the codec accepts without hand-written samples.
 */
function sampleBodies(codec: AnyCodec, version: number): Uint8Array[] {
  const fillers: Uint8Array[] = [new Uint8Array(512), new Uint8Array(512).fill(1)];
  for (let i = 0; i < 200; i++) {
    fillers.push(Uint8Array.from({ length: 512 }, () => (random() < 0.75 ? 0 : pick([1, 1, 2, 3, 0x74]))));
  }
  const bodies = new Map<string, Uint8Array>();
  for (const filler of fillers) {
    if (bodies.size >= SAMPLES_PER_VERSION) break;
    try {
      const request = codec.decodeRequest(new KafkaReader(filler), version);
      const writer = new KafkaWriter();
      codec.encodeRequest(writer, version, request);
      const body = writer.finish();
      bodies.set(Buffer.from(body).toString('hex'), body);
    } catch {
      // Not a valid request of this version: try the next filler.
    }
  }
  return [...bodies.values()];
}

function header(codec: AnyCodec, version: number, correlationId: number): Uint8Array {
  const writer = new KafkaWriter();
  encodeRequestHeader(
    writer,
    { apiKey: codec.apiKey, apiVersion: version, correlationId, clientId: 'fuzz' },
    version >= codec.flexibleVersion,
  );
  return writer.finish();
}

function frame(payload: Uint8Array, size = payload.length): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(size);
  return Buffer.concat([prefix, payload]);
}

/** One mutated frame of a valid request (`head` + `body`). */
function mutate(head: Uint8Array, body: Uint8Array): { kind: string; bytes: Buffer } {
  const whole = Buffer.concat([head, body]);
  switch (int(7)) {
    case 0: {
      const copy = Buffer.from(whole);
      for (let flips = 1 + int(8); flips > 0; flips--) {
        const at = int(copy.length);
        copy[at] = (copy[at] as number) ^ (1 << int(8));
      }
      return { kind: 'bit flips', bytes: frame(copy) };
    }
    case 1:
      return { kind: 'truncated', bytes: frame(whole.subarray(0, int(whole.length))) };
    case 2: {
      // A length or count field (int16, int32 or a varint's first byte) set to an extreme.
      const copy = Buffer.from(whole);
      const at = head.length + int(Math.max(1, body.length - 1));
      const value = pick([-1, -2, 0x7fff, 0x7fffffff, -0x80000000, 0x10000, int(0x7fffffff)]);
      if (at + 4 <= copy.length && random() < 0.5) copy.writeInt32BE(value | 0, at);
      else if (at + 2 <= copy.length) copy.writeInt16BE((value << 16) >> 16, at);
      else if (at < copy.length) copy[at] = 0xff;
      return { kind: 'length field', bytes: frame(copy) };
    }
    case 3:
      return { kind: 'random body', bytes: frame(Buffer.concat([head, randomBytes(int(200))])) };
    case 4:
      return { kind: 'random frame', bytes: frame(randomBytes(int(64))) };
    case 5:
      return {
        kind: 'huge size prefix',
        bytes: frame(whole, pick([0x7fffffff, 0x40000000, 0x06400001, -1, -0x80000000, whole.length + 1 + int(1000)])),
      };
    default:
      // Trailing garbage after a valid body, then a valid frame again.
      return {
        kind: 'trailing bytes',
        bytes: Buffer.concat([frame(Buffer.concat([whole, randomBytes(1 + int(32))])), frame(whole)]),
      };
  }
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes `frames` on a fresh connection, half-closes it and waits (briefly) for the broker to react. */
async function burst(port: number, frames: readonly Buffer[]): Promise<void> {
  const socket = await open(port);
  socket.on('error', () => {});
  socket.on('data', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  for (const bytes of frames) socket.write(bytes);
  socket.end();
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 250))]);
  socket.destroy();
}

/** One request on a fresh connection; resolves with the decoded response or rejects after 5 s. */
async function request<Req, Res>(port: number, codec: ApiCodec<Req, Res>, version: number, body: Req): Promise<Res> {
  const socket = await open(port);
  try {
    const writer = new KafkaWriter();
    writer.raw(header(codec, version, 7));
    codec.encodeRequest(writer, version, body);
    socket.write(frame(writer.finish()));
    const response = await new Promise<Buffer>((resolve, reject) => {
      let buffered = Buffer.alloc(0);
      const timer = setTimeout(() => reject(new Error(`no ${codec.name} v${version} response within 5 s`)), 5_000);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
          clearTimeout(timer);
          resolve(buffered.subarray(4, 4 + buffered.readInt32BE(0)));
        }
      });
      socket.once('close', () => reject(new Error(`${codec.name} v${version}: connection closed`)));
      socket.once('error', reject);
    });
    const reader = new KafkaReader(response);
    expect(decodeResponseHeader(reader, codec.apiKey !== 18 && version >= codec.flexibleVersion).correlationId).toBe(7);
    return codec.decodeResponse(reader, version);
  } finally {
    socket.destroy();
  }
}

describe('fuzzing the Kafka listener of eddy start', () => {
  let eddy: EddyProcess;

  beforeAll(async () => {
    eddy = await startEddy({ args: [...EDDY_ARGS, '--log-level', 'error'] });
  });
  afterAll(async () => {
    if (eddy !== undefined) {
      expect(await eddy.stop()).toBe(0);
      await eddy.cleanup();
    }
  });

  async function stillServing(after: string): Promise<void> {
    expect(() => process.kill(eddy.pid, 0), `eddy exited after ${after}:\n${eddy.output().slice(-3000)}`).not.toThrow();
    const versions = await request(eddy.kafkaPort, apiVersionsCodec, 0, {} as never);
    expect(versions.errorCode, `ApiVersions after ${after}`).toBe(0);
    const metadata = await request(eddy.kafkaPort, metadataCodec, 1, { topics: null, allowAutoTopicCreation: false });
    expect(metadata.brokers, `Metadata after ${after}`).toHaveLength(1);
  }

  it(`survives mutated frames of every advertised API and version (seed ${SEED}) and keeps serving`, async () => {
    await stillServing('start');
    const deadline = Date.now() + BUDGET_MS;
    const coverage: string[] = [];
    const kinds = new Map<string, number>();
    let correlationId = 0;
    for (const handler of KAFKA_HANDLERS as KafkaApiHandler[]) {
      const codec = handler.codec as AnyCodec;
      const sent: Promise<void>[] = [];
      for (let version = codec.minVersion; version <= codec.maxVersion; version++) {
        const bodies = sampleBodies(codec, version);
        if (bodies.length === 0) {
          coverage.push(`${codec.name} v${version}: no sample (random frames only)`);
          bodies.push(randomBytes(16));
        }
        const frames: Buffer[] = [];
        const perVersion = Date.now() < deadline ? FRAMES_PER_VERSION : 2;
        for (let i = 0; i < perVersion; i++) {
          const { kind, bytes } = mutate(header(codec, version, ++correlationId), pick(bodies));
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
          frames.push(bytes);
        }
        // Each mutated frame on its own connection (the broker closes a connection at the first bad frame),
        // plus all of them pipelined on one.
        for (const bytes of frames) sent.push(burst(eddy.kafkaPort, [bytes]));
        sent.push(burst(eddy.kafkaPort, frames));
      }
      await Promise.all(sent);
      await stillServing(`the ${codec.name} burst`);
    }
    // Random garbage connections, with and without a plausible size prefix.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        burst(eddy.kafkaPort, [i % 2 === 0 ? randomBytes(1 + int(300)) : frame(randomBytes(int(300)))]),
      ),
    );
    await stillServing('random connections');
    expect(coverage.length, coverage.join('\n')).toBeLessThan(KAFKA_HANDLERS.length);
    expect([...kinds.keys()].sort()).toHaveLength(7);

    const kafka = new Kafka({
      clientId: 'after-fuzz',
      brokers: [`127.0.0.1:${eddy.kafkaPort}`],
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const [result] = await producer.send({ topic: 'after-fuzz', messages: [{ key: 'k', value: 'v', partition: 0 }] });
    await producer.disconnect();
    expect(result).toMatchObject({ partition: 0, errorCode: 0 });
    expect(eddy.output()).not.toMatch(/uncaught|unhandled|FATAL/i);
  });
});
