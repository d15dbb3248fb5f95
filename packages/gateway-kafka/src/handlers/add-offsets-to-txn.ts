import { type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse, addOffsetsToTxnCodec } from '@eddy/protocol-kafka';
import type { KafkaApiHandler } from '../handler.js';
import { requireTransactionCoordinator } from '../transaction-coordinator.js';

/** AddOffsetsToTxn: the transaction will also commit offsets of the group (TxnOffsetCommit follows). */
export const addOffsetsToTxnHandler: KafkaApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> = {
  codec: addOffsetsToTxnCodec,
  async handle(request, context) {
    const errorCode = await requireTransactionCoordinator(context.state).addOffsets(
      request.transactionalId,
      request.producerId,
      request.producerEpoch,
      request.groupId,
    );
    return { throttleTimeMs: 0, errorCode };
  },
};
