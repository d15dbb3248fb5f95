import { randomBytes } from 'node:crypto';
import {
  type Clock,
  EddyError,
  type Logger,
  parseWithSchema,
  type ScheduledTask,
  type StoredMessage,
  silentLogger,
} from '@eddy/message';
import {
  checkQueueId,
  type MessageStore,
  type MetadataEntry,
  type MetadataOperation,
  type MetadataStore,
} from '@eddy/store';
import { z } from 'zod';
import type { ConsumerOffsetStore } from './consumer-offset-store.js';
import { DeadlineHeap } from './deadline-heap.js';
import type { LongPollRegistry, WatchedQueue } from './long-poll.js';
import {
  ACKED_RECORD_VALUE,
  checkPopName,
  decodeInFlightRecord,
  encodeInFlightRecord,
  POP_STATE_PREFIX,
  parsePopKey,
  popQueuePrefix,
  popRecordKey,
} from './pop-state.js';
import type { PullFilter } from './pull-service.js';
import { decodeReceiptHandle, encodeReceiptHandle, type ReceiptHandleFields } from './receipt-handle.js';
import { ConsumeFromWhereSchema, DEFAULT_CONSUME_FROM_WHERE, resolveStartOffset } from './start-position.js';

/** The configurable options of {@link PopService}, for config files. */
export const PopServiceConfigSchema = z
  .object({
    /**
     * Where a group starts on a queue it has never consumed (see `ConsumeFromWhere`). RocketMQ's proxy
     * asks for the latest offset, except that its broker starts at 0 on a queue whose first message is
     * still in memory; pick `'FIRST_OFFSET'` for that behaviour on new topics.
     */
    consumeFromWhere: ConsumeFromWhereSchema.default(DEFAULT_CONSUME_FROM_WHERE),
    /**
     * Most messages of one queue a group may have between its committed offset and its read position
     * that are not acked (in flight, awaiting redelivery, or held back behind their FIFO message group).
     * At the limit, pops take no new messages from the queue: memory stays bounded however slow the consumers.
     */
    maxPendingPerQueue: z.number().int().min(1).default(10_000),
  })
  .strict();

/** Options of {@link PopService}: the configuration plus what code injects. */
export interface PopServiceOptions extends z.input<typeof PopServiceConfigSchema> {
  readonly store: MessageStore;
  /** The groups' committed offsets; the lowest offset not yet acked is committed there. */
  readonly offsets: ConsumerOffsetStore;
  /** Where empty pops wait; share one with everything that appends. */
  readonly longPoll: LongPollRegistry;
  readonly clock: Clock;
  /** Where in-flight and acked records are kept. Default: `store.metadata`. */
  readonly metadata?: MetadataStore;
  /** Receives recovery and clean-up problems. Default: silent. */
  readonly logger?: Logger;
}

/** Which messages a pop wants: a tag pre-filter confirmed by an exact predicate (a `MessageFilter` fits). */
export type PopFilter = PullFilter;

/** A pop request (RocketMQ 5's `ReceiveMessage`). */
export interface PopRequest {
  readonly group: string;
  readonly topic: string;
  /** The popping client, recorded with each delivery. */
  readonly clientId: string;
  /** Most messages to return (≥ 1). */
  readonly maxMessages: number;
  /** How long each returned message stays invisible to the group, ms (an integer ≥ 1). */
  readonly invisibleDurationMs: number;
  /**
   * Messages that do not pass are skipped for the group: they count as consumed, as in RocketMQ. Every
   * popper of a group should use the same filter. It is applied when a message is first read; a
   * redelivery is not filtered again.
   */
  readonly filter?: PopFilter;
  /**
   * How long to wait when nothing is available, ms; answered as soon as a message arrives (an append
   * followed by `LongPollRegistry.notify`), an invisible time ends, or a FIFO message group is released.
   * Default 0: answer at once.
   */
  readonly pollTimeoutMs?: number;
  /**
   * The queues to pop from. Default: every queue of the topic when the pop is made (a topic with no
   * queues yet waits on queue 0).
   */
  readonly queueIds?: readonly number[];
  /**
   * FIFO delivery: a message with a `messageGroup` is not delivered while an earlier message of its
   * group in the same queue is not acked (or dead-lettered). Messages without a group are unordered.
   */
  readonly fifo?: boolean;
}

/** One message of a pop. */
export interface PoppedMessage {
  readonly message: StoredMessage;
  /** Pass to {@link PopService.ack} or {@link PopService.changeInvisibleDuration}. */
  readonly receiptHandle: string;
  /**
   * 1 on the first delivery, +1 on each redelivery; counted on top of the message's `reconsumeTimes`
   * (a message re-sent through a retry topic carries its earlier attempts), as RocketMQ's proxy does.
   */
  readonly deliveryAttempt: number;
  /** When the message becomes visible again unless acked, ms of the clock. */
  readonly invisibleUntil: number;
}

