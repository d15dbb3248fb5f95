import type { Broker } from '@eddy/broker';
import type { Clock, Logger, ScheduledTask } from '@eddy/message';

/** Renew this long before the invisible time ends, ms (RocketMQ's proxy: 10 s). */
export const RENEW_AHEAD_MS = 10_000;
/** Stop renewing a message after this long, ms (RocketMQ's proxy: 3 h); it is then delivered again. */
export const MAX_RENEW_MS = 3 * 60 * 60 * 1000;

/** Options of {@link InvisibilityRenewer}. */
export interface InvisibilityRenewerOptions {
  readonly broker: Broker;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Each renewal extends the invisible time by this much, ms. */
  readonly invisibleMs: number;
  /** False once the client is gone: its messages are then left to become visible again. */
  readonly isAlive: (clientId: string) => boolean;
}

interface Renewal {
  readonly clientId: string;
  readonly group: string;
  readonly topic: string;
  readonly startedAt: number;
  /** The broker's handle of the delivery now; renewals replace it. */
  current: string;
  task: ScheduledTask | undefined;
  /** A renewal in flight; settled before the handle is handed out. */
  pending: Promise<void>;
  stopped: boolean;
}

/**
 * Keeps messages received with `auto_renew` (push consumers) invisible while their consumer is alive,
 * as RocketMQ's proxy does: RENEW_AHEAD_MS before the invisible time ends, the broker extends it by
 * `invisibleMs`, at most for MAX_RENEW_MS in all.
 *
 * The broker gives each renewal a new receipt handle and invalidates the old one, but push consumers
 * ack (or nack, or dead-letter) with the handle of the original delivery. So renewals are keyed by that
 * original handle, and {@link InvisibilityRenewer.settle} turns it into the current one.
 */
export class InvisibilityRenewer {
  readonly #broker: Broker;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #invisibleMs: number;
  readonly #isAlive: (clientId: string) => boolean;
  readonly #renewals = new Map<string, Renewal>();

  constructor(options: InvisibilityRenewerOptions) {
    this.#broker = options.broker;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#invisibleMs = options.invisibleMs;
    this.#isAlive = options.isAlive;
  }

  /** Messages being renewed now. */
  get size(): number {
    return this.#renewals.size;
  }

  /** Starts renewing one delivery; `invisibleUntil` is when it would become visible (clock time). */
  track(clientId: string, group: string, topic: string, receiptHandle: string, invisibleUntil: number): void {
    const renewal: Renewal = {
      clientId,
      group,
      topic,
      startedAt: this.#clock.now(),
      current: receiptHandle,
      task: undefined,
      pending: Promise.resolve(),
      stopped: false,
    };
    this.#renewals.set(receiptHandle, renewal);
    this.#schedule(receiptHandle, renewal, invisibleUntil);
  }

  /**
   * Stops renewing the delivery a client's handle names and returns the handle to pass to the broker:
   * the latest renewal's, or the given one when it is not renewed here.
   */
  async settle(receiptHandle: string): Promise<string> {
    const renewal = this.#renewals.get(receiptHandle);
    if (renewal === undefined) return receiptHandle;
    this.#stop(receiptHandle, renewal);
    await renewal.pending;
    return renewal.current;
  }

  /** Stops renewing a client's messages (it terminated or went silent); they become visible in time. */
  forgetClient(clientId: string): void {
    for (const [handle, renewal] of this.#renewals) {
      if (renewal.clientId === clientId) this.#stop(handle, renewal);
    }
  }

  /** Stops every renewal. */
  close(): void {
    for (const [handle, renewal] of this.#renewals) this.#stop(handle, renewal);
  }

  #stop(handle: string, renewal: Renewal): void {
    renewal.stopped = true;
    renewal.task?.cancel();
    this.#renewals.delete(handle);
  }

  #schedule(handle: string, renewal: Renewal, invisibleUntil: number): void {
    const delay = Math.max(0, invisibleUntil - RENEW_AHEAD_MS - this.#clock.now());
    renewal.task = this.#clock.schedule(delay, () => {
      if (renewal.stopped) return;
      if (!this.#isAlive(renewal.clientId) || this.#clock.now() - renewal.startedAt >= MAX_RENEW_MS) {
        this.#stop(handle, renewal);
        return;
      }
      renewal.pending = this.#renew(handle, renewal);
    });
  }

  async #renew(handle: string, renewal: Renewal): Promise<void> {
    try {
      const result = await this.#broker.changeInvisibleDuration(
        renewal.group,
        renewal.topic,
        renewal.current,
        this.#invisibleMs,
      );
      if (result.status !== 'ok') {
        // Acked meanwhile through another path, or expired: nothing left to keep invisible.
        this.#stop(handle, renewal);
        return;
      }
      renewal.current = result.receiptHandle;
      if (!renewal.stopped) this.#schedule(handle, renewal, this.#clock.now() + this.#invisibleMs);
    } catch (error) {
      this.#logger.warn('rocketmq gateway: could not renew an invisible time', {
        group: renewal.group,
        topic: renewal.topic,
        error: String(error),
      });
      this.#stop(handle, renewal);
    }
  }
}
