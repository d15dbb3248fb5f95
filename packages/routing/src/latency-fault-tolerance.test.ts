import { EddyError } from '@eddy/message';
import { FakeClock } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LATENCY_MAX,
  DEFAULT_NOT_AVAILABLE_DURATION,
  ISOLATION_LATENCY_MS,
  LatencyFaultTolerance,
  notAvailableFor,
} from './latency-fault-tolerance.js';

const defaults = { latencyMax: DEFAULT_LATENCY_MAX, notAvailableDuration: DEFAULT_NOT_AVAILABLE_DURATION };

describe('notAvailableFor', () => {
  it.each([
    [0, 0],
    [49, 0],
    [50, 0],
    [99, 0],
    [100, 0],
    [549, 0],
    [550, 30_000],
    [999, 30_000],
    [1000, 60_000],
    [1999, 60_000],
    [2000, 120_000],
    [2999, 120_000],
    [3000, 180_000],
    [14_999, 180_000],
    [15_000, 600_000],
    [ISOLATION_LATENCY_MS, 600_000],
  ])('a %d ms send avoids the broker for %d ms (RocketMQ 4.9 tables)', (latency, duration) => {
    expect(notAvailableFor(latency, defaults)).toBe(duration);
  });

  it('uses the tables it is given', () => {
    const tables = { latencyMax: [10, 20], notAvailableDuration: [5, 7] };
    expect(notAvailableFor(9, tables)).toBe(0);
    expect(notAvailableFor(10, tables)).toBe(5);
    expect(notAvailableFor(25, tables)).toBe(7);
  });
});

describe('LatencyFaultTolerance', () => {
  function setup() {
    const clock = new FakeClock();
    return { clock, fault: new LatencyFaultTolerance({ clock }) };
  }

  it('keeps fast brokers available and avoids slow ones until the duration ends', async () => {
    const { clock, fault } = setup();
    expect(fault.isAvailable('broker-a')).toBe(true);
    fault.updateFaultItem('broker-a', 120);
    expect(fault.isAvailable('broker-a')).toBe(true);
    fault.updateFaultItem('broker-a', 600);
    expect(fault.isAvailable('broker-a')).toBe(false);
    await clock.advance(29_999);
    expect(fault.isAvailable('broker-a')).toBe(false);
    await clock.advance(1);
    expect(fault.isAvailable('broker-a')).toBe(true);
  });

  it('isolates a failed broker for the longest duration', async () => {
    const { clock, fault } = setup();
    fault.updateFaultItem('broker-a', 5, true);
    expect(fault.faultItemOf('broker-a')).toEqual({
      brokerName: 'broker-a',
      currentLatency: ISOLATION_LATENCY_MS,
      startTimestamp: clock.now() + 600_000,
    });
    await clock.advance(599_999);
    expect(fault.isAvailable('broker-a')).toBe(false);
    await clock.advance(1);
    expect(fault.isAvailable('broker-a')).toBe(true);
  });

  it('ends an avoidance at once after a fast send, and forgets removed brokers', () => {
    const { fault } = setup();
    fault.updateFaultItem('broker-a', 3000);
    expect(fault.isAvailable('broker-a')).toBe(false);
    fault.updateFaultItem('broker-a', 10);
    expect(fault.isAvailable('broker-a')).toBe(true);
    fault.updateFaultItem('broker-b', 0, true);
    fault.remove('broker-b');
    expect(fault.isAvailable('broker-b')).toBe(true);
    expect(fault.faultItemOf('broker-b')).toBeUndefined();
  });

  it('picks the least-bad broker', async () => {
    const { clock, fault } = setup();
    expect(fault.pickOneAtLeast()).toBeUndefined();
    fault.updateFaultItem('broker-a', 0, true);
    fault.updateFaultItem('broker-b', 2000);
    fault.updateFaultItem('broker-c', 1000);
    expect(fault.pickOneAtLeast()).toBe('broker-c');
    expect(fault.pickOneAtLeast(['broker-a', 'broker-b'])).toBe('broker-b');
    expect(fault.pickOneAtLeast(['broker-a', 'never-seen'])).toBe('never-seen');
    expect(fault.pickOneAtLeast([])).toBeUndefined();
    await clock.advance(120_000);
    // broker-b is available again; broker-c (lower latency, became available earlier) still ranks first.
    expect(fault.pickOneAtLeast(['broker-a', 'broker-b'])).toBe('broker-b');
    fault.updateFaultItem('broker-c', 1000);
    expect(fault.pickOneAtLeast()).toBe('broker-b');
  });

  it('breaks ties by name', () => {
    const { fault } = setup();
    fault.updateFaultItem('broker-z', 600);
    fault.updateFaultItem('broker-m', 600);
    expect(fault.pickOneAtLeast()).toBe('broker-m');
  });

  it('takes its tables from options and rejects bad ones', () => {
    const clock = new FakeClock();
    const fault = new LatencyFaultTolerance({ clock, latencyMax: [10], notAvailableDuration: [1000] });
    fault.updateFaultItem('b', 10);
    expect(fault.isAvailable('b')).toBe(false);
    expect(fault.tables).toEqual({ latencyMax: [10], notAvailableDuration: [1000] });
    for (const tables of [
      { latencyMax: [], notAvailableDuration: [] },
      { latencyMax: [1, 2], notAvailableDuration: [1] },
      { latencyMax: [2, 1], notAvailableDuration: [1, 1] },
      { latencyMax: [1], notAvailableDuration: [-1] },
      { latencyMax: [Number.NaN], notAvailableDuration: [1] },
    ]) {
      let thrown: unknown;
      try {
        new LatencyFaultTolerance({ clock, ...tables });
      } catch (error) {
        thrown = error;
      }
      expect(EddyError.is(thrown, 'INVALID_CONFIG'), JSON.stringify(tables)).toBe(true);
    }
  });
});
