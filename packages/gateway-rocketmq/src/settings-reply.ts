import type { WireRetryPolicy, WireSettings } from './proto/wire-types.js';
import { msToDuration } from './time.js';

/** Messages a push consumer asks for per receive (RocketMQ's proxy: 32). */
export const RECEIVE_BATCH_SIZE = 32;
/** The longest a receive is held waiting for messages by default, ms (RocketMQ's proxy: 20 s). */
export const DEFAULT_MAX_LONG_POLLING_MS = 20_000;

/**
 * Producer retries, as RocketMQ's proxy sets them: 3 attempts, exponential backoff 10 ms → 1 s. The
 * Node client requires the exponential strategy here (it asserts it) and reads whole seconds only.
 */
export const PRODUCER_BACKOFF: WireRetryPolicy = Object.freeze({
  maxAttempts: 3,
  exponentialBackoff: { initial: msToDuration(10), max: msToDuration(1000), multiplier: 2 },
});

/**
 * Consumer redelivery: 17 attempts (RocketMQ's 16 retries + the first delivery), exponential 1 s → 2 h.
 * Exponential, not RocketMQ's default customized table: the Node push consumer ignores any other
 * strategy, which would leave FIFO consumers one attempt before the dead-letter queue.
 */
export const CONSUMER_BACKOFF: WireRetryPolicy = Object.freeze({
  maxAttempts: 17,
  exponentialBackoff: { initial: msToDuration(1000), max: msToDuration(7_200_000), multiplier: 2 },
});

/** Server-side values that go into a settings reply. */
export interface ServerSettings {
  /** Largest message body, bytes (the broker's `maxMessageSize`). */
  readonly maxBodySize: number;
  /** Whether the consumer's group consumes in order (push consumers pick their consume service by it). */
  readonly fifo: boolean;
  /** The long-polling time push consumers are told to ask for, ms. */
  readonly longPollingMs: number;
}

/**
 * The reply to a client's `Settings` on the Telemetry stream: the client's own settings completed with
 * the server's. Every client waits for this reply before `startup()` resolves (without a timeout).
 *
 * - Producers get `publishing` with `max_body_size` (0 would make the client refuse every message),
 *   `validate_message_type` true, and the exponential {@link PRODUCER_BACKOFF}.
 * - Consumers get `subscription` with `fifo`, `receive_batch_size` ({@link RECEIVE_BATCH_SIZE}: the
 *   push consumer would otherwise ask for 0 messages), `long_polling_timeout` (the gateway's
 *   longest, 20 s by default) and {@link CONSUMER_BACKOFF}.
 *
 * @returns `undefined` for a client type this gateway does not serve.
 */
export function settingsReply(client: WireSettings, server: ServerSettings): WireSettings | undefined {
  const common: WireSettings = {
    clientType: client.clientType,
    requestTimeout: client.requestTimeout,
  };
  if (client.accessPoint !== undefined) common.accessPoint = client.accessPoint;
  if (client.userAgent !== undefined) common.userAgent = client.userAgent;
  switch (client.clientType) {
    case 'PRODUCER':
      return {
        ...common,
        backoffPolicy: PRODUCER_BACKOFF,
        publishing: {
          topics: client.publishing?.topics ?? [],
          maxBodySize: server.maxBodySize,
          validateMessageType: true,
        },
      };
    case 'PUSH_CONSUMER':
    case 'SIMPLE_CONSUMER':
      return {
        ...common,
        backoffPolicy: CONSUMER_BACKOFF,
        subscription: {
          group: client.subscription?.group,
          subscriptions: client.subscription?.subscriptions ?? [],
          fifo: server.fifo,
          receiveBatchSize: RECEIVE_BATCH_SIZE,
          longPollingTimeout: msToDuration(server.longPollingMs),
        },
      };
    default:
      return undefined;
  }
}
