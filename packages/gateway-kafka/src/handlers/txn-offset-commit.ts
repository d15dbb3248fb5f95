import { type TxnOffsetCommitRequest, type TxnOffsetCommitResponse, txnOffsetCommitCodec } from '@eddy/protocol-kafka';
import type { KafkaApiHandler } from '../handler.js';
import { requireTransactionCoordinator } from '../transaction-coordinator.js';

/**
 * TxnOffsetCommit (sent to the group coordinator, which is this broker): the offsets are kept with the
 * transaction and reach the group's committed offsets (`broker.offsets`, as OffsetCommit's do) only
 * when it commits.
 *
 * v3+ (KIP-447) also carries the producer's consumer-group generation, member id and static instance id.
 * They are accepted and not validated: the group coordinator exposes no member check for it, and the
 * transaction already fences zombies by producer epoch (as with v0–2, which have no membership).
 */
export const txnOffsetCommitHandler: KafkaApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> = {
  codec: txnOffsetCommitCodec,
  async handle(request, context) {
    const results = await requireTransactionCoordinator(context.state).commitOffsets(
      request.transactionalId,
      request.groupId,
      request.producerId,
      request.producerEpoch,
      request.topics.map(({ name, partitions }) => ({
        name,
        partitions: partitions.map(({ partitionIndex, committedOffset, committedMetadata }) => ({
          partitionIndex,
          // Beyond 2^53 cannot be a queue offset; the coordinator answers INVALID_COMMIT_OFFSET_SIZE for it.
          offset: committedOffset > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(committedOffset),
          metadata: committedMetadata,
        })),
      })),
    );
    return {
      throttleTimeMs: 0,
      topics: results.map(({ name, results: partitions }) => ({ name, partitions: [...partitions] })),
    };
  },
};
