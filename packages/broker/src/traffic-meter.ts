import type { Message } from '@eddy/message';
import type { TopicTraffic } from './types.js';

interface Counters {
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
}

/**
 * Message and body-byte counters per topic, since the broker was made (not durable: a metrics
 * endpoint reports rates, and a restart starts them again like any process counter).
 */
export class TrafficMeter {
  readonly #topics = new Map<string, Counters>();

  /** Counts a message accepted for `topic` (its real topic, whatever system topic holds it meanwhile). */
  countIn(topic: string, message: Message): void {
    const counters = this.#counters(topic);
    counters.messagesIn++;
    counters.bytesIn += message.body.byteLength;
  }

  /** Counts an encoded batch of `count` messages, `bytes` long, received for `topic`. */
  countBatchIn(topic: string, count: number, bytes: number): void {
    const counters = this.#counters(topic);
    counters.messagesIn += count;
    counters.bytesIn += bytes;
  }

  /** Counts messages handed to consumers of `topic`. */
  countOut(topic: string, messages: readonly Message[]): void {
    if (messages.length === 0) return;
    const counters = this.#counters(topic);
    counters.messagesOut += messages.length;
    for (const message of messages) counters.bytesOut += message.body.byteLength;
  }

  /** A copy of every topic's counters. */
  snapshot(): Record<string, TopicTraffic> {
    const snapshot: Record<string, TopicTraffic> = {};
    for (const [topic, counters] of this.#topics) snapshot[topic] = { ...counters };
    return snapshot;
  }

  #counters(topic: string): Counters {
    let counters = this.#topics.get(topic);
    if (counters === undefined) {
      counters = { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 };
      this.#topics.set(topic, counters);
    }
    return counters;
  }
}
