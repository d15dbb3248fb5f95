import { QueueCountSchema, TOPIC_MESSAGE_TYPES, TopicNameSchema, validateTopicName } from '@eddy/message';
import { z } from 'zod';

/** Most messages one key look-up returns. */
export const MAX_MESSAGES_BY_KEY = 1000;
/** Messages a key look-up returns when the query gives no `limit`. */
export const DEFAULT_MESSAGES_BY_KEY = 32;

/** Any topic the broker may hold, system topics (`%DLQ%…`, `%RETRY%…`) included. */
const AnyTopicNameSchema = z.string().superRefine((name, context) => {
  const error = validateTopicName(name, { system: true });
  if (error !== undefined) context.addIssue({ code: 'custom', message: error.message });
});

const topicFields = {
  /** Sets both read and write queue counts unless they are given. */
  queueCount: QueueCountSchema.optional(),
  readQueueNums: QueueCountSchema.optional(),
  writeQueueNums: QueueCountSchema.optional(),
  /** RocketMQ permission bits: 4 read, 2 write, 1 inherit, 8 priority. */
  perm: z.number().int().min(0).max(15).optional(),
  messageType: z.enum(TOPIC_MESSAGE_TYPES).optional(),
  retentionMs: z.number().int().positive().optional(),
};

/** `POST /admin/topics`: a user topic's name and, optionally, its settings (the broker fills in the rest). */
export const CreateTopicRequestSchema = z.object({ name: TopicNameSchema, ...topicFields }).strict();

/** `PATCH /admin/topics/:name`: the settings to change; absent fields keep their value. */
export const UpdateTopicRequestSchema = z.object(topicFields).strict();

/** Where `POST /admin/groups/:group/offsets/reset` moves a group. */
export const ResetTargetSchema = z.union(
  [
    z.literal('earliest'),
    z.literal('latest'),
    z.object({ timestamp: z.number().int().nonnegative() }).strict(),
    z.object({ offset: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER) }).strict(),
  ],
  { error: "expected 'earliest', 'latest', { timestamp } or { offset }" },
);

/** `POST /admin/groups/:group/offsets/reset`. Without `queueId`, every queue of the topic is reset. */
export const ResetOffsetsRequestSchema = z
  .object({
    topic: AnyTopicNameSchema,
    to: ResetTargetSchema,
    queueId: z.number().int().min(0).max(65535).optional(),
  })
  .strict();

/**
 * `POST /admin/dlq/:group/resend`: the dead letter's id, and where to send it: `retry` (default, the
 * group's retry topic, so only that group gets it again) or `origin` (the topic it was first sent to).
 */
export const ResendDeadLetterRequestSchema = z
  .object({ messageId: z.string().min(1).max(1024), target: z.enum(['retry', 'origin']).optional() })
  .strict();

/** The query of `GET /admin/messages`: `?topic=T&key=K[&limit=N]`. */
export const MessagesByKeyQuerySchema = z
  .object({
    topic: AnyTopicNameSchema,
    key: z.string().min(1).max(65535),
    limit: z.coerce.number().int().min(1).max(MAX_MESSAGES_BY_KEY).default(DEFAULT_MESSAGES_BY_KEY),
  })
  .strict();