/** The answer to a pop: empty when nothing was available within the poll timeout. */
export interface PopResult {
  readonly messages: PoppedMessage[];
}

/**
 * How an ack (or a change of invisible time) ended: `'ok'`; `'expired'` when the handle's invisible
 * time has passed (the message will be, or was, delivered again; ack that delivery instead);
 * `'invalid-handle'` when the handle is malformed, of another group, already acked, or replaced by a
 * later delivery or by {@link PopService.changeInvisibleDuration}.
 */
export type AckStatus = 'ok' | 'invalid-handle' | 'expired';

/** The answer to {@link PopService.ack} and {@link PopService.markDeadLettered}. */
export interface AckResult {
  readonly status: AckStatus;
}

/** The answer to {@link PopService.changeInvisibleDuration}. */
export interface ChangeInvisibleDurationResult {
  readonly status: AckStatus;
  /** The new handle when `status` is `'ok'` (the old one is then invalid); otherwise the handle given. */
  readonly receiptHandle: string;
}

/** What {@link PopService.recover} loaded. */
export interface PopRecovery {
  /** (group, topic, queue) triples with pop state. */
  readonly queues: number;
  /** Messages delivered and not acked before the restart: visible again at their recorded time. */
  readonly inFlight: number;
  /** Messages acked above their group's committed offset: never delivered again. */
  readonly acked: number;
}

/** One queue's pop state for one group, for admin views and tests. */
export interface PopQueueState {
  /** The lowest offset not yet acked, as committed; `undefined` before the group's first pop there. */
  readonly committedOffset: number | undefined;
  /** Delivered and still invisible. */
  readonly inFlight: number;
  /** Delivered, not acked, invisible time over: the next pop delivers them again. */
  readonly awaitingRedelivery: number;
  /** Read but not delivered yet: behind an unacked message of their FIFO message group. */
  readonly heldBack: number;
  /** Acked above the committed offset, waiting for the gap below them to close. */
  readonly ackedAboveCommit: number;
}

// One message a group has read past and not acked.
interface Delivery {
  readonly queue: QueueState;
  readonly offset: number;
  readonly messageGroup: string | undefined;
  /** Deliveries so far; 0 while held back behind its FIFO message group. */
  attempt: number;
  /** Token of the current delivery; '' before the first. */
  token: string;
  clientId: string;
  /** `invisibleUntil`: visible again from this time (0 when never delivered). */
  deadline: number;
  heapIndex: number;
}

// One (group, topic, queue). Invariant: every offset below `cursor` is either acked (or skipped by the
// filter, or gone by retention) or in `deliveries`; the committed offset never passes a delivery.
interface QueueState {
  readonly group: string;
  readonly topic: string;
  readonly queueId: number;
  /** As last committed by this service; `undefined` until the group's first pop on the queue. */
  committed: number | undefined;
  /** Next offset never read by this group (since the last restart). */
  cursor: number;
  readonly deliveries: Map<number, Delivery>;
  /** Offsets with a durable acked record, all ≥ `committed`. */
  readonly acked: Set<number>;
  /** Operations on the queue run one at a time. */
  tail: Promise<unknown>;
  /** Set when its topic was deleted: the state is no longer in the service's map and serves nothing. */
  dropped: boolean;
}

interface PlannedDelivery {
  readonly delivery: Delivery | undefined;
  readonly message: StoredMessage;
  readonly attempt: number;
  readonly token: string;
}

// How many queue entries one pop may look at on one queue: bounds the work of a pop whose filter or
// FIFO blocking skips most messages.
const SCAN_BUDGET = 1024;

/**
 * Pop delivery with receipt handles, RocketMQ 5's simple-consumer model: the broker, not the client,
 * shares messages among the poppers of a group.
 *
 * - A pop hands each message to one popper of the group and makes it invisible to the group for
 *   `invisibleDurationMs`; other groups get every message too.
 * - {@link PopService.ack} removes a message for the group. The group's committed offset (in the
 *   {@link ConsumerOffsetStore}) is the lowest offset not acked; acks above it are remembered until the
 *   gap closes.
 * - A message not acked in time becomes visible again and is delivered with its attempt count + 1.
 *   {@link PopService.changeInvisibleDuration} moves its deadline and issues a new handle.
 * - FIFO pops hold the next message of a message group back until the one before it is acked or
 *   dead-lettered; other groups' messages keep flowing.
 *
 * **Durability.** A pop returns once its deliveries are recorded in the metadata store (one atomic batch
 * per queue), an ack once its record is; {@link PopService.recover} loads them after a restart: in-flight
 * messages become visible at their recorded time, acked ones are never delivered again, messages past
 * the committed offset that were neither are delivered as new. Handles stay valid across the restart.
 * Delivery is at least once: a message is lost only if it is acked.
 *
 * **Timers.** Invisible times sit in one deadline heap with ONE clock task, for the earliest; when it
 * fires, pops waiting on those queues wake. Visibility itself is judged from the clock at each pop.
 *
 * The service owns the `consume/pop/` key range and, for the groups that pop, their committed offsets;
 * an admin reset of a committed offset drops the queue's pop state at the next pop there.
 */
