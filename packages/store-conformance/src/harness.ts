import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Clock,
  createMessage,
  DEFAULT_MESSAGE_LIMITS,
  type Message,
  MessageIdGenerator,
  type MessageInit,
} from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { afterEach, beforeEach } from 'vitest';
import { ManualClock } from './manual-clock.js';

/**
 * How the conformance suite opens the engine under test. The suite owns the directory and the clock:
 * it makes a fresh temporary directory per test (and removes it afterwards) and drives time itself.
 */
export interface StoreHarness {
  /**
   * Opens a store that keeps its files in `context.dir` and takes every timestamp from
   * `context.clock`. Called again with the same directory after `close()` to check persistence, so a
   * durable engine must find there what it wrote before.
   */
  open(context: { readonly dir: string; readonly clock: Clock }): Promise<MessageStore>;
  /**
   * True when the engine keeps messages and metadata across `close()` and reopening the same directory.
   * Must match the store's `capabilities.durable`; enables the persistence tests.
   */
  durable: boolean;
  /** The engine's configured `maxBodySize`, in bytes. Default 4 MiB, the contract's default. */
  maxBodySize?: number;
  /**
   * The engine's retention granularity, which must match `capabilities.retention`. Default `'message'`;
   * only `'message'` engines get the test that every older message is removed.
   */
  retention?: 'message' | 'segment';
  /**
   * True when the engine keeps encoded batches (`capabilities.encodedBatches`); it must then be opened
   * with `conformanceBatchDecoder` for the suite's format. Enables the encoded-batch tests.
   */
  encodedBatches?: boolean;
}

/** The body limit the suite expects the engine to enforce. */
export function maxBodySizeOf(harness: StoreHarness): number {
  return harness.maxBodySize ?? DEFAULT_MESSAGE_LIMITS.maxBodySize;
}

/** What one test works with: a fresh store in a fresh directory, driven by a manual clock. */
export interface StoreContext {
  readonly store: MessageStore;
  readonly clock: ManualClock;
  readonly dir: string;
  /** Closes the store and opens the same directory again; the result becomes {@link StoreContext.store}. */
  reopen(): Promise<MessageStore>;
  /** A complete message of `topic`, with an id from this test's generator and the born time from the clock. */
  message(topic: string, init?: Partial<MessageInit>): Message;
}

/** Makes temporary directories and opens stores for one test; cleans up whatever it made. */
export class StoreSession {
  readonly #harness: StoreHarness;
  readonly #opened: MessageStore[] = [];
  readonly #dirs: string[] = [];

  constructor(harness: StoreHarness) {
    this.#harness = harness;
  }

  async makeDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'eddy-conformance-'));
    this.#dirs.push(dir);
    return dir;
  }

  async open(dir: string, clock: Clock): Promise<MessageStore> {
    const store = await this.#harness.open({ dir, clock });
    this.#opened.push(store);
    return store;
  }

  /** Closes every store this session opened (close is idempotent) and removes its directories. */
  async dispose(): Promise<void> {
    const stores = this.#opened.splice(0);
    const dirs = this.#dirs.splice(0);
    try {
      for (const store of stores) await store.close();
    } finally {
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    }
  }
}

class Context implements StoreContext {
  readonly clock = new ManualClock();
  readonly #session: StoreSession;
  readonly #ids = new MessageIdGenerator({ now: () => this.clock.now() });
  #store: MessageStore | undefined;
  #dir: string | undefined;

  constructor(session: StoreSession) {
    this.#session = session;
  }

  async start(): Promise<void> {
    this.#dir = await this.#session.makeDir();
    this.#store = await this.#session.open(this.#dir, this.clock);
  }

  get store(): MessageStore {
    if (this.#store === undefined) throw new Error('the store is opened in beforeEach; use it inside a test');
    return this.#store;
  }

  get dir(): string {
    if (this.#dir === undefined) throw new Error('the directory is made in beforeEach; use it inside a test');
    return this.#dir;
  }

  async reopen(): Promise<MessageStore> {
    await this.store.close();
    this.#store = await this.#session.open(this.dir, this.clock);
    return this.#store;
  }

  message(topic: string, init: Partial<MessageInit> = {}): Message {
    return createMessage({ body: `body of ${topic}`, ...init, topic }, { clock: this.clock, ids: this.#ids });
  }
}

/**
 * Registers `beforeEach`/`afterEach` hooks in the calling `describe` block that give every test a
 * fresh store, and close it and remove its directory afterwards. Read the returned context only
 * inside tests.
 */
export function useStore(harness: StoreHarness): StoreContext {
  let current: Context | undefined;
  let session: StoreSession | undefined;
  beforeEach(async () => {
    session = new StoreSession(harness);
    current = new Context(session);
    await current.start();
  });
  afterEach(async () => {
    const ending = session;
    session = undefined;
    current = undefined;
    await ending?.dispose();
  });
  const active = (): Context => {
    if (current === undefined) throw new Error('no store is open: use the context inside a test');
    return current;
  };
  return {
    get store() {
      return active().store;
    },
    get clock() {
      return active().clock;
    },
    get dir() {
      return active().dir;
    },
    reopen: () => active().reopen(),
    message: (topic, init) => active().message(topic, init),
  };
}
