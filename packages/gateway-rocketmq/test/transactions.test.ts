import type { MessageView, TransactionChecker } from 'rocketmq-client-nodejs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Clients, type GatewayFixture, receiveUntil, startGatewayFixture, text } from './fixture.js';

// TransactionResolution of the protocol (the client's generated enum is not importable from ESM).
const COMMIT = 1;

describe('transactional messages through the gateway', () => {
  let fixture: GatewayFixture;
  let clients: Clients;
  const checked: MessageView[] = [];
  const checker: TransactionChecker = {
    check: async (message) => {
      checked.push(message);
      return COMMIT;
    },
  };

  beforeEach(async () => {
    checked.length = 0;
    // Check unresolved half messages after 1 s, every second.
    fixture = await startGatewayFixture({ transactionTimeoutMs: 1000, transactionCheckIntervalMs: 1000 });
    clients = new Clients(fixture);
  });
  afterEach(async () => {
    await clients.shutdown();
    await fixture.close();
  });

  it('delivers a committed message', async () => {
    const producer = await clients.producer(['payments'], checker);
    const consumer = await clients.simpleConsumer('ledger', { payments: '*' });
    const transaction = producer.beginTransaction();
    const receipt = await producer.send({ topic: 'payments', body: Buffer.from('pay 10') }, transaction);
    expect(receipt.transactionId).not.toBe('');
    await transaction.commit();
    const [message] = await receiveUntil(
      () => consumer.receive(1, 30_000),
      (all) => all.length > 0,
    );
    expect(message?.messageId).toBe(receipt.messageId);
    expect(message === undefined ? undefined : text(message)).toBe('pay 10');
  });

  it('never delivers a rolled-back message', async () => {
    const producer = await clients.producer(['refunds'], checker);
    const consumer = await clients.simpleConsumer('refund-readers', { refunds: '*' });
    const transaction = producer.beginTransaction();
    await producer.send({ topic: 'refunds', body: Buffer.from('cancelled') }, transaction);
    await transaction.rollback();
    const after = await producer.send({ topic: 'refunds', body: Buffer.from('sentinel') });
    const received = await receiveUntil(
      () => consumer.receive(32, 30_000),
      (all) => all.some((message) => message.messageId === after.messageId),
    );
    for (const message of received) await consumer.ack(message);
    received.push(...(await consumer.receive(32, 30_000)));
    expect(received.map(text)).toEqual(['sentinel']);
  });

  it('asks the producer about an unresolved transaction and delivers what the checker decides', async () => {
    const producer = await clients.producer(['orphans'], checker);
    const consumer = await clients.simpleConsumer('orphan-readers', { orphans: '*' });
    const transaction = producer.beginTransaction();
    const receipt = await producer.send(
      { topic: 'orphans', body: Buffer.from('forgotten'), tag: 'late', keys: ['o-1'] },
      transaction,
    );
    // Neither commit nor rollback: the broker checks back through the producer's Telemetry stream.
    const [message] = await receiveUntil(
      () => consumer.receive(1, 30_000),
      (all) => all.length > 0,
    );
    expect(message?.messageId).toBe(receipt.messageId);
    expect(checked.length).toBeGreaterThanOrEqual(1);
    const check = checked[0] as MessageView;
    expect(check.messageId).toBe(receipt.messageId);
    expect(text(check)).toBe('forgotten');
    expect(check.tag).toBe('late');
    expect(check.keys).toEqual(['o-1']);
    expect(check.corrupted).toBeFalsy();
  });
});