export class PopService {
  readonly #store: MessageStore;
  readonly #offsets: ConsumerOffsetStore;
  readonly #longPoll: LongPollRegistry;
  readonly #clock: Clock;
  readonly #metadata: MetadataStore;
  readonly #logger: Logger;
  readonly #config: z.output<typeof PopServiceConfigSchema>;
  readonly #queues = new Map<string, Promise<QueueState>>();
  // group + topic → where the next pop starts among the queues, so no queue is always served last.
  readonly #rotation = new Map<string, number>();
  readonly #invisible = new DeadlineHeap<Delivery>();
  #timer: ScheduledTask | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  // Tokens are this random prefix and a counter: unique within the process and across restarts.
  readonly #tokenPrefix = randomBytes(6).toString('base64url');
  #tokenCounter = 0;

  constructor(options: PopServiceOptions) {
    const { store, offsets, longPoll, clock, metadata, logger, ...config } = options;
    this.#config = parseWithSchema(PopServiceConfigSchema, config, 'pop service options');
    this.#store = store;
    this.#offsets = offsets;
    this.#longPoll = longPoll;
    this.#clock = clock;
    this.#metadata = metadata ?? store.metadata;
    this.#logger = logger ?? silentLogger;
  }

  /**
   * Loads every group's durable pop state; call once at start, before serving. (A queue not loaded
   * here is loaded on first use, but only loaded queues have their redelivery deadlines timed.)
   */
  async recover(): Promise<PopRecovery> {
    const byQueue = new Map<string, MetadataEntry[]>();
    for (const entry of await this.#metadata.scan(POP_STATE_PREFIX)) {
      const key = parsePopKey(entry.key);
      if (key === undefined) {
        this.#logger.warn('pop state: ignoring a key of unknown shape', { key: entry.key });
        continue;
      }
      const name = queueName(key.group, key.topic, key.queueId);
      let entries = byQueue.get(name);
      if (entries === undefined) {
        entries = [];
        byQueue.set(name, entries);
      }
      entries.push(entry);
    }
    let inFlight = 0;
    let acked = 0;
    for (const entries of byQueue.values()) {
      const key = parsePopKey((entries[0] as MetadataEntry).key) as NonNullable<ReturnType<typeof parsePopKey>>;
      const state = await this.#queue(key.group, key.topic, key.queueId, entries);
      for (const delivery of state.deliveries.values()) if (delivery.attempt > 0) inFlight++;
      acked += state.acked.size;
    }
    return { queues: byQueue.size, inFlight, acked };
  }

