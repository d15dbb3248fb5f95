import { EddyError, type Message } from '@eddy/message';
import {
  decodeRecordBatches,
  KafkaErrorCode,
  KafkaProtocolError,
  type ProducePartitionResponse,
  type ProduceRequest,
  type ProduceResponse,
  produceCodec,
  type RecordBatch,
  type RecordBatchScan,
  type RecordBatchSpan,
  recordBatchSpans,
  scanRecordBatch,
} from '@eddy/protocol-kafka';
import { patchedBatch } from '../batch-cache.js';
import { type EncodedBatch, encodedBatchStoreOf } from '../encoded-store.js';
import type { KafkaApiHandler, KafkaHandlerContext } from '../handler.js';
import { KAFKA_RECORD_BATCH_FORMAT } from '../record-batch-decoder.js';
import { recordToMessage, TAG_HEADER } from '../record-mapping.js';
import { partitionError, type TopicLookup, topicLookup } from './topic-lookup.js';

// What the broker's append refusals mean to a Kafka producer.
function errorCodeOf(error: unknown): number | undefined {
  if (KafkaProtocolError.isKafka(error)) return error.errorCode;
  if (!EddyError.is(error)) return undefined;
  switch (error.code) {
    case 'MESSAGE_TOO_LARGE':
      return KafkaErrorCode.MESSAGE_TOO_LARGE;
    case 'INVALID_MESSAGE':
    case 'EMPTY_BATCH':
      return KafkaErrorCode.INVALID_RECORD;
    case 'UNKNOWN_TOPIC':
    case 'INVALID_ARGUMENT':
      return KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    case 'PERMISSION_DENIED':
      return KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED;
    default:
      return undefined;
  }
}

interface Appended {
  readonly errorCode: number;
  readonly baseOffset: number;
}

/**
 * One batch of a Produce partition, checked before anything is appended: stored as it came (`scan`,
 * when the store keeps encoded batches) or as one message per record (`decoded`).
 */
type ProducedBatch =
  | { readonly kind: 'encoded'; readonly span: RecordBatchSpan; readonly header: RecordBatchScan }
  | { readonly kind: 'messages'; readonly span: RecordBatchSpan; readonly header: RecordBatch };

/**
 * Checks every batch of a partition's `records`. With a store that keeps encoded batches, a batch is
 * only scanned (CRC, framing, keys and tags) unless its offsetDeltas are not 0 … n-1 (its records then
 * become messages at consecutive offsets, which the batch's own bytes would not say) or it is a control
 * batch (refused later, as on the message path).
 *
 * @throws KafkaProtocolError as `decodeRecordBatches` and `scanRecordBatch` do.
 */
function producedBatches(records: Uint8Array, encoded: boolean): ProducedBatch[] {
  const spans = recordBatchSpans(records);
  if (!encoded) {
    const decoded = decodeRecordBatches(records);
    return decoded.map((header, index) => ({ kind: 'messages', span: spans[index] as RecordBatchSpan, header }));
  }
  return spans.map((span): ProducedBatch => {
    const bytes = records.subarray(span.start, span.end);
    const scan = scanRecordBatch(bytes, { tagHeader: TAG_HEADER });
    if (scan.consecutiveOffsets && !scan.isControl) return { kind: 'encoded', span, header: scan };
    return { kind: 'messages', span, header: decodeRecordBatches(bytes)[0] as RecordBatch };
  });
}

/** The batch as the store keeps it: its own bytes, with keys and tags for the store's indexes. */
function encodedBatchOf(bytes: Uint8Array, scan: RecordBatchScan): EncodedBatch {
  const { count, keys, tags } = scan;
  return {
    format: KAFKA_RECORD_BATCH_FORMAT,
    bytes,
    count,
    ...(keys === undefined ? {} : { keys: keys.map((key) => (key === undefined ? undefined : [key])) }),
    ...(tags === undefined ? {} : { tags }),
    checksum: scan.checksum,
  };
}

/** Appends a partition's batches in order, one store append per batch; stops at the first refusal. */
async function appendBatches(
  topic: string,
  partition: number,
  records: Uint8Array,
  batches: readonly ProducedBatch[],
  context: KafkaHandlerContext,
): Promise<Appended> {
  const { broker, state } = context;
  // A store that keeps encoded batches serves them itself: a cached copy would be a second one.
  const cache = encodedBatchStoreOf(broker.store) === undefined ? state.batches : undefined;
  let firstOffset = -1;
  for (const batch of batches) {
    const { header, span } = batch;
    const count = batch.kind === 'encoded' ? batch.header.count : batch.header.records.length;
    if (header.isControl || count === 0) return { errorCode: KafkaErrorCode.INVALID_RECORD, baseOffset: -1 };
    if (header.isTransactional) {
      const code = state.transactions.checkTransactionalProduce(
        topic,
        partition,
        header.producerId,
        header.producerEpoch,
      );
      if (code !== KafkaErrorCode.NONE) return { errorCode: code, baseOffset: -1 };
    }
    const idempotent = header.producerId >= 0n;
    if (idempotent) {
      const check = state.producers.checkBatch(topic, partition, header);
      if (check.status === 'error') return { errorCode: check.errorCode, baseOffset: -1 };
      if (check.status === 'duplicate') {
        if (firstOffset < 0) firstOffset = check.baseOffset;
        continue;
      }
    }
    let baseOffset: number;
    if (batch.kind === 'encoded') {
      const bytes = records.subarray(span.start, span.end);
      ({ baseOffset } = await broker.appendEncodedBatch(topic, partition, encodedBatchOf(bytes, batch.header)));
    } else {
      const decoded = batch.header;
      const messages = decoded.records.map((record, index) => recordToMessage(topic, decoded, record, index));
      ({ baseOffset } = await broker.appendBatch(topic, partition, messages));
      if (cache !== undefined && servedAsIs(decoded)) {
        // Offsets baseOffset … baseOffset + n - 1, as the batch says once its baseOffset is patched.
        cache.add(topic, partition, {
          baseOffset,
          count: messages.length,
          bytes: patchedBatch(records, span.start, span.end, baseOffset),
          messageId: (messages[0] as Message).messageId,
        });
      }
    }
    state.appends?.notify(topic, partition);
    if (idempotent) state.producers.recordAppended(topic, partition, header, baseOffset);
    if (header.isTransactional)
      state.transactions.recordTransactionalAppend(topic, partition, header.producerId, baseOffset);
    if (firstOffset < 0) firstOffset = baseOffset;
  }
  return { errorCode: KafkaErrorCode.NONE, baseOffset: firstOffset };
}

