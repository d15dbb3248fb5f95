import { type CheckReport, checkHistory, createRandom } from '@eddy/checker';
import { kafkaReadCommittedConsumer, kafkaTransactionalProducer } from './kafka-transaction-workloads.js';
import { Recorder } from './recorder.js';
import { rocketDelayProducer, rocketFifoProducer, rocketTopicConsumer } from './rocketmq-feature-workloads.js';
import type { Workload } from './workload.js';

/** The topics (and the consumer group reading each) of {@link FeatureWorkloads}. */
export const FEATURE_TOPICS = { fifo: 'harness-fifo', delay: 'harness-delay', transactions: 'harness-txn' } as const;

/** Where the clients of {@link FeatureWorkloads} connect (`host:port` each). */
export interface FeatureTarget {
  readonly kafka: string;
  readonly grpc: string;
  /** The broker's admin HTTP API, where the topics are created. */
  readonly http: string;
}

/** Options of {@link FeatureWorkloads.start}. */
export interface FeatureOptions {
  /** Seeds the message groups, delays and which transactions abort. */
  readonly seed: number;
  /** Pause between two sends of one producer. */
  readonly pauseMs: number;
}

/** FIFO message groups, the delay range and transaction shape: small, so a smoke run sees all of them. */
const FIFO_GROUPS = 4;
const DELAY_MS = { minDelayMs: 1_000, maxDelayMs: 3_000 };
const TRANSACTION = { size: 3, abortShare: 0.3 };

/** Counts of what the feature workloads did, for a progress line or a report. */
export interface FeatureSummary {
  fifo: { acked: number; received: number; groups: number };
  delay: { acked: number; received: number };
  transactions: { committed: number; aborted: number; unknown: number; received: number };
}

/**
 * The workloads that exercise what plain produce/consume does not: a RocketMQ FIFO topic (message groups,
 * judged by the group-order checker), a RocketMQ DELAY topic (delivery times, judged early or late) and
 * kafkajs transactions, committed or aborted, read under read_committed (aborted reads, partial
 * transactions). Each topic has one consumer group of its own, named like the topic (two members on the FIFO
 * topic, one on the others). The history is kept apart, in {@link FeatureWorkloads.recorder}: each group
 * must read every message of its own topic, and none of the others.
 */
export class FeatureWorkloads {
  /** The history of these workloads only. */
  readonly recorder = new Recorder();
  #producers: Workload[] = [];
  #consumers: Workload[] = [];

  private constructor() {}

  /** Creates the three topics on the broker at `target.http`, then starts one consumer and one producer each. */
  static async start(target: FeatureTarget, options: FeatureOptions): Promise<FeatureWorkloads> {
    const features = new FeatureWorkloads();
    const { recorder } = features;
    const { fifo, delay, transactions } = FEATURE_TOPICS;
    await createTopic(target.http, fifo, 'FIFO');
    await createTopic(target.http, delay, 'DELAY');
    await createTopic(target.http, transactions, 'NORMAL');
    features.#consumers.push(
      // Two members: a group's next message must wait for the ack of the previous one, whoever popped it.
      await rocketTopicConsumer(recorder, target.grpc, 'fifo-consumer-1', { topic: fifo, group: fifo }),
      await rocketTopicConsumer(recorder, target.grpc, 'fifo-consumer-2', { topic: fifo, group: fifo }),
      await rocketTopicConsumer(recorder, target.grpc, 'delay-consumer', { topic: delay, group: delay }),
      await kafkaReadCommittedConsumer(recorder, target.kafka, 'txn-consumer', {
        topic: transactions,
        groupId: transactions,
      }),
    );
    // One random source each, so a workload's choices do not depend on how fast the others run.
    const random = (stream: number) => createRandom((options.seed * 31 + stream) >>> 0);
    const { pauseMs } = options;
    features.#producers.push(
      await rocketFifoProducer(recorder, target.grpc, 'fifo-producer', {
        topic: fifo,
        groupCount: FIFO_GROUPS,
        pauseMs,
        random: random(1),
      }),
      await rocketDelayProducer(recorder, target.grpc, 'delay-producer', {
        topic: delay,
        ...DELAY_MS,
        pauseMs: pauseMs * 10,
        random: random(2),
      }),
      await kafkaTransactionalProducer(recorder, target.kafka, 'txn-producer', {
        topic: transactions,
        ...TRANSACTION,
        pauseMs: pauseMs * 5,
        random: random(3),
      }),
    );
    return features;
  }

  /** Stops the producers (each after its operation in flight); the consumers go on for a drain. */
  stopProducers(): Promise<void> {
    return Promise.all(this.#producers.map((producer) => producer.stop())).then(() => {});
  }

  /** Stops every client; never rejects. */
  async stop(): Promise<void> {
    await Promise.all([...this.#producers, ...this.#consumers].map((workload) => workload.stop().catch(() => {})));
  }

  /**
   * Messages still owed to a consumer: acked and not received by their topic's group, leaving out those of
   * transactions not known to be committed. A drain waits for 0.
   */
  missing(): number {
    const received = new Set<string>();
    const committed = new Set<string>();
    for (const event of this.recorder.events) {
      if (event.type === 'receive') received.add(event.id);
      if (event.type === 'txn' && event.outcome === 'commit') committed.add(event.txn);
    }
    return this.recorder.events.filter(
      (event) =>
        event.type === 'send' &&
        event.outcome === 'ack' &&
        !received.has(event.id) &&
        (event.txn === undefined || committed.has(event.txn)),
    ).length;
  }

  /**
   * Checks the history at least once, each topic's group required to get every acked message of its topic.
   *
   * @param options.delayToleranceMs how late a delayed message may arrive (the checker's default 5 s); a run
   * with faults gives more, since a broker's downtime holds deliveries up.
   */
  check(options: { readonly delayToleranceMs?: number } = {}): CheckReport {
    return checkHistory(this.recorder.events, { semantics: 'at-least-once', ...options });
  }

  /** What the workloads did so far. */
  summary(): FeatureSummary {
    const { fifo, delay, transactions } = FEATURE_TOPICS;
    const acked = (topic: string) => sends(this.recorder, topic).filter((send) => send.outcome === 'ack').length;
    const received = (topic: string) => this.recorder.events.filter((e) => e.type === 'receive' && e.topic === topic);
    const outcomes = this.recorder.events.flatMap((event) => (event.type === 'txn' ? [event.outcome] : []));
    const tally = (outcome: string) => outcomes.filter((each) => each === outcome).length;
    return {
      fifo: {
        acked: acked(fifo),
        received: received(fifo).length,
        groups: new Set(sends(this.recorder, fifo).map((send) => send.group)).size,
      },
      delay: { acked: acked(delay), received: received(delay).length },
      transactions: {
        committed: tally('commit'),
        aborted: tally('abort'),
        unknown: tally('unknown'),
        received: received(transactions).length,
      },
    };
  }
}

function sends(recorder: Recorder, topic: string) {
  return recorder.events.flatMap((event) => (event.type === 'send' && event.topic === topic ? [event] : []));
}

async function createTopic(http: string, name: string, messageType: 'FIFO' | 'DELAY' | 'NORMAL'): Promise<void> {
  const body = JSON.stringify({ name, queueCount: 4, messageType });
  const headers = { 'content-type': 'application/json' };
  const created = await fetch(`http://${http}/admin/topics`, { method: 'POST', body, headers });
  if (created.status !== 201) throw new Error(`creating topic ${name}: ${created.status} ${await created.text()}`);
}
