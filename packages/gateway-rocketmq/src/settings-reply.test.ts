import { describe, expect, it } from 'vitest';
import { settingsReply } from './settings-reply.js';

const server = { maxBodySize: 4_194_304, fifo: true, longPollingMs: 20_000 };

describe('settingsReply', () => {
  it('gives producers publishing limits and an exponential backoff, echoing their topics', () => {
    const reply = settingsReply(
      {
        clientType: 'PRODUCER',
        requestTimeout: { seconds: 3 },
        publishing: { topics: [{ name: 'orders' }], validateMessageType: false },
      },
      server,
    );
    expect(reply).toMatchObject({
      clientType: 'PRODUCER',
      requestTimeout: { seconds: 3 },
      backoffPolicy: { maxAttempts: 3, exponentialBackoff: { multiplier: 2 } },
      publishing: { topics: [{ name: 'orders' }], maxBodySize: 4_194_304, validateMessageType: true },
    });
    expect(reply?.subscription).toBeUndefined();
  });

  it('gives consumers batch size, long polling, FIFO and 17 attempts of exponential backoff', () => {
    for (const clientType of ['PUSH_CONSUMER', 'SIMPLE_CONSUMER'] as const) {
      const reply = settingsReply(
        { clientType, subscription: { group: { name: 'g' }, subscriptions: [{ topic: { name: 't' } }] } },
        server,
      );
      expect(reply).toMatchObject({
        clientType,
        backoffPolicy: { maxAttempts: 17, exponentialBackoff: { initial: { seconds: 1 }, multiplier: 2 } },
        subscription: {
          group: { name: 'g' },
          subscriptions: [{ topic: { name: 't' } }],
          fifo: true,
          receiveBatchSize: 32,
          longPollingTimeout: { seconds: 20, nanos: 0 },
        },
      });
      expect(reply?.publishing).toBeUndefined();
    }
  });

  it('has no answer for client types it does not serve', () => {
    expect(settingsReply({ clientType: 'PULL_CONSUMER' }, server)).toBeUndefined();
    expect(settingsReply({}, server)).toBeUndefined();
  });
});
