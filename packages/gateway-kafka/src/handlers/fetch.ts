import {
  type FetchPartition,
  type FetchPartitionResponse,
  type FetchRequest,
  type FetchResponse,
  fetchCodec,
  KafkaErrorCode,
} from '@eddy/protocol-kafka';
import type { KafkaApiHandler, KafkaHandlerContext } from '../handler.js';
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
  const read = await readRecords(topic, partition, offset, limit, maxBytes, highWatermark, context);
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
 * offset under read_committed, with the aborted transactions overlapping what is returned): batches kept
 * by Produce (`state.batches`) as they came, the rest re-encoded from the stored messages; within
 * `partition_max_bytes` and `max_bytes` but always at least one batch. With less than `min_bytes` it
 * holds the request up to `max_wait_ms`, woken by the gateway's appends to the fetched partitions
 * (appends by other protocols are seen at the deadline). No fetch sessions: `session_id` is 0, so
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
    for (;;) {
      const remaining = deadline - Date.now();
      // Registered before reading, so that an append landing during the read is not missed.
      const wait = signals?.wait(targets, remaining);
      const round = await readOnce(request, context);
      if (round.failed || round.bytes >= Math.max(1, request.minBytes) || remaining <= 0) {
        wait?.cancel();
        return round.response;
      }
      const appended =
        wait === undefined
          ? await new Promise<boolean>((resolve) => setTimeout(() => resolve(false), remaining))
          : await wait.result;
      if (!appended) return (await readOnce(request, context)).response;
    }
  },
  errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] }),
};
