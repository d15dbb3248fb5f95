import type { Broker } from '@eddy/broker';
import { validateGroupName, validateTopicName } from '@eddy/message';
import type { HttpReply } from './http-reply.js';
import type { Route } from './route-table.js';

/** What a handler gets for one request. */
export interface AdminContext {
  readonly broker: Broker;
  /** Path parameters, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /**
   * The request body as JSON, read at most once and bounded by `maxRequestBytes`.
   * @throws `HttpError` 413 or 400 `INVALID_JSON`; `RequestAborted`.
   */
  readJson(): Promise<unknown>;
}

/** Answers one request. Throws `EddyError` (mapped to a status by `ERROR_STATUS`) or `HttpError`. */
export type AdminHandler = (context: AdminContext) => Promise<HttpReply>;

/** An admin endpoint. */
export type AdminRoute = Route<AdminHandler>;

/**
 * A topic name from the path: system topics (`%DLQ%…`) included, so they can be inspected.
 * @throws `INVALID_NAME` naming the fault.
 */
export function topicParam(context: AdminContext): string {
  const name = context.params.name ?? '';
  const error = validateTopicName(name, { system: true });
  if (error !== undefined) throw error;
  return name;
}

/** A group name from the path. @throws `INVALID_NAME` naming the fault. */
export function groupParam(context: AdminContext): string {
  const name = context.params.group ?? '';
  const error = validateGroupName(name, { system: true });
  if (error !== undefined) throw error;
  return name;
}
