import type { Broker, QueueLagReport } from '@eddy/broker';
import { EddyError } from '@eddy/message';

/**
 * Where @eddy/consume's `ConsumerOffsetStore` keeps committed offsets: `<prefix><group>/<topic>/<queueId>`
 * (clustering) and `<prefix><group>/<clientId>/<topic>/<queueId>` (broadcasting). Its constants are
 * not re-exported by @eddy/broker and the layer rules keep this package from importing @eddy/consume,
 * so they are repeated here; the admin-http tests commit offsets through a real broker and would
 * notice a change of layout.
 */
const OFFSET_PREFIXES = ['consume/offset/', 'consume/member-offset/'] as const;

/**
 * Every consumer group the broker knows: those with live members (heartbeats) and those with
 * committed offsets, whose consumers may all be down (when lag matters most). Sorted.
 */
export async function knownGroups(broker: Broker): Promise<string[]> {
  const groups = new Set(broker.groups.groups());
  for (const prefix of OFFSET_PREFIXES) {
    for (const { key } of await broker.store.metadata.scan(prefix)) {
      const end = key.indexOf('/', prefix.length);
      if (end > prefix.length) groups.add(key.slice(prefix.length, end));
    }
  }
  return [...groups].sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));
}

/** True when the group has committed offsets (it is known even with no live member). */
export async function hasCommittedOffsets(broker: Broker, group: string): Promise<boolean> {
  for (const prefix of OFFSET_PREFIXES) {
    if ((await broker.store.metadata.scan(`${prefix}${group}/`, { limit: 1 })).length > 0) return true;
  }
  return false;
}

/**
 * The group's lag on every queue it has committed offsets on, plus every queue of each topic its live
 * members subscribe to (lag counted from where the group would start there), sorted by topic then
 * queue. A subscribed topic the broker does not know is left out rather than failing the report.
 */
export async function groupLag(broker: Broker, group: string): Promise<QueueLagReport[]> {
  const reports = await broker.lag(group);
  const covered = new Set(reports.map((report) => report.topic));
  const subscribed = new Set<string>();
  for (const member of broker.groups.members(group)) {
    for (const subscription of member.subscriptions) subscribed.add(subscription.topic);
  }
  for (const topic of subscribed) {
    if (covered.has(topic)) continue;
    try {
      reports.push(...(await broker.lag(group, topic)));
    } catch (error) {
      if (!EddyError.is(error, 'UNKNOWN_TOPIC')) throw error;
    }
  }
  return reports.sort((left, right) =>
    left.topic < right.topic ? -1 : left.topic > right.topic ? 1 : left.queueId - right.queueId,
  );
}
