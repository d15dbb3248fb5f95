import type { Broker } from '@eddy/broker';
import type { Logger } from '@eddy/message';
import type { AppendSignals } from './append-signals.js';
import { ProducedBatchCache } from './batch-cache.js';
import type { KafkaGatewayConfig, KafkaGatewayState } from './gateway-state.js';
import { GroupCoordinator } from './group-coordinator.js';
import type { GroupOffsets } from './group-offsets.js';
import { deleteTopicOverrides } from './handlers/topic-configs.js';
import { openTransactionState } from './transaction-coordinator.js';

/**
 * The state `startKafkaGateway` serves with: the group coordinator, the idempotent-producer state
 * (rebuilt from partition tails) and the transaction coordinator (recovered), wired so that
 * transaction markers wake held fetches, the produced-batch cache and transactional offset commits keep their metadata strings,
 * and a topic deleted by anyone loses its Kafka overrides, offset metadata strings and cached batches.
 */
export async function createGatewayState(
  broker: Broker,
  config: KafkaGatewayConfig,
  logger: Logger,
  appends: AppendSignals,
): Promise<{ readonly state: KafkaGatewayState; close(): Promise<void> }> {
  const groups = new GroupCoordinator({ broker, config, logger });
  try {
    const { producers, transactions } = await openTransactionState({
      broker,
      transactionMaxTimeoutMs: config.transactionMaxTimeoutMs,
      onAppended: (topic, partition) => appends.notify(topic, partition),
      commitOffsets: (group, offsets) => groups.offsets.commit(group, offsets),
      logger,
    });
    const batches = new ProducedBatchCache(config.producedBatchCacheBytes);
    const unsubscribe = watchTopicDeletions(broker, { batches, offsets: groups.offsets });
    return {
      state: { config, groups, producers, transactions, appends, batches },
      close: async () => {
        unsubscribe();
        await transactions.close();
        await groups.close();
      },
    };
  } catch (error) {
    await groups.close();
    throw error;
  }
}

/**
 * Registers the gateway's clean-up of a deleted topic, whoever deletes it (Kafka DeleteTopics, the
 * admin HTTP API, RocketMQ tooling): its Kafka overrides, every group's offset metadata strings for it
 * and its cached produced batches, so a re-created topic starts with defaults.
 *
 * @returns a function that unregisters it.
 */
export function watchTopicDeletions(
  broker: Broker,
  parts: { readonly batches?: ProducedBatchCache | undefined; readonly offsets: GroupOffsets },
): () => void {
  return broker.onTopicDeleted(async (topic) => {
    parts.batches?.invalidateTopic(topic);
    await deleteTopicOverrides(broker.store.metadata, topic);
    await parts.offsets.deleteTopic(topic);
  });
}
