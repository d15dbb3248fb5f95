import { EddyError } from '@eddy/message';
import { checkOffset, checkQueueId, decodeJsonValue, encodeJsonValue, type MetadataStore } from '@eddy/store';
import { z } from 'zod';

/**
 * Prefix of clustering offsets. The full key is `consume/offset/<group>/<topic>/<queueId>`, the queue
 * id in decimal.
 */
export const CLUSTERING_OFFSET_PREFIX = 'consume/offset/';
/**
 * Prefix of broadcasting offsets, kept per member. The full key is
 * `consume/member-offset/<group>/<clientId>/<topic>/<queueId>` with the client id percent-encoded
 * (`encodeURIComponent`), because client ids are chosen by clients and may hold `/`.
 */
export const BROADCASTING_OFFSET_PREFIX = 'consume/member-offset/';

/** Where an offset belongs: the group's shared offset, or one member's own (broadcasting). */
export interface OffsetScope {
  /** The member whose offset this is in a BROADCASTING group; leave out for CLUSTERING. */
  readonly clientId?: string | undefined;
}

/** Options of {@link ConsumerOffsetStore.commit} and {@link ConsumerOffsetStore.commitMany}. */
export interface CommitOptions extends OffsetScope {
  /**
   * Store the offset even when it is lower than the committed one: an admin reset. Without it a
   * commit never moves an offset backwards (a late commit from a member that lost the queue in a
   * rebalance must not rewind the new owner).
   */
  readonly force?: boolean;
}

/** One offset to commit with {@link ConsumerOffsetStore.commitMany}. */
export interface OffsetCommit {
  readonly topic: string;
  readonly queueId: number;
  /** The next offset to consume (everything below it is done). */
  readonly offset: number;
}

/** One committed offset, as {@link ConsumerOffsetStore.forGroup} lists it. */
export interface CommittedOffset extends OffsetCommit {
  /** The member owning it in a BROADCASTING group; `undefined` for a group offset. */
  readonly clientId: string | undefined;
}

// The stored value: a JSON object, so that fields (a commit time, metadata) can be added later.
const StoredOffsetSchema = z.object({ offset: z.number().int().nonnegative() });

/**
 * Committed consumer offsets per (group, topic, queue), durable through the store's metadata contract,
 * so every engine keeps them across restarts. An offset is the next offset to consume.
 *
 * Offsets never move backwards unless a commit is forced (an admin reset). Commits to one instance are
 * applied one at a time, so two racing commits cannot rewind each other; the instance owns the
 * `consume/offset/` and `consume/member-offset/` key ranges (keep one per metadata store) and caches
 * what it has read or written.
 *
 * Group and topic names are key segments: they must be non-empty and must not contain `/`, which no
 * valid group or topic name does (`validateName` allows `[a-zA-Z0-9._%|-]`); anything else is refused
 * with `INVALID_NAME` rather than risking two names sharing a key.
 */
export class ConsumerOffsetStore {
  readonly #metadata: MetadataStore;
  // Committed offsets by key, as last read or written; absent keys are read from the metadata store.
  readonly #cache = new Map<string, number | undefined>();
  // Writes run one at a time: the never-backwards check reads then writes.
  #tail: Promise<unknown> = Promise.resolve();
  // Bumped by deletions, so that a read begun before one cannot cache what it deleted.
  #generation = 0;

  /** @param metadata where offsets are kept; usually `store.metadata` of the broker's message store. */
  constructor(metadata: MetadataStore) {
    this.#metadata = metadata;
  }

  /** The committed offset, or `undefined` when the group (or member) never committed on this queue. */
  async committed(group: string, topic: string, queueId: number, scope: OffsetScope = {}): Promise<number | undefined> {
    return this.#read(offsetKey(group, topic, queueId, scope.clientId));
  }

