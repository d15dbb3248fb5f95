import type { AnomalyLog } from './anomaly-log.js';
import { where } from './anomaly-log.js';
import { type HistoryIndex, orderedSend } from './history-index.js';

const SEPARATOR = '\u0000';

/**
 * queue-order, consumer side: within one consumer session (client) and one (topic, queue), the offsets of first
 * receives in the group never go backwards. Redeliveries are exempt — receives of a message the group got before,
 * and receives the broker marks as redelivered (`redelivery`): rewinding to the committed offset after a rebalance
 * or crash, or a message whose invisible time ran out after its first delivery died with a killed broker, is
 * at-least-once working as designed (duplicates are judged separately).
 */
export function checkSessionOrder(index: HistoryIndex, log: AnomalyLog): void {
  const { receives, firstInGroup } = index;
  const highest = new Map<string, number>();
  for (let i = 0; i < receives.length; i++) {
    const receive = receives[i]!;
    if (firstInGroup[i] === 0 || receive.redelivery === true) continue;
    const key =
      receive.consumerGroup + SEPARATOR + receive.client + SEPARATOR + receive.topic + SEPARATOR + receive.queue;
    const previous = highest.get(key);
    if (previous === undefined || receive.offset > previous) highest.set(key, receive.offset);
    else if (receive.offset < previous)
      log.add(
        'queue-order',
        receive.id,
        () =>
          `session ${receive.client} of group ${receive.consumerGroup} received offset ${receive.offset} of ` +
          `${where(receive.topic, receive.queue)} after offset ${previous}`,
      );
  }
}

interface Placement {
  topic: string;
  queue: number;
  producer: string;
  offsets: number[];
  seqs: number[];
  messages: number[];
  sorted: boolean;
}

/**
 * queue-order, producer side: in one (topic, queue), a producer's ordered messages (see `orderedSend`) sit at
 * offsets increasing with their seq. The position is the acked offset when the send reported one, else where the
 * message was first received.
 */
export function checkProducerOrder(index: HistoryIndex, log: AnomalyLog): void {
  const placements = new Map<string, Placement>();
  const placed = new Uint8Array(index.messageCount);
  const place = (message: number, topic: string, queue: number, producer: string, offset: number, seq: number) => {
    placed[message] = 1;
    const key = topic + SEPARATOR + queue + SEPARATOR + producer;
    let entry = placements.get(key);
    if (entry === undefined) entry = { topic, queue, producer, offsets: [], seqs: [], messages: [], sorted: true };
    placements.set(key, entry);
    const last = entry.offsets.length - 1;
    if (last >= 0 && offset < entry.offsets[last]!) entry.sorted = false;
    entry.offsets.push(offset);
    entry.seqs.push(seq);
    entry.messages.push(message);
  };
  for (let message = 0; message < index.messageCount; message++) {
    const send = orderedSend(index, message);
    if (send === undefined || send.queue === undefined || send.offset === undefined) continue;
    place(message, send.topic, send.queue, send.producer, send.offset, send.seq);
  }
  const { receives, receiveMessage } = index;
  for (let i = 0; i < receives.length; i++) {
    const message = receiveMessage[i]!;
    if (placed[message] === 1) continue;
    const send = orderedSend(index, message);
    if (send === undefined) continue;
    const receive = receives[i]!;
    place(message, receive.topic, receive.queue, send.producer, receive.offset, send.seq);
  }
  for (const { topic, queue, producer, offsets, seqs, messages, sorted } of placements.values()) {
    let order: number[] | undefined;
    if (!sorted) {
      order = offsets.map((_, k) => k);
      order.sort((a, b) => offsets[a]! - offsets[b]! || seqs[a]! - seqs[b]!);
    }
    for (let k = 1; k < offsets.length; k++) {
      const before = order === undefined ? k - 1 : order[k - 1]!;
      const after = order === undefined ? k : order[k]!;
      if (seqs[after]! >= seqs[before]!) continue;
      log.add(
        'queue-order',
        index.sendOf[messages[after]!]!.id,
        () =>
          `producer ${producer} seq ${seqs[after]} is at offset ${offsets[after]} of ${topic}/${queue}, after ` +
          `its seq ${seqs[before]} at offset ${offsets[before]}`,
      );
    }
  }
}

/**
 * group-order: for one message group (Kafka key) in one topic, a consumer group first-receives a producer's
 * ordered messages in seq order. Redeliveries are exempt, as for queue order.
 */
export function checkGroupOrder(index: HistoryIndex, log: AnomalyLog): void {
  const { receives, firstInGroup, receiveMessage } = index;
  const highest = new Map<string, number>();
  for (let i = 0; i < receives.length; i++) {
    const receive = receives[i]!;
    if (firstInGroup[i] === 0 || receive.redelivery === true) continue;
    const send = orderedSend(index, receiveMessage[i]!);
    const group = send?.group ?? receive.group;
    if (send === undefined || group === undefined) continue;
    const { producer, seq } = send;
    const key = receive.consumerGroup + SEPARATOR + receive.topic + SEPARATOR + group + SEPARATOR + producer;
    const previous = highest.get(key);
    if (previous === undefined || seq > previous) highest.set(key, seq);
    else if (seq < previous)
      log.add(
        'group-order',
        receive.id,
        () =>
          `group ${receive.consumerGroup} received producer ${producer} seq ${seq} of message group ${group} ` +
          `(${receive.topic}) after its seq ${previous}`,
      );
  }
}
