import { type InitProducerIdRequest, type InitProducerIdResponse, initProducerIdCodec } from '@eddy/protocol-kafka';
import type { KafkaApiHandler } from '../handler.js';
import { requireTransactionCoordinator } from '../transaction-coordinator.js';

/**
 * InitProducerId: a fresh producer id for an idempotent producer; for a transactional id, its producer
 * id with a bumped epoch (older producers fenced, a transaction left open aborted first).
 */
export const initProducerIdHandler: KafkaApiHandler<InitProducerIdRequest, InitProducerIdResponse> = {
  codec: initProducerIdCodec,
  async handle(request, context) {
    const result = await requireTransactionCoordinator(context.state).initProducerId({
      transactionalId: request.transactionalId,
      transactionTimeoutMs: request.transactionTimeoutMs,
      producerId: request.producerId,
      producerEpoch: request.producerEpoch,
      producerFencedSupported: context.apiVersion >= 4,
    });
    return { throttleTimeMs: 0, ...result };
  },
};
