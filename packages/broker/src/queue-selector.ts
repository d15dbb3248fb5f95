import { EddyError, type TopicConfig, tagCode } from '@eddy/message';

/**
 * The write queue of a FIFO message group: the 32-bit FNV-1a hash of the group's UTF-8 bytes (as
 * `tagCode` computes it, which maps a hash of 0 to 1), unsigned, modulo the number of write queues.
 * Stable across restarts, processes and languages, so one group always lands in one queue while the
 * topic's write queue count stays the same (changing it moves groups, as in RocketMQ).
 */
export function messageGroupQueueId(messageGroup: string, writeQueueNums: number): number {
  return tagCode(messageGroup) % writeQueueNums;
}

/**
 * Chooses the queue a message is written to:
 * 1. a FIFO message (one with a `messageGroup`) goes to {@link messageGroupQueueId};
 * 2. otherwise an explicit `queueId` is used, which must be below the topic's `writeQueueNums`;
 * 3. otherwise the topic's write queues take turns (round robin per topic, starting at queue 0).
 */
export class QueueSelector {
  // topic → the next round-robin turn (unbounded counter; the modulo is taken at use).
  readonly #turns = new Map<string, number>();

  /** @throws `INVALID_ARGUMENT` for an explicit queue id that is not a write queue of the topic. */
  select(topic: TopicConfig, message: { readonly messageGroup: string | undefined }, queueId?: number): number {
    const count = topic.writeQueueNums;
    if (message.messageGroup !== undefined) return messageGroupQueueId(message.messageGroup, count);
    if (queueId !== undefined) {
      if (!Number.isInteger(queueId) || queueId < 0 || queueId >= count) {
        throw new EddyError(
          'INVALID_ARGUMENT',
          `queue ${String(queueId)} is not a write queue of topic '${topic.name}'; it has ${count} (0…${count - 1})`,
          { details: { topic: topic.name, queueId, writeQueueNums: count } },
        );
      }
      return queueId;
    }
    const turn = this.#turns.get(topic.name) ?? 0;
    this.#turns.set(topic.name, (turn + 1) % 0x7fffffff);
    return turn % count;
  }

  /** Forgets a topic's turn (after it is deleted). */
  forget(topic: string): void {
    this.#turns.delete(topic);
  }
}
