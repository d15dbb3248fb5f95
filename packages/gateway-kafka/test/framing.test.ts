import type { Broker } from '@eddy/broker';
import { createBroker } from '@eddy/broker';
import type { ApiCodec } from '@eddy/protocol-kafka';

type MessageStore = Broker['store'];

import { openMemoryStore } from '@eddy/store-memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type KafkaApiHandler, type KafkaGateway, startKafkaGateway } from '../src/index.js';
import { type RawClient, rawClient } from './raw-client.js';

// A test API (key 1000, unknown to Kafka): the request is an int32 delay in ms, the response echoes it;
// a negative delay means "no response" (as Produce acks=0), 999 makes the handler throw.
const echoCodec: ApiCodec<number, number> = {
  apiKey: 1000,
  name: 'Echo',
  minVersion: 0,
  maxVersion: 1,
  flexibleVersion: Number.POSITIVE_INFINITY,
  decodeRequest: (reader) => reader.int32(),
  encodeResponse: (writer, _version, value) => {
    writer.int32(value);
  },
  encodeRequest: (writer, _version, value) => {
    writer.int32(value);
  },
  decodeResponse: (reader) => reader.int32(),
};
const echo: KafkaApiHandler<number, number> = {
  codec: echoCodec,
  async handle(delay) {
    if (delay === 999) throw new Error('boom');
    if (delay < 0) return undefined;
    await new Promise((resolve) => setTimeout(resolve, delay));
    return delay;
  },
};
const int32 = (value: number): Uint8Array => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
};

describe('Kafka framing', () => {
  let store: MessageStore;
  let broker: Broker;
  let gateway: KafkaGateway;
  let clients: RawClient[];

  beforeEach(async () => {
    store = await openMemoryStore();
    broker = createBroker({ store });
    await broker.start();
    gateway = await startKafkaGateway({ broker, port: 0, handlers: [echo], maxRequestBytes: 1024 * 1024 });
    clients = [];
  });
  afterEach(async () => {
    for (const client of clients) client.close();
    await gateway.close(100);
    await broker.close();
    await store.close();
  });

  const connect = async (): Promise<RawClient> => {
    const client = await rawClient(gateway.port);
    clients.push(client);
    return client;
  };

  async function stillServes(): Promise<void> {
    const client = await connect();
    client.request(1000, 0, 77, int32(0));
    const frame = await client.next();
    expect([frame.readInt32BE(0), frame.readInt32BE(4)]).toEqual([77, 0]);
  }

  it('answers pipelined requests strictly in order, skipping those that want no response', async () => {
    const client = await connect();
    const delays = [60, 0, -1, 30, 5];
    for (const [index, delay] of delays.entries()) client.request(1000, 1, index + 1, int32(delay));
    const answers = [];
    for (let i = 0; i < 4; i++) {
      const frame = await client.next();
      answers.push([frame.readInt32BE(0), frame.readInt32BE(4)]);
    }
    expect(answers).toEqual([
      [1, 60],
      [2, 0],
      [4, 30],
      [5, 5],
    ]);
  });

  it('reassembles a frame split into single bytes', async () => {
    const client = await connect();
    const frame = Buffer.from([0, 0, 0, 17, 0x03, 0xe8, 0, 0, 0, 0, 0, 9, 0, 3, 0x72, 0x61, 0x77, 0, 0, 0, 1]);
    for (const byte of frame) {
      client.send(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const answer = await client.next();
    expect([answer.readInt32BE(0), answer.readInt32BE(4)]).toEqual([9, 1]);
  });

  it('closes only the connection that sends a 1 GiB or negative size prefix', async () => {
    const huge = await connect();
    huge.send(int32(1024 * 1024 * 1024));
    await huge.closed();
    const negative = await connect();
    negative.send(int32(-5));
    await negative.closed();
    await stillServes();
  });

  it('closes the connection on an unknown API key or version, and on garbage', async () => {
    const unknown = await connect();
    unknown.request(4242, 0, 1);
    await unknown.closed();
    const badVersion = await connect();
    badVersion.request(1000, 7, 1, int32(0));
    await badVersion.closed();
    const garbage = await connect();
    garbage.send(Buffer.concat([int32(3), Buffer.from([1, 2, 3])]));
    await garbage.closed();
    const truncatedBody = await connect();
    truncatedBody.request(1000, 0, 1, Buffer.from([0, 1]));
    await truncatedBody.closed();
    await stillServes();
  });

  it('keeps serving while a client sends half a frame and goes away', async () => {
    const truncated = await connect();
    truncated.send(Buffer.concat([int32(100), Buffer.from([0x03, 0xe8, 0, 0])]));
    truncated.close();
    await stillServes();
  });

  it('closes the connection when a handler without an error response throws', async () => {
    const client = await connect();
    client.request(1000, 0, 1, int32(999));
    await client.closed();
    await stillServes();
  });

  it('answers an ApiVersions version it does not serve with a v0-shaped UNSUPPORTED_VERSION and its APIs', async () => {
    const client = await connect();
    client.request(18, 9, 5);
    const frame = await client.next();
    expect(frame.readInt32BE(0)).toBe(5);
    expect(frame.readInt16BE(4)).toBe(35);
    expect(frame.readInt32BE(6)).toBe(1);
    expect([frame.readInt16BE(10), frame.readInt16BE(12), frame.readInt16BE(14)]).toEqual([1000, 0, 1]);
  });
});
