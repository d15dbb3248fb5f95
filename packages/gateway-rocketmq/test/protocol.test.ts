import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRocketMqGateway } from '../src/index.js';
import { type GatewayFixture, startGatewayFixture } from './fixture.js';
import { rawClient, serverStream, telemetryOnce, unary } from './raw-client.js';

describe('the protocol as the gateway answers it', () => {
  let fixture: GatewayFixture;
  let client: ReturnType<typeof rawClient>;

  beforeEach(async () => {
    fixture = await startGatewayFixture();
    client = rawClient(fixture.endpoints);
  });
  afterEach(async () => {
    client.close();
    await fixture.close();
  });

  it('routes a topic with queue 0 read-write on this broker, endpoints and accepted types set', async () => {
    await fixture.broker.topics.create({ name: 'shaped', readQueueNums: 4, writeQueueNums: 2 });
    const response = await unary(client, 'QueryRoute', { topic: { name: 'shaped' } });
    expect(response.status).toEqual({ code: 'OK', message: 'OK' });
    expect(
      response.messageQueues.map((queue: { id?: number; permission: string }) => [queue.id ?? 0, queue.permission]),
    ).toEqual([
      [0, 'READ_WRITE'],
      [1, 'READ_WRITE'],
      [2, 'READ'],
      [3, 'READ'],
    ]);
    const [first] = response.messageQueues;
    expect(first.topic.name).toBe('shaped');
    expect(first.broker).toMatchObject({
      name: 'broker-a',
      endpoints: { scheme: 'IPv4', addresses: [{ host: '127.0.0.1', port: fixture.gateway.port }] },
    });
    expect(first.acceptMessageTypes).toEqual(['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION']);
  });

  it('refuses bad topic names with ILLEGAL_TOPIC', async () => {
    const response = await unary(client, 'QueryRoute', { topic: { name: 'no spaces' } });
    expect(response.status.code).toBe('ILLEGAL_TOPIC');
    const hidden = await unary(client, 'QueryRoute', { topic: { name: 'RMQ_SYS_TRANS_HALF_TOPIC' } });
    expect(hidden.status.code).toBe('ILLEGAL_TOPIC');
  });

  it('assigns one whole-broker queue to ordinary groups and every read queue to FIFO topics', async () => {
    await fixture.broker.topics.create({ name: 'plain', queueCount: 3 });
    await fixture.broker.topics.create({ name: 'ordered', queueCount: 3, messageType: 'FIFO' });
    await fixture.broker.topics.create({ name: 'write-only', perm: 2 });
    const plain = await unary(client, 'QueryAssignment', { topic: { name: 'plain' }, group: { name: 'g' } });
    expect(plain.status.code).toBe('OK');
    expect(plain.assignments.map((assignment: { messageQueue: { id: number } }) => assignment.messageQueue.id)).toEqual(
      [-1],
    );
    const ordered = await unary(client, 'QueryAssignment', { topic: { name: 'ordered' }, group: { name: 'g' } });
    expect(
      ordered.assignments.map((assignment: { messageQueue: { id?: number } }) => assignment.messageQueue.id ?? 0),
    ).toEqual([0, 1, 2]);
    const unreadable = await unary(client, 'QueryAssignment', { topic: { name: 'write-only' }, group: { name: 'g' } });
    expect(unreadable.status.code).toBe('FORBIDDEN');
  });

  it('answers producer settings with publishing limits and an exponential backoff', async () => {
    const reply = await telemetryOnce(client, {
      settings: { clientType: 'PRODUCER', publishing: { topics: [{ name: 't' }], validateMessageType: true } },
    });
    expect(reply.status.code).toBe('OK');
    expect(reply.settings.publishing).toMatchObject({ maxBodySize: 4 * 1024 * 1024, validateMessageType: true });
    expect(reply.settings.backoffPolicy.maxAttempts).toBe(3);
    expect(reply.settings.backoffPolicy.exponentialBackoff).toBeDefined();
  });

  it('answers push consumer settings with batch size, long polling, FIFO and an exponential backoff', async () => {
    await fixture.broker.topics.create({ name: 'ordered', messageType: 'FIFO' });
    const reply = await telemetryOnce(client, {
      settings: {
        clientType: 'PUSH_CONSUMER',
        subscription: {
          group: { name: 'g' },
          subscriptions: [{ topic: { name: 'ordered' }, expression: { type: 'TAG', expression: '*' } }],
        },
      },
    });
    expect(reply.settings.subscription).toMatchObject({
      fifo: true,
      receiveBatchSize: 32,
      longPollingTimeout: { seconds: 2 },
    });
    expect(reply.settings.backoffPolicy).toMatchObject({ maxAttempts: 17, exponentialBackoff: { multiplier: 2 } });
    expect(fixture.broker.groups.members('g').map((member) => member.clientId)).toEqual(['raw-client@1']);
  });

  it('refuses settings naming a bad group or no client id with a status alone', async () => {
    const badGroup = await telemetryOnce(client, {
      settings: { clientType: 'SIMPLE_CONSUMER', subscription: { group: { name: '' } } },
    });
    expect(badGroup.status.code).toBe('ILLEGAL_CONSUMER_GROUP');
    expect(badGroup.settings).toBeUndefined();
    const anonymous = await telemetryOnce(client, { settings: { clientType: 'PRODUCER' } }, '');
    expect(anonymous.status.code).toBe('CLIENT_ID_REQUIRED');
  });

  it('ends an empty receive with MESSAGE_NOT_FOUND and a delivery timestamp', async () => {
    const responses = await serverStream(client, 'ReceiveMessage', {
      group: { name: 'g' },
      messageQueue: { topic: { name: 'quiet' }, id: 0 },
      batchSize: 4,
      invisibleDuration: { seconds: 10 },
      longPollingTimeout: { seconds: 0 },
    });
    expect(responses.map((response) => response.content)).toEqual(['status', 'deliveryTimestamp']);
    expect(responses[0].status.code).toBe('MESSAGE_NOT_FOUND');
  });

  it('delivers every field the client needs, with an MD5 digest', async () => {
    const receipt = await unary(client, 'SendMessage', {
      messages: [
        {
          topic: { name: 'fields' },
          body: Buffer.from('hello'),
          userProperties: { a: 'b' },
          systemProperties: { messageId: '01ABCDEF', tag: 'T', keys: ['k'], messageType: 'NORMAL', bornHost: 'h1' },
        },
      ],
    });
    expect(receipt.entries[0]).toMatchObject({ status: { code: 'OK' }, messageId: '01ABCDEF' });
    const responses = await serverStream(client, 'ReceiveMessage', {
      group: { name: 'g' },
      messageQueue: { topic: { name: 'fields' }, id: 0 },
      batchSize: 4,
      invisibleDuration: { seconds: 10 },
      longPollingTimeout: { seconds: 1 },
    });
    expect(responses.map((response) => response.content)).toEqual(['status', 'message', 'deliveryTimestamp']);
    const { message } = responses[1];
    expect(message.systemProperties).toMatchObject({
      messageId: '01ABCDEF',
      tag: 'T',
      keys: ['k'],
      bornHost: 'h1',
      bodyDigest: { type: 'MD5', checksum: '5D41402ABC4B2A76B9719D911017C592' },
      bodyEncoding: 'IDENTITY',
      messageType: 'NORMAL',
      deliveryAttempt: 1,
      storeHost: fixture.endpoints,
    });
    expect(message.systemProperties.receiptHandle).toBeTruthy();
    expect(message.systemProperties.bornTimestamp.seconds).toBeGreaterThan(0);
    expect(message.systemProperties.storeTimestamp.seconds).toBeGreaterThan(0);
    expect(message.userProperties).toEqual({ a: 'b' });
  });

  it('answers stale and malformed receipt handles with INVALID_RECEIPT_HANDLE, always returning a handle', async () => {
    const ack = await unary(client, 'AckMessage', {
      group: { name: 'g' },
      topic: { name: 'fields' },
      entries: [{ messageId: 'm', receiptHandle: 'not-a-handle' }],
    });
    expect(ack.status.code).toBe('INVALID_RECEIPT_HANDLE');
    expect(ack.entries[0].status.code).toBe('INVALID_RECEIPT_HANDLE');
    const change = await unary(client, 'ChangeInvisibleDuration', {
      group: { name: 'g' },
      topic: { name: 'fields' },
      receiptHandle: 'not-a-handle',
      invisibleDuration: { seconds: 5 },
    });
    expect(change).toMatchObject({ status: { code: 'INVALID_RECEIPT_HANDLE' }, receiptHandle: 'not-a-handle' });
    const tooLong = await unary(client, 'ChangeInvisibleDuration', {
      group: { name: 'g' },
      topic: { name: 'fields' },
      receiptHandle: 'h',
      invisibleDuration: { seconds: 86_400 },
    });
    expect(tooLong).toMatchObject({ status: { code: 'ILLEGAL_INVISIBLE_TIME' }, receiptHandle: 'h' });
  });

  it('answers the RPCs it does not offer with NOT_IMPLEMENTED and a reason', async () => {
    for (const rpc of ['UpdateOffset', 'GetOffset', 'QueryOffset', 'RecallMessage', 'SyncLiteSubscription']) {
      const response = await unary(client, rpc, {});
      expect(response.status.code).toBe('NOT_IMPLEMENTED');
      expect(response.status.message).toContain(`${rpc} is not implemented by Eddy`);
    }
    const pulled = await serverStream(client, 'PullMessage', {});
    expect(pulled[0].status.code).toBe('NOT_IMPLEMENTED');
  });

  it('answers every RPC with an explicit, non-zero status, even for empty requests', async () => {
    for (const rpc of [
      'QueryRoute',
      'Heartbeat',
      'SendMessage',
      'QueryAssignment',
      'AckMessage',
      'ForwardMessageToDeadLetterQueue',
      'EndTransaction',
      'NotifyClientTermination',
      'ChangeInvisibleDuration',
    ]) {
      const response = await unary(client, rpc, {});
      expect(response.status?.code, rpc).toBeDefined();
      expect(response.status.code, rpc).not.toBe('CODE_UNSPECIFIED');
    }
    const received = await serverStream(client, 'ReceiveMessage', {});
    expect(received[0].status.code).toBe('ILLEGAL_CONSUMER_GROUP');
    const anonymous = await serverStream(client, 'ReceiveMessage', {}, '');
    expect(anonymous[0].status.code).toBe('CLIENT_ID_REQUIRED');
    expect(fixture.observed.some((entry) => entry.rpc === 'SendMessage' && entry.code === 'BAD_REQUEST')).toBe(true);
  });

  it('closes with a Telemetry stream open', async () => {
    await telemetryOnce(client, { settings: { clientType: 'PRODUCER' } });
    await fixture.gateway.close(1000);
  });

  it('refuses a taken port with IO_ERROR and bad options with INVALID_CONFIG', async () => {
    await expect(startRocketMqGateway({ broker: fixture.broker, port: fixture.gateway.port })).rejects.toMatchObject({
      code: 'IO_ERROR',
    });
    await expect(startRocketMqGateway({ broker: fixture.broker, port: 70_000 })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});
