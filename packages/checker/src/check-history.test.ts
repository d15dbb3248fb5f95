import { describe, expect, it } from 'vitest';
import { checkHistory } from './check-history.js';
import type { AnomalyKind, CheckOptions, HistoryEvent, ReceiveEvent, SendEvent } from './history.js';

const exactlyOnce: CheckOptions = { semantics: 'exactly-once' };
const atLeastOnce: CheckOptions = { semantics: 'at-least-once' };

function send(id: string, seq: number, extra: Partial<SendEvent> = {}): SendEvent {
  return {
    type: 'send',
    time: seq,
    client: 'producer-1',
    id,
    producer: 'p1',
    seq,
    topic: 'orders',
    queue: 0,
    outcome: 'ack',
    ...extra,
  };
}
function receive(message: SendEvent, extra: Partial<ReceiveEvent> = {}): ReceiveEvent {
  const event: ReceiveEvent = {
    type: 'receive',
    time: message.time + 1,
    client: 'consumer-1',
    id: message.id,
    producer: message.producer,
    seq: message.seq,
    topic: message.topic,
    queue: message.queue ?? 0,
    offset: message.offset ?? 100 + message.seq,
    consumerGroup: 'cg',
    ...extra,
  };
  if (message.group !== undefined && extra.group === undefined) event.group = message.group;
  return event;
}
/** Three acked sends at offsets 0..2 and their in-order receives. */
function clean(): { sends: SendEvent[]; history: HistoryEvent[] } {
  const sends = [0, 1, 2].map((seq) => send(`m${seq}`, seq, { offset: seq }));
  return { sends, history: [...sends, ...sends.map((message) => receive(message, { time: 10 + message.seq }))] };
}
function only(report: ReturnType<typeof checkHistory>, kind: AnomalyKind, count = 1): void {
  for (const [other, value] of Object.entries(report.counts)) expect(value, other).toBe(other === kind ? count : 0);
}

