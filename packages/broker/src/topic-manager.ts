import {
  DEFAULT_PERMISSION,
  DLQ_TOPIC_PREFIX,
  EddyError,
  isSystemName,
  type Logger,
  QueueCountSchema,
  RETRY_TOPIC_PREFIX,
  SystemTopic,
  TOPIC_MESSAGE_TYPES,
  type TopicConfig,
  validateTopicName,
} from '@eddy/message';
import { decodeJsonValue, encodeJsonValue, type MessageStore, type MetadataStore } from '@eddy/store';
import { z } from 'zod';
import { parseArgument } from './parse-argument.js';
import type { TopicDeletedListener, TopicInit, TopicManager, TopicPatch } from './types.js';

/** Prefix of the metadata keys holding topic configs: `broker/topic/<name>` → the config as JSON. */
export const TOPIC_CONFIG_PREFIX = 'broker/topic/';

const PermSchema = z.number().int().min(0).max(15);
const RetentionSchema = z.number().int().positive().optional();

const TopicPatchSchema = z
  .object({
    queueCount: QueueCountSchema.optional(),
    readQueueNums: QueueCountSchema.optional(),
    writeQueueNums: QueueCountSchema.optional(),
    perm: PermSchema.optional(),
    messageType: z.enum(TOPIC_MESSAGE_TYPES).optional(),
    retentionMs: RetentionSchema,
  })
  .strict();

const TopicInitSchema = TopicPatchSchema.extend({ name: z.string() }).strict();

const StoredTopicSchema = z.object({
  name: z.string().min(1),
  readQueueNums: QueueCountSchema,
  writeQueueNums: QueueCountSchema,
  perm: PermSchema,
  messageType: z.enum(TOPIC_MESSAGE_TYPES),
  retentionMs: RetentionSchema,
});

/** What {@link DurableTopicManager} needs. */
export interface TopicManagerOptions {
  readonly store: MessageStore;
  /** Where configs are kept. Default: `store.metadata`. */
  readonly metadata?: MetadataStore;
  /** Queues of a topic created without counts (config `defaultQueueCount`). */
  readonly defaultQueueCount: number;
  /** Config `autoCreateTopics`. */
  readonly autoCreateTopics: boolean;
  /** How many delay levels there are: `SCHEDULE_TOPIC_XXXX` has one queue per level. */
  readonly delayLevelCount: number;
  readonly logger: Logger;
}

/**
 * Topic configs, durable in store metadata under {@link TOPIC_CONFIG_PREFIX} and cached in memory
 * (loaded on first use; this instance owns the key range). Writes run one at a time, so an
 * auto-create racing an admin create makes one topic, not two different ones.
 *
 * System topics (`%RETRY%…`, `%DLQ%…`, `RMQ_SYS_…`, `SCHEDULE_TOPIC_XXXX`, other reserved names)
 * have no stored config: {@link DurableTopicManager.resolve} makes one up, read-write, with one queue
 * for retry, dead-letter, half and timer topics (RocketMQ's counts), one per delay level for the
 * schedule topic, and `defaultQueueCount` for the rest.
 */
export class DurableTopicManager implements TopicManager {
  readonly #store: MessageStore;
  readonly #metadata: MetadataStore;
  readonly #options: TopicManagerOptions;
  #loading: Promise<Map<string, TopicConfig>> | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  readonly #deletedListeners = new Set<TopicDeletedListener>();

  constructor(options: TopicManagerOptions) {
    this.#store = options.store;
    this.#metadata = options.metadata ?? options.store.metadata;
    this.#options = options;
  }

