import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';
import { VersionedReader, VersionedWriter } from './versioned-encoding.js';

/** AddOffsetsToTxn request (key 25), versions 0–3. */
export interface AddOffsetsToTxnRequest {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  /** The consumer group whose offsets the transaction will commit. */
  readonly groupId: string;
}

/** AddOffsetsToTxn response. */
export interface AddOffsetsToTxnResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
}

const MAX_VERSION = 3;
const FLEXIBLE_VERSION = 3;

// Request v0–3: transactional_id string, producer_id int64, producer_epoch int16, group_id string.
// Response: throttle_time_ms int32, error_code int16. v1 only changes quota behaviour, v2 allows
// PRODUCER_FENCED; v3 is flexible (compact strings, a tagged-field section at the end of the body).
/** Codec of AddOffsetsToTxn v0–3. */
export const addOffsetsToTxnCodec: ApiCodec<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> = {
  apiKey: 25,
  name: 'AddOffsetsToTxn',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE_VERSION,

  decodeRequest(reader: KafkaReader, version: number): AddOffsetsToTxnRequest {
    checkVersion('AddOffsetsToTxn', version, 0, MAX_VERSION);
    const v = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    return v.struct(() => ({
      transactionalId: v.string(),
      producerId: reader.int64(),
      producerEpoch: reader.int16(),
      groupId: v.string(),
    }));
  },

  encodeRequest(writer: KafkaWriter, version: number, request: AddOffsetsToTxnRequest): void {
    checkVersion('AddOffsetsToTxn', version, 0, MAX_VERSION);
    const v = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    v.string(request.transactionalId);
    writer.int64(request.producerId).int16(request.producerEpoch);
    v.string(request.groupId).tags();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: AddOffsetsToTxnResponse): void {
    checkVersion('AddOffsetsToTxn', version, 0, MAX_VERSION);
    writer.int32(response.throttleTimeMs).int16(response.errorCode);
    new VersionedWriter(writer, version >= FLEXIBLE_VERSION).tags();
  },

  decodeResponse(reader: KafkaReader, version: number): AddOffsetsToTxnResponse {
    checkVersion('AddOffsetsToTxn', version, 0, MAX_VERSION);
    const v = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    return v.struct(() => ({ throttleTimeMs: reader.int32(), errorCode: reader.int16() }));
  },
};
