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
  const pulled = await broker.pull({
    group: context.clientId ?? 'kafka',
    topic,
    queueId: partition,
    offset,
    maxMessages: Math.min(limit - offset, MAX_MESSAGES_PER_PARTITION),
    maxBytes,
    pollTimeoutMs: 0,
  });
  const messages = pulled.messages.filter((message) => message.queueOffset < limit);
  if (messages.length === 0) return empty();
  const records = messagesToRecordBatches(messages);
  budget.bytes -= records.length;
  budget.returned = true;
  const last = (messages[messages.length - 1] as (typeof messages)[number]).queueOffset;
  const aborted = committed ? state.transactions.abortedTransactions(topic, partition, offset, last + 1) : null;
  return answer(KafkaErrorCode.NONE, highWatermark, lastStable, logStart, records, aborted);
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
      bytes += answer.records?.length ?? 0;
      if (answer.errorCode !== KafkaErrorCode.NONE) failed = true;
      answers.push(answer);
    }
    responses.push({ topic, partitions: answers });
  }
  return { response: { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, sessionId: 0, responses }, bytes, failed };
}

/**
 * Fetch (v4–11): reads each partition from its fetch offset up to the high watermark (the last stable
 * offset under read_committed, with the aborted transactions overlapping what is returned), within
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
