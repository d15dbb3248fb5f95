import { DEFAULT_PERMISSION, EddyError, Permission, type TopicConfig } from '@eddy/message';
import { FakeClock } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BROKER_EXPIRY_MS, DEFAULT_SCAN_INTERVAL_MS, NameServerCore } from './name-server-core.js';
import type { BrokerRegistration } from './route-data.js';

function topic(name: string, overrides: Partial<TopicConfig> = {}): TopicConfig {
  return {
    name,
    readQueueNums: 4,
    writeQueueNums: 4,
    perm: DEFAULT_PERMISSION,
    messageType: 'NORMAL',
    retentionMs: undefined,
    ...overrides,
  };
}

function registration(overrides: Partial<BrokerRegistration> = {}): BrokerRegistration {
  return {
    cluster: 'DefaultCluster',
    brokerName: 'broker-a',
    brokerId: 0,
    address: '10.0.0.1:10911',
    endpoints: { grpc: '10.0.0.1:8081', kafka: '10.0.0.1:9092' },
    dataVersion: { timestamp: 1, counter: 1 },
    topics: [topic('orders')],
    ...overrides,
  };
}

const brokerB = { brokerName: 'broker-b', address: '10.0.0.2:10911', endpoints: { grpc: '10.0.0.2:8081' } };

function setup(options: { brokerExpiryMs?: number; scanIntervalMs?: number } = {}) {
  const clock = new FakeClock();
  const core = new NameServerCore({ clock, ...options });
  return { clock, core };
}

