import type { HistoryEvent, ReceiveEvent, SendEvent } from '../src/index.js';
import { createRandom } from '../src/index.js';

/** Shape of a generated run; everything else comes from the seed. */
export interface ModelOptions {
  seed: number;
  /** Steps during which producers send (10 ms each); the run then drains. */
  steps: number;
  semantics: 'at-least-once' | 'exactly-once';
  topics?: number;
  queues?: number;
  producers?: number;
  consumerGroups?: number;
  clientsPerGroup?: number;
}

interface Stored {
  id: string;
  producer: string;
  seq: number;
  topic: string;
  queue: number;
  group?: string;
  offset: number;
}

type Unstored = Omit<Stored, 'offset'>;

/**
 * A correct broker, simulated: producers send (plain, keyed, delayed, transactional; acked, failed or unknown),
 * the log stores what a correct broker would, and consumers read every queue in offset order. Under at-least-once
 * consumers sometimes rewind a little (redelivery). The history it records is clean by construction.
 */
export function generateHistory(options: ModelOptions): { events: HistoryEvent[]; consumerGroups: string[] } {
  const random = createRandom(options.seed);
  const topics = Array.from({ length: options.topics ?? 2 }, (_, i) => `topic-${i}`);
  const queueCount = options.queues ?? 3;
  const producers = Array.from({ length: options.producers ?? 3 }, (_, i) => ({ name: `p${i}`, seq: 0 }));
  const groups = Array.from({ length: options.consumerGroups ?? 2 }, (_, i) => `cg${i}`);
  const clientsPerGroup = options.clientsPerGroup ?? 2;
  const events: HistoryEvent[] = [];
  const logs = new Map<string, Stored[]>();
  const logOf = (topic: string, queue: number) => {
    const key = `${topic}/${queue}`;
    let log = logs.get(key);
    if (log === undefined) {
      log = [];
      logs.set(key, log);
    }
    return log;
  };
  const append = (message: Unstored): number => {
    const log = logOf(message.topic, message.queue);
    log.push({ ...message, offset: log.length });
    return log.length - 1;
  };
  const cursors = new Map<string, number>();
  let delayed: { message: Unstored; deliverAt: number }[] = [];
  let nextId = 0;
  let nextTxn = 0;

  const newMessage = (producer: { name: string; seq: number }): Unstored => {
    const topic = random.pick(topics);
    const keyed = random.next() < 0.5;
    const group = keyed ? `key-${random.int(0, 3)}` : undefined;
    const queue = group === undefined ? random.int(0, queueCount - 1) : Number(group.slice(4)) % queueCount;
    const message: Unstored = { id: `m${nextId++}`, producer: producer.name, seq: producer.seq++, topic, queue };
    if (group !== undefined) message.group = group;
    return message;
  };
  const sendEvent = (time: number, message: Unstored, outcome: SendEvent['outcome']): SendEvent => {
    const event: SendEvent = {
      type: 'send',
      time,
      client: `${message.producer}-client`,
      id: message.id,
      producer: message.producer,
      seq: message.seq,
      topic: message.topic,
      queue: message.queue,
      outcome,
    };
    if (message.group !== undefined) event.group = message.group;
    return event;
  };

  const produce = (time: number) => {
    for (const producer of producers) {
      if (random.next() < 0.4) continue;
      const kind = random.next();
      if (kind < 0.1) {
        const txn = `txn-${nextTxn++}`;
        const members = Array.from({ length: random.int(1, 3) }, () => newMessage(producer));
        for (const message of members) events.push({ ...sendEvent(time, message, 'ack'), txn });
        const decision = random.pick(['commit', 'commit', 'abort', 'unknown'] as const);
        events.push({ type: 'txn', time, client: `${producer.name}-client`, txn, outcome: decision });
        const committed = decision === 'commit' || (decision === 'unknown' && random.next() < 0.5);
        if (committed) for (const message of members) append(message);
      } else if (kind < 0.2) {
        const message = newMessage(producer);
        const deliverAt = time + random.int(0, 100);
        events.push({ ...sendEvent(time, message, 'ack'), deliverAt });
        delayed.push({ message, deliverAt });
      } else {
        const message = newMessage(producer);
        const outcome = random.pick(['ack', 'ack', 'ack', 'ack', 'ack', 'ack', 'fail', 'unknown'] as const);
        if (outcome === 'fail') events.push(sendEvent(time, message, outcome));
        else if (outcome === 'unknown') {
          if (random.next() < 0.5) append(message);
          events.push(sendEvent(time, message, outcome));
        } else events.push({ ...sendEvent(time, message, outcome), offset: append(message) });
      }
    }
  };

  const consume = (time: number): boolean => {
    let behind = false;
    for (const group of groups)
      for (const topic of topics)
        for (let queue = 0; queue < queueCount; queue++) {
          const log = logOf(topic, queue);
          const key = `${group}/${topic}/${queue}`;
          let cursor = cursors.get(key) ?? 0;
          if (options.semantics === 'at-least-once' && cursor > 0 && random.next() < 0.05)
            cursor = Math.max(0, cursor - random.int(1, 3));
          const client = `${group}-c${queue % clientsPerGroup}`;
          const end = Math.min(log.length, cursor + random.int(2, 8));
          for (; cursor < end; cursor++) {
            const stored = log[cursor]!;
            const receive: ReceiveEvent = {
              type: 'receive',
              time,
              client,
              id: stored.id,
              producer: stored.producer,
              seq: stored.seq,
              topic,
              queue,
              offset: stored.offset,
              consumerGroup: group,
            };
            if (stored.group !== undefined) receive.group = stored.group;
            events.push(receive);
          }
          cursors.set(key, cursor);
          if (cursor < log.length) behind = true;
        }
    return behind;
  };

  for (let step = 0; ; step++) {
    const time = step * 10;
    if (step < options.steps) produce(time);
    const due = delayed.filter((entry) => entry.deliverAt <= time);
    delayed = delayed.filter((entry) => entry.deliverAt > time);
    for (const entry of due) append(entry.message);
    const behind = consume(time);
    if (step >= options.steps && !behind && delayed.length === 0) break;
  }
  return { events, consumerGroups: groups };
}
