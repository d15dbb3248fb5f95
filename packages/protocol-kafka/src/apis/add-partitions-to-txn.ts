import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';
import { VersionedReader, VersionedWriter } from './versioned-encoding.js';

/** The partitions of one topic to add to a transaction. */
export interface AddPartitionsToTxnTopic {
  readonly name: string;
  readonly partitions: readonly number[];
}

/** AddPartitionsToTxn request (key 24), versions 0–3. */
export interface AddPartitionsToTxnRequest {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly topics: readonly AddPartitionsToTxnTopic[];
}

/** One partition's outcome. */
export interface AddPartitionsToTxnPartitionResult {
  readonly partitionIndex: number;
  readonly errorCode: number;
}

/** One topic's outcomes. */
export interface AddPartitionsToTxnTopicResult {
  readonly name: string;
  readonly results: readonly AddPartitionsToTxnPartitionResult[];
}

/** AddPartitionsToTxn response. */
export interface AddPartitionsToTxnResponse {
  readonly throttleTimeMs: number;
  readonly results: readonly AddPartitionsToTxnTopicResult[];
}

const MAX_VERSION = 3;
const FLEXIBLE_VERSION = 3;

// Request v0–3 (v1 only changes quota behaviour, v2 allows PRODUCER_FENCED): transactional_id string,
// producer_id int64, producer_epoch int16, topics [name string, partitions [int32]].
// Response: throttle_time_ms int32, results [name string, [partition_index int32, error_code int16]].
// v3 is flexible (compact strings/arrays, a tagged-field section after every struct and the body).
// v4+ batches several transactions for broker-to-broker verification; it is not advertised.
/** Codec of AddPartitionsToTxn v0–3. */
export const addPartitionsToTxnCodec: ApiCodec<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> = {
  apiKey: 24,
  name: 'AddPartitionsToTxn',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE_VERSION,

  decodeRequest(reader: KafkaReader, version: number): AddPartitionsToTxnRequest {
    checkVersion('AddPartitionsToTxn', version, 0, MAX_VERSION);
    const v = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    return v.struct(() => ({
      transactionalId: v.string(),
      producerId: reader.int64(),
      producerEpoch: reader.int16(),
      topics: v.array(() => v.struct(() => ({ name: v.string(), partitions: v.array(() => reader.int32()) }))),
    }));
  },

  encodeRequest(writer: KafkaWriter, version: number, request: AddPartitionsToTxnRequest): void {
    checkVersion('AddPartitionsToTxn', version, 0, MAX_VERSION);
    const v = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    v.string(request.transactionalId);
    writer.int64(request.producerId).int16(request.producerEpoch);
    v.array(request.topics, (topic) => {
      v.string(topic.name).array(topic.partitions, (index) => writer.int32(index));
      v.tags();
    });
    v.tags();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: AddPartitionsToTxnResponse): void {
    checkVersion('AddPartitionsToTxn', version, 0, MAX_VERSION);
    const v = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    writer.int32(response.throttleTimeMs);
    v.array(response.results, (topic) => {
      v.string(topic.name).array(topic.results, (result) => {
        writer.int32(result.partitionIndex).int16(result.errorCode);
        v.tags();
      });
      v.tags();
    });
    v.tags();
  },

  decodeResponse(reader: KafkaReader, version: number): AddPartitionsToTxnResponse {
    checkVersion('AddPartitionsToTxn', version, 0, MAX_VERSION);
    const v = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    return v.struct(() => ({
      throttleTimeMs: reader.int32(),
      results: v.array(() =>
        v.struct(() => ({
          name: v.string(),
          results: v.array(() => v.struct(() => ({ partitionIndex: reader.int32(), errorCode: reader.int16() }))),
        })),
      ),
    }));
  },
};
