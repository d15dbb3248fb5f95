import type { StoredMessage } from '@eddy/message';
import {
  type FetchPartition,
  type FetchPartitionResponse,
  type FetchRequest,
  type FetchResponse,
  fetchCodec,
  KafkaErrorCode,
  RECORD_BATCH_HEADER_LENGTH,
} from '@eddy/protocol-kafka';
import { type EncodedEntryReader, encodedBatchStoreOf } from '../encoded-store.js';
import type { KafkaApiHandler, KafkaHandlerContext } from '../handler.js';
import { KAFKA_RECORD_BATCH_FORMAT } from '../record-batch-decoder.js';
import { messagesToRecordBatches } from '../record-mapping.js';
import { partitionError, type TopicLookup, topicLookup } from './topic-lookup.js';

const READ_COMMITTED = 1;
// Messages per partition per fetch: the byte limits usually stop a read first.
const MAX_MESSAGES_PER_PARTITION = 5000;

interface ReadRound {
  readonly response: FetchResponse;
  readonly bytes: number;
  /** A partition has an error: answer at once, as Kafka does. */
  readonly failed: boolean;
}

async function readPartition(
  request: FetchRequest,
  topic: string,
  wanted: FetchPartition,
  lookup: TopicLookup,
  budget: { bytes: number; returned: boolean },
  context: KafkaHandlerContext,
): Promise<FetchPartitionResponse> {
  const { broker, state } = context;
  const partition = wanted.partition;
  const answer = (
    errorCode: number,
    highWatermark = -1,
    lastStableOffset = -1,
    logStartOffset = -1,
    records: Uint8Array | null = null,
    abortedTransactions: FetchPartitionResponse['abortedTransactions'] = null,
  ): FetchPartitionResponse => ({
    partitionIndex: partition,
    errorCode,
    highWatermark: BigInt(highWatermark),
    lastStableOffset: BigInt(lastStableOffset),
    logStartOffset: BigInt(logStartOffset),
    abortedTransactions,
    preferredReadReplica: -1,
    records,
  });
  const notServed = partitionError(lookup, partition);
  if (notServed !== KafkaErrorCode.NONE) return answer(notServed);
  const range = await broker.store.queueRange(topic, partition);
  const logStart = range?.minOffset ?? 0;
  const highWatermark = range?.maxOffset ?? 0;
  const committed = request.isolationLevel === READ_COMMITTED;
  const lastStable = committed ? state.transactions.lastStableOffset(topic, partition, highWatermark) : highWatermark;
  const offset = Number(wanted.fetchOffset);
  if (!(offset >= logStart && offset <= highWatermark)) {
    return answer(KafkaErrorCode.OFFSET_OUT_OF_RANGE, highWatermark, lastStable, logStart);
  }
  const limit = committed ? lastStable : highWatermark;
  const empty = (): FetchPartitionResponse =>
    answer(KafkaErrorCode.NONE, highWatermark, lastStable, logStart, new Uint8Array(0), committed ? [] : null);
  // KIP-74: once something is returned the response budget applies; the first batch always goes.
  if (offset >= limit || (budget.returned && budget.bytes <= 0)) return empty();
  const maxBytes = Math.max(
    1,
    Math.min(wanted.partitionMaxBytes, budget.returned ? budget.bytes : wanted.partitionMaxBytes),
  );
  const stored = encodedBatchStoreOf(broker.store);
  const read =
    stored === undefined
      ? await readRecords(topic, partition, offset, limit, maxBytes, highWatermark, context)
      : await readEntries(stored, topic, partition, offset, limit, maxBytes, context);
  if (read.errorCode !== undefined) return answer(read.errorCode, highWatermark, lastStable, logStart);
  if (read.pieces.length === 0) return empty();
  budget.bytes -= read.size;
  budget.returned = true;
  const aborted = committed ? state.transactions.abortedTransactions(topic, partition, offset, read.end) : null;
  const answered = answer(KafkaErrorCode.NONE, highWatermark, lastStable, logStart, null, aborted);
  if (read.pieces.length === 1) return { ...answered, records: read.pieces[0] as Uint8Array };
  return { ...answered, recordChunks: read.pieces };
}

interface ReadRecords {
  /** Record batches to send in order: kept ones as they came, re-encoded ones between. */
  readonly pieces: Uint8Array[];
  readonly size: number;
  /** One past the last offset returned. */
  readonly end: number;
  /** The partition cannot be read (a stored entry is corrupt or of an unknown format). */
  readonly errorCode?: number;
}

/** Bytes of a v2 batch header before partitionLeaderEpoch (baseOffset int64, batchLength int32). */
const LEADER_EPOCH_AT = 12;
const MAGIC_AT = 16;

