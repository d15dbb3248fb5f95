import type { StatusOnlyResponse } from '../proto/wire-types.js';
import { statusOf } from '../status.js';

/**
 * The answer to an RPC this gateway does not offer: a normal response whose status is NOT_IMPLEMENTED
 * and says so, rather than a bare gRPC error, so that clients report it like any other refusal.
 */
export function notImplemented(rpc: string, why: string): StatusOnlyResponse {
  return { status: statusOf('NOT_IMPLEMENTED', `${rpc} is not implemented by Eddy: ${why}`) };
}

/** Why each unsupported RPC is missing; the official Node client calls none of them. */
export const UNSUPPORTED_RPCS: Readonly<Record<string, string>> = Object.freeze({
  PullMessage: 'offset-based pull consumers are not supported; use a SimpleConsumer or PushConsumer',
  UpdateOffset: 'offset-based pull consumers are not supported; use a SimpleConsumer or PushConsumer',
  GetOffset: 'offset-based pull consumers are not supported; use a SimpleConsumer or PushConsumer',
  QueryOffset: 'offset-based pull consumers are not supported; use a SimpleConsumer or PushConsumer',
  RecallMessage: 'delay messages cannot be recalled',
  SyncLiteSubscription: 'lite topics are not supported',
});
