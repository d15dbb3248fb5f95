import { connect } from 'node:net';
import { type Broker, createBroker } from '@eddy/broker';
import { EddyError } from '@eddy/message';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock, freePort } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricsRegistry, type RunningAdminHttp, startAdminHttp } from '../src/index.js';

const T0 = Date.UTC(2026, 0, 1);
const MAX_REQUEST_BYTES = 4096;

// biome-ignore lint/suspicious/noExplicitAny: answers are arbitrary JSON, checked by the assertions
type Json = any;

interface Answer {
  readonly status: number;
  readonly body: Json;
  readonly text: string;
  readonly headers: Headers;
}

/** Sends raw bytes on a fresh connection and returns everything the server wrote before closing it. */
function rawExchange(port: number, bytes: string, options: { destroyAfterWrite?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.write(bytes, () => {
      if (options.destroyAfterWrite) socket.destroy();
    });
  });
}

/** The value of one sample line of a Prometheus exposition, or undefined when there is no such line. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

// Every line of the text format 0.0.4: a comment, or `name{label="value",…} value`.
const EXPOSITION_LINE =
  /^(?:# (?:HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*|[a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*\})? (?:[-+]?(?:\d+(?:\.\d+)?(?:e[-+]?\d+)?|Inf)|NaN))$/;

describe('admin HTTP over a real broker', () => {
  let clock: FakeClock;
  let broker: Broker;
  let metrics: MetricsRegistry;
  let admin: RunningAdminHttp;
  let ready: boolean;
  let closeStore: () => Promise<void>;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    clock = new FakeClock(T0);
    const store = await openMemoryStore({ clock });
    closeStore = () => store.close();
    broker = createBroker({ store, clock, autoCreateTopics: false });
    await broker.start();
    metrics = new MetricsRegistry();
    ready = true;
    admin = await startAdminHttp({
      broker,
      metrics,
      port: 0,
      isReady: () => ready,
      storeSizeBytes: () => 1234,
      maxRequestBytes: MAX_REQUEST_BYTES,
    });
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await admin.close();
    await broker.close();
    await closeStore();
  });

  async function call(method: string, path: string, json?: unknown, init: RequestInit = {}): Promise<Answer> {
    const response = await fetch(`${admin.url}${path}`, {
      method,
      ...(json === undefined ? {} : { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } }),
      ...init,
    });
    const text = await response.text();
    const isJson = response.headers.get('content-type')?.startsWith('application/json') === true;
    return {
      status: response.status,
      body: isJson && text !== '' ? JSON.parse(text) : undefined,
      text,
      headers: response.headers,
    };
  }

  async function scrape(): Promise<string> {
    const answer = await call('GET', '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    for (const line of answer.text.split('\n').slice(0, -1)) expect(line).toMatch(EXPOSITION_LINE);
    expect(answer.text.endsWith('\n')).toBe(true);
    return answer.text;
  }

  async function createTopic(name: string, queueCount = 2): Promise<void> {
    expect((await call('POST', '/admin/topics', { name, queueCount })).status).toBe(201);
  }

  function producer() {
    const created = broker.createProducer({ group: 'producers' });
    cleanups.push(() => created.close());
    return created;
  }

  function consumer(group: string, topic: string) {
    const created = broker.createSimpleConsumer({ group, subscriptions: { [topic]: '*' } });
    cleanups.push(() => created.close());
    return created;
  }

  describe('GET /healthz', () => {
    it('answers 200 while ready and 503 otherwise', async () => {
      expect(await call('GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
      ready = false;
      expect(await call('GET', '/healthz')).toMatchObject({ status: 503, body: { status: 'unavailable' } });
      expect((await fetch(`${admin.url}/healthz`, { method: 'HEAD' })).status).toBe(503);
    });

    it('answers 503 when the readiness check throws, and is ready by default', async () => {
      const throwing = await startAdminHttp({
        broker,
        metrics,
        port: 0,
        isReady: () => {
          throw new Error('probe broke');
        },
      });
      const always = await startAdminHttp({ broker, metrics, port: await freePort() });
      try {
        expect((await fetch(`${throwing.url}/healthz`)).status).toBe(503);
        expect((await fetch(`${always.url}/healthz`)).status).toBe(200);
      } finally {
        await throwing.close();
        await always.close();
      }
    });
  });

  describe('topics', () => {
    it('creates, lists, describes, changes and deletes a topic', async () => {
      const created = await call('POST', '/admin/topics', { name: 'orders', queueCount: 2 });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe('/admin/topics/orders');
      expect(created.body).toMatchObject({ name: 'orders', readQueueNums: 2, writeQueueNums: 2, retentionMs: null });
      await createTopic('audit', 1);

      const listed = await call('GET', '/admin/topics');
      expect(listed.status).toBe(200);
      expect(listed.body.topics.map((topic: Json) => topic.name)).toEqual(['audit', 'orders']);

      const sender = producer();
      for (let index = 0; index < 3; index++) {
        await sender.send({ topic: 'orders', body: `m${index}` }, { queueId: 1 });
      }
      const described = await call('GET', '/admin/topics/orders');
      expect(described.status).toBe(200);
      expect(described.body).toMatchObject({ name: 'orders', readQueueNums: 2, writeQueueNums: 2, perm: 6 });
      expect(described.body.queues).toContainEqual({ queueId: 1, minOffset: 0, maxOffset: 3 });

      const patched = await call('PATCH', '/admin/topics/orders', { writeQueueNums: 1, retentionMs: 60_000 });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ name: 'orders', readQueueNums: 2, writeQueueNums: 1, retentionMs: 60_000 });
      expect((await call('GET', '/admin/topics/orders')).body).toMatchObject({
        writeQueueNums: 1,
        retentionMs: 60_000,
      });

      expect(await call('DELETE', '/admin/topics/orders')).toMatchObject({ status: 200, body: { deleted: true } });
      expect(await call('GET', '/admin/topics/orders')).toMatchObject({
        status: 404,
        body: { error: { code: 'UNKNOWN_TOPIC' } },
      });
      expect((await call('DELETE', '/admin/topics/orders')).status).toBe(404);
      expect((await call('GET', '/admin/topics')).body.topics.map((topic: Json) => topic.name)).toEqual(['audit']);
    });

    it('maps broker errors through the one table: 409 for an existing topic, 404 for an unknown one', async () => {
      await createTopic('orders');
      expect(await call('POST', '/admin/topics', { name: 'orders' })).toMatchObject({
        status: 409,
        body: { error: { code: 'TOPIC_EXISTS' } },
      });
      expect(await call('PATCH', '/admin/topics/nope', { perm: 4 })).toMatchObject({
        status: 404,
        body: { error: { code: 'UNKNOWN_TOPIC' } },
      });
      expect(await call('GET', '/admin/topics/bad%20name')).toMatchObject({
        status: 400,
        body: { error: { code: 'INVALID_NAME' } },
      });
    });

    it('refuses bad bodies with 400 naming the field', async () => {
      const cases: [unknown, RegExp][] = [
        [{ name: 'orders', queueCount: 0 }, /^invalid create-topic request: queueCount: /],
        [{ name: 'orders', messageType: 'BULK' }, /^invalid create-topic request: messageType: /],
        [{ name: 'bad name' }, /^invalid create-topic request: name: /],
        [{ name: '%DLQ%g' }, /^invalid create-topic request: name: .*characters outside/],
        [{ name: 'SCHEDULE_TOPIC_XXXX' }, /^invalid create-topic request: name: .*reserved/],
        [{ queueCount: 2 }, /^invalid create-topic request: name: /],
        [{ name: 'orders', queueCnt: 2 }, /queueCnt/],
        [[1, 2], /^invalid create-topic request: \(root\): /],
      ];
      for (const [body, message] of cases) {
        const answer = await call('POST', '/admin/topics', body);
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.body.error.code).toBe('INVALID_ARGUMENT');
        expect(answer.body.error.message).toMatch(message);
      }
      await createTopic('orders');
      const patch = await call('PATCH', '/admin/topics/orders', { perm: 'rw' });
      expect(patch).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } });
      expect(patch.body.error.message).toMatch(/^invalid update-topic request: perm: /);
      expect((await call('GET', '/admin/topics')).body.topics).toHaveLength(1);
    });
  });

  describe('HTTP rules', () => {
    it('answers malformed and empty JSON with 400 INVALID_JSON', async () => {
      const malformed = await call('POST', '/admin/topics', undefined, { body: '{"name": "orders",' });
      expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'INVALID_JSON' } } });
      expect(malformed.body.error.message).toMatch(/^request body is not JSON: /);
      const empty = await call('POST', '/admin/topics', undefined, { body: '' });
      expect(empty.body.error).toEqual({ code: 'INVALID_JSON', message: 'request body is empty; expected JSON' });
    });

    it('refuses a body over maxRequestBytes with 413, unread, and answers the next request', async () => {
      const huge = await call('POST', '/admin/topics', undefined, { body: ' '.repeat(64 * 1024) });
      expect(huge.status).toBe(413);
      expect(huge.body.error).toEqual({
        code: 'REQUEST_TOO_LARGE',
        message: `request body is ${64 * 1024} bytes; the limit is ${MAX_REQUEST_BYTES} (maxRequestBytes)`,
      });
      expect(huge.headers.get('connection')).toBe('close');

      // Without a Content-Length (chunked), reading stops once the limit is passed.
      const chunks = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let index = 0; index < 16; index++) controller.enqueue(new Uint8Array(1024).fill(0x20));
          controller.close();
        },
      });
      const chunked = await call('POST', '/admin/topics', undefined, { body: chunks, duplex: 'half' } as RequestInit);
      expect(chunked.status).toBe(413);
      expect(chunked.body.error.message).toBe(
        `request body exceeds the limit of ${MAX_REQUEST_BYTES} bytes (maxRequestBytes)`,
      );
      expect((await call('GET', '/healthz')).status).toBe(200);
    });

    it('answers unknown paths with 404, wrong methods with 405 and Allow, bad encoding with 400', async () => {
      expect(await call('GET', '/nope')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
      expect((await call('GET', '/admin/topics/')).status).toBe(404);
      expect((await call('POST', '/nope', undefined, { body: 'x'.repeat(1000) })).status).toBe(404);
      const wrong = await call('PUT', '/admin/topics');
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('GET, POST, HEAD');
      expect(wrong.body.error).toEqual({
        code: 'METHOD_NOT_ALLOWED',
        message: 'PUT is not allowed on /admin/topics; use GET, POST, HEAD',
      });
      expect((await call('DELETE', '/metrics')).status).toBe(405);
      expect((await call('GET', '/admin/groups/g/offsets/reset')).headers.get('allow')).toBe('POST');
      expect(await call('GET', '/admin/topics/%E0%A4%A')).toMatchObject({
        status: 400,
        body: { error: { code: 'INVALID_ARGUMENT', message: "path parameter 'name' is not valid percent-encoding" } },
      });
    });

    it('survives malformed HTTP, aborted requests and dropped connections', async () => {
      const garbage = await rawExchange(admin.port, 'THIS IS NOT HTTP\r\n\r\n');
      expect(garbage).toMatch(/^HTTP\/1\.1 400 Bad Request/);
      await rawExchange(
        admin.port,
        'POST /admin/topics HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"name"',
        { destroyAfterWrite: true },
      );
      await rawExchange(admin.port, 'GET /admin/to', { destroyAfterWrite: true });
      const abort = new AbortController();
      const slow = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"name":'));
          setTimeout(() => abort.abort(), 20);
        },
      });
      await expect(
        fetch(`${admin.url}/admin/topics`, {
          method: 'POST',
          body: slow,
          duplex: 'half',
          signal: abort.signal,
        } as RequestInit),
      ).rejects.toThrow();
      await createTopic('orders');
      expect((await call('GET', '/admin/topics')).body.topics).toHaveLength(1);
    });
  });

  describe('consumer groups, lag and offset resets', () => {
    it('lists known groups, shows members and lag, and resets offsets', async () => {
      await createTopic('orders', 2);
      const sender = producer();
      for (let index = 0; index < 3; index++) await sender.send({ topic: 'orders', body: `a${index}` }, { queueId: 0 });
      for (let index = 0; index < 2; index++) await sender.send({ topic: 'orders', body: `b${index}` }, { queueId: 1 });

      expect(await call('GET', '/admin/groups/analytics')).toMatchObject({
        status: 404,
        body: { error: { code: 'NOT_FOUND' } },
      });
      const reader = consumer('analytics', 'orders');

      expect((await call('GET', '/admin/groups')).body).toEqual({ groups: [{ group: 'analytics', members: 1 }] });
      const described = await call('GET', '/admin/groups/analytics');
      expect(described.status).toBe(200);
      expect(described.body.members).toHaveLength(1);
      expect(described.body.members[0]).toMatchObject({
        clientId: reader.clientId,
        messageModel: 'CLUSTERING',
        subscriptions: [{ topic: 'orders', filterType: 'TAG', expression: '*' }],
      });
      expect(described.body.consistency).toMatchObject({ consistent: true, differences: [] });

      // Everything from the start: 5 messages to go.
      const earliest = await call('POST', '/admin/groups/analytics/offsets/reset', { topic: 'orders', to: 'earliest' });
      expect(earliest.status).toBe(200);
      expect(earliest.body).toEqual({
        group: 'analytics',
        topic: 'orders',
        offsets: [
          { queueId: 0, offset: 0 },
          { queueId: 1, offset: 0 },
        ],
      });
      const lagging = await call('GET', '/admin/groups/analytics');
      expect(lagging.body.totalLag).toBe(5);
      expect(lagging.body.lag).toEqual([
        { topic: 'orders', queueId: 0, committedOffset: 0, maxOffset: 3, lag: 3 },
        { topic: 'orders', queueId: 1, committedOffset: 0, maxOffset: 2, lag: 2 },
      ]);
      let text = await scrape();
      expect(sample(text, 'eddy_consumer_lag{group="analytics",topic="orders",queue="0"}')).toBe(3);
      expect(sample(text, 'eddy_consumer_lag{group="analytics",topic="orders",queue="1"}')).toBe(2);
      expect(sample(text, 'eddy_messages_in_total{topic="orders"}')).toBe(5);
      expect(sample(text, 'eddy_bytes_in_total{topic="orders"}')).toBeGreaterThan(0);
      expect(sample(text, 'eddy_messages_out_total{topic="orders"}') ?? 0).toBe(0);

      // Consume and ack everything: the out counters grow, the lag drains.
      let consumed = 0;
      for (let round = 0; round < 10 && consumed < 5; round++) {
        for (const message of await reader.receive({ maxMessages: 16 })) {
          expect((await reader.ack(message)).status).toBe('ok');
          consumed++;
        }
      }
      expect(consumed).toBe(5);
      text = await scrape();
      expect(sample(text, 'eddy_messages_out_total{topic="orders"}')).toBe(5);
      expect(sample(text, 'eddy_bytes_out_total{topic="orders"}')).toBeGreaterThan(0);
      expect(sample(text, 'eddy_consumer_lag{group="analytics",topic="orders",queue="0"}')).toBe(0);
      expect((await call('GET', '/admin/groups/analytics')).body.totalLag).toBe(0);

      // One queue to an offset; every queue to a time; every queue to the end.
      expect(
        (
          await call('POST', '/admin/groups/analytics/offsets/reset', {
            topic: 'orders',
            to: { offset: 1 },
            queueId: 0,
          })
        ).body.offsets,
      ).toEqual([{ queueId: 0, offset: 1 }]);
      expect((await call('GET', '/admin/groups/analytics')).body.totalLag).toBe(2);
      expect(
        (await call('POST', '/admin/groups/analytics/offsets/reset', { topic: 'orders', to: { offset: 99 } })).body
          .offsets,
      ).toEqual([
        { queueId: 0, offset: 3 },
        { queueId: 1, offset: 2 },
      ]);
      expect(
        (await call('POST', '/admin/groups/analytics/offsets/reset', { topic: 'orders', to: { timestamp: T0 } })).body
          .offsets,
      ).toEqual([
        { queueId: 0, offset: 0 },
        { queueId: 1, offset: 0 },
      ]);
      expect(
        (await call('POST', '/admin/groups/analytics/offsets/reset', { topic: 'orders', to: 'latest' })).body.offsets,
      ).toEqual([
        { queueId: 0, offset: 3 },
        { queueId: 1, offset: 2 },
      ]);
      expect((await call('GET', '/admin/groups/analytics')).body.totalLag).toBe(0);
    });

    it('resets to a timestamp on one queue, and keeps a group with offsets but no member known', async () => {
      await createTopic('orders', 1);
      const sender = producer();
      for (let index = 0; index < 4; index++) {
        clock.set(T0 + 1000 * index);
        await sender.send({ topic: 'orders', body: `m${index}` }, { queueId: 0 });
      }
      const reset = await call('POST', '/admin/groups/offline/offsets/reset', {
        topic: 'orders',
        to: { timestamp: T0 + 2000 },
        queueId: 0,
      });
      expect(reset.body.offsets).toEqual([{ queueId: 0, offset: 2 }]);
      // No member ever joined: the committed offset makes the group known, and its lag is scraped.
      expect((await call('GET', '/admin/groups')).body.groups).toContainEqual({ group: 'offline', members: 0 });
      expect((await call('GET', '/admin/groups/offline')).body).toMatchObject({ members: [], totalLag: 2 });
      expect(sample(await scrape(), 'eddy_consumer_lag{group="offline",topic="orders",queue="0"}')).toBe(2);
    });

    it('refuses resets of unknown topics and queues, and bad bodies naming the field', async () => {
      await createTopic('orders', 2);
      expect(await call('POST', '/admin/groups/g/offsets/reset', { topic: 'nope', to: 'latest' })).toMatchObject({
        status: 404,
        body: { error: { code: 'UNKNOWN_TOPIC' } },
      });
      expect(
        await call('POST', '/admin/groups/g/offsets/reset', { topic: 'orders', to: 'latest', queueId: 7 }),
      ).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_QUEUE' } } });
      const cases: [unknown, RegExp][] = [
        [{ topic: 'orders', to: 'oldest' }, /: to: expected 'earliest', 'latest', \{ timestamp \} or \{ offset \}/],
        [{ topic: 'orders', to: { offset: -1 } }, /: to\.offset: /],
        [{ to: 'latest' }, /: topic: /],
        [{ topic: 'orders', to: 'latest', queueId: 1.5 }, /: queueId: /],
      ];
      for (const [body, message] of cases) {
        const answer = await call('POST', '/admin/groups/g/offsets/reset', body);
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.body.error.message).toMatch(message);
      }
      expect(
        (await call('POST', '/admin/groups/bad%20group/offsets/reset', { topic: 'orders', to: 'latest' })).body,
      ).toMatchObject({ error: { code: 'INVALID_NAME' } });
    });
  });

  describe('messages and dead letters', () => {
    it('finds a message by id and by key, with the body as base64 and as text when it is UTF-8', async () => {
      await createTopic('orders', 1);
      const sender = producer();
      const text = await sender.send({ topic: 'orders', body: 'héllo', keys: ['order-1'], tag: 'TagA' });
      const binary = await sender.send({ topic: 'orders', body: new Uint8Array([0xff, 0x00]), keys: ['order-1'] });
      await sender.send({ topic: 'orders', body: 'other', keys: ['order-2'] });

      const found = await call('GET', `/admin/messages/${encodeURIComponent(text.messageId)}`);
      expect(found.status).toBe(200);
      expect(found.body).toMatchObject({
        messageId: text.messageId,
        topic: 'orders',
        queueId: 0,
        queueOffset: 0,
        tag: 'TagA',
        keys: ['order-1'],
        bodySize: 6,
        bodyBase64: Buffer.from('héllo').toString('base64'),
        bodyUtf8: 'héllo',
      });
      const bytes = await call('GET', `/admin/messages/${encodeURIComponent(binary.messageId)}`);
      expect(bytes.body.bodyBase64).toBe('/wA=');
      expect(bytes.body).not.toHaveProperty('bodyUtf8');
      expect(await call('GET', '/admin/messages/no-such-id')).toMatchObject({
        status: 404,
        body: { error: { code: 'NOT_FOUND' } },
      });

      const byKey = await call('GET', '/admin/messages?topic=orders&key=order-1');
      expect(byKey.status).toBe(200);
      expect(byKey.body.messages.map((message: Json) => message.messageId).sort()).toEqual(
        [text.messageId, binary.messageId].sort(),
      );
      expect((await call('GET', '/admin/messages?topic=orders&key=order-1&limit=1')).body.messages).toHaveLength(1);
      const missing = await call('GET', '/admin/messages?topic=orders');
      expect(missing.status).toBe(400);
      expect(missing.body.error.message).toMatch(/^invalid message query: key: /);
      expect((await call('GET', '/admin/messages?topic=orders&key=k&limit=0')).body.error.message).toMatch(/limit/);
    });

    it('re-sends a dead letter to the retry topic, and 404s an unknown one', async () => {
      await createTopic('orders', 1);
      const sent = await producer().send({ topic: 'orders', body: 'poison', keys: ['p-1'] });
      const reader = consumer('billing', 'orders');
      await call('POST', '/admin/groups/billing/offsets/reset', { topic: 'orders', to: 'earliest' });
      const [message] = await reader.receive({ maxMessages: 1 });
      expect(message?.messageId).toBe(sent.messageId);
      const forwarded = await broker.forwardToDeadLetter('billing', 'orders', message?.receiptHandle ?? '');
      expect(forwarded.status).toBe('ok');

      const dlq = await call('GET', '/admin/topics/%25DLQ%25billing');
      expect(dlq.status).toBe(200);
      expect(dlq.body.name).toBe('%DLQ%billing');
      expect(dlq.body.queues).toHaveLength(1);
      expect((await call('GET', `/admin/messages/${sent.messageId}`)).body.topic).toBe('%DLQ%billing');

      const resent = await call('POST', '/admin/dlq/billing/resend', { messageId: sent.messageId });
      expect(resent).toMatchObject({ status: 200, body: { resent: true, target: 'retry' } });
      expect((await call('GET', `/admin/messages/${sent.messageId}`)).body.topic).toBe('%RETRY%billing');

      expect(await call('POST', '/admin/dlq/billing/resend', { messageId: 'no-such-id' })).toMatchObject({
        status: 404,
        body: { error: { code: 'NOT_FOUND' } },
      });
      const bad = await call('POST', '/admin/dlq/billing/resend', { messageId: '' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/^invalid dead-letter resend request: messageId: /);
      expect(
        (await call('POST', '/admin/dlq/billing/resend', { messageId: 'x', target: 'elsewhere' })).body.error.message,
      ).toMatch(/target/);
    });
  });

  describe('GET /metrics', () => {
    it('serves the registry and the broker gauges in the text format', async () => {
      metrics.observeRpc('SendMessage', 3, 'OK');
      metrics.observeRpc('SendMessage', 7, 'BAD_REQUEST');
      metrics.observeFlush(2);
      await createTopic('orders', 1);
      const sender = producer();
      await sender.send({ topic: 'orders', body: 'later' }, { delayLevel: 1 });
      // Transactions need @eddy/consume's TransactionService, which the broker may not wire yet (UNSUPPORTED).
      const halfMessages = await sender.sendInTransaction({ topic: 'orders', body: 'maybe' }).then(
        () => 1,
        (error: unknown) => {
          if (!EddyError.is(error, 'UNSUPPORTED')) throw error;
          return 0;
        },
      );

      const text = await scrape();
      expect(sample(text, 'eddy_rpc_requests_total{rpc="SendMessage",code="OK"}')).toBe(1);
      expect(sample(text, 'eddy_rpc_requests_total{rpc="SendMessage",code="BAD_REQUEST"}')).toBe(1);
      expect(sample(text, 'eddy_rpc_duration_seconds_count{rpc="SendMessage"}')).toBe(2);
      expect(sample(text, 'eddy_rpc_duration_seconds_bucket{rpc="SendMessage",le="+Inf"}')).toBe(2);
      expect(sample(text, 'eddy_flush_duration_seconds_count')).toBe(1);
      expect(sample(text, 'eddy_store_size_bytes')).toBe(1234);
      expect(sample(text, 'eddy_scheduled_pending')).toBe(1);
      expect(sample(text, 'eddy_transactions_pending')).toBe(halfMessages);
      for (const family of [
        'eddy_messages_in_total counter',
        'eddy_bytes_in_total counter',
        'eddy_messages_out_total counter',
        'eddy_bytes_out_total counter',
        'eddy_consumer_lag gauge',
        'eddy_rpc_duration_seconds histogram',
        'eddy_rpc_requests_total counter',
        'eddy_flush_duration_seconds histogram',
        'eddy_store_size_bytes gauge',
        'eddy_scheduled_pending gauge',
        'eddy_transactions_pending gauge',
      ]) {
        expect(text).toContain(`# TYPE ${family}\n`);
      }
    });

    it('leaves out a store size that cannot be read, and still answers', async () => {
      const failing = await startAdminHttp({
        broker,
        metrics,
        port: 0,
        storeSizeBytes: async () => {
          throw new Error('stat failed');
        },
      });
      try {
        const response = await fetch(`${failing.url}/metrics`);
        expect(response.status).toBe(200);
        const text = await response.text();
        expect(text).toContain('# TYPE eddy_store_size_bytes gauge\n');
        expect(sample(text, 'eddy_store_size_bytes')).toBeUndefined();
      } finally {
        await failing.close();
      }
    });
  });

  describe('startAdminHttp', () => {
    it('validates its options naming the field, and reports a port it cannot take', async () => {
      const invalid = await startAdminHttp({ broker, metrics, port: -1 }).catch((error: unknown) => error);
      expect(EddyError.is(invalid, 'INVALID_CONFIG')).toBe(true);
      expect((invalid as Error).message).toMatch(/port/);
      const taken = await startAdminHttp({ broker, metrics, port: admin.port }).catch((error: unknown) => error);
      expect(EddyError.is(taken, 'IO_ERROR')).toBe(true);
      expect((taken as Error).message).toMatch(/EADDRINUSE/);
    });

    it('closes idempotently', async () => {
      const extra = await startAdminHttp({ broker, metrics, port: 0 });
      await Promise.all([extra.close(), extra.close()]);
      await expect(fetch(`${extra.url}/healthz`)).rejects.toThrow();
    });
  });
});
