import type { Broker } from '@eddy/broker';
import type { Logger } from '@eddy/message';
import { groupLag, knownGroups } from './consumer-groups.js';
import type { MetricFamily, MetricSample } from './prometheus-text.js';

/** What {@link collectBrokerMetrics} reads besides the broker. */
export interface BrokerMetricsSources {
  /** The store's size on disk; `eddy_store_size_bytes` has no sample without it. */
  readonly storeSizeBytes?: (() => number | Promise<number>) | undefined;
  /** Told about a part of the scrape that failed (the rest is still served). */
  readonly logger: Logger;
}

/**
 * Reads the broker's counters and gauges at scrape time: traffic per topic, consumer lag per group
 * and queue, pending scheduled and transactional messages, and the store's size.
 *
 * A failing part (one group's lag, the store size) is logged and left out, so one broken group does
 * not blank the whole scrape.
 */
export async function collectBrokerMetrics(broker: Broker, sources: BrokerMetricsSources): Promise<MetricFamily[]> {
  const snapshot = broker.metrics();
  const topics = Object.keys(snapshot.topics).sort();
  const traffic = (pick: (name: string) => number): MetricSample[] =>
    topics.map((topic) => ({ labels: { topic }, value: pick(topic) }));
  const of = (topic: string) => snapshot.topics[topic] as (typeof snapshot.topics)[string];

  let groups: string[];
  try {
    groups = await knownGroups(broker);
  } catch (error) {
    sources.logger.warn('committed offsets unreadable for metrics; lag of live groups only', { error: String(error) });
    groups = broker.groups.groups();
  }
  const lag: MetricSample[] = [];
  for (const group of groups) {
    try {
      for (const report of await groupLag(broker, group)) {
        lag.push({ labels: { group, topic: report.topic, queue: String(report.queueId) }, value: report.lag });
      }
    } catch (error) {
      sources.logger.warn('consumer lag unavailable for metrics', { group, error: String(error) });
    }
  }

  const storeSize: MetricSample[] = [];
  if (sources.storeSizeBytes !== undefined) {
    try {
      storeSize.push({ value: await sources.storeSizeBytes() });
    } catch (error) {
      sources.logger.warn('store size unavailable for metrics', { error: String(error) });
    }
  }

  return [
    counter(
      'eddy_messages_in_total',
      'Messages stored, by topic.',
      traffic((topic) => of(topic).messagesIn),
    ),
    counter(
      'eddy_bytes_in_total',
      'Message body bytes stored, by topic.',
      traffic((topic) => of(topic).bytesIn),
    ),
    counter(
      'eddy_messages_out_total',
      'Messages delivered to consumers, by topic.',
      traffic((topic) => of(topic).messagesOut),
    ),
    counter(
      'eddy_bytes_out_total',
      'Message body bytes delivered to consumers, by topic.',
      traffic((topic) => of(topic).bytesOut),
    ),
    gauge('eddy_consumer_lag', 'Messages a consumer group has still to consume, by group, topic and queue.', lag),
    gauge('eddy_store_size_bytes', 'Size of the message store on disk, bytes.', storeSize),
    gauge('eddy_scheduled_pending', 'Delayed and timer messages not yet due.', [{ value: snapshot.scheduledPending }]),
    gauge('eddy_transactions_pending', 'Half (transactional) messages not yet committed or rolled back.', [
      { value: snapshot.transactionsPending },
    ]),
  ];
}

function counter(name: string, help: string, samples: MetricSample[]): MetricFamily {
  return { name, help, type: 'counter', samples };
}

function gauge(name: string, help: string, samples: MetricSample[]): MetricFamily {
  return { name, help, type: 'gauge', samples };
}
