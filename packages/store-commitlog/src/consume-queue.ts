import { EddyError } from '@eddy/message';
import { type FileSystem, joinPath } from './file-layer.js';
import { HandleCache } from './handle-cache.js';

/**
 * Bytes of one ConsumeQueue entry: CommitLog position u64, record size u32, batch member u32 (0, or
 * `i + 1` for record `i` of a batch record), tag code u32.
 */
export const CONSUME_QUEUE_ENTRY_SIZE = 20;
const TWO_32 = 2 ** 32;
// Syncs of ConsumeQueue files at once: bounds the descriptors a flush opens for files the LRU closed.
const SYNC_CONCURRENCY = 16;
// A queue's unwritten tail is written out once it holds this many bytes: one write per ~3,000 entries
// instead of one per batch.
const MAX_TAIL_BYTES = 64 * 1024;
// A tail buffer starts this small and doubles, so that 10,000 queues with a message each stay cheap.
const INITIAL_TAIL_BYTES = 64 * CONSUME_QUEUE_ENTRY_SIZE;
// Bound on the tail buffers of all queues together: past it every tail is written out and its buffer
// dropped, so memory stays bounded however many queues are written.
const TAIL_BUDGET_BYTES = 16 * 1024 * 1024;

/** One decoded ConsumeQueue entry. */
export interface ConsumeQueueEntry {
  /** Where the record starts in the CommitLog. */
  readonly position: number;
  /** The record's encoded size. */
  readonly size: number;
  /** `tagCode(tag)` of the record (0 for no tag). */
  readonly tagCode: number;
  /** 0 for a message record; `i + 1` for record `i` of a batch record (all its entries share position and size). */
  readonly member: number;
}

/** Writes one entry at `at` of `target`. */
export function encodeConsumeQueueEntry(
  target: Buffer,
  at: number,
  position: number,
  size: number,
  tagCode: number,
): void {
  target.writeUInt32BE(Math.floor(position / TWO_32), at);
  target.writeUInt32BE(position >>> 0, at + 4);
  target.writeUInt32BE(size, at + 8);
  target.writeUInt32BE(0, at + 12);
  target.writeUInt32BE(tagCode >>> 0, at + 16);
}

/** Reads the entry at `at` of `source`. */
export function decodeConsumeQueueEntry(source: Buffer, at: number): ConsumeQueueEntry {
  return {
    position: source.readUInt32BE(at) * TWO_32 + source.readUInt32BE(at + 4),
    size: source.readUInt32BE(at + 8),
    member: source.readUInt32BE(at + 12),
    tagCode: source.readUInt32BE(at + 16),
  };
}

/**
 * The big-endian u32 at `at` of `source`, read byte by byte: on the read and dispatch hot paths this is
 * several times cheaper than `Buffer#readUInt32BE`, which checks its arguments on every call. The
 * caller keeps `at` in range.
 */
export function uint32At(source: Uint8Array, at: number): number {
  return (
    (source[at] as number) * 0x1000000 +
    (((source[at + 1] as number) << 16) | ((source[at + 2] as number) << 8) | (source[at + 3] as number))
  );
}

/** Writes `value` (a u32) big-endian at `at` of `target`, unchecked, for the same reason as {@link uint32At}. */
function setUint32At(target: Uint8Array, at: number, value: number): void {
  target[at] = value >>> 24;
  target[at + 1] = value >>> 16;
  target[at + 2] = value >>> 8;
  target[at + 3] = value;
}

/**
 * A directory name for a topic: letters, digits, `.`, `_` and `-` stay as they are, everything else
 * (and a leading dot, so that `.` and `..` cannot escape) is %-encoded UTF-8, so any topic name is a
 * safe, reversible file name.
 */
