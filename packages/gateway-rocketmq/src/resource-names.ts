import { DLQ_TOPIC_PREFIX, RETRY_TOPIC_PREFIX, validateGroupName, validateTopicName } from '@eddy/message';
import type { WireResource, WireStatus } from './proto/wire-types.js';
import { statusOf } from './status.js';

/** A checked name, or the status that refuses it. */
export type NameResult = { readonly name: string } | { readonly status: WireStatus };

/**
 * The topic a producer writes to: a user topic name (Eddy's rules: 1–249 of `[a-zA-Z0-9._-]`, not a
 * system name). Namespaces are not supported and ignored.
 */
export function writableTopicName(resource: WireResource | undefined): NameResult {
  const name = resource?.name ?? '';
  const error = validateTopicName(name);
  return error === undefined ? { name } : { status: statusOf('ILLEGAL_TOPIC', error.message) };
}

/**
 * The topic a client routes to or consumes from: a user topic, or a consumer group's retry or
 * dead-letter topic (`%RETRY%…`, `%DLQ%…`), which operators read to inspect failures. Other system
 * topics (half messages, schedules) stay hidden.
 */
export function readableTopicName(resource: WireResource | undefined): NameResult {
  const name = resource?.name ?? '';
  const error = validateTopicName(name);
  if (error === undefined) return { name };
  const groupTopic = name.startsWith(DLQ_TOPIC_PREFIX) || name.startsWith(RETRY_TOPIC_PREFIX);
  if (groupTopic && validateTopicName(name, { system: true }) === undefined) return { name };
  return { status: statusOf('ILLEGAL_TOPIC', error.message) };
}

/** A consumer group name (same rules as topics), or ILLEGAL_CONSUMER_GROUP. */
export function groupName(resource: WireResource | undefined): NameResult {
  const name = resource?.name ?? '';
  const error = validateGroupName(name);
  return error === undefined ? { name } : { status: statusOf('ILLEGAL_CONSUMER_GROUP', error.message) };
}
