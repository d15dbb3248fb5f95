import { type EndTxnRequest, type EndTxnResponse, endTxnCodec } from '@eddy/protocol-kafka';
import type { KafkaApiHandler } from '../handler.js';
import { requireTransactionCoordinator } from '../transaction-coordinator.js';

/**
 * EndTxn: commits or aborts the open transaction. Answered once the markers are in every partition and
 * committed offsets are stored, so a read_committed consumer sees the outcome as soon as the client does.
 */
export const endTxnHandler: KafkaApiHandler<EndTxnRequest, EndTxnResponse> = {
  codec: endTxnCodec,
  async handle(request, context) {
    const errorCode = await requireTransactionCoordinator(context.state).endTransaction(
      request.transactionalId,
      request.producerId,
      request.producerEpoch,
      request.committed,
    );
    return { throttleTimeMs: 0, errorCode };
  },
};
