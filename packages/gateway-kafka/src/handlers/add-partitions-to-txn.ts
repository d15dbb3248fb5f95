import {
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse,
  addPartitionsToTxnCodec,
} from '@eddy/protocol-kafka';
import type { KafkaApiHandler } from '../handler.js';
import { requireTransactionCoordinator } from '../transaction-coordinator.js';

/** AddPartitionsToTxn: the producer will write to these partitions in its open transaction. */
export const addPartitionsToTxnHandler: KafkaApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> = {
  codec: addPartitionsToTxnCodec,
  async handle(request, context) {
    const results = await requireTransactionCoordinator(context.state).addPartitions(
      request.transactionalId,
      request.producerId,
      request.producerEpoch,
      request.topics,
    );
    return { throttleTimeMs: 0, results };
  },
};
