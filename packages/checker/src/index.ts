/**
 * Jepsen-style history checkers for Eddy's test harness.
 *
 * Workload clients record every send (with its outcome: acked, failed or unknown), every receive and every
 * transaction outcome as a {@link HistoryEvent}; {@link checkHistory} then judges the finished history and
 * returns a {@link CheckReport}: lost acked messages, duplicates, queue and message-group order inversions,
 * aborted reads, partially delivered transactions, early or late delayed messages, and receives of ids never
 * sent. {@link formatReportTable} renders the report for a terminal; {@link createRandom} is the seeded
 * random source scenarios use so a failing run replays from its seed.
 *
 * It does not run workloads, talk to brokers or read files: it is pure (no sockets, files or timers) and keeps
 * no global state. The history must be complete (the run drained) before it is checked: a transaction or a
 * consumer still in flight reads as a loss or a partial transaction.
 *
 * Guarantees: checking is deterministic and near linear (a million events in seconds); every anomaly is
 * counted, the first 100 of each kind are listed; failed and unknown sends never count as lost, and an
 * unknown send that was received counts as delivered.
 *
 * @packageDocumentation
 */
export { checkHistory } from './check-history.js';
export {
  ANOMALY_KINDS,
  type Anomaly,
  type AnomalyKind,
  type CheckOptions,
  type CheckReport,
  type HistoryEvent,
  type ReceiveEvent,
  type SendEvent,
  type TxnEvent,
} from './history.js';
export { createRandom, type Random } from './random.js';
export { formatReportTable } from './report-table.js';