/**
 * Record batches of [offset, limit) within maxBytes (the first always goes) from a store that keeps
 * encoded batches, in one store read: each stored Kafka batch is served as it was produced with only
 * baseOffset and partitionLeaderEpoch patched (both outside the CRC), each run of other entries
 * (messages from the RocketMQ side or the per-message path, transaction markers) re-encoded. A batch
 * containing `offset` is served whole, as Kafka does. A batch of another format, or one that is not a
 * v2 batch, makes the partition unreadable (KAFKA_STORAGE_ERROR) where it is reached first.
 */
async function readEntries(
  store: EncodedEntryReader,
  topic: string,
  partition: number,
  offset: number,
  limit: number,
  maxBytes: number,
  context: KafkaHandlerContext,
): Promise<ReadRecords> {
  const { readBuffers, onResponseWritten } = context;
  // Batches are read into pooled buffers that return to the pool once the response is on the socket.
  const allocate =
    readBuffers === undefined || onResponseWritten === undefined
      ? undefined
      : (size: number): Uint8Array => {
          const buffer = readBuffers.take(size);
          onResponseWritten(() => readBuffers.give(buffer));
          return buffer;
        };
  const read = await store.readEncoded(
    topic,
    partition,
    offset,
    allocate === undefined ? { maxBytes } : { maxBytes, allocate },
  );
  const pieces: Uint8Array[] = [];
  let size = 0;
  let at = offset;
  if (read.status !== 'ok') return { pieces, size, end: at };
  let messages: StoredMessage[] = [];
  const flushMessages = (): void => {
    if (messages.length === 0) return;
    const records = messagesToRecordBatches(messages);
    pieces.push(records);
    size += records.length;
    messages = [];
  };
  for (const entry of read.entries) {
    if (entry.kind === 'message') {
      const { queueOffset } = entry.message;
      if (queueOffset >= limit) break;
      if (queueOffset < at) continue;
      messages.push(entry.message);
      at = queueOffset + 1;
      continue;
    }
    const end = entry.baseOffset + entry.count;
    // A batch crossing the limit (the last stable offset) waits until all of it may be read.
    if (end > limit) break;
    const { bytes } = entry;
    if (
      entry.format !== KAFKA_RECORD_BATCH_FORMAT ||
      bytes.length < RECORD_BATCH_HEADER_LENGTH ||
      bytes[MAGIC_AT] !== 2
    ) {
      context.broker.logger.error('kafka fetch: a stored batch is not a Kafka record batch v2', {
        topic,
        partition,
        offset: entry.baseOffset,
        format: entry.format,
        bytes: bytes.length,
      });
      if (pieces.length === 0 && messages.length === 0) {
        return { pieces, size, end: at, errorCode: KafkaErrorCode.KAFKA_STORAGE_ERROR };
      }
      break;
    }
    flushMessages();
    // readEncoded hands out its own copy (fresh, or in a buffer lent to this response): patching it in place is safe.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    view.setBigInt64(0, BigInt(entry.baseOffset));
    view.setInt32(LEADER_EPOCH_AT, 0);
    pieces.push(bytes);
    size += bytes.length;
    at = end;
  }
  flushMessages();
  return { pieces, size, end: at };
}

/**
 * Record batches of [offset, limit) within maxBytes (the first always goes): runs of batches kept by
 * Produce served as they came, the gaps between them (and everything when nothing is kept) re-encoded
 * from the stored messages. A batch containing `offset` is served whole, as Kafka does.
 */
async function readRecords(
  topic: string,
  partition: number,
  offset: number,
  limit: number,
  maxBytes: number,
  highWatermark: number,
  context: KafkaHandlerContext,
): Promise<ReadRecords> {
  const { broker } = context;
  const cache = context.state.batches;
  // Offsets behind the gateway went back (the partition was recreated elsewhere): what is kept is stale.
  if (cache !== undefined && cache.endOffset(topic, partition) > highWatermark) {
    cache.invalidatePartition(topic, partition);
  }
  const pieces: Uint8Array[] = [];
  let size = 0;
  let at = offset;
  let verified = false;
  while (at < limit && (pieces.length === 0 || size < maxBytes)) {
    const run = cache?.run(topic, partition, at, limit, maxBytes - size, pieces.length === 0) ?? [];
    const first = run[0];
    // A kept batch is next but does not fit what is left of max_bytes: stop (not re-encode it instead).
    const keptNext = first === undefined && pieces.length > 0 && cache !== undefined;
    if (keptNext && cache.run(topic, partition, at, limit, 0).length > 0) break;
    if (first !== undefined && !verified) {
      verified = true;
      // The store must still hold this batch (a topic deleted and recreated behind the gateway does not).
      if (!(await storeHolds(topic, partition, first.baseOffset, first.messageId, context))) {
        cache?.invalidatePartition(topic, partition);
        continue;
      }
    }
    if (first !== undefined) {
      for (const batch of run) {
        pieces.push(batch.bytes);
        size += batch.bytes.length;
      }
      const last = run[run.length - 1] as (typeof run)[number];
      at = last.baseOffset + last.count;
      continue;
    }
    // A gap: re-encode up to the next kept batch (or the limit).
    const upTo = Math.min(limit, cache?.nextStart(topic, partition, at) ?? limit);
    const wanted = Math.min(upTo - at, MAX_MESSAGES_PER_PARTITION);
    const pulled = await broker.pull({
      group: context.clientId ?? 'kafka',
      topic,
      queueId: partition,
      offset: at,
      maxMessages: wanted,
      maxBytes: Math.max(1, maxBytes - size),
      pollTimeoutMs: 0,
    });
    const messages = pulled.messages.filter((message) => message.queueOffset >= at && message.queueOffset < upTo);
    if (messages.length === 0) break;
    const records = messagesToRecordBatches(messages);
    pieces.push(records);
    size += records.length;
    const next = (messages[messages.length - 1] as (typeof messages)[number]).queueOffset + 1;
    // Go on only when the gap was read whole up to a kept batch; else the byte limit (or a hole) stopped it.
    if (next !== upTo || messages.length !== upTo - at) {
      at = next;
      break;
    }
    at = next;
  }
  return { pieces, size, end: at };
}

