import { randomBytes } from 'node:crypto';
import { EddyError, type Logger, type Message, SystemProperty, silentLogger } from '@eddy/message';
import {
  decodeJsonValue,
  encodeJsonValue,
  type MessageStore,
  type MetadataOperation,
  type MetadataStore,
} from '@eddy/store';
import { z } from 'zod';

/** Prefix of the journal's intent records: `consume/journal/<journal name>/<intent id>`. */
export const DELIVERY_JOURNAL_PREFIX = 'consume/journal/';

/** Most messages one target queue is scanned through when checking an interrupted relay. */
const SCAN_BATCH = 256;

/** One message to relay to its real queue. */
export interface JournalEntry {
  /**
   * Unique per relayed message and stable across restarts (e.g. `timer:<offset>`): it is stamped on
   * the relayed copy as the `__DELIVERY_ID` property, which is how a crashed relay is found finished.
   */
  readonly deliveryId: string;
  readonly topic: string;
  readonly queueId: number;
  readonly message: Message;
}

/** Where a relayed message landed. */
export interface RelayedEntry {
  readonly deliveryId: string;
  readonly topic: string;
  readonly queueId: number;
  readonly queueOffset: number;
}

/** What {@link DeliveryJournal.recover} found and did for one interrupted relay. */
export interface RecoveredRelay {
  /** Entries that had reached their queue before the crash (not appended again). */
  readonly alreadyDelivered: readonly string[];
  /** Entries appended by the recovery. */
  readonly appended: readonly string[];
  /** Entries whose message could not be rebuilt (the source is gone); logged, not appended. */
  readonly lost: readonly string[];
}

/** Options of {@link DeliveryJournal}. */
export interface DeliveryJournalOptions {
  readonly store: MessageStore;
  /** Default `store.metadata`. */
  readonly metadata?: MetadataStore;
  /** Names this journal's records (`consume/journal/<name>/…`); one name per relaying service. */
  readonly name: string;
  readonly logger?: Logger;
}

const IntentSchema = z.object({
  v: z.literal(1),
  entries: z.array(
    z.object({
      id: z.string().min(1),
      topic: z.string().min(1),
      queueId: z.number().int().nonnegative(),
      from: z.number().int().nonnegative(),
    }),
  ),
  after: z.array(
    z.union([
      z.object({ type: z.literal('put'), key: z.string(), value: z.string() }),
      z.object({ type: z.literal('delete'), key: z.string() }),
    ]),
  ),
});

type Intent = z.infer<typeof IntentSchema>;

/**
 * Relays messages from a system topic (scheduled, timer, half messages) to their real queues **exactly
 * once**, across crashes, on any storage engine of the contract — which has no atomic "append + metadata
 * write".
 *
 * A relay is three steps: (1) an intent record in metadata naming each target queue and its end offset
 * before the relay, (2) the appends, each copy stamped with its `__DELIVERY_ID`, (3) one atomic
 * metadata batch that applies the caller's bookkeeping (`after`: progress offsets, resolved states) and
 * deletes the intent. A crash before (1) leaves nothing; between (1) and (3), {@link DeliveryJournal.recover}
 * scans each target queue from its recorded end offset for the delivery ids, appends only the missing
 * ones (rebuilt by the caller from the source, which is still there) and then does (3). Appends by other
 * producers in between do not matter: the scan looks at every message from the recorded offset on.
 *
 * Cost: two metadata writes per relay (however many messages it carries) and, only after a crash, a
 * scan of what was appended to the target queues since the interrupted relay began.
 */
export class DeliveryJournal {
  readonly #store: MessageStore;
  readonly #metadata: MetadataStore;
  readonly #prefix: string;
  readonly #logger: Logger;
  readonly #instance = randomBytes(6).toString('hex');
  #sequence = 0;

