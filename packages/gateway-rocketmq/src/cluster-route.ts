import type { Logger, TopicConfig, TopicMessageType } from '@eddy/message';
import type { GatewayContext } from './gateway-context.js';
import type { AdvertisedBroker } from './route.js';

/**
 * A topic's queues on every live broker, as a name server knows them: the shape of `TopicRouteData`
 * from `@eddy/routing`, reduced to what routes need, so that a name server's answer passes as it is.
 */
export interface ClusterTopicRoute {
  /** One entry per broker holding the topic. */
  readonly queueDatas: readonly {
    readonly brokerName: string;
    readonly readQueueNums: number;
    readonly writeQueueNums: number;
    /** `Permission` bits of the topic on that broker. */
    readonly perm: number;
    readonly messageType: TopicMessageType;
  }[];
  /** The brokers of `queueDatas`, each with its gRPC endpoint (`host:port`, IPv6 in brackets). */
  readonly brokerDatas: readonly { readonly brokerName: string; readonly endpoints: { readonly grpc?: string } }[];
}

/**
 * Where the gateway learns the other brokers of a topic: resolves `undefined` when no live broker holds
 * it; rejects when the route is not known (e.g. no name server answered).
 */
export type ClusterRouteLookup = (topic: string) => Promise<ClusterTopicRoute | undefined>;

/** The topic as one broker holds it, and where clients reach that broker. */
export interface TopicPlacement {
  readonly config: TopicConfig;
  readonly broker: AdvertisedBroker;
}

// host:port or [v6]:port, as brokers register their gRPC endpoint.
const ENDPOINT = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):([0-9]{1,5})$/;

function parseEndpoint(endpoint: string | undefined): { host: string; port: number } | undefined {
  const match = endpoint === undefined ? null : ENDPOINT.exec(endpoint);
  if (match === null) return undefined;
  const port = Number(match[3]);
  return port >= 1 && port <= 65535 ? { host: (match[1] ?? match[2]) as string, port } : undefined;
}

/**
 * Where a topic lives: this broker's own config (when it holds the topic) and, from the cluster's
 * route, every other broker that holds it and registered a gRPC endpoint, sorted by broker name so
 * that every broker answers alike. This broker's entry always comes from its own config, the freshest
 * truth, even before its next registration reaches the name servers.
 */
export function topicPlacements(
  topic: string,
  local: TopicConfig | undefined,
  route: ClusterTopicRoute | undefined,
  self: AdvertisedBroker,
): TopicPlacement[] {
  const placements: TopicPlacement[] = local === undefined ? [] : [{ config: local, broker: self }];
  for (const queues of route?.queueDatas ?? []) {
    if (queues.brokerName === self.name) continue;
    const data = route?.brokerDatas.find((broker) => broker.brokerName === queues.brokerName);
    const endpoint = parseEndpoint(data?.endpoints.grpc);
    if (endpoint === undefined) continue;
    const { readQueueNums, writeQueueNums, perm, messageType } = queues;
    placements.push({
      config: { name: topic, readQueueNums, writeQueueNums, perm, messageType, retentionMs: undefined },
      broker: { name: queues.brokerName, ...endpoint },
    });
  }
  // Code-unit order, the same in every process and locale.
  return placements.sort((a, b) => (a.broker.name < b.broker.name ? -1 : a.broker.name > b.broker.name ? 1 : 0));
}

/**
 * The placements of `topic` as routes show them (see {@link topicPlacements}). When no broker holds it,
 * it is resolved on this broker alone: created there when the broker auto-creates topics, as a single
 * broker does.
 *
 * @throws `UNKNOWN_TOPIC` when no broker holds it and it may not be created here.
 */
export async function resolvePlacements(context: GatewayContext, topic: string): Promise<TopicPlacement[]> {
  const [local, route] = await Promise.all([context.broker.topics.get(topic), context.clusterRoute?.(topic)]);
  const placements = topicPlacements(topic, local, route, context.advertised);
  if (placements.length > 0) return placements;
  return [{ config: await context.broker.topics.resolve(topic), broker: context.advertised }];
}

/**
 * `lookup` made to never reject: a failure reads as "nothing known", so routes fall back to this broker
 * alone. Logged once when lookups start failing and once when they work again, not per call.
 */
export function tolerantLookup(lookup: ClusterRouteLookup, logger: Logger): ClusterRouteLookup {
  let failing = false;
  return (topic) =>
    lookup(topic).then(
      (route) => {
        if (failing) logger.info('rocketmq gateway: cluster routes are known again');
        failing = false;
        return route;
      },
      (error: unknown) => {
        if (!failing)
          logger.warn('rocketmq gateway: cluster routes unknown; routes name this broker only', {
            error: String(error),
          });
        failing = true;
        return undefined;
      },
    );
}
