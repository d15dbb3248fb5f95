import { connect } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { Clients, type GatewayFixture, startGatewayFixture } from './fixture.js';
import { rawClient, unary } from './raw-client.js';

/** Posts raw bytes as one gRPC request and returns the response headers and trailers. */
function postRaw(endpoint: string, path: string, body: Buffer): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${endpoint}`);
    session.on('error', reject);
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const seen: Record<string, unknown> = {};
    stream.on('response', (headers) => Object.assign(seen, headers));
    stream.on('trailers', (trailers) => Object.assign(seen, trailers));
    stream.on('data', () => {});
    stream.on('error', reject);
    stream.on('close', () => {
      session.close();
      resolve(seen);
    });
    stream.end(body);
  });
}

/** A gRPC length-prefixed frame: flag byte, 4-byte big-endian length, payload. */
function frame(payload: Buffer, declaredLength = payload.length): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([header, payload]);
}

describe('bad input through the gateway', () => {
  let fixture: GatewayFixture | undefined;
  let clients: Clients | undefined;

  async function start(
    options: Parameters<typeof startGatewayFixture>[0] = {},
  ): Promise<{ fixture: GatewayFixture; clients: Clients }> {
    fixture = await startGatewayFixture(options);
    clients = new Clients(fixture);
    return { fixture, clients };
  }
  afterEach(async () => {
    await clients?.shutdown();
    await fixture?.close();
    clients = undefined;
    fixture = undefined;
  });

  it('answers an unknown topic with NotFound when auto-create is off, and keeps serving', async () => {
    const { fixture, clients } = await start({ autoCreateTopics: false });
    await fixture.broker.topics.create({ name: 'known' });
    const producer = await clients.producer(['known']);
    await expect(producer.send({ topic: 'unknown', body: Buffer.from('x') })).rejects.toMatchObject({
      name: 'NotFoundException',
      code: 40402,
    });
    const receipt = await producer.send({ topic: 'known', body: Buffer.from('still here') });
    expect(receipt.messageId).not.toBe('');
    await expect(clients.simpleConsumer('readers', { unknown: '*' })).rejects.toThrow(/Failed to fetch topic routes/);
  });

  it('tells producers the size limit, so oversized bodies fail with a clear error', async () => {
    const { clients } = await start({ maxMessageSize: 1024 });
    const producer = await clients.producer(['small']);
    await expect(producer.send({ topic: 'small', body: Buffer.alloc(1025, 1) })).rejects.toThrow(
      'Message body size exceeds the threshold, max size=1024 bytes',
    );
    await producer.send({ topic: 'small', body: Buffer.alloc(1024, 1) });
  });

  it('refuses an oversized body that skipped the client check with MESSAGE_BODY_TOO_LARGE', async () => {
    const { fixture } = await start({ maxMessageSize: 1024 });
    const client = rawClient(fixture.endpoints);
    const response = await unary(client, 'SendMessage', {
      messages: [
        {
          topic: { name: 'small' },
          body: Buffer.alloc(2048, 1),
          systemProperties: { messageId: '01AB', messageType: 'NORMAL' },
        },
      ],
    });
    client.close();
    expect(response.status.code).toBe('MESSAGE_BODY_TOO_LARGE');
    expect(response.status.message).toContain('the limit is 1024 (maxMessageSize)');
    expect(response.entries[0].status.code).toBe('MESSAGE_BODY_TOO_LARGE');
  });

  it('refuses reserved property names and empty bodies', async () => {
    const { clients } = await start();
    const producer = await clients.producer(['strict']);
    await expect(
      producer.send({ topic: 'strict', body: Buffer.from('x'), properties: new Map([['UNIQ_KEY', 'mine']]) }),
    ).rejects.toMatchObject({ name: 'BadRequestException', code: 40007 });
    await expect(producer.send({ topic: 'strict', body: Buffer.alloc(0) })).rejects.toMatchObject({ code: 41302 });
    await expect(producer.send({ topic: 'strict', body: Buffer.from('fine') })).resolves.toBeDefined();
  });

  it('refuses a message whose type the topic does not take', async () => {
    const { fixture, clients } = await start();
    await fixture.broker.topics.create({ name: 'fifo-only', messageType: 'FIFO' });
    const producer = await clients.producer(['fifo-only']);
    // The route tells the client the topic takes FIFO only; it checks before sending.
    await expect(producer.send({ topic: 'fifo-only', body: Buffer.from('plain') })).rejects.toThrow(
      /not match with topic accept message types/,
    );
    const client = rawClient(fixture.endpoints);
    const response = await unary(client, 'SendMessage', {
      messages: [
        { topic: { name: 'fifo-only' }, body: Buffer.from('plain'), systemProperties: { messageType: 'NORMAL' } },
      ],
    });
    client.close();
    expect(response.status.code).toBe('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE');
  });

  it('answers malformed gRPC frames with an error status and keeps serving', async () => {
    const { fixture, clients } = await start();
    const path = '/apache.rocketmq.v2.MessagingService/SendMessage';
    const garbage = await postRaw(fixture.endpoints, path, frame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a])));
    expect(garbage['grpc-status']).toBeDefined();
    expect(garbage['grpc-status']).not.toBe('0');
    const truncated = await postRaw(fixture.endpoints, path, frame(Buffer.from([0x0a, 0x02]), 1000));
    expect(truncated['grpc-status']).not.toBe('0');
    const wrongType = await postRaw(fixture.endpoints, path, frame(Buffer.from([0x0a, 0x03, 0x22, 0x01, 0x78])));
    // Decodable but meaningless: a message with only a body → a protocol status, not a crash.
    expect(wrongType['grpc-status']).toBe('0');

    const producer = await clients.producer(['after-garbage']);
    const receipt = await producer.send({ topic: 'after-garbage', body: Buffer.from('ok') });
    expect(receipt.messageId).not.toBe('');
  });
});
