import type { Broker } from '@eddy/broker';

/**
 * Where the metadata strings of committed offsets live: `kafka/offset-meta/<group>/<topic>/<partition>`.
 * The offset itself is in the broker's shared offset store (so RocketMQ tooling and `broker.lag` see it);
 * only the Kafka-specific string sits here, written only when it is not empty.
 */
export const OFFSET_METADATA_PREFIX = 'kafka/offset-meta/';

// The ConsumerOffsetStore's key range for group offsets (`consume/offset/<group>/<topic>/<queueId>`).
const GROUP_OFFSET_PREFIX = 'consume/offset/';

/** One committed offset with its metadata string. */
export interface GroupOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Empty when the client gave none (Kafka stores a null as ""). */
  readonly metadata: string;
}

/** A committed offset of a partition, or none. */
export interface CommittedGroupOffset {
  /** -1 when nothing was committed. */
  readonly offset: number;
  readonly metadata: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Kafka's view of committed offsets: the broker's {@link Broker.offsets} (shared with RocketMQ groups)
 * plus the metadata strings Kafka clients round-trip. Group and topic names must be valid offset-store
 * segments (non-empty, no `/`); callers check with {@link isStorableName}.
 */
export class GroupOffsets {
  readonly #broker: Broker;
  readonly #metadata: Broker['store']['metadata'];
  // Metadata strings per group, loaded on first use; keys are `<topic>/<partition>`.
  readonly #strings = new Map<string, Map<string, string>>();
  // Metadata writes run one at a time, so the compare-then-write over the cache cannot interleave.
  #tail: Promise<unknown> = Promise.resolve();

  constructor(broker: Broker) {
    this.#broker = broker;
    this.#metadata = broker.store.metadata;
  }

  /**
   * Stores the offsets, durable when it resolves. Kafka semantics: a commit may move an offset backwards
   * (a consumer that seeked back), so the write is forced; the group coordinator already fenced stale
   * members by generation.
   */
  async commit(group: string, offsets: readonly GroupOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.#broker.offsets.commitMany(
      group,
      offsets.map(({ topic, partition, offset }) => ({ topic, queueId: partition, offset })),
      { force: true },
    );
    await this.#serially(async () => {
      const strings = await this.#load(group);
      const operations: ({ type: 'put'; key: string; value: Uint8Array } | { type: 'delete'; key: string })[] = [];
      const changed = new Map<string, string>();
      for (const { topic, partition, metadata } of offsets) {
        const id = `${topic}/${partition}`;
        if ((strings.get(id) ?? '') === metadata) continue;
        changed.set(id, metadata);
        const key = `${OFFSET_METADATA_PREFIX}${group}/${id}`;
        operations.push(
          metadata === '' ? { type: 'delete', key } : { type: 'put', key, value: encoder.encode(metadata) },
        );
      }
      if (operations.length === 0) return;
      await this.#metadata.batch(operations);
      for (const [id, metadata] of changed) {
        if (metadata === '') strings.delete(id);
        else strings.set(id, metadata);
      }
    });
  }

  /** The committed offset of one partition (-1 when none). */
  async committed(group: string, topic: string, partition: number): Promise<CommittedGroupOffset> {
    const offset = await this.#broker.offsets.committed(group, topic, partition);
    if (offset === undefined) return { offset: -1, metadata: '' };
    const strings = await this.#load(group);
    return { offset, metadata: strings.get(`${topic}/${partition}`) ?? '' };
  }

  /** Every committed offset of the group, by topic then partition. */
  async all(group: string): Promise<GroupOffset[]> {
    const offsets = await this.#broker.offsets.forGroup(group);
    const strings = await this.#load(group);
    return offsets.map(({ topic, queueId, offset }) => ({
      topic,
      partition: queueId,
      offset,
      metadata: strings.get(`${topic}/${queueId}`) ?? '',
    }));
  }

  /** True when the group has at least one committed offset. */
  async has(group: string): Promise<boolean> {
    return (await this.#metadata.scan(`${GROUP_OFFSET_PREFIX}${group}/`, { limit: 1 })).length > 0;
  }

  /** Every group with committed offsets (Kafka and RocketMQ alike), sorted. */
  async groups(): Promise<string[]> {
    const names = new Set<string>();
    for (const { key } of await this.#metadata.scan(GROUP_OFFSET_PREFIX)) {
      const end = key.indexOf('/', GROUP_OFFSET_PREFIX.length);
      if (end > GROUP_OFFSET_PREFIX.length) names.add(key.slice(GROUP_OFFSET_PREFIX.length, end));
    }
    return [...names].sort();
  }

  /** Removes the group's offsets and metadata strings; returns how many offsets there were. */
  async delete(group: string): Promise<number> {
    const removed = await this.#broker.offsets.deleteGroup(group);
    await this.#serially(async () => {
      const entries = await this.#metadata.scan(`${OFFSET_METADATA_PREFIX}${group}/`);
      if (entries.length > 0) await this.#metadata.batch(entries.map(({ key }) => ({ type: 'delete', key })));
      this.#strings.delete(group);
    });
    return removed;
  }

  /**
   * Removes every group's metadata strings for the topic (it was deleted; the offsets themselves go with
   * the broker's topic deletion). Keys put the group first, so this scans all of `kafka/offset-meta/`.
   */
  async deleteTopic(topic: string): Promise<void> {
    await this.#serially(async () => {
      const keys: string[] = [];
      for (const { key } of await this.#metadata.scan(OFFSET_METADATA_PREFIX)) {
        const parts = key.split('/');
        if (parts[parts.length - 2] === topic) keys.push(key);
      }
      if (keys.length > 0) await this.#metadata.batch(keys.map((key) => ({ type: 'delete', key })));
      for (const strings of this.#strings.values()) {
        for (const id of [...strings.keys()]) if (id.slice(0, id.lastIndexOf('/')) === topic) strings.delete(id);
      }
    });
  }

  async #load(group: string): Promise<Map<string, string>> {
    const cached = this.#strings.get(group);
    if (cached !== undefined) return cached;
    const prefix = `${OFFSET_METADATA_PREFIX}${group}/`;
    const strings = new Map<string, string>();
    for (const { key, value } of await this.#metadata.scan(prefix)) {
      strings.set(key.slice(prefix.length), decoder.decode(value));
    }
    // A concurrent load may have finished first; keep one map so that writes land in the cached one.
    const raced = this.#strings.get(group);
    if (raced !== undefined) return raced;
    this.#strings.set(group, strings);
    return strings;
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/** True when `name` can be a group or topic segment of the offset store (non-empty, no `/`). */
export function isStorableName(name: string): boolean {
  return name.length > 0 && !name.includes('/') && Buffer.byteLength(name, 'utf8') <= 249;
}
