import type { CodeName, WireStatus } from './proto/wire-types.js';

/**
 * The success status. Always sent explicitly: the Node client treats a status with code 0 (what an
 * unset field decodes to in some runtimes) as `UnsupportedException`, and several of its retry loops
 * never end on a missing status.
 */
export const OK_STATUS: WireStatus = Object.freeze({ code: 'OK', message: 'OK' });

/** A status with a code and a message that names the thing and the limit. */
export function statusOf(code: CodeName, message: string): WireStatus {
  return { code, message };
}

/**
 * One status for several results, as RocketMQ's proxy does it: OK when all are OK, the shared code
 * when all failed alike (the SimpleConsumer reads only this top-level status), else MULTIPLE_RESULTS.
 */
export function combineStatuses(statuses: readonly WireStatus[]): WireStatus {
  const first = statuses[0];
  if (first === undefined) return OK_STATUS;
  if (statuses.every((status) => status.code === first.code)) return first;
  return statusOf('MULTIPLE_RESULTS', 'the entries have different statuses; see each entry');
}