  constructor(options: DeliveryJournalOptions) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(options.name)) {
      throw new EddyError('INVALID_ARGUMENT', `journal name must be 1–64 of [A-Za-z0-9_.-], got '${options.name}'`);
    }
    this.#store = options.store;
    this.#metadata = options.metadata ?? options.store.metadata;
    this.#prefix = `${DELIVERY_JOURNAL_PREFIX}${options.name}/`;
    this.#logger = options.logger ?? silentLogger;
  }

  /**
   * Appends every entry's message (in order per target queue) to its queue, then applies `after`
   * atomically with the end of the relay. Resolves once all of it is done; if it rejects, the relay may
   * be half done and {@link DeliveryJournal.recover} (at the next start) finishes it.
   */
  async relay(entries: readonly JournalEntry[], after: readonly MetadataOperation[] = []): Promise<RelayedEntry[]> {
    if (entries.length === 0) {
      if (after.length > 0) await this.#metadata.batch(after);
      return [];
    }
    const targets = groupByQueue(entries);
    const recorded: Intent['entries'] = [];
    for (const target of targets.values()) {
      const range = await this.#store.queueRange(target.topic, target.queueId);
      const from = range?.maxOffset ?? 0;
      for (const entry of target.entries) {
        recorded.push({ id: entry.deliveryId, topic: entry.topic, queueId: entry.queueId, from });
      }
    }
    const key = `${this.#prefix}${this.#instance}-${(this.#sequence++).toString(36)}`;
    await this.#metadata.put(key, encodeJsonValue({ v: 1, entries: recorded, after: after.map(encodeOperation) }));
    const relayed: RelayedEntry[] = [];
    for (const target of targets.values()) {
      const { baseOffset } = await this.#store.append(
        target.topic,
        target.queueId,
        target.entries.map((entry) => stamp(entry.message, entry.topic, entry.deliveryId)),
      );
      target.entries.forEach((entry, index) => {
        relayed.push({
          deliveryId: entry.deliveryId,
          topic: entry.topic,
          queueId: entry.queueId,
          queueOffset: baseOffset + index,
        });
      });
    }
    await this.#metadata.batch([...after, { type: 'delete', key }]);
    return relayed;
  }

  /**
   * Finishes every relay a crash interrupted: appends the entries that did not reach their queue
   * (`rebuild` makes the message again from its source; undefined means it is gone, which is logged) and
   * applies the relay's `after` operations. Call once at start, before relaying anything new.
   */
  async recover(rebuild: (deliveryId: string) => Promise<Message | undefined>): Promise<RecoveredRelay[]> {
    const results: RecoveredRelay[] = [];
    for (const { key, value } of await this.#metadata.scan(this.#prefix)) {
      const parsed = IntentSchema.safeParse(safeDecode(value));
      if (!parsed.success) {
        throw new EddyError('CORRUPT_DATA', `delivery journal record ${key} is unreadable`, { details: { key } });
      }
      results.push(await this.#finish(key, parsed.data, rebuild));
    }
    return results;
  }

  /** Relays started and not finished (left by a crash until {@link DeliveryJournal.recover} runs). */
  async unfinished(): Promise<number> {
    return (await this.#metadata.scan(this.#prefix)).length;
  }

  async #finish(
    key: string,
    intent: Intent,
    rebuild: (deliveryId: string) => Promise<Message | undefined>,
  ): Promise<RecoveredRelay> {
    const alreadyDelivered: string[] = [];
    const appended: string[] = [];
    const lost: string[] = [];
    const byQueue = new Map<string, { topic: string; queueId: number; from: number; ids: string[] }>();
    for (const entry of intent.entries) {
      const queueKey = `${entry.topic}\u0000${entry.queueId}`;
      let target = byQueue.get(queueKey);
      if (target === undefined) {
        target = { topic: entry.topic, queueId: entry.queueId, from: entry.from, ids: [] };
        byQueue.set(queueKey, target);
      }
      target.ids.push(entry.id);
    }
    for (const target of byQueue.values()) {
      const found = await this.#findDelivered(target.topic, target.queueId, target.from, new Set(target.ids));
      const missing: Message[] = [];
      for (const id of target.ids) {
        if (found.has(id)) {
          alreadyDelivered.push(id);
          continue;
        }
        const message = await rebuild(id);
        if (message === undefined) {
          lost.push(id);
          this.#logger.error('an interrupted relay cannot be finished: its source message is gone', {
            deliveryId: id,
            topic: target.topic,
            queueId: target.queueId,
          });
          continue;
        }
        missing.push(stamp(message, target.topic, id));
        appended.push(id);
      }
      if (missing.length > 0) await this.#store.append(target.topic, target.queueId, missing);
    }
    await this.#metadata.batch([...intent.after.map(decodeOperation), { type: 'delete', key }]);
    if (appended.length > 0 || lost.length > 0) {
      this.#logger.info('finished a relay interrupted by a crash', {
        journal: key,
        alreadyDelivered: alreadyDelivered.length,
        appended: appended.length,
        lost: lost.length,
      });
    }
    return { alreadyDelivered, appended, lost };
  }

  // The delivery ids of `wanted` found in the queue at or after `from`.
  async #findDelivered(topic: string, queueId: number, from: number, wanted: Set<string>): Promise<Set<string>> {
    const found = new Set<string>();
    let offset = from;
    for (;;) {
      const read = await this.#store.read(topic, queueId, offset, { maxMessages: SCAN_BATCH });
      if (read.status === 'unknown-queue') return found;
      if (read.status === 'offset-out-of-range') {
        // Retention cannot have removed a relay this recent; the log lost its tail in the crash, so
        // nothing at or after `from` survived, or the queue restarts higher. Continue from its start.
        if (offset < read.minOffset) {
          offset = read.minOffset;
          continue;
        }
        return found;
      }
      for (const message of read.messages) {
        const id = message.properties[SystemProperty.DELIVERY_ID];
        if (id !== undefined && wanted.has(id)) found.add(id);
      }
      if (found.size === wanted.size || read.messages.length === 0 || read.nextOffset <= offset) return found;
      offset = read.nextOffset;
    }
  }
}

