import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';
import { VersionedReader, VersionedWriter } from './versioned-encoding.js';

/** EndTxn request (key 26), versions 0–3. */
export interface EndTxnRequest {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  /** True to commit, false to abort. */
  readonly committed: boolean;
}

/** EndTxn response. */
export interface EndTxnResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
}

const MAX_VERSION = 3;
const FLEXIBLE_VERSION = 3;

// Request v0–3: transactional_id string, producer_id int64, producer_epoch int16, committed bool.
// Response: throttle_time_ms int32, error_code int16. v1 only changes quota behaviour, v2 allows
// PRODUCER_FENCED; v3 is flexible (compact strings, a tagged-field section at the end of the body).
// v4 only adds TRANSACTION_ABORTABLE, v5 (KIP-890) returns the bumped producer id/epoch; neither is advertised.
/** Codec of EndTxn v0–3. */
export const endTxnCodec: ApiCodec<EndTxnRequest, EndTxnResponse> = {
  apiKey: 26,
  name: 'EndTxn',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE_VERSION,

  decodeRequest(reader: KafkaReader, version: number): EndTxnRequest {
    checkVersion('EndTxn', version, 0, MAX_VERSION);
    const v = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    return v.struct(() => ({
      transactionalId: v.string(),
      producerId: reader.int64(),
      producerEpoch: reader.int16(),
      committed: reader.bool(),
    }));
  },

  encodeRequest(writer: KafkaWriter, version: number, request: EndTxnRequest): void {
    checkVersion('EndTxn', version, 0, MAX_VERSION);
    const v = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    v.string(request.transactionalId);
    writer.int64(request.producerId).int16(request.producerEpoch).bool(request.committed);
    v.tags();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: EndTxnResponse): void {
    checkVersion('EndTxn', version, 0, MAX_VERSION);
    writer.int32(response.throttleTimeMs).int16(response.errorCode);
    new VersionedWriter(writer, version >= FLEXIBLE_VERSION).tags();
  },

  decodeResponse(reader: KafkaReader, version: number): EndTxnResponse {
    checkVersion('EndTxn', version, 0, MAX_VERSION);
    const v = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    return v.struct(() => ({ throttleTimeMs: reader.int32(), errorCode: reader.int16() }));
  },
};
