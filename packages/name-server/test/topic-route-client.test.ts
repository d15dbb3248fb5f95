import { createServer } from 'node:http';
import type { BrokerRegistration } from '@eddy/routing';
import { FakeClock, freePort } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningNameServer, startNameServer, TopicRouteClient } from '../src/index.js';

function registration(brokerName: string, topics: string[]): BrokerRegistration {
  return {
    cluster: 'DefaultCluster',
    brokerName,
    brokerId: 0,
    address: `127.0.0.1:${brokerName}`,
    endpoints: { grpc: `127.0.0.1:81${brokerName.length}` },
    dataVersion: { timestamp: 1, counter: topics.length },
    topics: topics.map((name) => ({
      name,
      readQueueNums: 2,
      writeQueueNums: 2,
      perm: 6,
      messageType: 'NORMAL',
      retentionMs: undefined,
    })),
  };
}

let nameServer: RunningNameServer;
const hostPort = (server: RunningNameServer): string => `127.0.0.1:${server.port}`;

beforeEach(async () => {
  nameServer = await startNameServer({ port: 0 });
});
afterEach(() => nameServer.close());

describe('TopicRouteClient', () => {
  it('reads the route over every registered broker, and undefined for a topic none holds', async () => {
    nameServer.core.register(registration('broker-a', ['orders']));
    nameServer.core.register(registration('broker-bb', ['orders', 'audit']));
    const client = new TopicRouteClient({ nameServers: [hostPort(nameServer)] });
    const route = await client.routeOf('orders');
    expect(route?.queueDatas.map((queues) => queues.brokerName)).toEqual(['broker-a', 'broker-bb']);
    expect(route?.brokerDatas.map((broker) => broker.endpoints.grpc)).toEqual(['127.0.0.1:818', '127.0.0.1:819']);
    expect(await client.routeOf('nobody-has-it')).toBeUndefined();
  });

  it('asks the next name server when one is down, and fails naming each when all are', async () => {
    nameServer.core.register(registration('broker-a', ['orders']));
    const down = `127.0.0.1:${await freePort()}`;
    const client = new TopicRouteClient({ nameServers: [down, hostPort(nameServer)], cacheMs: 0 });
    expect((await client.routeOf('orders'))?.queueDatas).toHaveLength(1);

    const alone = new TopicRouteClient({ nameServers: [down] });
    await expect(alone.routeOf('orders')).rejects.toMatchObject({ code: 'IO_ERROR', retriable: true });
    await expect(alone.routeOf('orders')).rejects.toThrow(down);
  });

  it('reuses an answer for cacheMs on its clock', async () => {
    const clock = new FakeClock();
    const client = new TopicRouteClient({ nameServers: [hostPort(nameServer)], cacheMs: 1_000, clock });
    expect(await client.routeOf('orders')).toBeUndefined();
    nameServer.core.register(registration('broker-a', ['orders']));
    expect(await client.routeOf('orders')).toBeUndefined();
    await clock.advance(1_001);
    expect((await client.routeOf('orders'))?.queueDatas).toHaveLength(1);
  });

  it('treats an answer that is not a valid route as a failure', async () => {
    const port = await freePort();
    const liar = createServer((_request, response) => response.end(JSON.stringify({ topic: 'orders' })));
    await new Promise<void>((resolve) => liar.listen(port, '127.0.0.1', resolve));
    try {
      const client = new TopicRouteClient({ nameServers: [`127.0.0.1:${port}`] });
      await expect(client.routeOf('orders')).rejects.toThrow(/invalid route/);
    } finally {
      await new Promise((resolve) => liar.close(resolve));
    }
  });

  it('rejects bad options naming the field', () => {
    expect(() => new TopicRouteClient({ nameServers: ['no-port'] })).toThrow(/nameServers/);
    expect(() => new TopicRouteClient({ nameServers: [] })).toThrow(/nameServers/);
  });
});
