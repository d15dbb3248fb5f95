import type { HistoryEvent } from '@eddy/checker';

/** The history of one run, with the counters a progress line shows. */
export class Recorder {
  /** Every event, in the order the clients settled them. */
  readonly events: HistoryEvent[] = [];
  /** Sends started and acknowledged, and receives. */
  readonly counts = { sent: 0, acked: 0, received: 0 };
  /** When the last receive was recorded (ms); a drain resets it and waits for quiet. */
  lastReceiveAt = Date.now();
  readonly #brokerSlots = new Map<string, number>();

  /** Keeps `event` and updates the counters. */
  add(event: HistoryEvent): void {
    this.events.push(event);
    if (event.type === 'send') this.counts.sent++;
    if (event.type === 'send' && event.outcome === 'ack') this.counts.acked++;
    if (event.type === 'receive') this.counts.received++;
    if (event.type === 'receive') this.lastReceiveAt = Date.now();
  }

  /**
   * The queue as the history names it: `slot × 65536 + queueId`, where `slot` numbers brokers (`host:port`)
   * in the order this run first saw them. RocketMQ queue ids start at 0 on every broker, and the checker
   * must not take queue 0 of two brokers for one queue. The first broker seen keeps the plain ids.
   */
  queueOn(broker: string, queueId: number): number {
    if (queueId < 0) return queueId;
    let slot = this.#brokerSlots.get(broker);
    if (slot === undefined) {
      slot = this.#brokerSlots.size;
      this.#brokerSlots.set(broker, slot);
    }
    return slot * 65_536 + queueId;
  }

  /** Sends acknowledged at or after `since` (ms). */
  ackedSince(since: number): number {
    return this.events.filter((event) => event.type === 'send' && event.outcome === 'ack' && event.time >= since)
      .length;
  }

  /** Acked messages that some consumer group in `groups` has not received yet. */
  missing(groups: readonly string[]): number {
    const got = new Set(
      this.events.map((event) => (event.type === 'receive' ? `${event.consumerGroup}/${event.id}` : '')),
    );
    const acked = this.events.flatMap((event) => (event.type === 'send' && event.outcome === 'ack' ? [event] : []));
    return groups.reduce((sum, group) => sum + acked.filter((event) => !got.has(`${group}/${event.id}`)).length, 0);
  }
}
