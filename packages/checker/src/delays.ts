import type { AnomalyLog } from './anomaly-log.js';
import type { HistoryIndex } from './history-index.js';

/**
 * early-delivery / late-delivery: the first receive of a delayed message in each group came before `deliverAt`,
 * or after `deliverAt + toleranceMs`. Redeliveries are not judged: a consumer crash may legitimately delay them.
 * Nor are receives marked `redelivery` judged late (only early): their first delivery may have died with a broker.
 */
export function checkDelays(index: HistoryIndex, toleranceMs: number, log: AnomalyLog): void {
  const { receives, firstInGroup, sendOf, receiveMessage } = index;
  for (let i = 0; i < receives.length; i++) {
    if (firstInGroup[i] === 0) continue;
    const receive = receives[i]!;
    const deliverAt = sendOf[receiveMessage[i]!]?.deliverAt;
    if (deliverAt === undefined) continue;
    if (receive.time < deliverAt) {
      log.add(
        'early-delivery',
        receive.id,
        () =>
          `group ${receive.consumerGroup} received it at ${receive.time}, ${deliverAt - receive.time} ms before deliverAt ${deliverAt}`,
      );
    } else if (receive.time > deliverAt + toleranceMs && receive.redelivery !== true) {
      log.add(
        'late-delivery',
        receive.id,
        () =>
          `group ${receive.consumerGroup} received it at ${receive.time}, ${receive.time - deliverAt} ms after ` +
          `deliverAt ${deliverAt} (tolerance ${toleranceMs} ms)`,
      );
    }
  }
}