async function storeHolds(
  topic: string,
  partition: number,
  offset: number,
  messageId: string,
  context: KafkaHandlerContext,
): Promise<boolean> {
  const pulled = await context.broker.pull({
    group: context.clientId ?? 'kafka',
    topic,
    queueId: partition,
    offset,
    maxMessages: 1,
    maxBytes: 1,
    pollTimeoutMs: 0,
  });
  const message = pulled.messages[0];
  return message !== undefined && message.queueOffset === offset && message.messageId === messageId;
}

function recordsLength(answer: FetchPartitionResponse): number {
  if (answer.recordChunks === undefined) return answer.records?.length ?? 0;
  let length = 0;
  for (const piece of answer.recordChunks) length += piece.length;
  return length;
}

async function readOnce(request: FetchRequest, context: KafkaHandlerContext): Promise<ReadRound> {
  const lookup = topicLookup(context.broker);
  const budget = { bytes: request.maxBytes, returned: false };
  let bytes = 0;
  let failed = false;
  const responses: FetchResponse['responses'][number][] = [];
  for (const { topic, partitions } of request.topics) {
    const found = await lookup(topic);
    const answers: FetchPartitionResponse[] = [];
    for (const wanted of partitions) {
      const answer = await readPartition(request, topic, wanted, found, budget, context);
      bytes += recordsLength(answer);
      if (answer.errorCode !== KafkaErrorCode.NONE) failed = true;
      answers.push(answer);
    }
    responses.push({ topic, partitions: answers });
  }
  return { response: { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, sessionId: 0, responses }, bytes, failed };
}

/**
 * Fetch (v4–11): reads each partition from its fetch offset up to the high watermark (the last stable
 * offset under read_committed, with the aborted transactions overlapping what is returned): produced
 * batches as they came — from the store when it keeps encoded batches (`readEncoded`), else from the
 * gateway's cache (`state.batches`) — and the rest re-encoded from the stored messages; within
 * `partition_max_bytes` and `max_bytes` but always at least one batch. With less than `min_bytes` it
 * holds the request up to `max_wait_ms`, woken by an append to any fetched partition by any path
 * (Kafka produce, RocketMQ send, scheduled delivery). No fetch sessions: `session_id` is 0, so
 * clients send full fetches.
 */
export const fetchHandler: KafkaApiHandler<FetchRequest, FetchResponse> = {
  codec: fetchCodec,
  async handle(request, context) {
    const signals = context.state.appends;
    const deadline = Date.now() + Math.max(0, request.maxWaitMs);
    const targets = request.topics.flatMap(({ topic, partitions }) =>
      partitions.map(({ partition }) => ({ topic, partition })),
    );
    const queues = targets.map(({ topic, partition }) => ({ topic, queueId: partition }));
    for (;;) {
      const remaining = deadline - Date.now();
      // Registered before reading, so that an append landing during the read is not missed. The broker's
      // wait sees appends by every path (RocketMQ sends, scheduled deliveries); the gateway's own ends
      // when the gateway closes, so that a held fetch does not hold up the shutdown.
      const appendedAnywhere = remaining > 0 ? context.broker.waitForAppend(queues, remaining) : undefined;
      const closing = signals?.wait(targets, remaining);
      const cancel = (): void => {
        appendedAnywhere?.cancel();
        closing?.cancel();
      };
      const round = await readOnce(request, context);
      if (round.failed || round.bytes >= Math.max(1, request.minBytes) || remaining <= 0) {
        cancel();
        return round.response;
      }
      const appended = await Promise.race([
        appendedAnywhere === undefined
          ? Promise.resolve(false)
          : appendedAnywhere.result.then((outcome) => outcome === 'notified'),
        ...(closing === undefined ? [] : [closing.result]),
      ]);
      cancel();
      if (!appended) return (await readOnce(request, context)).response;
    }
  },
  errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] }),
};
