import type { Logger } from '@eddy/message';
import { EddyError } from '@eddy/message';
import { FakeClock } from '@eddy/testkit';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConsumerGroupRegistry, type ConsumerHeartbeat } from './consumer-group-registry.js';

function capturingLogger(): Logger & { lines: { level: string; message: string; details?: object }[] } {
  const lines: { level: string; message: string; details?: object }[] = [];
  return {
    lines,
    info: (message, details) => lines.push({ level: 'info', message, details }),
    warn: (message, details) => lines.push({ level: 'warn', message, details }),
    error: (message, details) => lines.push({ level: 'error', message, details }),
  };
}

function heartbeat(clientId: string, expression = '*', topics = ['t']): ConsumerHeartbeat {
  return {
    clientId,
    messageModel: 'CLUSTERING',
    subscriptions: topics.map((topic) => ({ topic, filterType: 'TAG', expression })),
  };
}

describe('ConsumerGroupRegistry', () => {
  let clock: FakeClock;
  let logger: ReturnType<typeof capturingLogger>;
  let registry: ConsumerGroupRegistry;
  let changes: string[];
  beforeEach(() => {
    clock = new FakeClock();
    logger = capturingLogger();
    registry = new ConsumerGroupRegistry({ clock, logger });
    changes = [];
    registry.onChange((group) => changes.push(group));
  });

  it('adds members by heartbeat, lists them sorted, and groups sorted', () => {
    expect(registry.heartbeat('g', heartbeat('c2'))).toBe(true);
    expect(registry.heartbeat('g', heartbeat('c1'))).toBe(true);
    expect(registry.heartbeat('a', heartbeat('c9'))).toBe(true);
    expect(registry.members('g').map((member) => member.clientId)).toEqual(['c1', 'c2']);
    expect(registry.groups()).toEqual(['a', 'g']);
    expect(registry.members('none')).toEqual([]);
    expect(registry.member('g', 'c1')).toMatchObject({
      messageModel: 'CLUSTERING',
      consumeFromWhere: 'LAST_OFFSET',
      lastHeartbeat: clock.now(),
    });
  });

  it('sorts a member’s subscriptions by topic and keeps its start position', () => {
    registry.heartbeat('g', { ...heartbeat('c1', '*', ['z', 'a']), consumeFromWhere: { timestamp: 5 } });
    expect(registry.member('g', 'c1')?.subscriptions.map((subscription) => subscription.topic)).toEqual(['a', 'z']);
    expect(registry.member('g', 'c1')?.consumeFromWhere).toEqual({ timestamp: 5 });
  });

  it('calls onChange for joins, subscription changes and leaves, not for plain heartbeats', () => {
    registry.heartbeat('g', heartbeat('c1'));
    registry.heartbeat('g', heartbeat('c1'));
    // Same subscriptions in another order are no change.
    registry.heartbeat('g', heartbeat('c1', '*', ['t']));
    expect(changes).toEqual(['g']);
    expect(registry.heartbeat('g', heartbeat('c1', 'TagA'))).toBe(true);
    expect(registry.heartbeat('g', { ...heartbeat('c1', 'TagA'), messageModel: 'BROADCASTING' })).toBe(true);
    expect(registry.unregister('g', 'c1')).toBe(true);
    expect(registry.unregister('g', 'c1')).toBe(false);
    expect(changes).toEqual(['g', 'g', 'g', 'g']);
    expect(registry.groups()).toEqual([]);
  });

  it('refreshes a member on heartbeat without a change', async () => {
    registry.heartbeat('g', heartbeat('c1'));
    await clock.advance(1000);
    expect(registry.heartbeat('g', heartbeat('c1'))).toBe(false);
    expect(registry.member('g', 'c1')?.lastHeartbeat).toBe(clock.now());
  });

  it('stops calling a removed listener and survives a throwing one', () => {
    const stop = registry.onChange(() => {
      throw new Error('boom');
    });
    registry.heartbeat('g', heartbeat('c1'));
    stop();
    registry.heartbeat('g', heartbeat('c2'));
    expect(changes).toEqual(['g', 'g']);
    expect(logger.lines.filter((line) => line.level === 'error')).toHaveLength(1);
  });

  it('expires members silent for longer than memberExpiryMs (120 s by default)', async () => {
    registry.heartbeat('g', heartbeat('c1'));
    registry.heartbeat('g', heartbeat('c2'));
    await clock.advance(60_000);
    registry.heartbeat('g', heartbeat('c2'));
    await clock.advance(60_000);
    expect(registry.expire()).toEqual([]);
    await clock.advance(1);
    expect(registry.expire()).toEqual([{ group: 'g', clientId: 'c1' }]);
    expect(registry.members('g').map((member) => member.clientId)).toEqual(['c2']);
    expect(changes).toEqual(['g', 'g', 'g']);
    expect(logger.lines.some((line) => line.message === 'consumer expired')).toBe(true);
  });

  it('expires on the clock every scanIntervalMs after start(), until stop()', async () => {
    const custom = new ConsumerGroupRegistry({ clock, memberExpiryMs: 1000, scanIntervalMs: 500 });
    custom.start();
    custom.start();
    expect(clock.pendingTasks).toBe(1);
    custom.heartbeat('g', heartbeat('c1'));
    await clock.advance(1000);
    expect(custom.members('g')).toHaveLength(1);
    await clock.advance(500);
    expect(custom.members('g')).toHaveLength(0);
    expect(clock.pendingTasks).toBe(1);
    custom.stop();
    expect(clock.pendingTasks).toBe(0);
    custom.heartbeat('g', heartbeat('c1'));
    await clock.advance(10_000);
    expect(custom.members('g')).toHaveLength(1);
  });

  it('reports a consistent group', () => {
    registry.heartbeat('g', heartbeat('c1', 'TagA || TagB'));
    registry.heartbeat('g', heartbeat('c2', ' TagA || TagB '));
    expect(registry.consistency('g')).toEqual({
      consistent: true,
      expected: {
        messageModel: 'CLUSTERING',
        subscriptions: [{ topic: 't', filterType: 'TAG', expression: 'TagA || TagB' }],
      },
      differences: [],
    });
    expect(registry.consistency('none')).toEqual({ consistent: true, expected: undefined, differences: [] });
    expect(logger.lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('names the members that differ from the majority, keeps serving them, and warns once per change', () => {
    registry.heartbeat('g', heartbeat('c1'));
    registry.heartbeat('g', heartbeat('c2'));
    registry.heartbeat('g', heartbeat('c3', 'TagA'));
    registry.heartbeat('g', heartbeat('c4', '*', ['t', 'u']));
    const report = registry.consistency('g');
    expect(report.consistent).toBe(false);
    expect(report.expected?.subscriptions).toEqual([{ topic: 't', filterType: 'TAG', expression: '*' }]);
    expect(report.differences).toEqual([
      {
        clientId: 'c3',
        messageModel: 'CLUSTERING',
        subscriptions: [{ topic: 't', filterType: 'TAG', expression: 'TagA' }],
      },
      {
        clientId: 'c4',
        messageModel: 'CLUSTERING',
        subscriptions: [
          { topic: 't', filterType: 'TAG', expression: '*' },
          { topic: 'u', filterType: 'TAG', expression: '*' },
        ],
      },
    ]);
    expect(registry.members('g')).toHaveLength(4);
    const warnings = (): number => logger.lines.filter((line) => line.level === 'warn').length;
    // c3's and c4's joins each left the group inconsistent.
    expect(warnings()).toBe(2);
    for (let i = 0; i < 5; i++) registry.heartbeat('g', heartbeat('c3', 'TagA'));
    expect(warnings()).toBe(2);
    expect(logger.lines.find((line) => line.level === 'warn')?.details).toMatchObject({ group: 'g' });
    registry.heartbeat('g', heartbeat('c3'));
    registry.unregister('g', 'c4');
    expect(registry.consistency('g').consistent).toBe(true);
    expect(warnings()).toBe(3);
  });

  it('breaks a tie by the smallest client id and counts a message model difference', () => {
    registry.heartbeat('g', heartbeat('b', 'X'));
    registry.heartbeat('g', { ...heartbeat('a'), messageModel: 'BROADCASTING' });
    const report = registry.consistency('g');
    expect(report.expected?.messageModel).toBe('BROADCASTING');
    expect(report.differences.map((difference) => difference.clientId)).toEqual(['b']);
  });

  it.each([
    ['no client id', { ...heartbeat('c'), clientId: '' }],
    ['an unknown model', { ...heartbeat('c'), messageModel: 'PUSH' }],
    [
      'an unknown filter type',
      { ...heartbeat('c'), subscriptions: [{ topic: 't', filterType: 'REGEX', expression: '*' }] },
    ],
    ['a topic twice', heartbeat('c', '*', ['t', 't'])],
    ['an unknown field', { ...heartbeat('c'), extra: 1 }],
  ])('refuses a heartbeat with %s as INVALID_ARGUMENT', (_, bad) => {
    let error: unknown;
    try {
      registry.heartbeat('g', bad as ConsumerHeartbeat);
    } catch (caught) {
      error = caught;
    }
    expect(EddyError.is(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toContain("invalid heartbeat for group 'g'");
    expect(registry.groups()).toEqual([]);
  });

  it('refuses bad options with INVALID_CONFIG', () => {
    expect(() => new ConsumerGroupRegistry({ clock, memberExpiryMs: 0 })).toThrow(/memberExpiryMs/);
  });
});
