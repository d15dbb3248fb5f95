import type { CheckReport, HistoryEvent, ReceiveEvent, SendEvent } from './history.js';

/**
 * The history, indexed once so that every checker is linear. Payload ids and consumer groups are interned to
 * small integers: a million-event history then costs one string-keyed lookup per event, not one per checker.
 */
export interface HistoryIndex {
  /** Message number → the acked send when there is one (its offset is the broker's word), else the first send. */
  readonly sendOf: readonly (SendEvent | undefined)[];
  /** Message number → 1 when some send of it was acked. */
  readonly acked: Uint8Array;
  readonly messageCount: number;
  /** Definitive transaction outcomes only; an unknown or unrecorded outcome is absent. */
  readonly txnOutcomes: ReadonlyMap<string, 'commit' | 'abort'>;
  /** Receives in time order (stable for equal times), with their message and group numbers alongside. */
  readonly receives: readonly ReceiveEvent[];
  readonly receiveMessage: Int32Array;
  /** 1 where the receive is the first of its id in its consumer group; redeliveries are 0. */
  readonly firstInGroup: Uint8Array;
  readonly groupNames: readonly string[];
  readonly groupNumber: ReadonlyMap<string, number>;
  /** Group number → message number → 1 when the group received it. */
  readonly receivedBy: readonly Uint8Array[];
  /** Topic → numbers of the groups seen receiving from it. */
  readonly groupsByTopic: ReadonlyMap<string, ReadonlySet<number>>;
  readonly stats: CheckReport['stats'];
}

export function indexHistory(events: readonly HistoryEvent[]): HistoryIndex {
  const messageNumber = new Map<string, number>();
  const sendOf: (SendEvent | undefined)[] = [];
  const ackedList: number[] = [];
  const txnOutcomes = new Map<string, 'commit' | 'abort'>();
  let receives: ReceiveEvent[] = [];
  const stats = { sent: 0, acked: 0, failed: 0, unknown: 0, received: 0, uniqueReceived: 0 };
  let sorted = true;
  let lastReceiveTime = Number.NEGATIVE_INFINITY;
  for (const event of events) {
    if (event.type === 'send') {
      stats.sent++;
      if (event.outcome === 'ack') stats.acked++;
      else if (event.outcome === 'fail') stats.failed++;
      else stats.unknown++;
      const known = messageNumber.get(event.id);
      if (known === undefined) {
        messageNumber.set(event.id, sendOf.length);
        if (event.outcome === 'ack') ackedList.push(sendOf.length);
        sendOf.push(event);
      } else if (sendOf[known] === undefined || (sendOf[known].outcome !== 'ack' && event.outcome === 'ack')) {
        if (event.outcome === 'ack') ackedList.push(known);
        sendOf[known] = event;
      }
    } else if (event.type === 'receive') {
      stats.received++;
      if (event.time < lastReceiveTime) sorted = false;
      lastReceiveTime = event.time;
      receives.push(event);
    } else if (event.outcome !== 'unknown' && !txnOutcomes.has(event.txn)) {
      // The first definitive outcome wins; a later contradicting one is the producer's confusion, not the broker's.
      txnOutcomes.set(event.txn, event.outcome);
    }
  }
  // Clients record concurrently, so a concatenated history may interleave; Array#sort is stable.
  if (!sorted) receives = receives.slice().sort((a, b) => a.time - b.time);

  // Received ids never sent get numbers too (after the sent ones), so every receive has a message number.
  const receiveMessage = new Int32Array(receives.length);
  const groupNumber = new Map<string, number>();
  const groupNames: string[] = [];
  const receiveGroup = new Int32Array(receives.length);
  const groupsByTopic = new Map<string, Set<number>>();
  for (let i = 0; i < receives.length; i++) {
    const receive = receives[i]!;
    let message = messageNumber.get(receive.id);
    if (message === undefined) {
      message = sendOf.length;
      messageNumber.set(receive.id, message);
      sendOf.push(undefined);
    }
    receiveMessage[i] = message;
    let group = groupNumber.get(receive.consumerGroup);
    if (group === undefined) {
      group = groupNames.length;
      groupNumber.set(receive.consumerGroup, group);
      groupNames.push(receive.consumerGroup);
    }
    receiveGroup[i] = group;
    let groups = groupsByTopic.get(receive.topic);
    if (groups === undefined) {
      groups = new Set();
      groupsByTopic.set(receive.topic, groups);
    }
    groups.add(group);
  }
  const messageCount = sendOf.length;
  const acked = new Uint8Array(messageCount);
  for (const message of ackedList) acked[message] = 1;
  const receivedBy = groupNames.map(() => new Uint8Array(messageCount));
  const everReceived = new Uint8Array(messageCount);
  const firstInGroup = new Uint8Array(receives.length);
  for (let i = 0; i < receives.length; i++) {
    const message = receiveMessage[i]!;
    const seen = receivedBy[receiveGroup[i]!]!;
    if (seen[message] === 0) {
      seen[message] = 1;
      firstInGroup[i] = 1;
    }
    if (everReceived[message] === 0) {
      everReceived[message] = 1;
      stats.uniqueReceived++;
    }
  }
  return {
    sendOf,
    acked,
    messageCount,
    txnOutcomes,
    receives,
    receiveMessage,
    firstInGroup,
    groupNames,
    groupNumber,
    receivedBy,
    groupsByTopic,
    stats,
  };
}

/**
 * The send of a message when it carries the producer-order guarantee: acked, neither delayed nor transactional
 * (brokers re-put those at release or commit, so their position follows the release, not the send).
 */
export function orderedSend(index: HistoryIndex, message: number): SendEvent | undefined {
  const send = index.sendOf[message];
  return send !== undefined && index.acked[message] === 1 && send.deliverAt === undefined && send.txn === undefined
    ? send
    : undefined;
}
