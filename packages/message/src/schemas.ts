import { z } from 'zod';
import { EddyError } from './errors.js';
import { DEFAULT_MESSAGE_LIMITS } from './limits.js';
import { validateGroupName, validateTopicName } from './names.js';
import { DEFAULT_PERMISSION, TOPIC_MESSAGE_TYPES } from './topic-config.js';

function nameSchema(validate: (name: string) => EddyError | undefined) {
  return z.string().superRefine((name, context) => {
    const error = validate(name);
    if (error) context.addIssue({ code: 'custom', message: error.message });
  });
}

/** A topic name a user may create (see `validateTopicName`). */
export const TopicNameSchema = nameSchema((name) => validateTopicName(name));
/** A group name a user may create (see `validateGroupName`). */
export const GroupNameSchema = nameSchema((name) => validateGroupName(name));

const byteCount = z
  .number()
  .int()
  .positive()
  .max(1024 * 1024 * 1024);

/** {@link MessageLimits} from configuration; every field is optional and defaults to RocketMQ's value. */
export const MessageLimitsSchema = z
  .object({
    maxBodySize: byteCount.default(DEFAULT_MESSAGE_LIMITS.maxBodySize),
    maxPropertiesSize: byteCount.default(DEFAULT_MESSAGE_LIMITS.maxPropertiesSize),
    maxKeys: z.number().int().min(0).max(65535).default(DEFAULT_MESSAGE_LIMITS.maxKeys),
    maxFieldLength: z.number().int().positive().max(65535).default(DEFAULT_MESSAGE_LIMITS.maxFieldLength),
    maxMessageGroupLength: z.number().int().positive().max(65535).default(DEFAULT_MESSAGE_LIMITS.maxMessageGroupLength),
  })
  .strict();

/** A queue count: Kafka and RocketMQ both allow many; 65,536 bounds the per-topic tables. */
export const QueueCountSchema = z.number().int().min(1).max(65536);

/** A {@link TopicConfig} as an admin request gives it: the name is required, the rest defaults. */
export const TopicConfigSchema = z
  .object({
    name: TopicNameSchema,
    readQueueNums: QueueCountSchema.default(4),
    writeQueueNums: QueueCountSchema.default(4),
    perm: z.number().int().min(0).max(15).default(DEFAULT_PERMISSION),
    messageType: z.enum(TOPIC_MESSAGE_TYPES).default('NORMAL'),
    retentionMs: z.number().int().positive().optional(),
  })
  .strict();

/** A queue within a topic. */
export const QueueAddressSchema = z
  .object({ topic: z.string().min(1), queueId: z.number().int().min(0).max(65535) })
  .strict();

/**
 * A message as JSON (admin API, tools): the body is text, or base64 with `bodyEncoding: 'base64'`.
 * Turn it into a `Message` with `createMessage` after decoding the body.
 */
export const MessageJsonSchema = z
  .object({
    topic: z.string().min(1),
    body: z.string(),
    bodyEncoding: z.enum(['utf8', 'base64']).default('utf8'),
    keys: z.array(z.string().min(1)).default([]),
    tag: z.string().min(1).optional(),
    properties: z.record(z.string(), z.string()).default({}),
    messageId: z.string().min(1).max(1024).optional(),
    messageGroup: z.string().min(1).optional(),
    deliveryTimestamp: z.number().int().nonnegative().optional(),
  })
  .strict();

/**
 * Parses `input` with `schema`. On failure it throws an `INVALID_CONFIG` EddyError whose message
 * names every bad field by its path, e.g. `invalid broker config: grpcPort: Too big: expected number to be <=65535`.
 *
 * @param what what is being parsed, for the message ("broker config", "create-topic request").
 */
export function parseWithSchema<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  what: string,
): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
  throw new EddyError('INVALID_CONFIG', `invalid ${what}: ${problems.join('; ')}`, {
    details: { issues: result.error.issues },
  });
}