export function topicDirectoryName(topic: string): string {
  let name = '';
  for (const byte of Buffer.from(topic, 'utf8')) {
    const char = String.fromCharCode(byte);
    const plain = /[A-Za-z0-9_-]/.test(char) || (char === '.' && name.length > 0);
    name += plain ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return name;
}

/** The topic a {@link topicDirectoryName} stands for. */
export function topicFromDirectoryName(name: string): string {
  return decodeURIComponent(name);
}

function fileName(firstOffset: number): string {
  return String(firstOffset).padStart(20, '0');
}

/**
 * One queue's ConsumeQueue, as held in memory: only its range and file list, so that 10,000 queues are
 * cheap. Entries live in files named by their first queue offset (a multiple of entries per file).
 */
export class ConsumeQueue {
  readonly topic: string;
  readonly queueId: number;
  readonly dir: string;
  /** The lowest readable offset. */
  minOffset: number;
  /** The offset of the next entry. */
  maxOffset: number;
  /** First offsets of the files on disk, ascending. */
  files: number[];
  /** The last file path built, kept because building and hashing it on every append costs more than the write. */
  cachedFile = -1;
  cachedPath = '';
  /**
   * Entries `tailOffset … maxOffset - 1`, dispatched but not yet written to their files (see
   * {@link ConsumeQueueStore.appendEntry}); `tail` is undefined until the queue first buffers one.
   */
  tail: Uint8Array | undefined = undefined;
  /** The first offset not yet written to the files: entries below it are on disk, from it in `tail`. */
  tailOffset = 0;

  constructor(topic: string, queueId: number, dir: string, minOffset: number, maxOffset: number, files: number[]) {
    this.topic = topic;
    this.queueId = queueId;
    this.dir = dir;
    this.minOffset = minOffset;
    this.maxOffset = maxOffset;
    this.files = files;
    this.tailOffset = maxOffset;
  }
}

/**
 * Every ConsumeQueue of the store: `<root>/<topic>/<queueId>/<first offset>`, 20-byte entries.
 *
 * Dispatch appends entries to a per-queue tail in memory ({@link ConsumeQueueStore.appendEntry}), and
 * reads serve them from there, so an acknowledged append is readable at once without a write per batch.
 * A tail is written to its files when it reaches 64 KiB, when all tails together pass a budget, before
 * any direct write or cut of its queue, and by {@link ConsumeQueueStore.flush} — which the store runs
 * before every checkpoint, so a checkpoint never counts entries that are not on disk and fsynced. The
 * entries are derived data: after a crash, recovery rebuilds whatever a lost tail held from the
 * CommitLog. File handles are opened lazily and the least recently used closed beyond a bound.
 */
export class ConsumeQueueStore {
  readonly root: string;
  readonly entriesPerFile: number;
  readonly #fileSystem: FileSystem;
  readonly #handles: HandleCache;
  readonly #topics = new Map<string, Map<number, ConsumeQueue>>();
  #dirtyFiles = new Set<string>();
  #dirtyDirectories = new Set<string>();
  /** Queues holding unwritten tail entries. */
  readonly #tails = new Set<ConsumeQueue>();
  /** Bytes of tail buffers allocated, across queues. */
  #tailCapacity = 0;

  constructor(fileSystem: FileSystem, root: string, options: { entriesPerFile: number; maxOpenFiles: number }) {
    this.#fileSystem = fileSystem;
    this.root = root;
    this.entriesPerFile = options.entriesPerFile;
    this.#handles = new HandleCache(fileSystem, options.maxOpenFiles);
  }

  /** File handles open now; for tests of the bound. */
  get openFileCount(): number {
    return this.#handles.openCount;
  }

  /**
   * Finds every queue on disk. A queue's end comes from its last file's size (a torn partial entry is
   * cut off); its start from its first file, which the store may raise from its saved minimum offsets.
   *
   * @throws `INVALID_CONFIG` when the files were written with another `consumeQueueEntriesPerFile`.
   */
  load(): void {
    this.#fileSystem.mkdir(this.root);
    for (const topicName of this.#fileSystem.list(this.root)) {
      let topic: string;
      try {
        topic = topicFromDirectoryName(topicName);
      } catch {
        continue;
      }
      const topicDir = joinPath(this.root, topicName);
      for (const queueName of this.#fileSystem.list(topicDir)) {
        if (!/^\d+$/.test(queueName)) continue;
        const queueId = Number(queueName);
        const dir = joinPath(topicDir, queueName);
        const files: number[] = [];
        for (const name of this.#fileSystem.list(dir)) {
          if (!/^\d{20}$/.test(name)) continue;
          const first = Number(name);
          if (first % this.entriesPerFile !== 0) {
            throw new EddyError(
              'INVALID_CONFIG',
              `ConsumeQueue file ${joinPath(dir, name)} does not start at a multiple of consumeQueueEntriesPerFile ${this.entriesPerFile}: it was written with another setting`,
            );
          }
          files.push(first);
        }
        files.sort((left, right) => left - right);
        const last = files.at(-1);
        if (last === undefined) continue;
        const path = joinPath(dir, fileName(last));
        const handle = this.#handles.get(path);
        const size = handle.size();
        const whole = size - (size % CONSUME_QUEUE_ENTRY_SIZE);
        if (whole !== size) handle.truncate(whole);
        const maxOffset = last + whole / CONSUME_QUEUE_ENTRY_SIZE;
        if (maxOffset === 0) continue;
        const queue = new ConsumeQueue(topic, queueId, dir, Math.min(files[0] as number, maxOffset), maxOffset, files);
        this.#topicMap(topic).set(queueId, queue);
      }
    }
  }

  /** The queue, or undefined. */
  queue(topic: string, queueId: number): ConsumeQueue | undefined {
    return this.#topics.get(topic)?.get(queueId);
  }

  /** A topic's queues, or undefined for an unknown topic. */
  queuesOf(topic: string): ReadonlyMap<number, ConsumeQueue> | undefined {
    return this.#topics.get(topic);
  }

  /** Every topic with a queue. */
  topics(): IterableIterator<string> {
    return this.#topics.keys();
  }

  /** Every queue. */
  *allQueues(): IterableIterator<ConsumeQueue> {
    for (const queues of this.#topics.values()) yield* queues.values();
  }

  /** A new, empty queue starting at `firstOffset`, in memory until its first entry is written. */
  create(topic: string, queueId: number, firstOffset = 0): ConsumeQueue {
    const dir = joinPath(this.root, topicDirectoryName(topic), String(queueId));
    const queue = new ConsumeQueue(topic, queueId, dir, firstOffset, firstOffset, []);
    this.#topicMap(topic).set(queueId, queue);
    return queue;
  }

  /** Forgets a queue that never got an entry (its append failed). */
  discardIfEmpty(queue: ConsumeQueue): void {
    if (queue.files.length > 0) return;
    const queues = this.#topics.get(queue.topic);
    queues?.delete(queue.queueId);
    if (queues?.size === 0) this.#topics.delete(queue.topic);
  }

  /**
   * Writes `count` encoded entries from `entries` at queue offset `offset` (at most the queue's end, so
   * no gap can appear), one write per file, and moves the queue's end past them.
   */
  write(queue: ConsumeQueue, offset: number, entries: Buffer, count: number): void {
    if (offset > queue.maxOffset) {
      throw new EddyError(
        'INTERNAL',
        `ConsumeQueue ${queue.topic}/${queue.queueId}: entry ${offset} would leave a gap after ${queue.maxOffset}`,
      );
    }
    // The files must hold everything below `offset` first, and a later write-out must not undo this one.
    this.#writeTail(queue);
    this.#writeFiles(queue, offset, entries, count);
    if (offset + count > queue.maxOffset) queue.maxOffset = offset + count;
    queue.tailOffset = queue.maxOffset;
  }

  /**
   * Appends one entry at the queue's end, in memory: it is readable at once and reaches its file when
   * the tail is written out (at 64 KiB, at {@link ConsumeQueueStore.flush}, or before a direct write).
   *
   * @throws `IO_ERROR` or `DISK_FULL` when writing out a full tail fails; the entry is then not added.
   */
  appendEntry(queue: ConsumeQueue, position: number, size: number, tagCode: number, member = 0): void {
    let tail = queue.tail;
    let used = (queue.maxOffset - queue.tailOffset) * CONSUME_QUEUE_ENTRY_SIZE;
    if (used + CONSUME_QUEUE_ENTRY_SIZE > MAX_TAIL_BYTES) {
      this.#writeTail(queue);
      used = 0;
    }
    if (tail === undefined || used + CONSUME_QUEUE_ENTRY_SIZE > tail.length) {
      tail = this.#growTail(queue, CONSUME_QUEUE_ENTRY_SIZE);
      // Growing may have written this tail out (budget spent): start again from what is left.
      used = (queue.maxOffset - queue.tailOffset) * CONSUME_QUEUE_ENTRY_SIZE;
    }
    const offset = queue.maxOffset;
    const first = offset - (offset % this.entriesPerFile);
    // The file is listed at once (its directory entry is made when the tail is written out), so that
    // the queue's file list always covers its range.
    if (first !== queue.files.at(-1) && !queue.files.includes(first)) this.#addFile(queue, first);
    setUint32At(tail, used, Math.floor(position / TWO_32));
    setUint32At(tail, used + 4, position >>> 0);
    setUint32At(tail, used + 8, size);
    setUint32At(tail, used + 12, member);
    setUint32At(tail, used + 16, tagCode >>> 0);
    if (used === 0) this.#tails.add(queue);
    queue.maxOffset = offset + 1;
  }

  #writeFiles(queue: ConsumeQueue, offset: number, entries: Uint8Array, count: number): void {
    let done = 0;
    while (done < count) {
      const at = offset + done;
      const first = at - (at % this.entriesPerFile);
      const inFile = Math.min(count - done, first + this.entriesPerFile - at);
      const path = this.#filePath(queue, first);
      if (!queue.files.includes(first)) this.#addFile(queue, first);
      const handle = this.#handles.get(path, true);
      const length = inFile * CONSUME_QUEUE_ENTRY_SIZE;
      const start = done * CONSUME_QUEUE_ENTRY_SIZE;
      let written = 0;
      while (written < length) {
        const n = handle.write(
          entries,
          start + written,
          length - written,
          (at - first) * CONSUME_QUEUE_ENTRY_SIZE + written,
        );
        if (n <= 0) throw new EddyError('IO_ERROR', `write to ${path} wrote nothing`);
        written += n;
      }
      this.#dirtyFiles.add(path);
      done += inFile;
    }
  }

  #addFile(queue: ConsumeQueue, first: number): void {
    if (queue.files.length === 0) this.#markNewQueueDirectories(queue);
    queue.files.push(first);
    queue.files.sort((left, right) => left - right);
    this.#dirtyDirectories.add(queue.dir);
  }

  /** A tail buffer with room for `more` bytes past what it holds; within the budget or after writing every tail out. */
  #growTail(queue: ConsumeQueue, more: number): Uint8Array {
    let used = (queue.maxOffset - queue.tailOffset) * CONSUME_QUEUE_ENTRY_SIZE;
    const old = queue.tail;
    if (old !== undefined && used + more <= old.length) return old;
    let capacity = old === undefined ? INITIAL_TAIL_BYTES : Math.min(old.length * 2, MAX_TAIL_BYTES);
    while (capacity < used + more) capacity *= 2;
    if (this.#tailCapacity - (old?.length ?? 0) + capacity > TAIL_BUDGET_BYTES) {
      this.#writeAllTails(true);
      used = 0;
      capacity = INITIAL_TAIL_BYTES;
      while (capacity < more) capacity *= 2;
    }
    const current = queue.tail;
    const grown = new Uint8Array(capacity);
    if (current !== undefined) grown.set(current.subarray(0, used));
    this.#tailCapacity += capacity - (current?.length ?? 0);
    queue.tail = grown;
    return grown;
  }

  /** Writes a queue's tail to its files (one write per file); on failure the tail stays, to be written again. */
  #writeTail(queue: ConsumeQueue): void {
    const count = queue.maxOffset - queue.tailOffset;
    if (count <= 0 || queue.tail === undefined) return;
    this.#writeFiles(queue, queue.tailOffset, queue.tail, count);
    queue.tailOffset = queue.maxOffset;
    this.#tails.delete(queue);
  }

  /** Writes every tail out; `release` also drops their buffers (the memory budget is spent). */
  #writeAllTails(release: boolean): void {
    for (const queue of [...this.#tails]) this.#writeTail(queue);
    if (!release) return;
    for (const queues of this.#topics.values()) {
      for (const queue of queues.values()) this.#dropTail(queue);
    }
  }

  /** Forgets a queue's tail buffer; its entries must have been written out or be meant to go. */
  #dropTail(queue: ConsumeQueue): void {
    if (queue.tail !== undefined) this.#tailCapacity -= queue.tail.length;
    queue.tail = undefined;
    queue.tailOffset = queue.maxOffset;
    this.#tails.delete(queue);
  }

  /**
   * Reads `count` entries from `offset` (within the queue's files) as one buffer of 20-byte entries.
   *
   * @throws `CORRUPT_DATA` when a file is shorter than the queue's range says.
   */
  readEntries(queue: ConsumeQueue, offset: number, count: number): Buffer {
    const target = Buffer.allocUnsafe(count * CONSUME_QUEUE_ENTRY_SIZE);
    // Entries from the tail on are in memory, not (yet) in the files.
    const fromFiles = Math.max(0, Math.min(count, queue.tailOffset - offset));
    if (fromFiles < count && queue.tail !== undefined) {
      const start = (offset + fromFiles - queue.tailOffset) * CONSUME_QUEUE_ENTRY_SIZE;
      target.set(
        queue.tail.subarray(start, start + (count - fromFiles) * CONSUME_QUEUE_ENTRY_SIZE),
        fromFiles * CONSUME_QUEUE_ENTRY_SIZE,
      );
    }
    let done = 0;
    while (done < fromFiles) {
      const at = offset + done;
      const first = at - (at % this.entriesPerFile);
      const inFile = Math.min(fromFiles - done, first + this.entriesPerFile - at);
      const path = this.#filePath(queue, first);
      if (!queue.files.includes(first)) {
        throw new EddyError('CORRUPT_DATA', `ConsumeQueue file ${path} for offset ${at} is missing`, {
          details: { path },
        });
      }
      const handle = this.#handles.get(path);
      const length = inFile * CONSUME_QUEUE_ENTRY_SIZE;
      const position = (at - first) * CONSUME_QUEUE_ENTRY_SIZE;
      let read = 0;
      while (read < length) {
        const n = handle.read(target, done * CONSUME_QUEUE_ENTRY_SIZE + read, length - read, position + read);
        if (n === 0) {
          throw new EddyError(
            'CORRUPT_DATA',
            `ConsumeQueue file ${path} ends at ${position + read}; entry ${at + Math.floor(read / CONSUME_QUEUE_ENTRY_SIZE)} is missing`,
            {
              details: { path, position: position + read },
            },
          );
        }
        read += n;
      }
      done += inFile;
    }
    return target;
  }

  /** The entry at `offset`. */
  entry(queue: ConsumeQueue, offset: number): ConsumeQueueEntry {
    return decodeConsumeQueueEntry(this.readEntries(queue, offset, 1), 0);
  }

  /**
   * The first offset in `from … to - 1` whose entry satisfies `isAtOrAfter` (which must be false then
   * true along the queue, as positions and store times are), or `to` when none does: a binary search.
   */
  search(queue: ConsumeQueue, from: number, to: number, isAtOrAfter: (entry: ConsumeQueueEntry) => boolean): number {
    let low = from;
    let high = to;
    while (low < high) {
      const middle = low + Math.floor((high - low) / 2);
      if (isAtOrAfter(this.entry(queue, middle))) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  /** Cuts the queue back so that `maxOffset` becomes `offset` (never below its first file). */
  truncate(queue: ConsumeQueue, offset: number): void {
    if (offset >= queue.maxOffset) return;
    if (offset >= queue.tailOffset) {
      // Only buffered entries go: nothing on disk changes.
      queue.maxOffset = offset;
      if (offset === queue.tailOffset) this.#tails.delete(queue);
      if (queue.minOffset > queue.maxOffset) queue.minOffset = queue.maxOffset;
      return;
    }
    this.#dropTail(queue);
    const keep: number[] = [];
    for (const first of queue.files) {
      const path = this.#filePath(queue, first);
      if (first > offset && keep.length > 0) {
        this.#handles.close(path);
        this.#fileSystem.remove(path);
        this.#dirtyFiles.delete(path);
        this.#dirtyDirectories.add(queue.dir);
        continue;
      }
      keep.push(first);
      if (first + this.entriesPerFile > offset) {
        this.#handles.get(path, true).truncate(Math.max(0, offset - first) * CONSUME_QUEUE_ENTRY_SIZE);
        this.#dirtyFiles.add(path);
      }
    }
    queue.files = keep;
    queue.maxOffset = Math.max(offset, keep[0] ?? offset);
    queue.tailOffset = queue.maxOffset;
    if (queue.minOffset > queue.maxOffset) queue.minOffset = queue.maxOffset;
  }

  /** Removes the queue's files wholly below `offset`, never its last one (which keeps `maxOffset`). */
  removeFilesBelow(queue: ConsumeQueue, offset: number): void {
    while (queue.files.length > 1 && (queue.files[0] as number) + this.entriesPerFile <= offset) {
      const path = this.#filePath(queue, queue.files.shift() as number);
      this.#handles.close(path);
      this.#fileSystem.remove(path);
      this.#dirtyFiles.delete(path);
      this.#dirtyDirectories.add(queue.dir);
    }
  }

  /** Removes a queue's directory and forgets it. */
  removeQueue(queue: ConsumeQueue): void {
    this.#dropTail(queue);
    this.#handles.closeUnder(`${queue.dir}/`);
    this.#fileSystem.remove(queue.dir);
    this.#forgetDirty(`${queue.dir}/`);
    const queues = this.#topics.get(queue.topic);
    queues?.delete(queue.queueId);
    if (queues?.size === 0) this.#topics.delete(queue.topic);
    this.#dirtyDirectories.add(joinPath(this.root, topicDirectoryName(queue.topic)));
  }

  /** Forgets a topic's queues in memory (readers see it gone); {@link removeTopic} removes its files. */
  forget(topic: string): void {
    for (const queue of this.#topics.get(topic)?.values() ?? []) this.#dropTail(queue);
    this.#topics.delete(topic);
  }

  /** Removes a topic's queues, files and directory; false if there was no such topic in memory. */
  removeTopic(topic: string): boolean {
    for (const queue of this.#topics.get(topic)?.values() ?? []) this.#dropTail(queue);
    const known = this.#topics.delete(topic);
    const dir = joinPath(this.root, topicDirectoryName(topic));
    this.#handles.closeUnder(`${dir}/`);
    this.#fileSystem.remove(dir);
    this.#forgetDirty(`${dir}/`);
    this.#dirtyDirectories.delete(dir);
    this.#dirtyDirectories.add(this.root);
    return known;
  }

  /**
   * Makes every entry appended so far durable: writes every tail out, then syncs the dirty files, then
   * the directories that gained or lost files. The tails are written before the first await, so the
   * flush covers every entry appended before it was called.
   *
   * @throws `IO_ERROR` or `DISK_FULL`; what was not written or synced is kept for the next flush.
   */
  async flush(): Promise<void> {
    this.#writeAllTails(false);
    const files = [...this.#dirtyFiles];
    this.#dirtyFiles.clear();
    const directories = [...this.#dirtyDirectories];
    this.#dirtyDirectories.clear();
    try {
      for (let i = 0; i < files.length; i += SYNC_CONCURRENCY) {
        await Promise.all(files.slice(i, i + SYNC_CONCURRENCY).map((path) => this.#handles.sync(path)));
      }
      // Deepest first, so that a new file's directory entry is durable before its parent's is.
      directories.sort((left, right) => right.length - left.length);
      for (const directory of directories) {
        if (this.#fileSystem.exists(directory)) await this.#fileSystem.syncDirectory(directory);
      }
    } catch (error) {
      for (const path of files) this.#dirtyFiles.add(path);
      for (const directory of directories) this.#dirtyDirectories.add(directory);
      throw error;
    }
  }

  /**
   * Closes every file handle. Tails not written out by a {@link ConsumeQueueStore.flush} are dropped:
   * the store flushes before a clean close, and after any other close recovery rebuilds them from the
   * CommitLog.
   */
  close(): void {
    for (const queue of this.#tails) queue.tailOffset = queue.maxOffset;
    this.#tails.clear();
    this.#handles.closeAll();
  }

  #topicMap(topic: string): Map<number, ConsumeQueue> {
    let queues = this.#topics.get(topic);
    if (queues === undefined) {
      queues = new Map();
      this.#topics.set(topic, queues);
    }
    return queues;
  }

  #filePath(queue: ConsumeQueue, first: number): string {
    if (queue.cachedFile !== first) {
      queue.cachedPath = joinPath(queue.dir, fileName(first));
      queue.cachedFile = first;
    }
    return queue.cachedPath;
  }

  #markNewQueueDirectories(queue: ConsumeQueue): void {
    const topicDir = joinPath(this.root, topicDirectoryName(queue.topic));
    this.#dirtyDirectories.add(topicDir);
    this.#dirtyDirectories.add(this.root);
  }

  #forgetDirty(prefix: string): void {
    for (const path of this.#dirtyFiles) if (path.startsWith(prefix)) this.#dirtyFiles.delete(path);
    for (const path of this.#dirtyDirectories) if (path.startsWith(prefix)) this.#dirtyDirectories.delete(path);
  }
}
