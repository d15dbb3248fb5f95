import type { ConsumerGroupRegistry } from '@eddy/consume';
import type { Clock, Logger } from '@eddy/message';
import type { Broker } from './types.js';

/** What the in-process clients of one broker share: its public API plus a little bookkeeping. */
export interface ClientContext {
  readonly broker: Broker;
  readonly groups: ConsumerGroupRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
  /** A client id unique within the broker, e.g. `producer-3@broker-a`. */
  nextClientId(kind: 'producer' | 'simple-consumer' | 'push-consumer'): string;
  /** Work started by a client that the broker's `whenIdle` and `close` wait for. */
  track(task: Promise<unknown>): void;
}
