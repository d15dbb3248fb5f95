/** RocketMQ's permission bits on a topic or broker. */
export const Permission = {
  PRIORITY: 8,
  READ: 4,
  WRITE: 2,
  INHERIT: 1,
} as const;

/** Read and write: the default permission of a topic. */
export const DEFAULT_PERMISSION = Permission.READ | Permission.WRITE;

/** The kinds of message a topic accepts (RocketMQ 5's `message.type` topic attribute). */
export const TOPIC_MESSAGE_TYPES = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION', 'MIXED'] as const;

/** One of {@link TOPIC_MESSAGE_TYPES}. */
export type TopicMessageType = (typeof TOPIC_MESSAGE_TYPES)[number];

/** A topic's configuration, as the broker keeps it and the name server publishes it. */
export interface TopicConfig {
  /** The topic name. */
  readonly name: string;
  /** Queues consumers read from. */
  readonly readQueueNums: number;
  /** Queues producers write to. */
  readonly writeQueueNums: number;
  /** {@link Permission} bits. */
  readonly perm: number;
  /** Which messages the topic accepts; `MIXED` accepts all. */
  readonly messageType: TopicMessageType;
  /** How long messages are kept, in ms; `undefined` means the broker's default. */
  readonly retentionMs: number | undefined;
}
