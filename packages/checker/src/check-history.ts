import { AnomalyLog } from './anomaly-log.js';
import { checkDelays } from './delays.js';
import { checkDuplicates } from './duplicates.js';
import type { CheckOptions, CheckReport, HistoryEvent } from './history.js';
import { ANOMALY_KINDS } from './history.js';
import { indexHistory } from './history-index.js';
import { checkLost, checkUnexpected, requiredGroupsOf } from './lost.js';
import { checkGroupOrder, checkProducerOrder, checkSessionOrder } from './order.js';
import { checkAbortedReads, checkPartialTransactions } from './transactions.js';

const DEFAULT_DELAY_TOLERANCE_MS = 5000;
const DEFAULT_MAX_ANOMALIES_PER_KIND = 100;

/**
 * Checks a finished (drained) history against the rules of the harness spec. Linear in the history apart from
 * sorting receives by time and each (topic, queue, producer)'s positions by offset.
 */
export function checkHistory(events: readonly HistoryEvent[], options: CheckOptions): CheckReport {
  const index = indexHistory(events);
  const log = new AnomalyLog(options.maxAnomaliesPerKind ?? DEFAULT_MAX_ANOMALIES_PER_KIND);
  const exactlyOnce = options.semantics === 'exactly-once';
  const requiredGroups = requiredGroupsOf(index, options.consumerGroups);

  checkLost(index, requiredGroups, options.consumerGroups, log);
  checkDuplicates(index, exactlyOnce, log);
  checkSessionOrder(index, log);
  checkProducerOrder(index, log);
  checkGroupOrder(index, log);
  checkAbortedReads(index, log);
  checkPartialTransactions(index, requiredGroups, options.consumerGroups, log);
  checkDelays(index, options.delayToleranceMs ?? DEFAULT_DELAY_TOLERANCE_MS, log);
  checkUnexpected(index, log);

  const ok = ANOMALY_KINDS.every((kind) => log.counts[kind] === 0 || (kind === 'duplicate' && !exactlyOnce));
  return { ok, counts: log.counts, anomalies: log.anomalies, stats: index.stats };
}