  async get(name: string): Promise<TopicConfig | undefined> {
    return (await this.#configs()).get(name);
  }

  async list(): Promise<TopicConfig[]> {
    return [...(await this.#configs()).values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  create(init: TopicInit): Promise<TopicConfig> {
    return this.#serially(async () => {
      const config = this.#newConfig(init);
      const configs = await this.#configs();
      if (configs.has(config.name)) {
        throw new EddyError('TOPIC_EXISTS', `topic '${config.name}' already exists`, {
          details: { topic: config.name },
        });
      }
      await this.#save(configs, config);
      return config;
    });
  }

  update(name: string, patch: TopicPatch): Promise<TopicConfig> {
    return this.#serially(async () => {
      const configs = await this.#configs();
      const current = configs.get(name);
      if (current === undefined) throw unknownTopic(name, 'it cannot be updated');
      const parsed = parseArgument(TopicPatchSchema, patch, `patch of topic '${name}'`);
      const config: TopicConfig = {
        name,
        readQueueNums: parsed.readQueueNums ?? parsed.queueCount ?? current.readQueueNums,
        writeQueueNums: parsed.writeQueueNums ?? parsed.queueCount ?? current.writeQueueNums,
        perm: parsed.perm ?? current.perm,
        messageType: parsed.messageType ?? current.messageType,
        retentionMs: 'retentionMs' in patch ? parsed.retentionMs : current.retentionMs,
      };
      await this.#save(configs, config);
      return config;
    });
  }

  delete(name: string): Promise<boolean> {
    return this.#serially(async () => {
      const configs = await this.#configs();
      const configured = configs.has(name);
      if (configured) {
        await this.#metadata.delete(topicKey(name));
        configs.delete(name);
      }
      const stored = await this.#store.deleteTopic(name);
      await this.#notifyDeleted(name);
      return configured || stored;
    });
  }

  /**
   * Registers a clean-up to run after every {@link delete} that removed the config and messages, whether
   * or not the topic existed (so deleting again finishes a clean-up a crash cut short). Listeners run in
   * registration order inside the delete, before any create or update of a topic may run.
   *
   * @returns a function that unregisters the listener.
   */
  onDeleted(listener: TopicDeletedListener): () => void {
    // A wrapper, so that registering one function twice makes two registrations.
    const entry: TopicDeletedListener = (topic) => listener(topic);
    this.#deletedListeners.add(entry);
    return () => {
      this.#deletedListeners.delete(entry);
    };
  }

  // Runs every listener; a failure is logged and, once all ran, fails the delete (retrying it is safe).
  async #notifyDeleted(name: string): Promise<void> {
    const errors: unknown[] = [];
    for (const listener of [...this.#deletedListeners]) {
      try {
        await listener(name);
      } catch (error) {
        this.#options.logger.error('clean-up after a topic deletion failed', { topic: name, error: String(error) });
        errors.push(error);
      }
    }
    if (errors.length > 0) {
      throw new EddyError('INTERNAL', `topic '${name}' was deleted but ${errors.length} clean-up step(s) failed`, {
        cause: errors[0],
        retriable: true,
        details: { topic: name },
      });
    }
  }

  async resolve(name: string, options: { readonly autoCreate?: boolean } = {}): Promise<TopicConfig> {
    const nameError = validateTopicName(name, { system: true });
    if (nameError !== undefined) throw nameError;
    const existing = (await this.#configs()).get(name);
    if (existing !== undefined) return existing;
    if (isSystemName(name)) return this.#systemConfig(name);
    const autoCreate = options.autoCreate ?? this.#options.autoCreateTopics;
    if (!autoCreate) {
      throw unknownTopic(name, 'create it first (auto-create is off: autoCreateTopics = false)');
    }
    return this.#serially(async () => {
      const configs = await this.#configs();
      const created = configs.get(name);
      if (created !== undefined) return created;
      const config = this.#newConfig({ name });
      await this.#save(configs, config);
      return config;
    });
  }

  #newConfig(init: TopicInit): TopicConfig {
    const parsed = parseArgument(TopicInitSchema, init, `topic '${String(init?.name)}'`);
    const nameError = validateTopicName(parsed.name);
    if (nameError !== undefined) throw nameError;
    const queueCount = parsed.queueCount ?? this.#options.defaultQueueCount;
    return {
      name: parsed.name,
      readQueueNums: parsed.readQueueNums ?? queueCount,
      writeQueueNums: parsed.writeQueueNums ?? queueCount,
      perm: parsed.perm ?? DEFAULT_PERMISSION,
      messageType: parsed.messageType ?? 'MIXED',
      retentionMs: parsed.retentionMs,
    };
  }

  #systemConfig(name: string): TopicConfig {
    let queues = this.#options.defaultQueueCount;
    if (
      name.startsWith(RETRY_TOPIC_PREFIX) ||
      name.startsWith(DLQ_TOPIC_PREFIX) ||
      name === SystemTopic.TRANSACTION_HALF ||
      name === SystemTopic.TRANSACTION_OP_HALF ||
      name === SystemTopic.TIMER
    ) {
      queues = 1;
    } else if (name === SystemTopic.SCHEDULE) {
      queues = this.#options.delayLevelCount;
    }
    return {
      name,
      readQueueNums: queues,
      writeQueueNums: queues,
      perm: DEFAULT_PERMISSION,
      messageType: 'MIXED',
      retentionMs: undefined,
    };
  }

  async #save(configs: Map<string, TopicConfig>, config: TopicConfig): Promise<void> {
    await this.#metadata.put(topicKey(config.name), encodeJsonValue(config));
    configs.set(config.name, config);
  }

  #configs(): Promise<Map<string, TopicConfig>> {
    this.#loading ??= this.#load().catch((error: unknown) => {
      this.#loading = undefined;
      throw error;
    });
    return this.#loading;
  }

  async #load(): Promise<Map<string, TopicConfig>> {
    const configs = new Map<string, TopicConfig>();
    for (const { key, value } of await this.#metadata.scan(TOPIC_CONFIG_PREFIX)) {
      let parsed: ReturnType<typeof StoredTopicSchema.safeParse> | undefined;
      try {
        parsed = StoredTopicSchema.safeParse(decodeJsonValue(value));
      } catch {
        parsed = undefined;
      }
      const name = key.slice(TOPIC_CONFIG_PREFIX.length);
      if (parsed?.success !== true || parsed.data.name !== name) {
        // Skipping keeps the broker up; the topic is then unknown (or auto-created afresh) until fixed.
        this.#options.logger.error('topic config is unreadable; ignoring it', { key });
        continue;
      }
      configs.set(name, { ...parsed.data, retentionMs: parsed.data.retentionMs });
    }
    return configs;
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

function topicKey(name: string): string {
  return TOPIC_CONFIG_PREFIX + name;
}

function unknownTopic(name: string, hint: string): EddyError {
  return new EddyError('UNKNOWN_TOPIC', `topic '${name}' does not exist; ${hint}`, { details: { topic: name } });
}
