import type { Broker, QueueLagReport } from '@eddy/broker';
import { EddyError } from '@eddy/message';
import { type AdminRoute, groupParam } from './admin-handler.js';
import { ResetOffsetsRequestSchema } from './admin-schemas.js';
import { groupLag, hasCommittedOffsets, knownGroups } from './consumer-groups.js';
import { jsonReply } from './http-reply.js';
import { validate } from './request-body.js';

/** One queue's new offset after a reset. */
interface QueueOffset {
  readonly queueId: number;
  readonly offset: number;
}

/**
 * Consumer group administration.
 *
 * | method | path | answer |
 * |---|---|---|
 * | GET | `/admin/groups` | 200 `{ groups: [{ group, members }] }`: live or with committed offsets |
 * | GET | `/admin/groups/:group` | 200 members, subscriptions, consistency, lag per queue |
 * | POST | `/admin/groups/:group/offsets/reset` | `{ topic, to, queueId? }` → 200 the new offsets |
 */
export function groupRoutes(): AdminRoute[] {
  return [
    {
      pattern: '/admin/groups',
      methods: {
        GET: async ({ broker }) => {
          const groups = await knownGroups(broker);
          return jsonReply(200, {
            groups: groups.map((group) => ({ group, members: broker.groups.members(group).length })),
          });
        },
      },
    },
    {
      pattern: '/admin/groups/:group',
      methods: {
        GET: async (context) => {
          const { broker } = context;
          const group = groupParam(context);
          const members = broker.groups.members(group);
          if (members.length === 0 && !(await hasCommittedOffsets(broker, group))) {
            throw new EddyError('NOT_FOUND', `group '${group}' is not known: no live member and no committed offset`);
          }
          const lag = await groupLag(broker, group);
          return jsonReply(200, {
            group,
            members,
            consistency: broker.groups.consistency(group),
            totalLag: lag.reduce((sum, report) => sum + report.lag, 0),
            lag: lag.map(lagJson),
          });
        },
      },
    },
    {
      pattern: '/admin/groups/:group/offsets/reset',
      methods: {
        POST: async (context) => {
          const group = groupParam(context);
          const request = validate(ResetOffsetsRequestSchema, await context.readJson(), 'offset reset request');
          const offsets = await resetOffsets(context.broker, group, request);
          return jsonReply(200, { group, topic: request.topic, offsets });
        },
      },
    },
  ];
}

function lagJson(report: QueueLagReport) {
  return {
    topic: report.topic,
    queueId: report.queueId,
    committedOffset: report.committedOffset ?? null,
    maxOffset: report.maxOffset,
    lag: report.lag,
  };
}

type ResetRequest = ReturnType<typeof ResetOffsetsRequestSchema.parse>;

/**
 * Moves the group's offsets on one queue or every queue of the topic. Whole-topic resets to a
 * position in time (earliest, latest, a timestamp) go through `resetToTimestamp`, one atomic batch:
 * `earliest` is the first message stored at or after time 0, `latest` the end, since every message is
 * older than the largest timestamp.
 */
async function resetOffsets(broker: Broker, group: string, request: ResetRequest): Promise<QueueOffset[]> {
  const { topic, to, queueId } = request;
  const queues = await broker.store.listQueues(topic);
  const config = await broker.topics.get(topic);
  if (config === undefined && queues.length === 0) {
    throw new EddyError('UNKNOWN_TOPIC', `topic '${topic}' does not exist`);
  }
  const admin = broker.offsetAdmin;
  const target = typeof to === 'string' ? { timestamp: to === 'earliest' ? 0 : Number.MAX_SAFE_INTEGER } : to;

  if (queueId === undefined) {
    if ('timestamp' in target) return admin.resetToTimestamp(group, topic, target.timestamp);
    const resets: QueueOffset[] = [];
    for (const queue of queues) {
      const offset = await admin.resetToOffset(group, topic, queue.queueId, target.offset);
      resets.push({ queueId: queue.queueId, offset });
    }
    return resets;
  }

  // A queue the topic declares but nothing was written to yet has no range; it may still be reset (to 0).
  const declared = config === undefined ? 0 : Math.max(config.readQueueNums, config.writeQueueNums);
  if (queueId >= declared && !queues.some((queue) => queue.queueId === queueId)) {
    throw new EddyError('UNKNOWN_QUEUE', `topic '${topic}' has no queue ${queueId}`);
  }
  let offset: number;
  if ('timestamp' in target) {
    const found = await broker.store.offsetForTimestamp(topic, queueId, target.timestamp);
    offset = found ?? (await broker.store.queueRange(topic, queueId))?.maxOffset ?? 0;
  } else {
    offset = target.offset;
  }
  return [{ queueId, offset: await admin.resetToOffset(group, topic, queueId, offset) }];
}
