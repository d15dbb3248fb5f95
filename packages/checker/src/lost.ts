import type { AnomalyLog } from './anomaly-log.js';
import { where } from './anomaly-log.js';
import type { HistoryIndex } from './history-index.js';

/** Groups (by number, -1 for a configured group never seen) that must receive the messages of a topic. */
export type RequiredGroups = (topic: string) => readonly number[];

/** The configured groups for every topic, else those seen receiving from the topic; lists computed once per topic. */
export function requiredGroupsOf(index: HistoryIndex, consumerGroups: readonly string[] | undefined): RequiredGroups {
  if (consumerGroups !== undefined) {
    const configured = consumerGroups.map((group) => index.groupNumber.get(group) ?? -1);
    return () => configured;
  }
  const cache = new Map<string, readonly number[]>();
  return (topic) => {
    let groups = cache.get(topic);
    if (groups === undefined) {
      groups = [...(index.groupsByTopic.get(topic) ?? [])];
      cache.set(topic, groups);
    }
    return groups;
  };
}

export function groupName(
  index: HistoryIndex,
  consumerGroups: readonly string[] | undefined,
  position: number,
  group: number,
) {
  return group >= 0 ? index.groupNames[group]! : consumerGroups![position]!;
}

/**
 * lost: an acked send that a required group never received. Exempt: sends that failed or are unknown
 * (they carry no promise) and messages of transactions not known to be committed.
 */
export function checkLost(
  index: HistoryIndex,
  requiredGroups: RequiredGroups,
  consumerGroups: readonly string[] | undefined,
  log: AnomalyLog,
): void {
  const { sendOf, acked, receivedBy } = index;
  for (let message = 0; message < index.messageCount; message++) {
    if (acked[message] === 0) continue;
    const send = sendOf[message]!;
    if (send.txn !== undefined && index.txnOutcomes.get(send.txn) !== 'commit') continue;
    const groups = requiredGroups(send.topic);
    if (groups.length === 0) {
      log.add(
        'lost',
        send.id,
        () =>
          `producer ${send.producer} seq ${send.seq} acked at ${send.time} on ${where(send.topic, send.queue)}; ` +
          'no consumer group received anything from the topic',
      );
      continue;
    }
    for (let position = 0; position < groups.length; position++) {
      const group = groups[position]!;
      if (group >= 0 && receivedBy[group]![message] === 1) continue;
      log.add(
        'lost',
        send.id,
        () =>
          `producer ${send.producer} seq ${send.seq} acked at ${send.time} on ${where(send.topic, send.queue)}` +
          `${send.offset === undefined ? '' : ` offset ${send.offset}`}; never received by group ` +
          groupName(index, consumerGroups, position, group),
      );
    }
  }
}

/** unexpected: a receive of an id that no send event carries (once per consumer group and id). */
export function checkUnexpected(index: HistoryIndex, log: AnomalyLog): void {
  const { receives, firstInGroup, sendOf, receiveMessage } = index;
  for (let i = 0; i < receives.length; i++) {
    if (firstInGroup[i] === 0 || sendOf[receiveMessage[i]!] !== undefined) continue;
    const receive = receives[i]!;
    log.add(
      'unexpected',
      receive.id,
      () =>
        `group ${receive.consumerGroup} (${receive.client}) received it at ${receive.time} from ` +
        `${where(receive.topic, receive.queue)} offset ${receive.offset}, but it was never sent`,
    );
  }
}