  /**
   * Pops up to `maxMessages` messages from the topic's queues for the group, waiting up to
   * `pollTimeoutMs` when none is available. Messages whose invisible time has passed come first, then new ones.
   *
   * @throws `INVALID_NAME` for a bad group or topic; `INVALID_ARGUMENT` for a bad limit, duration, timeout
   * or queue id (as a rejected promise).
   */
  async pop(request: PopRequest): Promise<PopResult> {
    checkPopRequest(request);
    const { group, topic } = request;
    const deadline = this.#clock.now() + (request.pollTimeoutMs ?? 0);
    for (;;) {
      const queueIds = request.queueIds ?? (await this.#store.listQueues(topic)).map(({ queueId }) => queueId);
      const remaining = deadline - this.#clock.now();
      // Register before looking, so that an append or release between the look and the wait is not missed.
      const wait =
        remaining > 0 ? this.#longPoll.register(watchedQueues(group, topic, queueIds), remaining) : undefined;
      let messages: PoppedMessage[];
      try {
        messages = await this.#popOnce(request, queueIds);
      } catch (error) {
        wait?.cancel();
        throw error;
      }
      if (messages.length > 0 || wait === undefined) {
        wait?.cancel();
        return { messages };
      }
      if ((await wait.result) === 'timeout') return { messages: await this.#popOnce(request, queueIds) };
    }
  }

  /** Acks one delivery: the message is done for the group and never delivered to it again. */
  ack(group: string, receiptHandle: string): Promise<AckResult> {
    return this.#finish(group, receiptHandle);
  }

  /**
   * Records that the client moved the delivered message to the dead-letter queue (after its last
   * attempt): for the group it counts as acked, so the next message of its FIFO message group flows.
   */
  markDeadLettered(group: string, receiptHandle: string): Promise<AckResult> {
    return this.#finish(group, receiptHandle);
  }

  /**
   * Sets a delivered message's invisible time to `invisibleDurationMs` from now (0 makes it visible at
   * once), keeping its attempt count. The old handle becomes invalid; use the one returned.
   *
   * @throws `INVALID_ARGUMENT` unless `invisibleDurationMs` is an integer ≥ 0.
   */
  async changeInvisibleDuration(
    group: string,
    receiptHandle: string,
    invisibleDurationMs: number,
  ): Promise<ChangeInvisibleDurationResult> {
    if (!Number.isSafeInteger(invisibleDurationMs) || invisibleDurationMs < 0) {
      throw new EddyError(
        'INVALID_ARGUMENT',
        `invisibleDurationMs must be an integer ≥ 0, got ${String(invisibleDurationMs)}`,
      );
    }
    const found = await this.#lookUp(group, receiptHandle);
    if (found.status !== 'ok') return { status: found.status, receiptHandle };
    const { state, handle } = found;
    return this.#serially(state, async (): Promise<ChangeInvisibleDurationResult> => {
      const checked = this.#current(state, handle);
      if (checked.status !== 'ok') return { status: checked.status, receiptHandle };
      const { delivery } = checked;
      const token = this.#newToken();
      const invisibleUntil = this.#clock.now() + invisibleDurationMs;
      await this.#metadata.put(
        popRecordKey(state.group, state.topic, state.queueId, 'inflight', delivery.offset),
        encodeInFlightRecord({
          attempt: delivery.attempt,
          invisibleUntil,
          token,
          clientId: delivery.clientId,
          messageGroup: delivery.messageGroup,
        }),
      );
      this.#invisible.remove(delivery);
      delivery.token = token;
      delivery.deadline = invisibleUntil;
      if (invisibleUntil > this.#clock.now()) this.#invisible.push(delivery);
      this.#arm();
      if (invisibleDurationMs === 0) this.#longPoll.notify(redeliveryChannel(state.group, state.topic), state.queueId);
      return { status: 'ok', receiptHandle: encodeReceiptHandle({ ...handle, token, invisibleUntil }) };
    });
  }

  /** One queue's state for the group (loading it if needed). */
  async queueState(group: string, topic: string, queueId: number): Promise<PopQueueState> {
    checkPopName('group', group);
    checkPopName('topic', topic);
    checkQueueId(queueId);
    const state = await this.#queue(group, topic, queueId);
    const now = this.#clock.now();
    let inFlight = 0;
    let awaitingRedelivery = 0;
    let heldBack = 0;
    for (const delivery of state.deliveries.values()) {
      if (delivery.attempt === 0) heldBack++;
      else if (delivery.deadline > now) inFlight++;
      else awaitingRedelivery++;
    }
    return {
      committedOffset: state.committed,
      inFlight,
      awaitingRedelivery,
      heldBack,
      ackedAboveCommit: state.acked.size,
    };
  }

