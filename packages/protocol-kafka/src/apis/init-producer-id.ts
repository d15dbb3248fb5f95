import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';

/** InitProducerId request (key 22), versions 0–4. */
export interface InitProducerIdRequest {
  /** Null for an idempotent (non-transactional) producer. */
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
  /** v3+ (KIP-360): the producer id the client already holds, to bump its epoch; -1 otherwise. */
  readonly producerId: bigint;
  /** v3+: the epoch the client already holds; -1 otherwise. */
  readonly producerEpoch: number;
}

/** InitProducerId response. */
export interface InitProducerIdResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

const MAX_VERSION = 4;
const FLEXIBLE_VERSION = 2;

// Request: transactional_id nullable string, transaction_timeout_ms int32; v3+ adds producer_id int64 and
// producer_epoch int16. v2+ is flexible: compact strings and a tagged-field section at the end.
// Response (all versions): throttle_time_ms int32, error_code int16, producer_id int64, producer_epoch int16
// (+ tagged fields when flexible). v4 differs from v3 only in allowing PRODUCER_FENCED.
/** Codec of InitProducerId v0–4. */
export const initProducerIdCodec: ApiCodec<InitProducerIdRequest, InitProducerIdResponse> = {
  apiKey: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE_VERSION,

  decodeRequest(reader: KafkaReader, version: number): InitProducerIdRequest {
    checkVersion('InitProducerId', version, 0, MAX_VERSION);
    const flexible = version >= FLEXIBLE_VERSION;
    const transactionalId = flexible ? reader.compactNullableString() : reader.nullableString();
    const transactionTimeoutMs = reader.int32();
    const producerId = version >= 3 ? reader.int64() : -1n;
    const producerEpoch = version >= 3 ? reader.int16() : -1;
    if (flexible) reader.taggedFields();
    return { transactionalId, transactionTimeoutMs, producerId, producerEpoch };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: InitProducerIdRequest): void {
    checkVersion('InitProducerId', version, 0, MAX_VERSION);
    const flexible = version >= FLEXIBLE_VERSION;
    if (flexible) writer.compactNullableString(request.transactionalId);
    else writer.nullableString(request.transactionalId);
    writer.int32(request.transactionTimeoutMs);
    if (version >= 3) writer.int64(request.producerId).int16(request.producerEpoch);
    if (flexible) writer.taggedFields();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: InitProducerIdResponse): void {
    checkVersion('InitProducerId', version, 0, MAX_VERSION);
    writer
      .int32(response.throttleTimeMs)
      .int16(response.errorCode)
      .int64(response.producerId)
      .int16(response.producerEpoch);
    if (version >= FLEXIBLE_VERSION) writer.taggedFields();
  },

  decodeResponse(reader: KafkaReader, version: number): InitProducerIdResponse {
    checkVersion('InitProducerId', version, 0, MAX_VERSION);
    const response = {
      throttleTimeMs: reader.int32(),
      errorCode: reader.int16(),
      producerId: reader.int64(),
      producerEpoch: reader.int16(),
    };
    if (version >= FLEXIBLE_VERSION) reader.taggedFields();
    return response;
  },
};