// A batch whose records sit at offsetDelta 0 … n-1 reads back the same offsets as its stored messages.
function servedAsIs(batch: RecordBatch): boolean {
  const { records } = batch;
  if (batch.lastOffsetDelta !== records.length - 1) return false;
  for (let i = 0; i < records.length; i++)
    if ((records[i] as RecordBatch['records'][number]).offsetDelta !== i) return false;
  return true;
}

async function producePartition(
  lookup: Promise<TopicLookup>,
  topic: string,
  partition: number,
  records: Uint8Array | null,
  context: KafkaHandlerContext,
): Promise<ProducePartitionResponse> {
  const answer = (errorCode: number, baseOffset = -1, logStartOffset = -1): ProducePartitionResponse => ({
    index: partition,
    errorCode,
    baseOffset: BigInt(baseOffset),
    logAppendTimeMs: -1n,
    logStartOffset: BigInt(logStartOffset),
  });
  const notServed = partitionError(await lookup, partition);
  if (notServed !== KafkaErrorCode.NONE) return answer(notServed);
  if (records === null) return answer(KafkaErrorCode.CORRUPT_MESSAGE);
  if (records.byteLength > context.state.config.maxMessageBytes) return answer(KafkaErrorCode.MESSAGE_TOO_LARGE);
  let batches: ProducedBatch[];
  try {
    batches = producedBatches(records, encodedBatchStoreOf(context.broker.store) !== undefined);
  } catch (error) {
    return answer(KafkaProtocolError.isKafka(error) ? error.errorCode : KafkaErrorCode.CORRUPT_MESSAGE);
  }
  if (batches.length === 0) return answer(KafkaErrorCode.CORRUPT_MESSAGE);
  try {
    const { errorCode, baseOffset } = await appendBatches(topic, partition, records, batches, context);
    const range = await context.broker.store.queueRange(topic, partition);
    return answer(errorCode, errorCode === KafkaErrorCode.NONE ? baseOffset : -1, range?.minOffset ?? 0);
  } catch (error) {
    const errorCode = errorCodeOf(error);
    if (errorCode !== undefined) return answer(errorCode);
    context.broker.logger.error('kafka produce: append failed', { topic, partition, error });
    return answer(KafkaErrorCode.KAFKA_STORAGE_ERROR);
  }
}

/**
 * Produce (v3–7): one store append per record batch, waking the broker's long polls and held fetches.
 * When the store keeps encoded batches, a batch is checked and scanned (`scanRecordBatch`: CRC,
 * framing, each record's key and tag) and stored as it came with `broker.appendEncodedBatch`, taking
 * as many offsets as it has records; Fetch serves those bytes back. Otherwise (or for a batch whose
 * offsetDeltas are not 0 … n-1) its records become messages at the same offsets (`broker.appendBatch`),
 * and the batch is also kept as it came (baseOffset patched) in `state.batches` for Fetch.
 * Idempotent batches go through `state.producers`, transactional ones through `state.transactions`.
 * acks 1 and -1 answer once the append resolved, i.e. at the store's durable point (fsynced with
 * `flush: sync`); acks 0 answers nothing. Kafka never creates a topic on Produce.
 */
export const produceHandler: KafkaApiHandler<ProduceRequest, ProduceResponse> = {
  codec: produceCodec,
  async handle(request, context) {
    const lookup = topicLookup(context.broker);
    const validAcks = request.acks === 0 || request.acks === 1 || request.acks === -1;
    const signals = context.state.appends;
    // Queued before the first await, so that pipelined requests append in the order they came.
    const topics = request.topics.map(({ name, partitions }) => ({
      name,
      partitions: partitions.map(({ index, records }) => {
        const run = (): Promise<ProducePartitionResponse> =>
          validAcks
            ? producePartition(lookup(name), name, index, records, context)
            : Promise.resolve(failed(index, KafkaErrorCode.INVALID_REQUIRED_ACKS));
        return signals === undefined ? run() : signals.exclusive(name, index, run);
      }),
    }));
    const response: ProduceResponse = {
      throttleTimeMs: 0,
      topics: await Promise.all(
        topics.map(async ({ name, partitions }) => ({ name, partitions: await Promise.all(partitions) })),
      ),
    };
    return request.acks === 0 ? undefined : response;
  },
  errorResponse: (request, errorCode) => ({
    throttleTimeMs: 0,
    topics: request.topics.map(({ name, partitions }) => ({
      name,
      partitions: partitions.map(({ index }) => failed(index, errorCode)),
    })),
  }),
};

function failed(index: number, errorCode: number): ProducePartitionResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n };
}
