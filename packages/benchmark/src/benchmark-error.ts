/** What went wrong, as a string code a caller can branch on. */
export type BenchmarkErrorCode =
  | 'INVALID_SPEC'
  | 'INVALID_OPTION'
  | 'PEER_NOT_INSTALLED'
  | 'SERVER_START_FAILED'
  | 'DRIVER_FAILED'
  | 'PHASE_TIMEOUT';

/** The one error type of `@eddy/benchmark`: a code, a message that names the thing and the limit, and the cause. */
export class BenchmarkError extends Error {
  constructor(
    readonly code: BenchmarkErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'BenchmarkError';
  }
}