describe('checkHistory', () => {
  it('passes a clean history under both semantics', () => {
    for (const options of [exactlyOnce, atLeastOnce]) {
      const report = checkHistory(clean().history, options);
      expect(report.ok).toBe(true);
      expect(report.anomalies).toEqual([]);
      expect(report.stats).toEqual({ sent: 3, acked: 3, failed: 0, unknown: 0, received: 3, uniqueReceived: 3 });
    }
  });

  it('passes an empty history', () => {
    expect(checkHistory([], exactlyOnce).ok).toBe(true);
  });

  it('catches a lost acked message, once per required group', () => {
    const { sends, history } = clean();
    const lossy = history.filter((event) => !(event.type === 'receive' && event.id === 'm1'));
    const report = checkHistory(lossy, exactlyOnce);
    expect(report.ok).toBe(false);
    only(report, 'lost');
    expect(report.anomalies).toEqual([{ kind: 'lost', id: 'm1', detail: expect.stringContaining('group cg') }]);

    const two = checkHistory(
      [...lossy, ...sends.map((message) => receive(message, { consumerGroup: 'other' }))],
      atLeastOnce,
    );
    expect(two.counts.lost).toBe(1);
    const configured = checkHistory(history, { ...exactlyOnce, consumerGroups: ['cg', 'absent'] });
    expect(configured.counts.lost).toBe(3);
    expect(configured.anomalies.every((anomaly) => anomaly.detail.includes('group absent'))).toBe(true);
  });

  it('reports every acked message lost when no group received anything from its topic', () => {
    const report = checkHistory([send('a', 0), send('b', 1, { topic: 'other' })], atLeastOnce);
    only(report, 'lost', 2);
    expect(report.anomalies[0]!.detail).toContain('no consumer group received anything');
  });

  it('does not count failed or unknown sends never received as lost; received unknown sends are delivered', () => {
    const { history } = clean();
    const unknownReceived = send('u1', 4, { outcome: 'unknown' });
    const events = [
      ...history,
      send('f1', 3, { outcome: 'fail' }),
      send('u0', 3, { outcome: 'unknown' }),
      unknownReceived,
      receive(unknownReceived, { time: 20 }),
    ];
    const report = checkHistory(events, exactlyOnce);
    expect(report.ok).toBe(true);
    expect(report.stats).toEqual({ sent: 6, acked: 3, failed: 1, unknown: 2, received: 4, uniqueReceived: 4 });
  });

  it('treats a retried send as acked when any attempt was acked', () => {
    const first = send('r', 0, { outcome: 'unknown' });
    const retry = send('r', 0, { time: 5, outcome: 'ack' });
    only(checkHistory([first, retry], exactlyOnce), 'lost');
    expect(checkHistory([first, retry, receive(retry)], exactlyOnce).ok).toBe(true);
  });

  it('flags duplicates under exactly-once and only counts them under at-least-once', () => {
    const { sends, history } = clean();
    const events = [...history, receive(sends[1]!, { time: 30, client: 'consumer-2' })];
    const strict = checkHistory(events, exactlyOnce);
    expect(strict.ok).toBe(false);
    only(strict, 'duplicate');
    expect(strict.anomalies).toEqual([{ kind: 'duplicate', id: 'm1', detail: expect.any(String) }]);

    const loose = checkHistory(events, atLeastOnce);
    expect(loose.ok).toBe(true);
    only(loose, 'duplicate');
    expect(loose.anomalies).toEqual([]);
    // Receiving the same id in two groups is not a duplicate.
    expect(
      checkHistory([...history, receive(sends[1]!, { consumerGroup: 'other' })], exactlyOnce).counts.duplicate,
    ).toBe(0);
  });

  it('catches a session whose offsets go backwards in a queue, but not a redelivery', () => {
    const sends = [0, 1, 2].map((seq) => send(`m${seq}`, seq, { offset: seq }));
    const [m0, m1, m2] = sends as [SendEvent, SendEvent, SendEvent];
    const inverted = [...sends, receive(m0, { time: 10 }), receive(m2, { time: 11 }), receive(m1, { time: 12 })];
    const report = checkHistory(inverted, exactlyOnce);
    only(report, 'queue-order');
    expect(report.anomalies[0]).toMatchObject({ kind: 'queue-order', id: 'm1' });
    expect(report.anomalies[0]!.detail).toContain('offset 1 of orders/0 after offset 2');

    const redelivered = [
      ...sends,
      ...sends.map((m) => receive(m, { time: 10 })),
      receive(m1, { time: 11 }),
      receive(m2, { time: 11 }),
    ];
    expect(checkHistory(redelivered, atLeastOnce).ok).toBe(true);
    // Another session of the group reading behind the first one is not an inversion either.
    const twoSessions = [
      ...sends,
      receive(m0, { time: 10 }),
      receive(m2, { time: 11 }),
      receive(m1, { time: 12, client: 'consumer-2' }),
    ];
    expect(checkHistory(twoSessions, exactlyOnce).ok).toBe(true);
    // A first receive the broker marks as a redelivery (its first delivery died with a killed broker) either.
    const markedRedelivery = [
      ...sends,
      receive(m0, { time: 10 }),
      receive(m2, { time: 11 }),
      receive(m1, { time: 12, redelivery: true }),
    ];
    expect(checkHistory(markedRedelivery, atLeastOnce).ok).toBe(true);
  });

  it("catches a producer's acked seqs stored out of send order in one queue", () => {
    const m0 = send('m0', 0, { offset: 1 });
    const m1 = send('m1', 1, { offset: 0 });
    const report = checkHistory([m0, m1, receive(m1, { time: 10 }), receive(m0, { time: 11 })], exactlyOnce);
    only(report, 'queue-order');
    expect(report.anomalies[0]).toMatchObject({ kind: 'queue-order', id: 'm0' });
    expect(report.anomalies[0]!.detail).toContain('producer p1 seq 0 is at offset 1 of orders/0');
    // Without acked offsets the receive positions are used.
    const n0 = send('n0', 0);
    const n1 = send('n1', 1);
    const fromReceives = checkHistory(
      [n0, n1, receive(n1, { offset: 5, time: 10 }), receive(n0, { offset: 6, time: 11 })],
      exactlyOnce,
    );
    only(fromReceives, 'queue-order');
    // Delayed and transactional messages are re-put at release or commit: exempt.
    const d0 = send('d0', 0, { deliverAt: 50 });
    const d1 = send('d1', 1, { offset: 0 });
    const delayed = [d0, d1, receive(d1, { offset: 0, time: 10 }), receive(d0, { offset: 1, time: 50 })];
    expect(checkHistory(delayed, exactlyOnce).ok).toBe(true);
  });

  it('catches a message-group inversion across queues and sessions', () => {
    const g0 = send('g0', 0, { group: 'cart-7', queue: 0, offset: 0 });
    const g1 = send('g1', 1, { group: 'cart-7', queue: 1, offset: 0 });
    const other = send('x', 2, { group: 'cart-8', queue: 0, offset: 1 });
    const events = [
      g0,
      g1,
      other,
      receive(g1, { time: 10, client: 'a' }),
      receive(other, { time: 11 }),
      receive(g0, { time: 12, client: 'b' }),
    ];
    const report = checkHistory(events, exactlyOnce);
    only(report, 'group-order');
    expect(report.anomalies[0]).toMatchObject({ kind: 'group-order', id: 'g0' });
    expect(report.anomalies[0]!.detail).toContain('seq 0 of message group cart-7 (orders) after its seq 1');
    const redelivered = events.map((event) =>
      event.type === 'receive' && event.id === 'g0' ? { ...event, redelivery: true } : event,
    );
    expect(checkHistory(redelivered, atLeastOnce).ok).toBe(true);
    // Ungrouped messages may interleave freely across queues; other producers' seqs are independent.
    const loose = [
      g0,
      send('y', 1, { queue: 1 }),
      receive(send('y', 1, { queue: 1 }), { time: 10 }),
      receive(g0, { time: 11 }),
    ];
    expect(checkHistory(loose, exactlyOnce).ok).toBe(true);
  });

  it('catches a read of an aborted transaction', () => {
    const t0 = send('t0', 0, { txn: 'tx-1' });
    const t1 = send('t1', 1, { txn: 'tx-1' });
    const abort: HistoryEvent = { type: 'txn', time: 2, client: 'producer-1', txn: 'tx-1', outcome: 'abort' };
    const report = checkHistory([t0, t1, abort, receive(t1)], exactlyOnce);
    only(report, 'aborted-read');
    expect(report.anomalies[0]).toMatchObject({ kind: 'aborted-read', id: 't1' });
    // Not received: an aborted transaction's messages are not lost.
    expect(checkHistory([t0, t1, abort], exactlyOnce).ok).toBe(true);
  });

  it('catches a partially delivered committed transaction', () => {
    const members = [0, 1, 2].map((seq) => send(`t${seq}`, seq, { txn: 'tx-9' }));
    const commit: HistoryEvent = { type: 'txn', time: 3, client: 'producer-1', txn: 'tx-9', outcome: 'commit' };
    const partial = checkHistory([...members, commit, receive(members[0]!), receive(members[2]!)], exactlyOnce);
    expect(partial.counts['partial-txn']).toBe(1);
    expect(partial.counts.lost).toBe(1);
    expect(partial.anomalies).toContainEqual({
      kind: 'partial-txn',
      id: 'tx-9',
      detail: expect.stringContaining('2 of the 3'),
    });
    expect(partial.anomalies).toContainEqual(expect.objectContaining({ kind: 'lost', id: 't1' }));
    expect(checkHistory([...members, commit, ...members.map((m) => receive(m))], exactlyOnce).ok).toBe(true);
    // Unknown or unrecorded outcome: nothing may be claimed, either way.
    const unknown: HistoryEvent = { ...commit, outcome: 'unknown' };
    expect(checkHistory([...members, unknown, receive(members[0]!)], exactlyOnce).ok).toBe(true);
    expect(checkHistory(members, exactlyOnce).ok).toBe(true);
  });

  it('catches early and late delayed deliveries', () => {
    const early = send('early', 0, { deliverAt: 1000 });
    const late = send('late', 1, { deliverAt: 1000 });
    const onTime = send('on-time', 2, { deliverAt: 1000 });
    const events = [
      early,
      late,
      onTime,
      receive(early, { time: 999, offset: 0 }),
      receive(onTime, { time: 1500, offset: 1 }),
      receive(late, { time: 6001, offset: 2 }),
    ];
    const report = checkHistory(events, exactlyOnce);
    expect(report.counts['early-delivery']).toBe(1);
    expect(report.counts['late-delivery']).toBe(1);
    expect(report.anomalies.map((anomaly) => [anomaly.kind, anomaly.id])).toEqual([
      ['early-delivery', 'early'],
      ['late-delivery', 'late'],
    ]);
    expect(checkHistory(events, { ...exactlyOnce, delayToleranceMs: 10_000 }).counts['late-delivery']).toBe(0);
  });

  it('catches a receive of an id never sent', () => {
    const ghost = receive(send('ghost', 7), { time: 20 });
    const report = checkHistory([...clean().history, ghost], atLeastOnce);
    only(report, 'unexpected');
    expect(report.anomalies[0]).toMatchObject({ kind: 'unexpected', id: 'ghost' });
  });

  it('sorts receives recorded out of time order', () => {
    const { sends } = clean();
    const [m0, m1, m2] = sends as [SendEvent, SendEvent, SendEvent];
    const shuffled = [receive(m2, { time: 12 }), ...sends, receive(m0, { time: 10 }), receive(m1, { time: 11 })];
    expect(checkHistory(shuffled, exactlyOnce).ok).toBe(true);
  });

  it('lists at most maxAnomaliesPerKind anomalies of a kind but counts them all', () => {
    const sends = Array.from({ length: 50 }, (_, i) => send(`m${i}`, i));
    const report = checkHistory(sends, { ...exactlyOnce, consumerGroups: ['cg'], maxAnomaliesPerKind: 10 });
    expect(report.counts.lost).toBe(50);
    expect(report.anomalies).toHaveLength(10);
  });
});
