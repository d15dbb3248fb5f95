import type { TopicPatch } from '@eddy/broker';
import { EddyError, isSystemName, type TopicConfig } from '@eddy/message';
import { type AdminContext, type AdminRoute, topicParam } from './admin-handler.js';
import { topicConfigJson } from './admin-json.js';
import { CreateTopicRequestSchema, UpdateTopicRequestSchema } from './admin-schemas.js';
import { jsonReply } from './http-reply.js';
import { validate } from './request-body.js';

/**
 * Topic administration: list, create, describe (config and queue ranges), change, delete.
 *
 * | method | path | answer |
 * |---|---|---|
 * | GET | `/admin/topics` | 200 `{ topics: TopicConfig[] }` by name |
 * | POST | `/admin/topics` | 201 the created config |
 * | GET | `/admin/topics/:name` | 200 config + `queues: [{ queueId, minOffset, maxOffset }]` |
 * | PATCH | `/admin/topics/:name` | 200 the changed config |
 * | DELETE | `/admin/topics/:name` | 200 `{ deleted: true }` |
 */
export function topicRoutes(): AdminRoute[] {
  return [
    {
      pattern: '/admin/topics',
      methods: {
        GET: async ({ broker }) => {
          const topics = await broker.topics.list();
          topics.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
          return jsonReply(200, { topics: topics.map(topicConfigJson) });
        },
        POST: async (context) => {
          const init = validate(CreateTopicRequestSchema, await context.readJson(), 'create-topic request');
          const created = await context.broker.topics.create(init);
          return jsonReply(201, topicConfigJson(created), {
            location: `/admin/topics/${encodeURIComponent(created.name)}`,
          });
        },
      },
    },
    {
      pattern: '/admin/topics/:name',
      methods: {
        GET: async (context) => {
          const name = topicParam(context);
          const config = await describe(context, name);
          const queues = await context.broker.store.listQueues(name);
          return jsonReply(200, {
            ...topicConfigJson(config),
            queues: queues.map(({ queueId, minOffset, maxOffset }) => ({ queueId, minOffset, maxOffset })),
          });
        },
        PATCH: async (context) => {
          const name = topicParam(context);
          const patch: TopicPatch = validate(
            UpdateTopicRequestSchema,
            await context.readJson(),
            'update-topic request',
          );
          return jsonReply(200, topicConfigJson(await context.broker.topics.update(name, patch)));
        },
        DELETE: async (context) => {
          const name = topicParam(context);
          if (!(await context.broker.topics.delete(name))) throw unknownTopic(name);
          return jsonReply(200, { deleted: true });
        },
      },
    },
  ];
}

// System topics (%DLQ%…, %RETRY%…) have no stored config: they resolve to one, and exist once they hold queues.
async function describe(context: AdminContext, name: string): Promise<TopicConfig> {
  const config = await context.broker.topics.get(name);
  if (config !== undefined) return config;
  if (isSystemName(name) && (await context.broker.store.listQueues(name)).length > 0) {
    return context.broker.topics.resolve(name, { autoCreate: false });
  }
  throw unknownTopic(name);
}

function unknownTopic(name: string): EddyError {
  return new EddyError('UNKNOWN_TOPIC', `topic '${name}' does not exist`);
}
