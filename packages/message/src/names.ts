import { EddyError } from './errors.js';

/** Prefix of a consumer group's retry topic, `%RETRY%<group>`. */
export const RETRY_TOPIC_PREFIX = '%RETRY%';
/** Prefix of a consumer group's dead-letter topic, `%DLQ%<group>`. */
export const DLQ_TOPIC_PREFIX = '%DLQ%';

/** Topics the broker itself uses (RocketMQ's names). */
export const SystemTopic = {
  TRANSACTION_HALF: 'RMQ_SYS_TRANS_HALF_TOPIC',
  TRANSACTION_OP_HALF: 'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  TRANSACTION_CHECK_MAX_TIME: 'TRANS_CHECK_MAX_TIME_TOPIC',
  SCHEDULE: 'SCHEDULE_TOPIC_XXXX',
  TIMER: 'rmq_sys_wheel_timer',
  TRACE: 'RMQ_SYS_TRACE_TOPIC',
  DEFAULT_TOPIC: 'TBW102',
  BENCHMARK: 'BenchmarkTest',
  SELF_TEST: 'SELF_TEST_TOPIC',
  OFFSET_MOVED_EVENT: 'OFFSET_MOVED_EVENT',
  CHECKPOINT: 'CHECKPOINT_TOPIC',
  KAFKA_CONSUMER_OFFSETS: '__consumer_offsets',
  KAFKA_TRANSACTION_STATE: '__transaction_state',
} as const;

const RESERVED_NAMES: ReadonlySet<string> = new Set(Object.values(SystemTopic));
const RESERVED_PREFIXES = ['rmq_sys_', RETRY_TOPIC_PREFIX, DLQ_TOPIC_PREFIX, '%LMQ%', '%SYS%'];

/** Longest name a user may create (Kafka's limit). */
export const MAX_NAME_LENGTH = 249;
/** Longest system name: a retry or DLQ prefix in front of a full-length group name. */
export const MAX_SYSTEM_NAME_LENGTH = 512;

// Kafka's legal characters; RocketMQ's system names also use % and |.
const USER_NAME = /^[a-zA-Z0-9._-]+$/;
const SYSTEM_NAME = /^[a-zA-Z0-9._%|-]+$/;

/** What is being named, for error messages. */
export type NameKind = 'topic' | 'group';

/** True for names the broker reserves for itself: system topics and anything with a system prefix. */
export function isSystemName(name: string): boolean {
  if (RESERVED_NAMES.has(name)) return true;
  const lower = name.toLowerCase();
  return RESERVED_PREFIXES.some((prefix) => lower.startsWith(prefix.toLowerCase()));
}

/**
 * Checks a topic or group name; one rule for both protocols. A user name has 1–249 characters from
 * `[a-zA-Z0-9._-]`, is not `.` or `..`, and is not reserved (see {@link isSystemName}). With
 * `system: true` (the broker naming its own topics) `%` and `|` are allowed, reserved names pass and
 * the length limit is {@link MAX_SYSTEM_NAME_LENGTH}.
 *
 * @returns `undefined` when the name is valid, otherwise an `INVALID_NAME` or `RESERVED_NAME` error.
 */
export function validateName(kind: NameKind, name: string, options: { system?: boolean } = {}): EddyError | undefined {
  const system = options.system ?? false;
  const max = system ? MAX_SYSTEM_NAME_LENGTH : MAX_NAME_LENGTH;
  if (typeof name !== 'string' || name.length === 0) {
    return new EddyError('INVALID_NAME', `${kind} name is empty`);
  }
  if (name.length > max) {
    return new EddyError('INVALID_NAME', `${kind} name is ${name.length} characters; the limit is ${max}`, {
      details: { limit: system ? 'MAX_SYSTEM_NAME_LENGTH' : 'MAX_NAME_LENGTH', value: name.length, max },
    });
  }
  if (name === '.' || name === '..') {
    return new EddyError('INVALID_NAME', `${kind} name cannot be '${name}'`);
  }
  if (!(system ? SYSTEM_NAME : USER_NAME).test(name)) {
    const allowed = system ? '[a-zA-Z0-9._%|-]' : '[a-zA-Z0-9._-]';
    return new EddyError('INVALID_NAME', `${kind} name '${name}' has characters outside ${allowed}`);
  }
  if (!system && isSystemName(name)) {
    return new EddyError('RESERVED_NAME', `${kind} name '${name}' is reserved for the broker`);
  }
  return undefined;
}

/** Checks a topic name; see {@link validateName}. */
export function validateTopicName(name: string, options: { system?: boolean } = {}): EddyError | undefined {
  return validateName('topic', name, options);
}

/** Checks a group name; see {@link validateName}. */
export function validateGroupName(name: string, options: { system?: boolean } = {}): EddyError | undefined {
  return validateName('group', name, options);
}

/** The retry topic of a consumer group. */
export function retryTopicOf(group: string): string {
  return RETRY_TOPIC_PREFIX + group;
}

/** The dead-letter topic of a consumer group. */
export function deadLetterTopicOf(group: string): string {
  return DLQ_TOPIC_PREFIX + group;
}