describe('NameServerCore', () => {
  it('uses RocketMQ defaults and rejects bad durations', () => {
    const { core } = setup();
    expect(core.brokerExpiryMs).toBe(DEFAULT_BROKER_EXPIRY_MS);
    expect(core.scanIntervalMs).toBe(DEFAULT_SCAN_INTERVAL_MS);
    expect(DEFAULT_BROKER_EXPIRY_MS).toBe(120_000);
    expect(DEFAULT_SCAN_INTERVAL_MS).toBe(10_000);
    const make = () => new NameServerCore({ clock: new FakeClock(), brokerExpiryMs: 0 });
    expect(make).toThrow(/brokerExpiryMs/);
    try {
      make();
    } catch (error) {
      expect(EddyError.is(error, 'INVALID_CONFIG')).toBe(true);
    }
  });

  it('builds a route from a master registration', () => {
    const { core } = setup();
    expect(
      core.register(registration({ topics: [topic('orders', { messageType: 'FIFO', writeQueueNums: 2 })] })),
    ).toEqual({ changed: true });
    expect(core.routeOf('orders')).toEqual({
      topic: 'orders',
      queueDatas: [
        { brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 2, perm: 6, topicSysFlag: 0, messageType: 'FIFO' },
      ],
      brokerDatas: [
        {
          cluster: 'DefaultCluster',
          brokerName: 'broker-a',
          brokerAddrs: { 0: '10.0.0.1:10911' },
          endpoints: { grpc: '10.0.0.1:8081', kafka: '10.0.0.1:9092' },
        },
      ],
    });
    expect(core.routeOf('unknown')).toBeUndefined();
  });

  it('lists brokers sorted by name in routes, topics sorted, clusters in clusterInfo', () => {
    const { core } = setup();
    core.register(registration({ ...brokerB, topics: [topic('orders'), topic('b-only')] }));
    core.register(registration({ topics: [topic('orders'), topic('a-only')] }));
    core.register(registration({ cluster: 'Other', brokerName: 'broker-c', address: '10.0.0.3:1', topics: [] }));
    const route = core.routeOf('orders');
    expect(route?.queueDatas.map((queue) => queue.brokerName)).toEqual(['broker-a', 'broker-b']);
    expect(route?.brokerDatas.map((broker) => broker.brokerName)).toEqual(['broker-a', 'broker-b']);
    expect(core.routeOf('b-only')?.brokerDatas.map((broker) => broker.brokerName)).toEqual(['broker-b']);
    expect(core.topics()).toEqual(['a-only', 'b-only', 'orders']);
    const info = core.clusterInfo();
    expect(info.clusterAddrTable).toEqual({ DefaultCluster: ['broker-a', 'broker-b'], Other: ['broker-c'] });
    expect(Object.keys(info.brokerAddrTable).sort()).toEqual(['broker-a', 'broker-b', 'broker-c']);
    expect(info.brokerAddrTable['broker-c']?.brokerAddrs).toEqual({ 0: '10.0.0.3:1' });
  });

  it('only refreshes liveness when the data version is unchanged', async () => {
    const { clock, core } = setup();
    core.register(registration());
    // Same version with different topics: the name server trusts the version and keeps its tables.
    expect(core.register(registration({ topics: [topic('other')] }))).toEqual({ changed: false });
    expect(core.topics()).toEqual(['orders']);
    await clock.advance(100_000);
    expect(core.register(registration())).toEqual({ changed: false });
    await clock.advance(100_000);
    // 200 s since the first registration, 100 s since the refresh: still live.
    expect(core.scanExpired()).toEqual([]);
    expect(core.routeOf('orders')).toBeDefined();
  });

  it('replaces the queue data of a broker whose data version changed', () => {
    const { core } = setup();
    core.register(registration({ ...brokerB, topics: [topic('orders'), topic('shared')] }));
    core.register(registration({ topics: [topic('orders'), topic('shared'), topic('old')] }));
    const changed = core.register(
      registration({
        dataVersion: { timestamp: 1, counter: 2 },
        topics: [topic('orders', { writeQueueNums: 8, perm: Permission.READ }), topic('new')],
      }),
    );
    expect(changed).toEqual({ changed: true });
    expect(core.topics()).toEqual(['new', 'orders', 'shared']);
    expect(core.routeOf('old')).toBeUndefined();
    expect(core.routeOf('shared')?.queueDatas.map((queue) => queue.brokerName)).toEqual(['broker-b']);
    expect(core.routeOf('orders')?.queueDatas[0]).toMatchObject({ writeQueueNums: 8, perm: Permission.READ });
  });

  it('keeps slaves in the broker data but ignores their topics', () => {
    const { core } = setup();
    core.register(registration());
    const slave = registration({ brokerId: 1, address: '10.0.0.9:10911', topics: [topic('slave-only')] });
    expect(core.register(slave)).toEqual({ changed: true });
    expect(core.topics()).toEqual(['orders']);
    expect(core.routeOf('orders')?.brokerDatas[0]?.brokerAddrs).toEqual({ 0: '10.0.0.1:10911', 1: '10.0.0.9:10911' });
    expect(core.routeOf('orders')?.brokerDatas[0]?.endpoints.grpc).toBe('10.0.0.1:8081');
  });

  it('unregisters a slave, a master, and ignores unknown brokers', () => {
    const { core } = setup();
    core.register(registration());
    core.register(registration({ brokerId: 1, address: '10.0.0.9:10911' }));
    expect(core.unregister({ cluster: 'DefaultCluster', brokerName: 'broker-a', brokerId: 1 })).toBe(true);
    expect(core.routeOf('orders')?.brokerDatas[0]?.brokerAddrs).toEqual({ 0: '10.0.0.1:10911' });
    expect(core.unregister({ cluster: 'DefaultCluster', brokerName: 'broker-a', brokerId: 7 })).toBe(false);
    expect(core.unregister({ cluster: 'Other', brokerName: 'broker-a', brokerId: 0 })).toBe(false);
    expect(core.unregister({ cluster: 'DefaultCluster', brokerName: 'nope', brokerId: 0 })).toBe(false);
    expect(core.unregister({ cluster: 'DefaultCluster', brokerName: 'broker-a', brokerId: 0 })).toBe(true);
    expect(core.routeOf('orders')).toBeUndefined();
    expect(core.topics()).toEqual([]);
    expect(core.clusterInfo()).toEqual({ brokerAddrTable: {}, clusterAddrTable: {} });
    // Unregistered, it must register fully again even with the same data version.
    expect(core.register(registration())).toEqual({ changed: true });
    expect(core.topics()).toEqual(['orders']);
  });

  it('drops the queue data when the master is unregistered but keeps the slave listed', () => {
    const { core } = setup();
    core.register(registration());
    core.register(registration({ brokerId: 1, address: '10.0.0.9:10911', endpoints: { grpc: '10.0.0.9:8081' } }));
    core.unregister({ cluster: 'DefaultCluster', brokerName: 'broker-a', brokerId: 0 });
    expect(core.routeOf('orders')).toBeUndefined();
    expect(core.clusterInfo().brokerAddrTable['broker-a']).toEqual({
      cluster: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerAddrs: { 1: '10.0.0.9:10911' },
      endpoints: { grpc: '10.0.0.9:8081' },
    });
  });

  it('expires a silent broker after more than brokerExpiryMs, not at it', async () => {
    const { clock, core } = setup();
    core.register(registration());
    core.register(registration(brokerB));
    await clock.advance(60_000);
    core.register(registration(brokerB));
    await clock.advance(60_000);
    expect(core.scanExpired()).toEqual([]);
    expect(core.routeOf('orders')?.queueDatas).toHaveLength(2);
    await clock.advance(1);
    // Past its expiry the broker is already left out of routes, before any scan.
    expect(core.routeOf('orders')?.queueDatas.map((queue) => queue.brokerName)).toEqual(['broker-b']);
    expect(core.topics()).toEqual(['orders']);
    expect(Object.keys(core.clusterInfo().brokerAddrTable)).toEqual(['broker-b']);
    expect(core.scanExpired()).toEqual(['10.0.0.1:10911']);
    expect(core.scanExpired()).toEqual([]);
    await clock.advance(60_000);
    expect(core.scanExpired()).toEqual(['10.0.0.2:10911']);
    expect(core.routeOf('orders')).toBeUndefined();
    expect(core.topics()).toEqual([]);
    expect(core.clusterInfo()).toEqual({ brokerAddrTable: {}, clusterAddrTable: {} });
  });

  it('comes back after expiry when the broker registers again with the same data version', async () => {
    const { clock, core } = setup({ brokerExpiryMs: 1_000 });
    core.register(registration());
    await clock.advance(1_001);
    expect(core.scanExpired()).toEqual(['10.0.0.1:10911']);
    expect(core.register(registration())).toEqual({ changed: true });
    expect(core.routeOf('orders')).toBeDefined();
  });

  it('expiry of a master drops its queue data while a live slave stays listed', async () => {
    const { clock, core } = setup({ brokerExpiryMs: 1_000 });
    core.register(registration());
    core.register(registration({ brokerId: 1, address: '10.0.0.9:10911' }));
    await clock.advance(600);
    core.register(registration({ brokerId: 1, address: '10.0.0.9:10911' }));
    await clock.advance(600);
    expect(core.scanExpired()).toEqual(['10.0.0.1:10911']);
    expect(core.routeOf('orders')).toBeUndefined();
    expect(core.clusterInfo().brokerAddrTable['broker-a']?.brokerAddrs).toEqual({ 1: '10.0.0.9:10911' });
  });

  it('scans on the clock between start and stop', async () => {
    const { clock, core } = setup({ brokerExpiryMs: 30_000, scanIntervalMs: 10_000 });
    core.start();
    core.start();
    expect(clock.pendingTasks).toBe(1);
    core.register(registration());
    await clock.advance(30_000);
    expect(core.clusterInfo().clusterAddrTable).toEqual({ DefaultCluster: ['broker-a'] });
    // The scan at 40 s finds it 40 s silent and removes it from the tables.
    await clock.advance(10_000);
    expect(core.clusterInfo()).toEqual({ brokerAddrTable: {}, clusterAddrTable: {} });
    core.register(registration());
    core.stop();
    core.stop();
    expect(clock.pendingTasks).toBe(0);
    await clock.advance(100_000);
    // Without a scan the stale broker stays in the tables, though reads leave it out.
    expect(core.routeOf('orders')).toBeUndefined();
    expect(core.scanExpired()).toEqual(['10.0.0.1:10911']);
  });

  it('follows a broker id that moves to a new address', () => {
    const { core } = setup();
    core.register(registration());
    core.register(registration({ address: '10.0.0.5:10911', dataVersion: { timestamp: 1, counter: 1 } }));
    expect(core.routeOf('orders')?.brokerDatas[0]?.brokerAddrs).toEqual({ 0: '10.0.0.5:10911' });
    // The old address is no longer live: nothing left to expire there.
    expect(core.scanExpired()).toEqual([]);
  });

  it('lets a slave become master at the same address', () => {
    const { core } = setup();
    core.register(registration({ brokerId: 1, address: '10.0.0.9:10911' }));
    expect(core.routeOf('orders')).toBeUndefined();
    core.register(registration({ brokerId: 0, address: '10.0.0.9:10911' }));
    expect(core.routeOf('orders')?.brokerDatas[0]?.brokerAddrs).toEqual({ 0: '10.0.0.9:10911' });
  });

  it('moves an address that is re-registered under another broker name', () => {
    const { core } = setup();
    core.register(registration());
    core.register(registration({ brokerName: 'broker-z', topics: [topic('z')] }));
    expect(core.topics()).toEqual(['z']);
    expect(core.clusterInfo().clusterAddrTable).toEqual({ DefaultCluster: ['broker-z'] });
  });

  it('moves a broker name to another cluster', () => {
    const { core } = setup();
    core.register(registration());
    core.register(registration({ brokerId: 1, address: '10.0.0.9:10911' }));
    core.register(registration({ cluster: 'NewCluster', dataVersion: { timestamp: 2, counter: 1 } }));
    expect(core.clusterInfo().clusterAddrTable).toEqual({ NewCluster: ['broker-a'] });
    expect(core.routeOf('orders')?.brokerDatas[0]).toMatchObject({
      cluster: 'NewCluster',
      brokerAddrs: { 0: '10.0.0.1:10911' },
    });
  });

  it('returns copies: callers cannot change its tables', () => {
    const { core } = setup();
    core.register(registration());
    const route = core.routeOf('orders');
    (route?.brokerDatas[0]?.brokerAddrs as Record<number, string>)[0] = 'evil:1';
    (route?.queueDatas[0] as { perm: number }).perm = 0;
    expect(core.routeOf('orders')?.brokerDatas[0]?.brokerAddrs[0]).toBe('10.0.0.1:10911');
    expect(core.routeOf('orders')?.queueDatas[0]?.perm).toBe(DEFAULT_PERMISSION);
  });
});
