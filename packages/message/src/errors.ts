/**
 * Every code an {@link EddyError} can carry. Gateways map these to Kafka and RocketMQ status codes
 * through one table each, so a new code is a decision for both protocols.
 */
export const EDDY_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'INVALID_CONFIG',
  'INVALID_FILTER',
  'INVALID_NAME',
  'RESERVED_NAME',
  'INVALID_MESSAGE',
  'RESERVED_PROPERTY',
  'MESSAGE_TOO_LARGE',
  'PROPERTIES_TOO_LARGE',
  'TOO_MANY_KEYS',
  'EMPTY_BATCH',
  'UNKNOWN_TOPIC',
  'UNKNOWN_QUEUE',
  'OFFSET_OUT_OF_RANGE',
  'CORRUPT_DATA',
  'STORE_CLOSED',
  'IO_ERROR',
  'DISK_FULL',
  'TIMEOUT',
  'INTERNAL',
  'ILLEGAL_DELIVERY_TIME',
  'TOPIC_EXISTS',
  'PERMISSION_DENIED',
  'UNSUPPORTED',
  'NOT_FOUND',
] as const;

/** A stable, string error code. */
export type EddyErrorCode = (typeof EDDY_ERROR_CODES)[number];

// A registered symbol, so that an EddyError made by another copy of this package is still recognised.
const brand = Symbol.for('eddy.error');

/**
 * The one error type of Eddy. Expected outcomes (end of a queue, an offset out of range) are results,
 * not throws; an EddyError is thrown for invalid input, broken invariants and failed I/O.
 *
 * @example
 * ```ts
 * throw new EddyError('MESSAGE_TOO_LARGE', 'message body is 5242880 bytes; the limit is 4194304 (maxBodySize)');
 * ```
 */
export class EddyError extends Error {
  /** Always `'EddyError'`. */
  override readonly name = 'EddyError';
  /** The stable code; match on this, never on the message text. */
  readonly code: EddyErrorCode;
  /** True when the same request may succeed if tried again (a timeout, a full disk being cleaned). */
  readonly retriable: boolean;
  /** Machine-readable facts behind the message, e.g. `{ limit: 'maxBodySize', value: 5242880, max: 4194304 }`. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: EddyErrorCode,
    message: string,
    options?: { retriable?: boolean; details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options?.retriable ?? false;
    this.details = options?.details;
    Object.defineProperty(this, brand, { value: true });
  }

  /** True for any EddyError (from any copy of this package), optionally with the given code. */
  static is(value: unknown, code?: EddyErrorCode): value is EddyError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[brand] === true &&
      (code === undefined || (value as EddyError).code === code)
    );
  }
}
