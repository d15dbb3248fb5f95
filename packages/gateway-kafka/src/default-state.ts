import type { Broker } from '@eddy/broker';
import type { Logger } from '@eddy/message';
import type { AppendSignals } from './append-signals.js';
import { ProducedBatchCache } from './batch-cache.js';
import type { KafkaGatewayConfig, KafkaGatewayState } from './gateway-state.js';
import { GroupCoordinator } from './group-coordinator.js';
import { openTransactionState } from './transaction-coordinator.js';

/**
 * The state `startKafkaGateway` serves with: the group coordinator, the idempotent-producer state
 * (rebuilt from partition tails) and the transaction coordinator (recovered), wired so that
 * transaction markers wake held fetches, the produced-batch cache and transactional offset commits keep their metadata strings.
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
    return {
      state: {
        config,
        groups,
        producers,
        transactions,
        appends,
        batches: new ProducedBatchCache(config.producedBatchCacheBytes),
      },
      close: async () => {
        await transactions.close();
        await groups.close();
      },
    };
  } catch (error) {
    await groups.close();
    throw error;
  }
}