  /**
   * Forgets the topic for every group: its in-flight and acked records go in one atomic metadata batch,
   * its in-memory queue states are dropped (handles issued for it become `'invalid-handle'`). Call it when
   * the topic is deleted, before deleting the topic's committed offsets in the {@link ConsumerOffsetStore}
   * (a pop that loads the queue in between notices the offset vanish and starts afresh).
   *
   * Keys put the group before the topic, so this scans the whole `consume/pop/` range: O(all pop
   * records) reads, acceptable for a rare admin operation. Operations on the topic's loaded queues wait
   * for it, and it for them.
   *
   * @returns how many records were removed.
   * @throws `INVALID_NAME` for a topic name that cannot be a key segment.
   */
  async deleteTopic(topic: string): Promise<number> {
    checkPopName('topic', topic);
    const states: QueueState[] = [];
    for (const loading of [...this.#queues.values()]) {
      const state = await loading.catch(() => undefined);
      if (state?.topic === topic && this.#queues.get(queueName(state.group, topic, state.queueId)) === loading) {
        states.push(state);
      }
    }
    // Hold every loaded queue of the topic, so that no pop or ack writes a record behind the deletion.
    let release = (): void => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await Promise.all(
      states.map(
        (state) =>
          new Promise<void>((acquired) => {
            void this.#serially(state, () => {
              acquired();
              return released;
            });
          }),
      ),
    );
    try {
      const keys: string[] = [];
      for (const { key } of await this.#metadata.scan(POP_STATE_PREFIX)) {
        if (parsePopKey(key)?.topic === topic) keys.push(key);
      }
      if (keys.length > 0) await this.#metadata.batch(keys.map((key) => ({ type: 'delete', key })));
      for (const state of states) {
        state.dropped = true;
        for (const delivery of state.deliveries.values()) this.#invisible.remove(delivery);
        state.deliveries.clear();
        state.acked.clear();
        this.#queues.delete(queueName(state.group, topic, state.queueId));
      }
      for (const key of [...this.#rotation.keys()]) if (key.endsWith(`\u0000${topic}`)) this.#rotation.delete(key);
      this.#arm();
      return keys.length;
    } finally {
      release();
    }
  }

  /** Stops the redelivery timer. Durable state stays; a new service over the same store recovers it. */
  close(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
  }

  async #popOnce(request: PopRequest, queueIds: readonly number[]): Promise<PoppedMessage[]> {
    const count = queueIds.length;
    if (count === 0) return [];
    const rotationKey = `${request.group}\u0000${request.topic}`;
    const start = (this.#rotation.get(rotationKey) ?? 0) % count;
    this.#rotation.set(rotationKey, (start + 1) % count);
    const popped: PoppedMessage[] = [];
    for (let index = 0; index < count && popped.length < request.maxMessages; index++) {
      const queueId = queueIds[(start + index) % count] as number;
      const state = await this.#queue(request.group, request.topic, queueId);
      const need = request.maxMessages - popped.length;
      popped.push(...(await this.#serially(state, () => this.#popQueue(state, request, need))));
    }
    return popped;
  }

  async #popQueue(state: QueueState, request: PopRequest, need: number): Promise<PoppedMessage[]> {
    // Its topic was deleted while this pop waited for the queue; the next pop loads a fresh state.
    if (state.dropped) return [];
    await this.#syncCommitted(state);
    const { topic, queueId } = state;
    const fifo = request.fifo === true;
    const now = this.#clock.now();
    const planned: PlannedDelivery[] = [];
    const dropped: Delivery[] = [];
    // FIFO: message groups with an earlier unacked message in this queue.
    const busyGroups = new Set<string>();

    const pending = [...state.deliveries.values()].sort((a, b) => a.offset - b.offset);
    for (const delivery of pending) {
      const messageGroup = fifo ? delivery.messageGroup : undefined;
      const blocked = messageGroup !== undefined && busyGroups.has(messageGroup);
      if (messageGroup !== undefined) busyGroups.add(messageGroup);
      if (blocked || delivery.deadline > now || planned.length >= need) continue;
      const read = await this.#store.read(topic, queueId, delivery.offset, { maxMessages: 1 });
      const message = read.status === 'ok' ? read.messages[0] : undefined;
      if (message === undefined || message.queueOffset !== delivery.offset) {
        // Removed by retention or with its topic: nothing left to deliver.
        dropped.push(delivery);
        continue;
      }
      planned.push({ delivery, message, attempt: delivery.attempt + 1, token: this.#newToken() });
    }

    const heldBack: StoredMessage[] = [];
    let cursor = state.cursor;
    let budget = SCAN_BUDGET;
    let fresh = 0;
    const room = (): number =>
      this.#config.maxPendingPerQueue - (state.deliveries.size - dropped.length) - heldBack.length - fresh;
    while (planned.length < need && budget > 0 && room() > 0) {
      const wanted = need - planned.length;
      const read = await this.#store.read(topic, queueId, cursor, {
        maxMessages: Math.min(budget, fifo ? Math.max(wanted, 32) : wanted),
        ...(request.filter?.tags === undefined ? {} : { tags: request.filter.tags }),
      });
      if (read.status === 'unknown-queue') break;
      if (read.status === 'offset-out-of-range') {
        if (cursor >= read.minOffset) break;
        cursor = read.minOffset;
        continue;
      }
      let stopped = false;
      for (const message of read.messages) {
        if (planned.length >= need || room() <= 0) {
          stopped = true;
          break;
        }
        budget--;
        const offset = message.queueOffset;
        cursor = offset + 1;
        if (state.acked.has(offset) || state.deliveries.has(offset)) continue;
        if (request.filter?.matches !== undefined && !request.filter.matches(message)) continue;
        const messageGroup = fifo ? message.messageGroup : undefined;
        if (messageGroup !== undefined && busyGroups.has(messageGroup)) {
          heldBack.push(message);
          continue;
        }
        if (messageGroup !== undefined) busyGroups.add(messageGroup);
        planned.push({ delivery: undefined, message, attempt: 1, token: this.#newToken() });
        fresh++;
      }
      if (stopped) break;
      // A tag-filtered read may have looked past entries it did not return.
      cursor = Math.max(cursor, read.nextOffset);
      budget--;
      if (read.nextOffset >= read.maxOffset) break;
    }

    const invisibleUntil = now + request.invisibleDurationMs;
    const operations: MetadataOperation[] = [];
    for (const { message, attempt, token } of planned) {
      operations.push({
        type: 'put',
        key: popRecordKey(state.group, topic, queueId, 'inflight', message.queueOffset),
        value: encodeInFlightRecord({
          attempt,
          invisibleUntil,
          token,
          clientId: request.clientId,
          messageGroup: message.messageGroup,
        }),
      });
    }
    for (const delivery of dropped) {
      if (delivery.attempt > 0) {
        operations.push({
          type: 'delete',
          key: popRecordKey(state.group, topic, queueId, 'inflight', delivery.offset),
        });
      }
    }
    if (operations.length > 0) await this.#metadata.batch(operations);

    for (const delivery of dropped) {
      state.deliveries.delete(delivery.offset);
      this.#invisible.remove(delivery);
    }
    const popped: PoppedMessage[] = [];
    for (const { delivery: existing, message, attempt, token } of planned) {
      let delivery = existing;
      if (delivery === undefined) {
        delivery = newDelivery(state, message);
        state.deliveries.set(delivery.offset, delivery);
      }
      this.#invisible.remove(delivery);
      delivery.attempt = attempt;
      delivery.token = token;
      delivery.clientId = request.clientId;
      delivery.deadline = invisibleUntil;
      this.#invisible.push(delivery);
      popped.push({
        message,
        receiptHandle: encodeReceiptHandle({
          group: state.group,
          topic,
          queueId,
          offset: delivery.offset,
          token,
          invisibleUntil,
        }),
        deliveryAttempt: message.reconsumeTimes + attempt,
        invisibleUntil,
      });
    }
    for (const message of heldBack) {
      const delivery = newDelivery(state, message);
      state.deliveries.set(delivery.offset, delivery);
    }
    state.cursor = cursor;
    this.#arm();
    // Skipped (filtered or gone) messages may have closed the gap above the committed offset.
    const cleanUp = await this.#advanceCommitted(state);
    if (cleanUp.length > 0) await this.#cleanUp(state, cleanUp);
    return popped;
  }

  async #finish(group: string, receiptHandle: string): Promise<AckResult> {
    const found = await this.#lookUp(group, receiptHandle);
    if (found.status !== 'ok') return { status: found.status };
    const { state, handle } = found;
    return this.#serially(state, async (): Promise<AckResult> => {
      const checked = this.#current(state, handle);
      if (checked.status !== 'ok') return { status: checked.status };
      const { delivery } = checked;
      const inFlightKey = popRecordKey(state.group, state.topic, state.queueId, 'inflight', delivery.offset);
      const low = lowWaterMark(state, delivery.offset);
      if (low > (state.committed ?? 0)) {
        // The ack closes the gap above the committed offset: commit first, then drop the records below it
        // (after a crash in between, recovery drops them as below the committed offset).
        const cleanUp = await this.#commitTo(state, low);
        this.#remove(delivery);
        await this.#cleanUp(state, [{ type: 'delete', key: inFlightKey }, ...cleanUp]);
      } else {
        // One atomic batch: the message is never both forgotten and unacked.
        await this.#metadata.batch([
          { type: 'delete', key: inFlightKey },
          {
            type: 'put',
            key: popRecordKey(state.group, state.topic, state.queueId, 'acked', delivery.offset),
            value: ACKED_RECORD_VALUE,
          },
        ]);
        this.#remove(delivery);
        state.acked.add(delivery.offset);
      }
      this.#arm();
      if (delivery.messageGroup !== undefined) {
        this.#longPoll.notify(redeliveryChannel(state.group, state.topic), state.queueId);
      }
      return { status: 'ok' };
    });
  }

  // Decodes a handle and finds its queue; the delivery itself is checked under the queue's lock.
  async #lookUp(
    group: string,
    receiptHandle: string,
  ): Promise<
    { status: 'ok'; state: QueueState; handle: ReceiptHandleFields } | { status: 'invalid-handle' | 'expired' }
  > {
    const handle = decodeReceiptHandle(receiptHandle);
    if (handle === undefined || handle.group !== group || !isKeySegment(group) || !isKeySegment(handle.topic)) {
      return { status: 'invalid-handle' };
    }
    if (this.#clock.now() >= handle.invisibleUntil) return { status: 'expired' };
    return { status: 'ok', state: await this.#queue(group, handle.topic, handle.queueId), handle };
  }

  #current(
    state: QueueState,
    handle: ReceiptHandleFields,
  ): { status: 'ok'; delivery: Delivery } | { status: 'invalid-handle' | 'expired' } {
    const delivery = state.deliveries.get(handle.offset);
    if (delivery === undefined || delivery.attempt === 0 || delivery.token !== handle.token) {
      return { status: 'invalid-handle' };
    }
    if (this.#clock.now() >= delivery.deadline) return { status: 'expired' };
    return { status: 'ok', delivery };
  }

  #remove(delivery: Delivery): void {
    delivery.queue.deliveries.delete(delivery.offset);
    this.#invisible.remove(delivery);
  }

  // Commits the queue's low-water mark when it moved up; returns the deletions of acked records it passed.
  async #advanceCommitted(state: QueueState): Promise<MetadataOperation[]> {
    const low = lowWaterMark(state);
    if (state.committed === undefined || low <= state.committed) return [];
    return this.#commitTo(state, low);
  }

  async #commitTo(state: QueueState, low: number): Promise<MetadataOperation[]> {
    await this.#offsets.commit(state.group, state.topic, state.queueId, low);
    state.committed = low;
    const operations: MetadataOperation[] = [];
    for (const offset of state.acked) {
      if (offset >= low) continue;
      state.acked.delete(offset);
      operations.push({ type: 'delete', key: popRecordKey(state.group, state.topic, state.queueId, 'acked', offset) });
    }
    return operations;
  }

  // Records below the committed offset are dead weight, not state: failing to delete them is only logged.
  async #cleanUp(state: QueueState, operations: readonly MetadataOperation[]): Promise<void> {
    try {
      await this.#metadata.batch(operations);
    } catch (error) {
      this.#logger.warn('pop state: could not delete records below the committed offset; recovery will', {
        group: state.group,
        topic: state.topic,
        queueId: state.queueId,
        error: String(error),
      });
    }
  }

  // Sets where a new group starts, or follows an admin reset of the committed offset.
  async #syncCommitted(state: QueueState): Promise<void> {
    const stored = await this.#offsets.committed(state.group, state.topic, state.queueId);
    if (stored !== undefined && stored === state.committed) return;
    if (state.committed !== undefined || state.deliveries.size > 0 || state.acked.size > 0) {
      this.#logger.info('pop state: the committed offset was changed from outside; dropping in-flight state', {
        group: state.group,
        topic: state.topic,
        queueId: state.queueId,
        was: state.committed,
        now: stored,
      });
      for (const delivery of state.deliveries.values()) this.#invisible.remove(delivery);
      state.deliveries.clear();
      state.acked.clear();
      const records = await this.#metadata.scan(popQueuePrefix(state.group, state.topic, state.queueId));
      if (records.length > 0) await this.#metadata.batch(records.map(({ key }) => ({ type: 'delete', key })));
      this.#arm();
    }
    let start = stored;
    if (start === undefined) {
      start = await resolveStartOffset(this.#store, state.topic, state.queueId, this.#config.consumeFromWhere);
      // Fixed from the first pop on: a restart must not move a "latest" start past unconsumed messages.
      await this.#offsets.commit(state.group, state.topic, state.queueId, start);
    }
    state.committed = start;
    state.cursor = start;
  }

  #queue(group: string, topic: string, queueId: number, entries?: readonly MetadataEntry[]): Promise<QueueState> {
    const name = queueName(group, topic, queueId);
    let loading = this.#queues.get(name);
    if (loading === undefined) {
      loading = this.#load(group, topic, queueId, entries);
      this.#queues.set(name, loading);
      // A failed load is tried again next time.
      loading.catch(() => {
        if (this.#queues.get(name) === loading) this.#queues.delete(name);
      });
    }
    return loading;
  }

  async #load(
    group: string,
    topic: string,
    queueId: number,
    preloaded: readonly MetadataEntry[] | undefined,
  ): Promise<QueueState> {
    const entries = preloaded ?? (await this.#metadata.scan(popQueuePrefix(group, topic, queueId)));
    const committed = await this.#offsets.committed(group, topic, queueId);
    const state: QueueState = {
      group,
      topic,
      queueId,
      committed,
      cursor: committed ?? 0,
      deliveries: new Map(),
      acked: new Set(),
      tail: Promise.resolve(),
      dropped: false,
    };
    const now = this.#clock.now();
    const stale: MetadataOperation[] = [];
    for (const { key, value } of entries) {
      const parsed = parsePopKey(key);
      if (parsed === undefined) continue;
      // Left behind by a crash between a commit and its clean-up, or by offsets deleted from outside.
      if (committed === undefined || parsed.offset < committed) {
        stale.push({ type: 'delete', key });
        continue;
      }
      if (parsed.kind === 'acked') {
        state.acked.add(parsed.offset);
        continue;
      }
      let record: ReturnType<typeof decodeInFlightRecord>;
      try {
        record = decodeInFlightRecord(key, value);
      } catch (error) {
        // Without its record the message reads as new and is delivered again: at least once still holds.
        this.#logger.error('pop state: skipping a damaged in-flight record', { key, error: String(error) });
        continue;
      }
      const delivery: Delivery = {
        queue: state,
        offset: parsed.offset,
        messageGroup: record.messageGroup,
        attempt: record.attempt,
        token: record.token,
        clientId: record.clientId,
        deadline: record.invisibleUntil,
        heapIndex: -1,
      };
      state.deliveries.set(delivery.offset, delivery);
      if (delivery.deadline > now) this.#invisible.push(delivery);
    }
    if (stale.length > 0) await this.#cleanUp(state, stale);
    this.#arm();
    return state;
  }

  #serially<T>(state: QueueState, task: () => Promise<T>): Promise<T> {
    const result = state.tail.then(task);
    state.tail = result.catch(() => undefined);
    return result;
  }

  #newToken(): string {
    this.#tokenCounter++;
    return `${this.#tokenPrefix}${this.#tokenCounter.toString(36)}`;
  }

  // Keeps one timer at or before the earliest invisible deadline (as LongPollRegistry does). A timer
  // left early (its delivery was acked) fires, finds nothing due and re-arms.
  #arm(): void {
    const first = this.#invisible.peek();
    if (first === undefined) {
      this.close();
      return;
    }
    if (this.#timer !== undefined && this.#timerDue <= first.deadline) return;
    this.#timer?.cancel();
    this.#timerDue = first.deadline;
    this.#timer = this.#clock.schedule(Math.max(1, first.deadline - this.#clock.now()), () => this.#expire());
  }

  #expire(): void {
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    const released = new Map<string, WatchedQueue>();
    for (let first = this.#invisible.peek(); first !== undefined && first.deadline <= now; ) {
      this.#invisible.remove(first);
      const { group, topic, queueId } = first.queue;
      const channel = redeliveryChannel(group, topic);
      released.set(`${channel}\u0000${queueId}`, { topic: channel, queueId });
      first = this.#invisible.peek();
    }
    this.#arm();
    for (const { topic, queueId } of released.values()) this.#longPoll.notify(topic, queueId);
  }
}

