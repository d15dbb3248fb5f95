import { deadLetterTopicOf, EddyError } from '@eddy/message';
import { type AdminRoute, groupParam } from './admin-handler.js';
import { storedMessageJson } from './admin-json.js';
import { MessagesByKeyQuerySchema, ResendDeadLetterRequestSchema } from './admin-schemas.js';
import { HttpError, jsonReply } from './http-reply.js';
import { validate } from './request-body.js';

/** Longest message id accepted in a path (the message model's own bound on client-supplied ids). */
const MAX_MESSAGE_ID_LENGTH = 1024;

/**
 * Message look-up and dead-letter re-sends.
 *
 * | method | path | answer |
 * |---|---|---|
 * | GET | `/admin/messages/:id` | 200 the message (body base64, and UTF-8 when valid) |
 * | GET | `/admin/messages?topic=T&key=K[&limit=N]` | 200 `{ messages }` |
 * | POST | `/admin/dlq/:group/resend` | `{ messageId, target? }` → 200 `{ resent: true, target }` |
 */
export function messageRoutes(): AdminRoute[] {
  return [
    {
      pattern: '/admin/messages',
      methods: {
        GET: async ({ broker, query }) => {
          const { topic, key, limit } = validate(MessagesByKeyQuerySchema, Object.fromEntries(query), 'message query');
          const messages = await broker.findMessagesByKey(topic, key, limit);
          return jsonReply(200, { messages: messages.slice(0, limit).map(storedMessageJson) });
        },
      },
    },
    {
      pattern: '/admin/messages/:id',
      methods: {
        GET: async ({ broker, params }) => {
          const id = params.id ?? '';
          if (id.length > MAX_MESSAGE_ID_LENGTH) {
            throw new HttpError(
              400,
              'INVALID_ARGUMENT',
              `message id is ${id.length} characters; the limit is ${MAX_MESSAGE_ID_LENGTH}`,
            );
          }
          const message = await broker.findMessageById(id);
          if (message === undefined) throw new EddyError('NOT_FOUND', `no message with id '${id}'`);
          return jsonReply(200, storedMessageJson(message));
        },
      },
    },
    {
      pattern: '/admin/dlq/:group/resend',
      methods: {
        POST: async (context) => {
          const group = groupParam(context);
          const { messageId, target } = validate(
            ResendDeadLetterRequestSchema,
            await context.readJson(),
            'dead-letter resend request',
          );
          if (!(await context.broker.resendDeadLetter(group, messageId, target === undefined ? {} : { target }))) {
            throw new EddyError(
              'NOT_FOUND',
              target === 'origin'
                ? `no message with id '${messageId}' and a recorded origin topic in ${deadLetterTopicOf(group)}`
                : `no message with id '${messageId}' in ${deadLetterTopicOf(group)}`,
            );
          }
          return jsonReply(200, { resent: true, target: target ?? 'retry' });
        },
      },
    },
  ];
}
