import { createMessage, type Message, type StoredMessage, SystemProperty, SystemTopic } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TRANSACTION_NONCE_PROPERTY, TRANSACTION_RESOLUTION_PROPERTY } from './transaction-message.js';
import {
  type HalfMessageCheck,
  TRANSACTION_PROGRESS_EVERY,
  TransactionService,
  type TransactionServiceOptions,
} from './transaction-service.js';
import { progressKey } from './transaction-state.js';

const decoder = new TextDecoder();
const TIMEOUT = 6000;
const INTERVAL = 60_000;

async function all(store: MessageStore, topic: string, queueId = 0): Promise<StoredMessage[]> {
  const read = await store.read(topic, queueId, 0, { maxMessages: 10_000 });
  return read.status === 'ok' ? read.messages : [];
}

async function bodies(store: MessageStore, topic: string, queueId = 0): Promise<string[]> {
  return (await all(store, topic, queueId)).map((message) => decoder.decode(message.body));
}

interface Logged {
  readonly level: string;
  readonly message: string;
  readonly details: object | undefined;
}

describe('TransactionService', () => {
  let clock: FakeClock;
  let store: MessageStore;
  let checks: HalfMessageCheck[];
  let logs: Logged[];
  let appended: string[];
  const services: TransactionService[] = [];

  function make(options: Partial<TransactionServiceOptions> = {}): TransactionService {
    const service = new TransactionService({
      store,
      clock,
      logger: {
        info: (message, details) => logs.push({ level: 'info', message, details }),
        warn: (message, details) => logs.push({ level: 'warn', message, details }),
        error: (message, details) => logs.push({ level: 'error', message, details }),
      },
      onAppended: (topic, queueId) => appended.push(`${topic}/${queueId}`),
      onCheck: (check) => checks.push(check),
      ...options,
    });
    services.push(service);
    return service;
  }

  async function started(options: Partial<TransactionServiceOptions> = {}): Promise<TransactionService> {
    const service = make(options);
    await service.start();
    return service;
  }

  function message(body: string, init: Partial<Parameters<typeof createMessage>[0]> = {}): Message {
    return createMessage(
      { topic: 'orders', body, producerGroup: 'order-producers', transaction: 'prepared', ...init },
      { clock },
    );
  }

  beforeEach(async () => {
    clock = new FakeClock();
    store = await openMemoryStore({ clock });
    checks = [];
    logs = [];
    appended = [];
  });
  afterEach(async () => {
    for (const service of services.splice(0)) await service.stop();
    await store.close();
  });

  describe('prepare', () => {
    it('stores the half message invisibly, with RocketMQ bookkeeping, and returns an id naming it', async () => {
      const service = await started();
      const result = await service.prepare(message('pay 10'), { topic: 'orders', queueId: 2 });
      expect(result.halfOffset).toBe(0);
      expect(result.transactionId).toMatch(/^0{16}[0-9A-F]{16}$/);
      expect(service.pending).toBe(1);
      expect(await all(store, 'orders', 2)).toEqual([]);
      const [half] = await all(store, SystemTopic.TRANSACTION_HALF);
      expect(half?.transaction).toBe('prepared');
      expect(half?.properties).toMatchObject({
        [SystemProperty.REAL_TOPIC]: 'orders',
        [SystemProperty.REAL_QUEUE_ID]: '2',
        [SystemProperty.TRANSACTION_PREPARED]: 'true',
        [SystemProperty.PRODUCER_GROUP]: 'order-producers',
        [TRANSACTION_NONCE_PROPERTY]: result.transactionId.slice(16),
      });
    });

    it('refuses bad targets and calls before start', async () => {
      const service = make();
      await expect(service.prepare(message('x'), { topic: 'orders', queueId: 0 })).rejects.toMatchObject({
        code: 'INTERNAL',
        retriable: true,
      });
      await expect(service.end('0'.repeat(32), 'commit')).rejects.toMatchObject({ code: 'INTERNAL' });
      await service.start();
      await expect(service.prepare(message('x'), { topic: 'orders', queueId: -1 })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      await expect(
        service.prepare(message('x'), { topic: SystemTopic.TRANSACTION_HALF, queueId: 0 }),
      ).rejects.toMatchObject({ code: 'RESERVED_NAME' });
      expect(service.pending).toBe(0);
    });

    it('refuses bad options', () => {
      expect(() => make({ checkIntervalMs: 0 })).toThrow(/checkIntervalMs/);
      expect(() => make({ maxChecks: -1 })).toThrow(/maxChecks/);
    });
  });

  describe('commit and rollback', () => {
    it('commit delivers the message to its real queue once, as the producer sent it', async () => {
      const service = await started();
      const sent = message('pay 10', {
        keys: ['order-1'],
        tag: 'paid',
        properties: { region: 'eu' },
        messageGroup: undefined,
      });
      const { transactionId, halfOffset } = await service.prepare(sent, { topic: 'orders', queueId: 1 });
      const result = await service.end(transactionId, 'commit');
      expect(result).toEqual({ status: 'ok', delivered: { topic: 'orders', queueId: 1, queueOffset: 0 } });
      const delivered = await all(store, 'orders', 1);
      expect(delivered).toHaveLength(1);
      expect(delivered[0]).toMatchObject({
        topic: 'orders',
        messageId: sent.messageId,
        keys: ['order-1'],
        tag: 'paid',
        producerGroup: 'order-producers',
        transaction: 'commit',
        properties: { region: 'eu', [SystemProperty.DELIVERY_ID]: `tx:${halfOffset}` },
      });
      expect(decoder.decode(delivered[0]?.body)).toBe('pay 10');
      expect(Object.keys(delivered[0]?.properties ?? {}).sort()).toEqual([SystemProperty.DELIVERY_ID, 'region']);
      const [op] = await all(store, SystemTopic.TRANSACTION_OP_HALF);
      expect(op?.tag).toBe('d');
      expect(decoder.decode(op?.body)).toBe(String(halfOffset));
      expect(op?.properties[TRANSACTION_RESOLUTION_PROPERTY]).toBe('commit');
      expect(service.pending).toBe(0);
      expect(appended).toEqual(['orders/1']);

      expect(await service.end(transactionId, 'commit')).toEqual({ status: 'not-found' });
      expect(await service.end(transactionId, 'rollback')).toEqual({ status: 'not-found' });
      expect(await all(store, 'orders', 1)).toHaveLength(1);
    });

    it('keeps the message group of a FIFO message', async () => {
      const service = await started();
      const { transactionId } = await service.prepare(message('a', { messageGroup: 'customer-7' }), {
        topic: 'orders',
        queueId: 0,
      });
      await service.end(transactionId, 'commit');
      expect((await all(store, 'orders'))[0]?.messageGroup).toBe('customer-7');
    });

    it('rollback never delivers, and nothing ends the transaction again', async () => {
      const service = await started();
      const { transactionId } = await service.prepare(message('cancelled'), { topic: 'orders', queueId: 0 });
      expect(await service.end(transactionId, 'rollback')).toEqual({ status: 'ok' });
      expect(await service.end(transactionId, 'commit')).toEqual({ status: 'not-found' });
      expect(await service.end(transactionId, 'rollback')).toEqual({ status: 'not-found' });
      expect(await all(store, 'orders')).toEqual([]);
      const ops = await all(store, SystemTopic.TRANSACTION_OP_HALF);
      expect(ops.map((op) => op.properties[TRANSACTION_RESOLUTION_PROPERTY])).toEqual(['rollback']);
      expect(service.pending).toBe(0);
      await clock.advance(20 * INTERVAL);
      expect(checks).toEqual([]);
    });

    it('answers not-found for unknown, malformed and guessed ids, and leaves the real one pending', async () => {
      const service = await started();
      const { transactionId } = await service.prepare(message('x'), { topic: 'orders', queueId: 0 });
      const guessed = `${transactionId.slice(0, -1)}${transactionId.endsWith('0') ? '1' : '0'}`;
      for (const id of [
        '',
        'nope',
        `${'0'.repeat(15)}1${transactionId.slice(16)}`,
        guessed,
        transactionId.toLowerCase(),
      ]) {
        expect(await service.end(id, 'commit'), id).toEqual({ status: 'not-found' });
      }
      expect(service.pending).toBe(1);
      await expect(service.end(transactionId, 'maybe' as 'commit')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(service.pending).toBe(1);
      expect((await service.end(transactionId, 'commit')).status).toBe('ok');
    });

    it('lets exactly one of several concurrent ends of one transaction through', async () => {
      const service = await started();
      const { transactionId } = await service.prepare(message('once'), { topic: 'orders', queueId: 0 });
      const results = await Promise.all([
        service.end(transactionId, 'commit'),
        service.end(transactionId, 'commit'),
        service.end(transactionId, 'rollback'),
      ]);
      expect(results.map((result) => result.status)).toEqual(['ok', 'not-found', 'not-found']);
      expect(await bodies(store, 'orders')).toEqual(['once']);
    });

    it('resolves many concurrent transactions, each exactly once', async () => {
      const service = await started();
      const prepared = await Promise.all(
        Array.from({ length: 60 }, (_, i) => service.prepare(message(`m${i}`), { topic: 'orders', queueId: i % 3 })),
      );
      await Promise.all(prepared.map((p, i) => service.end(p.transactionId, i % 2 === 0 ? 'commit' : 'rollback')));
      const delivered = [
        ...(await bodies(store, 'orders', 0)),
        ...(await bodies(store, 'orders', 1)),
        ...(await bodies(store, 'orders', 2)),
      ];
      expect(delivered.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i * 2}`).sort());
      expect(service.pending).toBe(0);
    });

    it('lets concurrent resolutions share journal relays (group commit)', async () => {
      let intents = 0;
      const counting = new Proxy(store.metadata, {
        get(target, property) {
          if (property === 'put') {
            return (key: string, value: Uint8Array) => {
              if (key.startsWith('consume/journal/')) intents++;
              return target.put(key, value);
            };
          }
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const service = await started({ metadata: counting });
      const prepared = await Promise.all(
        Array.from({ length: 40 }, (_, i) => service.prepare(message(`m${i}`), { topic: 'orders', queueId: 0 })),
      );
      const results = await Promise.all(prepared.map((p) => service.end(p.transactionId, 'commit')));
      expect(intents).toBeLessThan(40);
      expect(new Set(results.map((result) => result.delivered?.queueOffset)).size).toBe(40);
      expect((await bodies(store, 'orders')).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`).sort());
    });

    it('uses the target topic as the producer group when the message has none (as RocketMQ 5 does for gRPC)', async () => {
      const service = await started();
      await service.prepare(message('x', { producerGroup: undefined }), { topic: 'orders', queueId: 0 });
      await clock.advance(TIMEOUT);
      expect(checks.map((check) => check.producerGroup)).toEqual(['orders']);
    });
  });

  describe('check-back', () => {
    it('asks once the timeout passed, then once per interval, counting, then rolls back after maxChecks', async () => {
      const service = await started();
      const sent = message('unsure', { keys: ['k1'], properties: { region: 'eu' } });
      const { transactionId, halfOffset } = await service.prepare(sent, { topic: 'orders', queueId: 3 });
      await clock.advance(TIMEOUT - 1);
      expect(checks).toEqual([]);
      await clock.advance(1);
      expect(checks).toHaveLength(1);
      const [first] = checks;
      expect(first).toMatchObject({ transactionId, producerGroup: 'order-producers', checkTimes: 1 });
      expect(first?.message).toMatchObject({
        topic: 'orders',
        queueId: 3,
        queueOffset: halfOffset,
        messageId: sent.messageId,
        keys: ['k1'],
        transaction: 'prepared',
        properties: { region: 'eu' },
      });
      expect(Object.keys(first?.message.properties ?? {})).toEqual(['region']);

      await clock.advance(INTERVAL - 1);
      expect(checks).toHaveLength(1);
      await clock.advance(1);
      expect(checks.map((check) => check.checkTimes)).toEqual([1, 2]);
      await clock.advance(13 * INTERVAL);
      expect(checks.map((check) => check.checkTimes)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect(service.pending).toBe(1);

      // The 16th due time: no 16th check, a rollback instead.
      await clock.advance(INTERVAL);
      await service.whenIdle();
      expect(checks).toHaveLength(15);
      expect(service.pending).toBe(0);
      expect(await all(store, 'orders', 3)).toEqual([]);
      const [kept] = await all(store, SystemTopic.TRANSACTION_CHECK_MAX_TIME);
      expect(kept).toMatchObject({
        messageId: sent.messageId,
        properties: {
          region: 'eu',
          [SystemProperty.REAL_TOPIC]: 'orders',
          [SystemProperty.REAL_QUEUE_ID]: '3',
          [SystemProperty.TRANSACTION_CHECK_TIMES]: '15',
        },
      });
      const ops = await all(store, SystemTopic.TRANSACTION_OP_HALF);
      expect(ops.map((op) => op.properties[TRANSACTION_RESOLUTION_PROPERTY])).toEqual(['discard']);
      const errors = logs.filter((log) => log.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]?.details).toMatchObject({
        messageId: sent.messageId,
        producerGroup: 'order-producers',
        transactionId,
        checkTimes: 15,
      });
      expect(appended).toEqual([`${SystemTopic.TRANSACTION_CHECK_MAX_TIME}/0`]);
      expect(await service.end(transactionId, 'commit')).toEqual({ status: 'not-found' });
      expect(clock.pendingTasks).toBe(0);
      await clock.advance(10 * INTERVAL);
      expect(checks).toHaveLength(15);
    });

    it('resolves through an answer to a check (fromCheck), and stops checking', async () => {
      const service = await started({
        onCheck: (check) => {
          checks.push(check);
          if (check.checkTimes === 2) void service.end(check.transactionId, 'commit', { fromCheck: true });
        },
      });
      await service.prepare(message('late answer'), { topic: 'orders', queueId: 0 });
      await clock.advance(TIMEOUT + INTERVAL);
      await service.whenIdle();
      expect(checks.map((check) => check.checkTimes)).toEqual([1, 2]);
      expect(await bodies(store, 'orders')).toEqual(['late answer']);
      expect(service.pending).toBe(0);
      await clock.advance(20 * INTERVAL);
      expect(checks).toHaveLength(2);
      expect(logs.some((log) => log.message.includes('check-back answer'))).toBe(true);
    });

    it('keeps checking when onCheck throws', async () => {
      const service = await started({
        maxChecks: 2,
        onCheck: (check) => {
          checks.push(check);
          throw new Error('no producer online');
        },
      });
      await service.prepare(message('x'), { topic: 'orders', queueId: 0 });
      await clock.advance(TIMEOUT + INTERVAL);
      expect(checks.map((check) => check.checkTimes)).toEqual([1, 2]);
      expect(logs.filter((log) => log.level === 'warn')).toHaveLength(2);
    });

    it('honours CHECK_IMMUNITY_TIME_IN_SECONDS, longer or shorter than the timeout', async () => {
      const service = await started();
      const immune = (seconds: string, body: string) =>
        message(body, { properties: { [SystemProperty.CHECK_IMMUNITY_TIME_IN_SECONDS]: seconds } });
      await service.prepare(immune('30', 'thirty'), { topic: 'orders', queueId: 0 });
      await service.prepare(immune('1', 'one'), { topic: 'orders', queueId: 0 });
      await service.prepare(immune('soon', 'invalid'), { topic: 'orders', queueId: 0 });
      const seen = (): string[] => checks.map((check) => decoder.decode(check.message.body));
      await clock.advance(1000);
      expect(seen()).toEqual(['one']);
      await clock.advance(TIMEOUT - 1000);
      expect(seen()).toEqual(['one', 'invalid']);
      await clock.advance(30_000 - TIMEOUT - 1);
      expect(seen()).toEqual(['one', 'invalid']);
      await clock.advance(1);
      expect(seen()).toEqual(['one', 'invalid', 'thirty']);
      // After the first check, the interval applies to every message.
      await clock.advance(INTERVAL);
      expect(checks.filter((check) => check.checkTimes === 2)).toHaveLength(3);
    });

    it('holds one clock task however many halves wait, and none when nothing does', async () => {
      const service = await started();
      expect(clock.pendingTasks).toBe(0);
      const prepared = [];
      for (let i = 0; i < 50; i++) {
        prepared.push(await service.prepare(message(`m${i}`), { topic: 'orders', queueId: 0 }));
        await clock.advance(10);
      }
      expect(clock.pendingTasks).toBe(1);
      await clock.advance(TIMEOUT);
      expect(checks).toHaveLength(50);
      expect(clock.pendingTasks).toBe(1);
      for (const { transactionId } of prepared) await service.end(transactionId, 'rollback');
      await clock.advance(INTERVAL);
      expect(clock.pendingTasks).toBe(0);
      expect(checks).toHaveLength(50);
    });

    it('uses the configured timeout, interval and maximum', async () => {
      const service = await started({ timeoutMs: 1000, checkIntervalMs: 5000, maxChecks: 2 });
      await service.prepare(message('x'), { topic: 'orders', queueId: 0 });
      await clock.advance(1000);
      await clock.advance(5000);
      expect(checks.map((check) => check.checkTimes)).toEqual([1, 2]);
      await clock.advance(5000);
      await service.whenIdle();
      expect(service.pending).toBe(0);
      expect(await all(store, SystemTopic.TRANSACTION_CHECK_MAX_TIME)).toHaveLength(1);
    });

    it('stops checking when stopped', async () => {
      const service = await started();
      await service.prepare(message('x'), { topic: 'orders', queueId: 0 });
      await service.stop();
      expect(clock.pendingTasks).toBe(0);
      await clock.advance(TIMEOUT * 10);
      expect(checks).toEqual([]);
    });
  });

  describe('restart (same store, new service)', () => {
    it('keeps pending halves and their check counts, and does not deliver committed ones again', async () => {
      const first = await started();
      const a = await first.prepare(message('committed'), { topic: 'orders', queueId: 0 });
      const b = await first.prepare(message('checked twice'), { topic: 'orders', queueId: 0 });
      await first.end(a.transactionId, 'commit');
      await clock.advance(TIMEOUT + INTERVAL);
      expect(checks.map((check) => check.checkTimes)).toEqual([1, 2]);
      await first.stop();

      checks = [];
      const second = await started();
      expect(second.pending).toBe(1);
      expect(await second.end(a.transactionId, 'commit')).toEqual({ status: 'not-found' });
      await clock.advance(INTERVAL - 1);
      expect(checks).toEqual([]);
      await clock.advance(1);
      expect(checks.map((check) => [check.transactionId, check.checkTimes])).toEqual([[b.transactionId, 3]]);
      expect((await second.end(b.transactionId, 'commit')).status).toBe('ok');
      expect(await bodies(store, 'orders')).toEqual(['committed', 'checked twice']);
    });

    it('reads only from the watermarks on: cost follows unresolved work, not history', async () => {
      const first = await started();
      const old = await first.prepare(message('old and open'), { topic: 'orders', queueId: 0 });
      for (let i = 0; i < 40; i++) {
        const { transactionId } = await first.prepare(message(`m${i}`), { topic: 'orders', queueId: 0 });
        await first.end(transactionId, i % 2 === 0 ? 'commit' : 'rollback');
      }
      await first.stop();
      const second = await started();
      expect(second.lastRecovery).toMatchObject({ from: { halfOffset: 0, opOffset: 0 }, halvesRead: 41, pending: 1 });
      await second.end(old.transactionId, 'rollback');
      await second.stop();

      const third = await started();
      expect(third.lastRecovery).toMatchObject({
        from: { halfOffset: 41, opOffset: 41 },
        halvesRead: 0,
        opRecordsRead: 0,
      });
      expect(third.pending).toBe(0);
      expect((await bodies(store, 'orders')).length).toBe(20);
    });

    it('writes the watermarks every TRANSACTION_PROGRESS_EVERY resolutions without a stop', async () => {
      const service = await started();
      expect(await store.metadata.get(progressKey())).toBeUndefined();
      for (let i = 0; i < TRANSACTION_PROGRESS_EVERY; i++) {
        const { transactionId } = await service.prepare(message(`m${i}`), { topic: 'orders', queueId: 0 });
        await service.end(transactionId, 'rollback');
      }
      await service.whenIdle();
      const written = await store.metadata.get(progressKey());
      expect(JSON.parse(decoder.decode(written))).toMatchObject({
        halfOffset: TRANSACTION_PROGRESS_EVERY,
        opOffset: TRANSACTION_PROGRESS_EVERY,
      });
    });

    it('finishes a commit whose op record append failed, once, at the next start', async () => {
      const failing = new Proxy(store, {
        get(target, property) {
          if (property === 'append') {
            return (topic: string, queueId: number, messages: readonly Message[]) =>
              topic === SystemTopic.TRANSACTION_OP_HALF
                ? Promise.reject(new Error('disk gone'))
                : target.append(topic, queueId, messages);
          }
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const broken = await started({ store: failing });
      const { transactionId } = await broken.prepare(message('half done'), { topic: 'orders', queueId: 0 });
      await expect(broken.end(transactionId, 'commit')).rejects.toThrow('disk gone');
      expect(broken.pending).toBe(0);
      expect(await broken.end(transactionId, 'commit')).toEqual({ status: 'not-found' });
      expect(await bodies(store, 'orders')).toEqual(['half done']);
      await broken.stop();

      const healed = await started();
      expect(healed.lastRecovery).toMatchObject({ relaysFinished: 1, messagesAppended: 1, pending: 0 });
      expect(await bodies(store, 'orders')).toEqual(['half done']);
      expect(await all(store, SystemTopic.TRANSACTION_OP_HALF)).toHaveLength(1);
      expect(await healed.end(transactionId, 'commit')).toEqual({ status: 'not-found' });
    });
  });
});
