import type { Broker } from '@eddy/broker';
import type { Logger } from '@eddy/message';
import type { ClientRegistry } from './client-registry.js';
import type { ClusterRouteLookup } from './cluster-route.js';
import type { InvisibilityRenewer } from './invisibility-renewer.js';
import type { AdvertisedBroker } from './route.js';

/** What every handler works with: the broker and the gateway's own state. */
export interface GatewayContext {
  readonly broker: Broker;
  readonly logger: Logger;
  /** This broker as routes advertise it. */
  readonly advertised: AdvertisedBroker;
  /** The topic's queues on the other brokers (never rejects); absent when this broker is the whole cluster. */
  readonly clusterRoute: ClusterRouteLookup | undefined;
  readonly clients: ClientRegistry;
  readonly renewer: InvisibilityRenewer;
  /** The longest a receive waits for messages, ms (config `maxLongPollingMs`). */
  readonly maxLongPollingMs: number;
  /** Ends every open Telemetry stream (on close), each registered by its handler. */
  readonly openStreams: Set<() => void>;
}

/** What a handler needs to know about the call it serves. */
export interface CallInfo {
  /** The `x-mq-client-id` header; `undefined` when the client sent none. */
  readonly clientId: string | undefined;
  /** The client's address, without the port. */
  readonly peerHost: string;
  /** Milliseconds until the client's deadline; `Infinity` when it set none. */
  readonly deadlineInMs: number;
  /** True once the client cancelled the call or its deadline passed. */
  readonly cancelled: () => boolean;
}

/** `host:port` of the advertised broker, as `store_host` and gateway endpoint. */
export function endpointOf(advertised: AdvertisedBroker): string {
  return advertised.host.includes(':')
    ? `[${advertised.host}]:${advertised.port}`
    : `${advertised.host}:${advertised.port}`;
}
