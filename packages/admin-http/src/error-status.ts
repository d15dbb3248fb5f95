import type { EddyErrorCode } from '@eddy/message';

/**
 * The HTTP status of every {@link EddyErrorCode}: the one place the admin API decides it. A `Record`
 * over the code union, so a new code does not compile until it has a status here.
 *
 * Client mistakes are 4xx (bad input 400, missing things 404, conflicts 409, permission 403); the
 * broker's own trouble is 5xx, with 503 for what may pass if retried and 507 for a full disk.
 */
export const ERROR_STATUS: Readonly<Record<EddyErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  INVALID_CONFIG: 400,
  INVALID_FILTER: 400,
  INVALID_NAME: 400,
  RESERVED_NAME: 400,
  INVALID_MESSAGE: 400,
  RESERVED_PROPERTY: 400,
  // The limits are on a stored message (a DLQ re-send, a produce), not on the HTTP request: 400, not 413.
  MESSAGE_TOO_LARGE: 400,
  PROPERTIES_TOO_LARGE: 400,
  TOO_MANY_KEYS: 400,
  EMPTY_BATCH: 400,
  ILLEGAL_DELIVERY_TIME: 400,
  OFFSET_OUT_OF_RANGE: 400,
  UNKNOWN_TOPIC: 404,
  UNKNOWN_QUEUE: 404,
  NOT_FOUND: 404,
  TOPIC_EXISTS: 409,
  PERMISSION_DENIED: 403,
  UNSUPPORTED: 501,
  STORE_CLOSED: 503,
  TIMEOUT: 503,
  DISK_FULL: 507,
  CORRUPT_DATA: 500,
  IO_ERROR: 500,
  INTERNAL: 500,
};

/** The HTTP status for an {@link EddyErrorCode}. */
export function statusOfErrorCode(code: EddyErrorCode): number {
  // A code from a newer copy of @eddy/message than this table knows is still an error: say 500.
  return ERROR_STATUS[code] ?? 500;
}
