import {
  type AckResult,
  type ChangeInvisibleDurationResult,
  createMessageFilter,
  type FilterExpression,
} from '@eddy/consume';
import { EddyError, type ScheduledTask, validateGroupName } from '@eddy/message';
import type { ClientContext } from './client-context.js';
import type { InProcessSimpleConsumer, InProcessSimpleConsumerOptions, ReceivedMessage } from './types.js';

/** How often an idle simple consumer heartbeats (RocketMQ's client heartbeat). */
export const SIMPLE_CONSUMER_HEARTBEAT_MS = 30_000;
/** Messages a receive asks for when not told. */
export const DEFAULT_RECEIVE_MAX_MESSAGES = 16;
/** Invisible time of a receive when not told (RocketMQ's examples use 30 s). */
export const DEFAULT_INVISIBLE_DURATION_MS = 30_000;

/**
 * A RocketMQ 5 style simple consumer inside the broker's process: receive pops with the subscription's
 * filter, ack and change of invisible time go by the message received. It is a CLUSTERING member of its
 * group in the consumer group registry, heartbeating on every receive and every 30 s.
 *
 * With several subscriptions and no `topic` given, a receive tries the topics in turn (starting one
 * further each time) and long-polls only the last one tried.
 */
export class InProcessSimpleConsumerClient implements InProcessSimpleConsumer {
  readonly clientId: string;
  readonly group: string;
  readonly #context: ClientContext;
  readonly #filters: ReadonlyMap<string, FilterExpression>;
  readonly #fifo: boolean;
  // A message's current handle once its invisible time was changed (the one it carries is then stale).
  readonly #handles = new WeakMap<ReceivedMessage, string>();
  #turn = 0;
  #heartbeatTask: ScheduledTask | undefined;
  #closed = false;

  /** @throws `INVALID_NAME` for a bad group; `INVALID_ARGUMENT` without subscriptions; `INVALID_FILTER`. */
  constructor(context: ClientContext, options: InProcessSimpleConsumerOptions) {
    const groupError = validateGroupName(options.group, { system: true });
    if (groupError !== undefined) throw groupError;
    const filters = new Map<string, FilterExpression>();
    for (const [topic, subscription] of Object.entries(options.subscriptions)) {
      const filter: FilterExpression =
        typeof subscription === 'string' ? { type: 'TAG', expression: subscription } : subscription;
      createMessageFilter(filter);
      filters.set(topic, filter);
    }
    if (filters.size === 0) {
      throw new EddyError('INVALID_ARGUMENT', `simple consumer of group '${options.group}' subscribes to no topic`);
    }
    this.#context = context;
    this.group = options.group;
    this.clientId = context.nextClientId('simple-consumer');
    this.#filters = filters;
    this.#fifo = options.fifo ?? false;
    this.#heartbeat();
    this.#scheduleHeartbeat();
  }

  async receive(
    options: {
      readonly topic?: string;
      readonly maxMessages?: number;
      readonly invisibleDurationMs?: number;
      readonly waitMs?: number;
    } = {},
  ): Promise<ReceivedMessage[]> {
    this.#checkOpen();
    this.#heartbeat();
    const topics = this.#topicsFor(options.topic);
    for (let index = 0; index < topics.length; index++) {
      const topic = topics[index] as string;
      const last = index === topics.length - 1;
      const { messages } = await this.#context.broker.pop({
        group: this.group,
        topic,
        clientId: this.clientId,
        maxMessages: options.maxMessages ?? DEFAULT_RECEIVE_MAX_MESSAGES,
        invisibleDurationMs: options.invisibleDurationMs ?? DEFAULT_INVISIBLE_DURATION_MS,
        filter: this.#filters.get(topic) as FilterExpression,
        pollTimeoutMs: last ? (options.waitMs ?? 0) : 0,
        fifo: this.#fifo,
      });
      if (messages.length > 0) {
        return messages.map(({ message, receiptHandle, deliveryAttempt }) => ({
          ...message,
          receiptHandle,
          deliveryAttempt,
        }));
      }
    }
    return [];
  }

  async ack(message: ReceivedMessage): Promise<AckResult> {
    const result = await this.#context.broker.ack(this.group, message.topic, this.#handleOf(message));
    if (result.status === 'ok') this.#handles.delete(message);
    return result;
  }

  async changeInvisibleDuration(
    message: ReceivedMessage,
    invisibleDurationMs: number,
  ): Promise<ChangeInvisibleDurationResult> {
    const result = await this.#context.broker.changeInvisibleDuration(
      this.group,
      message.topic,
      this.#handleOf(message),
      invisibleDurationMs,
    );
    if (result.status === 'ok') this.#handles.set(message, result.receiptHandle);
    return result;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#heartbeatTask?.cancel();
    this.#heartbeatTask = undefined;
    this.#context.groups.unregister(this.group, this.clientId);
  }

  #handleOf(message: ReceivedMessage): string {
    return this.#handles.get(message) ?? message.receiptHandle;
  }

  #topicsFor(topic: string | undefined): string[] {
    if (topic !== undefined) {
      if (!this.#filters.has(topic)) {
        throw new EddyError(
          'INVALID_ARGUMENT',
          `simple consumer '${this.clientId}' of group '${this.group}' does not subscribe to topic '${topic}'`,
        );
      }
      return [topic];
    }
    const topics = [...this.#filters.keys()];
    const start = this.#turn++ % topics.length;
    return [...topics.slice(start), ...topics.slice(0, start)];
  }

  #heartbeat(): void {
    this.#context.groups.heartbeat(this.group, {
      clientId: this.clientId,
      messageModel: 'CLUSTERING',
      subscriptions: [...this.#filters].map(([topic, { type, expression }]) => ({
        topic,
        filterType: type,
        expression,
      })),
    });
  }

  #scheduleHeartbeat(): void {
    this.#heartbeatTask = this.#context.clock.schedule(SIMPLE_CONSUMER_HEARTBEAT_MS, () => {
      if (this.#closed) return;
      this.#heartbeat();
      this.#scheduleHeartbeat();
    });
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new EddyError('INVALID_ARGUMENT', `simple consumer '${this.clientId}' of group '${this.group}' is closed`);
    }
  }
}
