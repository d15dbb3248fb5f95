import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory, type HistoryEvent } from '../src/index.js';
import { generateHistory } from './history-model.js';

const semanticsArbitrary = fc.constantFrom('at-least-once' as const, 'exactly-once' as const);
const modelArbitrary = fc.record({
  seed: fc.integer(),
  steps: fc.integer({ min: 1, max: 60 }),
  semantics: semanticsArbitrary,
  topics: fc.integer({ min: 1, max: 3 }),
  queues: fc.integer({ min: 1, max: 4 }),
  producers: fc.integer({ min: 1, max: 4 }),
  consumerGroups: fc.integer({ min: 1, max: 3 }),
  clientsPerGroup: fc.integer({ min: 1, max: 3 }),
});

describe('histories of a correct broker (model)', () => {
  it('pass under both semantics', () => {
    const { events } = generateHistory({ seed: 1, steps: 200, semantics: 'exactly-once' });
    expect(events.some((event) => event.type === 'txn')).toBe(true);
    for (const semantics of ['at-least-once', 'exactly-once'] as const) {
      const report = checkHistory(events, { semantics });
      expect(report.anomalies).toEqual([]);
      expect(report.ok).toBe(true);
    }
    const redelivering = generateHistory({ seed: 2, steps: 200, semantics: 'at-least-once' }).events;
    const report = checkHistory(redelivering, { semantics: 'at-least-once' });
    expect(report.ok).toBe(true);
    expect(report.counts.duplicate).toBeGreaterThan(0);
    expect(checkHistory(redelivering, { semantics: 'exactly-once' }).ok).toBe(false);
  });

  it('always pass (property)', () => {
    fc.assert(
      fc.property(modelArbitrary, (model) => {
        const { events } = generateHistory(model);
        const report = checkHistory(events, { semantics: model.semantics });
        expect(report.anomalies).toEqual([]);
        expect(report.ok).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('yield exactly one loss when any one acked receive is removed (property)', () => {
    fc.assert(
      fc.property(modelArbitrary, fc.nat(), (model, pick) => {
        const { events, consumerGroups } = generateHistory(model);
        const acked = new Set<string>();
        const uncommitted = new Set<string>();
        for (const event of events) {
          if (event.type === 'send' && event.outcome === 'ack') acked.add(event.id);
          if (event.type === 'txn' && event.outcome !== 'commit') uncommitted.add(event.txn);
        }
        const inTxn = new Map<string, string>();
        for (const event of events)
          if (event.type === 'send' && event.txn !== undefined) inTxn.set(event.id, event.txn);
        const receivesOf = new Map<string, number>();
        for (const event of events)
          if (event.type === 'receive') {
            const key = `${event.consumerGroup}\u0000${event.id}`;
            receivesOf.set(key, (receivesOf.get(key) ?? 0) + 1);
          }
        const candidates = events.flatMap((event, index) =>
          event.type === 'receive' &&
          acked.has(event.id) &&
          !uncommitted.has(inTxn.get(event.id) ?? '') &&
          receivesOf.get(`${event.consumerGroup}\u0000${event.id}`) === 1
            ? [index]
            : [],
        );
        fc.pre(candidates.length > 0);
        const removed = candidates[pick % candidates.length]!;
        const victim = events[removed] as Extract<HistoryEvent, { type: 'receive' }>;
        const report = checkHistory(
          events.filter((_, index) => index !== removed),
          { semantics: model.semantics, consumerGroups },
        );
        expect(report.counts.lost).toBe(1);
        expect(report.anomalies.filter((anomaly) => anomaly.kind === 'lost')).toEqual([
          { kind: 'lost', id: victim.id, detail: expect.stringContaining(`group ${victim.consumerGroup}`) },
        ]);
      }),
      { numRuns: 60 },
    );
  });
});

describe('a history of a million events', () => {
  it('checks', () => {
    const events: HistoryEvent[] = [];
    const messages = 500_000;
    for (let i = 0; i < messages; i++) {
      const queue = i % 8;
      const producer = `p${i % 10}`;
      const seq = Math.floor(i / 10);
      const offset = Math.floor(i / 8);
      const group = i % 3 === 0 ? `key-${queue}` : undefined;
      const common = {
        id: `m${i}`,
        producer,
        seq,
        topic: 'bulk',
        queue,
        offset,
        ...(group === undefined ? {} : { group }),
      };
      events.push({ type: 'send', time: i, client: `${producer}-client`, outcome: 'ack', ...common });
      events.push({ type: 'receive', time: i + 1, client: `consumer-${queue % 4}`, consumerGroup: 'cg', ...common });
    }
    const report = checkHistory(events, { semantics: 'exactly-once' });
    expect(report.stats.received).toBe(messages);
    expect(report.ok).toBe(true);
  }, 120_000);
});
