/** A message send, as recorded by a producer client once the send settled. */
export interface SendEvent {
  type: 'send';
  /** When the outcome was known (ms, one clock for the whole history). */
  time: number;
  /** The recording client. */
  client: string;
  /** Unique payload id; a retry of the same payload reuses it. */
  id: string;
  producer: string;
  /** Per-producer sequence number, increasing in send order. */
  seq: number;
  topic: string;
  queue?: number;
  /** Message group / Kafka key: messages of one group keep their producer's order. */
  group?: string;
  /** Transaction id when sent in one. */
  txn?: string;
  /** Delayed messages: the earliest delivery time. */
  deliverAt?: number;
  /** `unknown`: timed out or the connection was lost, so the message may or may not be stored. */
  outcome: 'ack' | 'fail' | 'unknown';
  /** Offset the broker acknowledged, when it said. */
  offset?: number;
}

/** One delivery of a message to a consumer. */
export interface ReceiveEvent {
  type: 'receive';
  time: number;
  /** The consumer session: a new session (reconnect, restart) gets a new client name. */
  client: string;
  id: string;
  producer: string;
  seq: number;
  topic: string;
  queue: number;
  offset: number;
  group?: string;
  consumerGroup: string;
  /**
   * The broker said it delivered this message before (a RocketMQ delivery attempt above 1), even if this
   * session never saw it: e.g. its first delivery was lost with a killed broker. Exempt from session order.
   */
  redelivery?: boolean;
}

/** How a transaction ended, as its producer saw it. */
export interface TxnEvent {
  type: 'txn';
  time: number;
  client: string;
  txn: string;
  outcome: 'commit' | 'abort' | 'unknown';
}

/** One operation in a history, as recorded by a workload client. */
export type HistoryEvent = SendEvent | ReceiveEvent | TxnEvent;

/** What {@link checkHistory} holds the history to. */
export interface CheckOptions {
  /** `at-least-once` counts duplicates without failing; `exactly-once` fails on them. */
  semantics: 'at-least-once' | 'exactly-once';
  /**
   * Groups that must receive every acked message of every topic. Default: for each topic, the groups seen
   * receiving from it.
   */
  consumerGroups?: string[];
  /** How long after `deliverAt` a delayed message may arrive before it is late. Default 5000 ms. */
  delayToleranceMs?: number;
  /** Anomalies listed per kind (all are counted). Default 100, at least 1. */
  maxAnomaliesPerKind?: number;
}

/** Every anomaly kind, in report order. */
export const ANOMALY_KINDS = [
  'lost',
  'duplicate',
  'queue-order',
  'group-order',
  'aborted-read',
  'partial-txn',
  'early-delivery',
  'late-delivery',
  'unexpected',
] as const;

export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** One violation found in a history. */
export interface Anomaly {
  kind: AnomalyKind;
  /** The message id (the transaction id for `partial-txn`). */
  id?: string;
  detail: string;
}

/** The verdict on a history. */
export interface CheckReport {
  /** No anomaly, except duplicates under at-least-once. */
  ok: boolean;
  /** Every anomaly found, by kind (duplicates are counted under both semantics). */
  counts: Record<AnomalyKind, number>;
  /** The first anomalies of each kind (up to `maxAnomaliesPerKind`); duplicates only under exactly-once. */
  anomalies: Anomaly[];
  /** Send counts are per send event (a retry is a second send); `uniqueReceived` counts distinct ids. */
  stats: { sent: number; acked: number; failed: number; unknown: number; received: number; uniqueReceived: number };
}
