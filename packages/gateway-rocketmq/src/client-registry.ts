import type { Broker, TransactionCheck } from '@eddy/broker';
import type { Clock, Logger, ScheduledTask } from '@eddy/message';
import { messageToWire } from './message-to-wire.js';
import type { WireClientType, WireTelemetryCommand } from './proto/wire-types.js';

/** A client that sent nothing (heartbeats come every 10 s) for this long is taken for gone, ms. */
export const CLIENT_SILENCE_MS = 30_000;
/** A gone client's session is dropped after this much silence, ms (RocketMQ's channel expiry: 120 s). */
export const CLIENT_EXPIRY_MS = 120_000;

/** Where server-initiated commands go: one open Telemetry stream. */
export interface TelemetrySink {
  /** Writes the command; false when the stream has closed. */
  send(command: WireTelemetryCommand): boolean;
}

/** A consumer subscription as `@eddy/consume`'s group registry takes it. */
export interface GroupSubscription {
  readonly topic: string;
  readonly filterType: 'TAG' | 'SQL92';
  readonly expression: string;
}

/** What the gateway knows of one client (by its `x-mq-client-id`). */
export interface ClientSession {
  readonly clientId: string;
  clientType: WireClientType | undefined;
  /** The consumer group, for consumers. */
  group: string | undefined;
  subscriptions: readonly GroupSubscription[];
  /** Clock time of the client's latest call. */
  lastSeen: number;
  /** Open Telemetry streams, newest last. */
  readonly sinks: TelemetrySink[];
  /** Topic → forget function, for each topic the producer registered for check-backs. */
  readonly producerTopics: Map<string, () => void>;
}

/** Options of {@link ClientRegistry}. */
export interface ClientRegistryOptions {
  readonly broker: Broker;
  readonly clock: Clock;
  readonly logger: Logger;
  /** `host:port` written as `store_host` into check-back messages. */
  readonly storeHost: string;
  /** Called with the id of a client that terminated or expired (to stop renewing its messages). */
  readonly onClientGone?: (clientId: string) => void;
}

/**
 * The clients of one gateway, keyed by `x-mq-client-id`: their type, group, subscriptions and open
 * Telemetry streams. It keeps the broker's view of them current:
 *
 * - consumers are members of their group in `broker.groups` (added by settings and heartbeats, removed
 *   by NotifyClientTermination or after {@link CLIENT_EXPIRY_MS} of silence);
 * - producers are registered with `broker.registerProducer` once per topic they publish to, with the
 *   topic as the producer group (RocketMQ 5 has no producer groups; its proxy does the same), so that
 *   transaction check-backs reach them as `recover_orphaned_transaction_command` on their stream.
 */
export class ClientRegistry {
  readonly #broker: Broker;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #storeHost: string;
  readonly #onClientGone: (clientId: string) => void;
  readonly #sessions = new Map<string, ClientSession>();
  #sweep: ScheduledTask | undefined;
  #closed = false;

  constructor(options: ClientRegistryOptions) {
    this.#broker = options.broker;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#storeHost = options.storeHost;
    this.#onClientGone = options.onClientGone ?? (() => {});
    this.#scheduleSweep();
  }

  /** The client's session, made on first sight; records that the client is alive now. */
  touch(clientId: string): ClientSession {
    let session = this.#sessions.get(clientId);
    if (session === undefined) {
      session = {
        clientId,
        clientType: undefined,
        group: undefined,
        subscriptions: [],
        lastSeen: 0,
        sinks: [],
        producerTopics: new Map(),
      };
      this.#sessions.set(clientId, session);
    }
    session.lastSeen = this.#clock.now();
    return session;
  }

  /** True while the client has called within {@link CLIENT_SILENCE_MS}. */
  isAlive(clientId: string): boolean {
    const session = this.#sessions.get(clientId);
    return session !== undefined && this.#clock.now() - session.lastSeen < CLIENT_SILENCE_MS;
  }

  /** Sessions, for tests and admin views. */
  sessions(): readonly ClientSession[] {
    return [...this.#sessions.values()];
  }

  /** Records an open Telemetry stream of the client. */
  attach(clientId: string, sink: TelemetrySink): void {
    this.touch(clientId).sinks.push(sink);
  }

  /** Forgets a closed Telemetry stream. */
  detach(clientId: string, sink: TelemetrySink): void {
    const session = this.#sessions.get(clientId);
    if (session === undefined) return;
    const index = session.sinks.indexOf(sink);
    if (index >= 0) session.sinks.splice(index, 1);
  }

  /**
   * Makes the client a member of its consumer group with its subscriptions (a settings command or a
   * heartbeat). @throws `INVALID_ARGUMENT` from the group registry for subscriptions it refuses.
   */
  joinGroup(clientId: string, group: string, subscriptions?: readonly GroupSubscription[]): void {
    const session = this.touch(clientId);
    if (session.group !== undefined && session.group !== group) {
      this.#broker.groups.unregister(session.group, clientId);
    }
    session.group = group;
    if (subscriptions !== undefined) session.subscriptions = subscriptions;
    this.#broker.groups.heartbeat(group, {
      clientId,
      messageModel: 'CLUSTERING',
      subscriptions: session.subscriptions.map((subscription) => ({ ...subscription })),
    });
  }

  /** Registers the producer for check-backs on exactly these topics (a settings command). */
  publishTo(clientId: string, topics: readonly string[]): void {
    const session = this.touch(clientId);
    const wanted = new Set(topics);
    for (const [topic, forget] of session.producerTopics) {
      if (!wanted.has(topic)) {
        forget();
        session.producerTopics.delete(topic);
      }
    }
    for (const topic of wanted) {
      if (session.producerTopics.has(topic)) continue;
      const forget = this.#broker.registerProducer({
        clientId,
        group: topic,
        topics: [topic],
        checkTransaction: (check) => this.#checkBack(clientId, check),
      });
      session.producerTopics.set(topic, forget);
    }
  }

  /** Forgets a client that said goodbye (NotifyClientTermination) or went silent. */
  terminate(clientId: string): void {
    const session = this.#sessions.get(clientId);
    if (session === undefined) return;
    this.#sessions.delete(clientId);
    for (const forget of session.producerTopics.values()) forget();
    session.producerTopics.clear();
    if (session.group !== undefined) this.#broker.groups.unregister(session.group, clientId);
    this.#onClientGone(clientId);
  }

  /** Forgets every client and stops the expiry sweep. */
  close(): void {
    this.#closed = true;
    this.#sweep?.cancel();
    for (const clientId of [...this.#sessions.keys()]) this.terminate(clientId);
  }

  #checkBack(clientId: string, check: TransactionCheck): void {
    const sink = this.#sessions.get(clientId)?.sinks.at(-1);
    // No open stream: the broker asks again at its next check interval, maybe another producer.
    if (sink === undefined) return;
    try {
      sink.send({
        recoverOrphanedTransactionCommand: {
          message: messageToWire(check.message, this.#storeHost),
          transactionId: check.transactionId,
        },
      });
    } catch (error) {
      this.#logger.warn('rocketmq gateway: could not send a transaction check-back', {
        clientId,
        transactionId: check.transactionId,
        error: String(error),
      });
    }
  }

  #scheduleSweep(): void {
    if (this.#closed) return;
    this.#sweep = this.#clock.schedule(CLIENT_SILENCE_MS, () => {
      const now = this.#clock.now();
      for (const session of [...this.#sessions.values()]) {
        if (now - session.lastSeen >= CLIENT_EXPIRY_MS && session.sinks.length === 0) {
          this.terminate(session.clientId);
        }
      }
      this.#scheduleSweep();
    });
  }
}
