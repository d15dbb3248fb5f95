import { EddyError } from '@eddy/message';
import type { GroupSubscription } from '../client-registry.js';
import { isServerFault, statusOfError } from '../error-status.js';
import { filterFromWire } from '../filter.js';
import type { GatewayContext } from '../gateway-context.js';
import type { WireSettings, WireTelemetryCommand } from '../proto/wire-types.js';
import { groupName } from '../resource-names.js';
import { settingsReply } from '../settings-reply.js';
import { OK_STATUS, statusOf } from '../status.js';

/**
 * What the gateway does with a client's `Settings` (sent when a Telemetry stream opens, again every
 * 5 minutes, and after each reconnect) and the command it answers with: the full settings
 * (`settingsReply`), or a status alone when it refuses them, which makes the client's `startup()`
 * fail with that status instead of waiting forever.
 *
 * - A producer is registered for transaction check-backs on each topic of `publishing.topics`.
 * - A consumer joins its group with its subscriptions; it is FIFO (`subscription.fifo`) when one of
 *   its topics is typed FIFO (Eddy has no per-group "orderly" setting; the topic type decides).
 */
export async function applySettings(
  context: GatewayContext,
  clientId: string,
  settings: WireSettings,
): Promise<WireTelemetryCommand> {
  const { broker, clients } = context;
  const session = clients.touch(clientId);
  try {
    switch (settings.clientType) {
      case 'PRODUCER': {
        session.clientType = 'PRODUCER';
        const topics = (settings.publishing?.topics ?? [])
          .map((topic) => topic.name ?? '')
          .filter((name) => name !== '');
        clients.publishTo(clientId, topics);
        const reply = settingsReply(settings, {
          maxBodySize: broker.config.maxMessageSize,
          fifo: false,
          longPollingMs: context.maxLongPollingMs,
        });
        return { status: OK_STATUS, settings: reply };
      }
      case 'PUSH_CONSUMER':
      case 'SIMPLE_CONSUMER': {
        session.clientType = settings.clientType;
        const group = groupName(settings.subscription?.group);
        if ('status' in group) return { status: group.status };
        const subscriptions: GroupSubscription[] = [];
        for (const entry of settings.subscription?.subscriptions ?? []) {
          const topic = entry.topic?.name ?? '';
          if (topic === '') continue;
          const filter = filterFromWire(entry.expression);
          subscriptions.push({ topic, filterType: filter.type, expression: filter.expression });
        }
        clients.joinGroup(clientId, group.name, subscriptions);
        let fifo = false;
        for (const { topic } of subscriptions) {
          if ((await broker.topics.get(topic))?.messageType === 'FIFO') fifo = true;
        }
        return {
          status: OK_STATUS,
          settings: settingsReply(settings, {
            maxBodySize: broker.config.maxMessageSize,
            fifo,
            longPollingMs: context.maxLongPollingMs,
          }),
        };
      }
      default:
        return {
          status: statusOf('UNRECOGNIZED_CLIENT_TYPE', `client type ${String(settings.clientType)} is not served here`),
        };
    }
  } catch (error) {
    if (isServerFault(error)) {
      context.logger.error('rocketmq gateway: could not apply client settings', { clientId, error: String(error) });
    }
    return {
      status: EddyError.is(error) ? statusOfError(error) : statusOf('INTERNAL_ERROR', 'could not apply settings'),
    };
  }
}
