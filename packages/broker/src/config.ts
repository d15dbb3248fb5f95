import { DEFAULT_DELAY_LEVELS } from '@eddy/consume';
import { DEFAULT_MESSAGE_LIMITS } from '@eddy/message';
import { z } from 'zod';

/**
 * The broker's configuration. Defaults are RocketMQ's where RocketMQ has one; every field is validated
 * and errors name the field.
 */
export const BrokerConfigSchema = z
  .object({
    /** The broker's name in routes (RocketMQ `brokerName`). */
    brokerName: z.string().min(1).max(127).default('broker-a'),
    /** RocketMQ `brokerClusterName`. */
    clusterName: z.string().min(1).max(127).default('DefaultCluster'),
    /** Create unknown topics on first use (RocketMQ `autoCreateTopicEnable`, Kafka `auto.create.topics.enable`). */
    autoCreateTopics: z.boolean().default(true),
    /** Read and write queues of an auto-created topic. */
    defaultQueueCount: z.number().int().min(1).max(1024).default(4),
    /** Largest message body accepted, bytes. */
    maxMessageSize: z
      .number()
      .int()
      .min(1)
      .max(DEFAULT_MESSAGE_LIMITS.maxBodySize * 16)
      .default(DEFAULT_MESSAGE_LIMITS.maxBodySize),
    /** RocketMQ `messageDelayLevel`. */
    delayLevels: z.string().default(DEFAULT_DELAY_LEVELS),
    /** How far ahead a timer message may be due, ms (the RocketMQ 5 proxy's `maxDelayTimeMills`, 1 day). */
    timerMaxDelayMs: z
      .number()
      .int()
      .min(1000)
      .max(365 * 86_400_000)
      .default(86_400_000),
    /** A half message unresolved for this long is checked back (RocketMQ `transactionTimeOut`). */
    transactionTimeoutMs: z.number().int().min(1).default(6000),
    /** How often unresolved half messages are checked back (`transactionCheckInterval`). */
    transactionCheckIntervalMs: z.number().int().min(1).default(60_000),
    /** Check-backs before a half message is rolled back (`transactionCheckMax`). */
    transactionMaxChecks: z.number().int().min(1).default(15),
    /**
     * Where a consumer group starts popping a queue it has never consumed. `FIRST_OFFSET` (default)
     * delivers what was sent before the group's first receive, as RocketMQ does on a new topic (its
     * broker starts at 0 while the queue's first message is still in memory); `LAST_OFFSET` skips it.
     */
    popConsumeFromWhere: z.enum(['FIRST_OFFSET', 'LAST_OFFSET']).default('FIRST_OFFSET'),
    /** Name servers to register with, `host:port`; empty means the app runs an embedded one. */
    nameServers: z.array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port')).default([]),
  })
  .strict();

/** A parsed broker configuration. */
export type BrokerConfig = z.output<typeof BrokerConfigSchema>;