function newDelivery(state: QueueState, message: StoredMessage): Delivery {
  return {
    queue: state,
    offset: message.queueOffset,
    messageGroup: message.messageGroup,
    attempt: 0,
    token: '',
    clientId: '',
    deadline: 0,
    heapIndex: -1,
  };
}

// The lowest offset the group still needs: its read position or an unacked message below it.
function lowWaterMark(state: QueueState, ignoring?: number): number {
  let low = state.cursor;
  for (const offset of state.deliveries.keys()) if (offset < low && offset !== ignoring) low = offset;
  return low;
}

function queueName(group: string, topic: string, queueId: number): string {
  return `${group}\u0000${topic}\u0000${queueId}`;
}

// Wakes pops of one group on one topic (a message became visible, a FIFO message group was released)
// through the shared LongPollRegistry, under a name no topic can have.
function redeliveryChannel(group: string, topic: string): string {
  return `\u0000pop\u0000${group}\u0000${topic}`;
}

function watchedQueues(group: string, topic: string, queueIds: readonly number[]): WatchedQueue[] {
  const ids = queueIds.length > 0 ? queueIds : [0];
  const channel = redeliveryChannel(group, topic);
  return ids.flatMap((queueId) => [
    { topic, queueId },
    { topic: channel, queueId },
  ]);
}

function isKeySegment(name: string): boolean {
  return name.length > 0 && !name.includes('/');
}

function checkPopRequest(request: PopRequest): void {
  checkPopName('group', request.group);
  checkPopName('topic', request.topic);
  if (typeof request.clientId !== 'string') throw new EddyError('INVALID_ARGUMENT', 'clientId must be a string');
  if (!Number.isSafeInteger(request.maxMessages) || request.maxMessages < 1) {
    throw new EddyError('INVALID_ARGUMENT', `maxMessages must be an integer ≥ 1, got ${String(request.maxMessages)}`);
  }
  if (!Number.isSafeInteger(request.invisibleDurationMs) || request.invisibleDurationMs < 1) {
    throw new EddyError(
      'INVALID_ARGUMENT',
      `invisibleDurationMs must be an integer ≥ 1, got ${String(request.invisibleDurationMs)}`,
    );
  }
  const timeout = request.pollTimeoutMs ?? 0;
  if (!Number.isFinite(timeout) || timeout < 0) {
    throw new EddyError('INVALID_ARGUMENT', `pollTimeoutMs must be a finite number ≥ 0, got ${String(timeout)}`);
  }
  for (const queueId of request.queueIds ?? []) checkQueueId(queueId);
}
