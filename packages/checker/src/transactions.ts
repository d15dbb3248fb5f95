import type { AnomalyLog } from './anomaly-log.js';
import { where } from './anomaly-log.js';
import type { HistoryIndex } from './history-index.js';
import { groupName, type RequiredGroups } from './lost.js';

/** aborted-read: a message of an aborted transaction was received (once per consumer group and id). */
export function checkAbortedReads(index: HistoryIndex, log: AnomalyLog): void {
  const { receives, firstInGroup, sendOf, receiveMessage, txnOutcomes } = index;
  for (let i = 0; i < receives.length; i++) {
    if (firstInGroup[i] === 0) continue;
    const receive = receives[i]!;
    const txn = sendOf[receiveMessage[i]!]?.txn;
    if (txn === undefined || txnOutcomes.get(txn) !== 'abort') continue;
    log.add(
      'aborted-read',
      receive.id,
      () =>
        `group ${receive.consumerGroup} received it at ${receive.time} from ${where(receive.topic, receive.queue)} ` +
        `offset ${receive.offset}, but transaction ${txn} aborted`,
    );
  }
}

/**
 * partial-txn: a group received some but not all acked messages of a committed transaction (judged on the whole
 * history, so only meaningful once the run has drained). Reported once per transaction and group; the missing
 * messages are also `lost`.
 */
export function checkPartialTransactions(
  index: HistoryIndex,
  requiredGroups: RequiredGroups,
  consumerGroups: readonly string[] | undefined,
  log: AnomalyLog,
): void {
  const members = new Map<string, number[]>();
  for (let message = 0; message < index.messageCount; message++) {
    const txn = index.sendOf[message]?.txn;
    if (txn === undefined || index.acked[message] === 0 || index.txnOutcomes.get(txn) !== 'commit') continue;
    let list = members.get(txn);
    if (list === undefined) {
      list = [];
      members.set(txn, list);
    }
    list.push(message);
  }
  for (const [txn, list] of members) {
    const tally = new Map<string, { expected: number; received: number }>();
    for (const message of list) {
      const groups = requiredGroups(index.sendOf[message]!.topic);
      for (let position = 0; position < groups.length; position++) {
        const group = groups[position]!;
        const name = groupName(index, consumerGroups, position, group);
        let entry = tally.get(name);
        if (entry === undefined) {
          entry = { expected: 0, received: 0 };
          tally.set(name, entry);
        }
        entry.expected++;
        if (group >= 0 && index.receivedBy[group]![message] === 1) entry.received++;
      }
    }
    for (const [group, { expected, received }] of tally) {
      if (received === 0 || received === expected) continue;
      log.add(
        'partial-txn',
        txn,
        `group ${group} received ${received} of the ${expected} acked messages of committed transaction ${txn}`,
      );
    }
  }
}