function groupByQueue(
  entries: readonly JournalEntry[],
): Map<string, { topic: string; queueId: number; entries: JournalEntry[] }> {
  const targets = new Map<string, { topic: string; queueId: number; entries: JournalEntry[] }>();
  const ids = new Set<string>();
  for (const entry of entries) {
    if (ids.has(entry.deliveryId)) {
      throw new EddyError('INVALID_ARGUMENT', `delivery id '${entry.deliveryId}' appears twice in one relay`);
    }
    ids.add(entry.deliveryId);
    const key = `${entry.topic}\u0000${entry.queueId}`;
    let target = targets.get(key);
    if (target === undefined) {
      target = { topic: entry.topic, queueId: entry.queueId, entries: [] };
      targets.set(key, target);
    }
    target.entries.push(entry);
  }
  return targets;
}

function stamp(message: Message, topic: string, deliveryId: string): Message {
  return { ...message, topic, properties: { ...message.properties, [SystemProperty.DELIVERY_ID]: deliveryId } };
}

function encodeOperation(operation: MetadataOperation): Intent['after'][number] {
  return operation.type === 'put'
    ? { type: 'put', key: operation.key, value: Buffer.from(operation.value).toString('base64') }
    : { type: 'delete', key: operation.key };
}

function decodeOperation(operation: Intent['after'][number]): MetadataOperation {
  return operation.type === 'put'
    ? { type: 'put', key: operation.key, value: new Uint8Array(Buffer.from(operation.value, 'base64')) }
    : { type: 'delete', key: operation.key };
}

function safeDecode(value: Uint8Array): unknown {
  try {
    return decodeJsonValue(value);
  } catch {
    return undefined;
  }
}