  /**
   * Commits `offset` for the queue once it is durable in the metadata store.
   *
   * @returns true when the committed offset is now `offset`; false when `offset` was lower than the
   * committed one and not forced (nothing changed).
   * @throws `INVALID_NAME` for a group or topic containing `/`; `INVALID_ARGUMENT` for a bad queue id or offset.
   */
  async commit(
    group: string,
    topic: string,
    queueId: number,
    offset: number,
    options: CommitOptions = {},
  ): Promise<boolean> {
    return (await this.commitMany(group, [{ topic, queueId, offset }], options)) === 1;
  }

  /**
   * Commits several offsets of one group (or member) as one atomic metadata batch: after a crash
   * either all of them are stored or none is. Offsets that would move backwards (not forced) are left
   * out; a queue listed twice takes its last offset.
   *
   * @returns how many of the queues now have the offset asked for.
   */
  async commitMany(group: string, commits: readonly OffsetCommit[], options: CommitOptions = {}): Promise<number> {
    const wanted = new Map<string, number>();
    for (const { topic, queueId, offset } of commits) {
      checkOffset(offset);
      wanted.set(offsetKey(group, topic, queueId, options.clientId), offset);
    }
    return this.#serially(async () => {
      const changes: [string, number][] = [];
      for (const [key, offset] of wanted) {
        const current = await this.#read(key);
        if (options.force === true || current === undefined || offset >= current) changes.push([key, offset]);
      }
      // An offset equal to the committed one is already durable: it counts, but needs no write.
      const writes = changes.filter(([key, offset]) => this.#cache.get(key) !== offset);
      if (writes.length > 0) {
        try {
          await this.#metadata.batch(
            writes.map(([key, offset]) => ({ type: 'put', key, value: encodeJsonValue({ offset }) })),
          );
        } catch (error) {
          // The batch may or may not have landed: read again next time.
          for (const [key] of writes) this.#cache.delete(key);
          throw error;
        }
        for (const [key, offset] of writes) this.#cache.set(key, offset);
      }
      return changes.length;
    });
  }

  /**
   * Every committed offset of the group, sorted by topic then queue id: the group's own offsets, or
   * with `scope.clientId` that member's broadcasting offsets.
   */
  async forGroup(group: string, scope: OffsetScope = {}): Promise<CommittedOffset[]> {
    const prefix =
      scope.clientId === undefined ? groupPrefix(CLUSTERING_OFFSET_PREFIX, group) : memberPrefix(group, scope.clientId);
    const entries = await this.#metadata.scan(prefix);
    const offsets = entries.map(({ key, value }): CommittedOffset => {
      const [topic, queueId] = key.slice(prefix.length).split('/') as [string, string];
      return { topic, queueId: Number(queueId), offset: decodeOffset(key, value), clientId: scope.clientId };
    });
    return offsets.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.queueId - b.queueId));
  }

  /** The client ids that hold broadcasting offsets in the group, sorted. */
  async membersWithOffsets(group: string): Promise<string[]> {
    const prefix = groupPrefix(BROADCASTING_OFFSET_PREFIX, group);
    const clientIds = new Set<string>();
    for (const { key } of await this.#metadata.scan(prefix)) {
      clientIds.add(decodeURIComponent(key.slice(prefix.length, key.indexOf('/', prefix.length))));
    }
    return [...clientIds].sort();
  }

  /**
   * Removes every offset of the group, its members' broadcasting offsets included, in one atomic batch.
   *
   * @returns how many offsets were removed.
   */
  async deleteGroup(group: string): Promise<number> {
    return this.#deletePrefixes([
      groupPrefix(CLUSTERING_OFFSET_PREFIX, group),
      groupPrefix(BROADCASTING_OFFSET_PREFIX, group),
    ]);
  }

  /** Removes one member's broadcasting offsets (a member that left for good); returns how many. */
  async deleteMember(group: string, clientId: string): Promise<number> {
    return this.#deletePrefixes([memberPrefix(group, clientId)]);
  }

  /**
   * Removes every offset on the topic, of every group and every broadcasting member, in one atomic
   * batch: the topic was deleted, and a re-created topic starts its queues at 0 again.
   *
   * Keys put the group before the topic, so this scans the whole `consume/offset/` and
   * `consume/member-offset/` ranges: O(all committed offsets) reads. Topic deletion is a rare admin
   * operation, and an index by topic would cost a second write on every commit.
   *
   * @returns how many offsets were removed.
   * @throws `INVALID_NAME` for a topic name that cannot be a key segment.
   */
  async deleteTopic(topic: string): Promise<number> {
    checkSegment('topic', topic);
    return this.#deleteWhere(
      [CLUSTERING_OFFSET_PREFIX, BROADCASTING_OFFSET_PREFIX],
      (key) => topicOfKey(key) === topic,
    );
  }

  async #deletePrefixes(prefixes: readonly string[]): Promise<number> {
    return this.#deleteWhere(prefixes, () => true);
  }

  // Deletes the keys under the prefixes that `matches` accepts, in one batch.
  async #deleteWhere(prefixes: readonly string[], matches: (key: string) => boolean): Promise<number> {
    const selected = (key: string): boolean => prefixes.some((prefix) => key.startsWith(prefix)) && matches(key);
    return this.#serially(async () => {
      const keys: string[] = [];
      for (const prefix of prefixes) {
        for (const { key } of await this.#metadata.scan(prefix)) if (matches(key)) keys.push(key);
      }
      try {
        if (keys.length > 0) await this.#metadata.batch(keys.map((key) => ({ type: 'delete', key })));
      } finally {
        this.#generation++;
        for (const key of this.#cache.keys()) if (selected(key)) this.#cache.delete(key);
      }
      return keys.length;
    });
  }

  async #read(key: string): Promise<number | undefined> {
    if (this.#cache.has(key)) return this.#cache.get(key);
    const generation = this.#generation;
    const value = await this.#metadata.get(key);
    const offset = value === undefined ? undefined : decodeOffset(key, value);
    // A write or deletion that finished while this read was in flight is newer: keep its outcome.
    if (generation !== this.#generation) return offset;
    if (!this.#cache.has(key)) this.#cache.set(key, offset);
    return this.#cache.get(key);
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

// The topic segment of an offset key: `…/<topic>/<queueId>` (the second to last segment in both layouts).
function topicOfKey(key: string): string | undefined {
  const parts = key.split('/');
  return parts.length >= 2 ? parts[parts.length - 2] : undefined;
}

function decodeOffset(key: string, value: Uint8Array): number {
  let parsed: unknown;
  try {
    parsed = decodeJsonValue(value);
  } catch (cause) {
    throw new EddyError('CORRUPT_DATA', `committed offset under '${key}' is not JSON`, { cause });
  }
  const result = StoredOffsetSchema.safeParse(parsed);
  if (!result.success) throw new EddyError('CORRUPT_DATA', `committed offset under '${key}' is not { offset }`);
  return result.data.offset;
}

function checkSegment(kind: 'group' | 'topic', name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new EddyError('INVALID_NAME', `${kind} name is empty`);
  if (name.includes('/')) {
    throw new EddyError('INVALID_NAME', `${kind} name '${name}' contains '/', which no ${kind} name may hold`);
  }
}

function groupPrefix(base: string, group: string): string {
  checkSegment('group', group);
  return `${base}${group}/`;
}

function memberPrefix(group: string, clientId: string): string {
  if (typeof clientId !== 'string' || clientId.length === 0)
    throw new EddyError('INVALID_ARGUMENT', 'client id is empty');
  return `${groupPrefix(BROADCASTING_OFFSET_PREFIX, group)}${encodeURIComponent(clientId)}/`;
}

function offsetKey(group: string, topic: string, queueId: number, clientId: string | undefined): string {
  checkSegment('topic', topic);
  checkQueueId(queueId);
  const prefix = clientId === undefined ? groupPrefix(CLUSTERING_OFFSET_PREFIX, group) : memberPrefix(group, clientId);
  return `${prefix}${topic}/${queueId}`;
}
