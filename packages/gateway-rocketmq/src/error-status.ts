import { EddyError, type EddyErrorCode } from '@eddy/message';
import type { CodeName, WireStatus } from './proto/wire-types.js';
import { statusOf } from './status.js';

/**
 * Every Eddy error code and the RocketMQ `Code` a client gets for it: the one table for this protocol.
 * A `Record` over all codes, so a new Eddy code does not compile until it has a RocketMQ answer.
 * 400xx make the Node client throw BadRequest (no retry), 404xx NotFound, 413xx PayloadTooLarge,
 * 500xx InternalError (SimpleConsumer.receive retries those) and 504xx ProxyTimeout.
 */
export const ROCKETMQ_CODE_OF_ERROR: Readonly<Record<EddyErrorCode, CodeName>> = Object.freeze({
  INVALID_ARGUMENT: 'BAD_REQUEST',
  INVALID_CONFIG: 'INTERNAL_ERROR',
  INVALID_FILTER: 'ILLEGAL_FILTER_EXPRESSION',
  INVALID_NAME: 'ILLEGAL_TOPIC',
  RESERVED_NAME: 'ILLEGAL_TOPIC',
  INVALID_MESSAGE: 'BAD_REQUEST',
  RESERVED_PROPERTY: 'ILLEGAL_MESSAGE_PROPERTY_KEY',
  MESSAGE_TOO_LARGE: 'MESSAGE_BODY_TOO_LARGE',
  PROPERTIES_TOO_LARGE: 'MESSAGE_PROPERTIES_TOO_LARGE',
  TOO_MANY_KEYS: 'ILLEGAL_MESSAGE_KEY',
  EMPTY_BATCH: 'BAD_REQUEST',
  UNKNOWN_TOPIC: 'TOPIC_NOT_FOUND',
  UNKNOWN_QUEUE: 'NOT_FOUND',
  OFFSET_OUT_OF_RANGE: 'ILLEGAL_OFFSET',
  // Stored data that fails its checksum is the server's problem, not a corrupt client message.
  CORRUPT_DATA: 'INTERNAL_ERROR',
  STORE_CLOSED: 'INTERNAL_ERROR',
  IO_ERROR: 'INTERNAL_ERROR',
  DISK_FULL: 'INTERNAL_ERROR',
  TIMEOUT: 'PROXY_TIMEOUT',
  INTERNAL: 'INTERNAL_ERROR',
  ILLEGAL_DELIVERY_TIME: 'ILLEGAL_DELIVERY_TIME',
  TOPIC_EXISTS: 'BAD_REQUEST',
  PERMISSION_DENIED: 'FORBIDDEN',
  UNSUPPORTED: 'UNSUPPORTED',
  NOT_FOUND: 'NOT_FOUND',
});

/** The status to answer a thrown error with: its table entry, or INTERNAL_ERROR for anything not an {@link EddyError}. */
export function statusOfError(error: unknown): WireStatus {
  if (EddyError.is(error)) return statusOf(ROCKETMQ_CODE_OF_ERROR[error.code] ?? 'INTERNAL_ERROR', error.message);
  return statusOf('INTERNAL_ERROR', 'internal error; the broker logged the details');
}

/** True when the error is the server's fault (to be logged), false for an expected answer to bad input. */
export function isServerFault(error: unknown): boolean {
  if (!EddyError.is(error)) return true;
  const code = ROCKETMQ_CODE_OF_ERROR[error.code];
  return code === undefined || code === 'INTERNAL_ERROR' || code === 'PROXY_TIMEOUT';
}
