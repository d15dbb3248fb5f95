import type { AnomalyLog } from './anomaly-log.js';
import { where } from './anomaly-log.js';
import type { HistoryIndex } from './history-index.js';

/**
 * duplicate: every receive of an id after the first in the same consumer group. Counted under both semantics;
 * listed (and failing) only under exactly-once.
 */
export function checkDuplicates(index: HistoryIndex, exactlyOnce: boolean, log: AnomalyLog): void {
  const { receives, firstInGroup } = index;
  for (let i = 0; i < receives.length; i++) {
    if (firstInGroup[i] === 1) continue;
    const receive = receives[i]!;
    log.add(
      'duplicate',
      receive.id,
      () =>
        `group ${receive.consumerGroup} received it again at ${receive.time} (${receive.client}, ` +
        `${where(receive.topic, receive.queue)} offset ${receive.offset})`,
      exactlyOnce,
    );
  }
}
