import { crc32c, EddyError } from '@eddy/message';
import { type FileHandle, type FileSystem, joinPath } from './file-layer.js';

/*
 * IndexFile layout, version 1 (big-endian). One file holds `slots` hash-slot heads and up to
 * `capacity` entries; the newest file lives in memory and is written out at `flush`.
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 64 | header copy A |
 * | 64 | 64 | header copy B |
 * | 128 | slots × 4 | slot heads: number of the newest entry whose hash falls in the slot (0 = none) |
 * | 128 + slots × 4 | capacity × 16 | entries, numbered from 1 |
 *
 * Header copy: magic u32 `EDIX`, version u16, reserved u16, generation u32, slots u32, capacity u32,
 * entry count u32, first CommitLog position u64, last CommitLog position u64, 20 bytes zero, CRC32C u32
 * of the 60 bytes before it. Each flush writes the next generation into the other copy, so a write torn
 * by a power cut leaves the previous generation readable.
 *
 * Entry: hash u32 (never 0, so an all-zero entry is recognisably unwritten), CommitLog position u64,
 * number of the previous entry in the same slot u32 (0 = none).
 *
 * Slot heads and previous-entry links of the newest file are derived data: open rebuilds them from
 * the (hash, position) sequence, so a flush torn between pages cannot leave a broken chain behind.
 * Older files were written whole and fsynced before anything that depends on them (see `flush`).
 */
const MAGIC = 0x45444958;
const VERSION = 1;
const HEADER_COPY_SIZE = 64;
const HEADER_SIZE = 2 * HEADER_COPY_SIZE;
const HEADER_CRC_OFFSET = 60;
const SLOT_SIZE = 4;
const ENTRY_SIZE = 16;
const PAGE_SHIFT = 12;
const TWO_32 = 2 ** 32;
const MAX_COUNT = 0xffff_ffff;
/** The high 32 bits of the largest safe integer: a position above it is garbage. */
const MAX_SAFE_HIGH = 0x1f_ffff;
/** Entries the in-memory buffer starts with; it doubles up to the file's capacity as entries arrive. */
const INITIAL_ENTRIES = 4096;
/** Older files whose handle stays open between look-ups; the rest are reopened on demand. */
const MAX_OPEN_OLDER_FILES = 16;
const FILE_NAME = /^\d{20}$/;

/** The state {@link indexHashUpdate} starts from: FNV-1a's offset basis. */
export const INDEX_HASH_SEED = 0x811c9dc5;

/**
 * Feeds `text` to a running index hash (see {@link indexHash}) and returns the new state. Hashing the
 * parts of a key one after another gives the hash of their concatenation, provided no surrogate pair is
 * split between two parts (the engine's keys join parts with ASCII characters), so the engine hashes
 * `"k" + topic + "\0"` once per topic and never builds the joined string.
 */
export function indexHashUpdate(state: number, text: string): number {
  let hash = state;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      hash = Math.imul(hash ^ code, 0x01000193);
      continue;
    }
    if (code < 0x800) {
      hash = Math.imul(hash ^ (0xc0 | (code >> 6)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | (code & 0x3f)), 0x01000193);
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = i + 1 < length ? text.charCodeAt(i + 1) : 0;
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
        hash = Math.imul(hash ^ (0xf0 | (code >> 18)), 0x01000193);
        hash = Math.imul(hash ^ (0x80 | ((code >> 12) & 0x3f)), 0x01000193);
        hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), 0x01000193);
        hash = Math.imul(hash ^ (0x80 | (code & 0x3f)), 0x01000193);
        continue;
      }
      code = 0xfffd;
    }
    hash = Math.imul(hash ^ (0xe0 | (code >> 12)), 0x01000193);
    hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), 0x01000193);
    hash = Math.imul(hash ^ (0x80 | (code & 0x3f)), 0x01000193);
  }
  return hash;
}

/** Finishes a running index hash (see {@link indexHash}): never 0. */
export function indexHashFinish(state: number): number {
  let hash = state;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash === 0 ? 1 : hash >>> 0;
}

/**
 * The 32-bit hash the key index files use: FNV-1a over the key's UTF-8 bytes (lone surrogates count as
 * U+FFFD, as `TextEncoder` encodes them), followed by MurmurHash3's `fmix32` finaliser so that every
 * output bit depends on every input bit and `hash % slots` spreads well for any slot count. 0 is mapped
 * to 1 because an entry hash of 0 marks an unwritten entry. Stable on disk: changing it is a format change.
 */
export function indexHash(key: string): number {
  return indexHashFinish(indexHashUpdate(INDEX_HASH_SEED, key));
}

/** Options of {@link KeyIndex.open}. */
export interface KeyIndexOptions {
  /** Hash slots per file (new files; an existing file keeps the geometry it was made with). */
  readonly slots: number;
  /** Entries per file; a full file is sealed and a new one started. */
  readonly entriesPerFile: number;
  /**
   * When an index file's header is corrupt, remove every index file and start empty instead of
   * throwing `CORRUPT_DATA`; {@link KeyIndex.rebuilt} then tells the engine to add every record again.
   */
  readonly rebuildOnCorruption?: boolean;
}

interface Header {
  readonly generation: number;
  readonly slots: number;
  readonly capacity: number;
  readonly count: number;
  readonly firstPosition: number;
  readonly lastPosition: number;
}

/** A sealed (full, fsynced) index file, read through its handle. */
interface OlderFile {
  readonly sequence: number;
  readonly path: string;
  readonly slots: number;
  readonly capacity: number;
  readonly count: number;
  readonly firstPosition: number;
  readonly lastPosition: number;
  handle: FileHandle | undefined;
  /** Written at sealing, not yet fsynced: the next flush syncs it; its handle must stay open until then. */
  unsynced: boolean;
}

/** The newest file, kept whole in memory. */
interface ActiveFile {
  readonly sequence: number;
  readonly path: string;
  readonly slots: number;
  readonly capacity: number;
  buffer: Buffer;
  /** A view of `buffer`, remade whenever the buffer is. */
  view: DataView;
  count: number;
  firstPosition: number;
  lastPosition: number;
  generation: number;
  handle: FileHandle | undefined;
  /** One flag per 4 KiB page of the file that differs from what was last written. */
  dirty: Uint8Array;
  dirtyLow: number;
  dirtyHigh: number;
}

function corrupt(path: string, what: string): EddyError {
  return new EddyError('CORRUPT_DATA', `index file ${path}: ${what}`, { details: { path } });
}

function fileName(sequence: number): string {
  return String(sequence).padStart(20, '0');
}

function readUint64(buffer: Buffer, offset: number): number {
  return buffer.readUInt32BE(offset) * TWO_32 + buffer.readUInt32BE(offset + 4);
}

function writeUint64(buffer: Buffer, offset: number, value: number): void {
  buffer.writeUInt32BE(Math.floor(value / TWO_32), offset);
  buffer.writeUInt32BE(value >>> 0, offset + 4);
}

function fileSize(slots: number, capacity: number): number {
  return HEADER_SIZE + slots * SLOT_SIZE + capacity * ENTRY_SIZE;
}

/** Parses one header copy; `undefined` when it is not a valid one. */
function parseHeaderCopy(bytes: Buffer, offset: number): Header | undefined {
  if (bytes.length < offset + HEADER_COPY_SIZE) return undefined;
  if (bytes.readUInt32BE(offset) !== MAGIC || bytes.readUInt16BE(offset + 4) !== VERSION) return undefined;
  const crc = crc32c(bytes.subarray(offset, offset + HEADER_CRC_OFFSET));
  if (crc !== bytes.readUInt32BE(offset + HEADER_CRC_OFFSET)) return undefined;
  return {
    generation: bytes.readUInt32BE(offset + 8),
    slots: bytes.readUInt32BE(offset + 12),
    capacity: bytes.readUInt32BE(offset + 16),
    count: bytes.readUInt32BE(offset + 20),
    firstPosition: readUint64(bytes, offset + 24),
    lastPosition: readUint64(bytes, offset + 32),
  };
}

/**
 * The valid header copy with the newest generation; `'blank'` when both copies are all zero (a file
 * created but whose first write never reached the disk); throws `CORRUPT_DATA` otherwise.
 */
function parseHeader(bytes: Buffer, path: string): Header | 'blank' {
  const a = parseHeaderCopy(bytes, 0);
  const b = parseHeaderCopy(bytes, HEADER_COPY_SIZE);
  const header = a === undefined ? b : b === undefined || a.generation >= b.generation ? a : b;
  if (header === undefined) {
    const area = bytes.subarray(0, HEADER_SIZE);
    if (area.every((byte) => byte === 0)) return 'blank';
    throw corrupt(path, 'neither header copy is valid (bad magic, version or CRC32C)');
  }
  if (header.slots < 1 || header.capacity < 1 || header.count > header.capacity) {
    throw corrupt(path, `impossible geometry: ${header.slots} slots, ${header.count} of ${header.capacity} entries`);
  }
  return header;
}

function writeFully(handle: FileHandle, buffer: Uint8Array, offset: number, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const written = handle.write(buffer, offset + done, length - done, position + done);
    if (written <= 0) {
      throw new EddyError('IO_ERROR', `write ${handle.path}: wrote nothing at byte ${position + done}`);
    }
    done += written;
  }
}

function readFully(handle: FileHandle, buffer: Uint8Array, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const read = handle.read(buffer, offset + done, length - done, position + done);
    if (read <= 0) break;
    done += read;
  }
  return done;
}

function checkPosition(position: number, what: string): void {
  if (!Number.isSafeInteger(position) || position < 0) {
    throw new EddyError('INVALID_ARGUMENT', `${what} must be a non-negative safe integer, got ${position}`);
  }
}

/**
 * The key and message-id index of the CommitLog: RocketMQ's IndexFile design, a sequence of hash-slot
 * files under one directory (`<dir>/<20-digit sequence>`). Each file has a fixed number of slots, each
 * heading a chain of 16-byte entries (hash, CommitLog position, previous entry), and a fixed entry
 * capacity; a full file is sealed and the next one started.
 *
 * The newest file is kept in one Buffer (the only memory the index holds, growing up to one file) and
 * written out by {@link KeyIndex.flush}; older files are read with positional reads at look-up.
 *
 * Entries must be added in non-decreasing CommitLog position order (dispatch order). Look-ups return
 * positions whose key hash matches: hash collisions give false positives, so callers confirm on the
 * record. Not safe to call {@link KeyIndex.truncateAfter} or {@link KeyIndex.close} while a
 * {@link KeyIndex.flush} is pending.
 */
export class KeyIndex {
  readonly #fileSystem: FileSystem;
  readonly #dir: string;
  readonly #slots: number;
  readonly #entriesPerFile: number;
  /** Sealed files, oldest first. */
  readonly #older: OlderFile[] = [];
  /** Older files with an open handle, least recently used first. */
  readonly #openOlder = new Set<OlderFile>();
  readonly #scratch = Buffer.alloc(ENTRY_SIZE);
  #active: ActiveFile;
  /** Bytes written to the active file, and how many of them the last successful sync covered. */
  #activeWrites = 0;
  #activeSyncedWrites = 0;
  #directoryDirty = false;
  readonly #pendingSyncs = new Set<Promise<unknown>>();
  #closed = false;
  #rebuilt = false;

  private constructor(fileSystem: FileSystem, dir: string, options: KeyIndexOptions) {
    this.#fileSystem = fileSystem;
    this.#dir = dir;
    this.#slots = options.slots;
    this.#entriesPerFile = options.entriesPerFile;
    this.#active = this.#newActive(0);
  }

  /**
   * Opens the index in `dir` (created if missing): reads every file's header, loads the newest file
   * into memory and validates it, dropping a torn tail of entries that never fully reached the disk
   * and rebuilding its slot chains.
   *
   * @throws `CORRUPT_DATA` naming the file when a header is corrupt (unless `rebuildOnCorruption`);
   * `INVALID_ARGUMENT` for a bad geometry; `IO_ERROR` when the files cannot be read.
   */
  static open(fileSystem: FileSystem, dir: string, options: KeyIndexOptions): KeyIndex {
    for (const name of ['slots', 'entriesPerFile'] as const) {
      const value = options[name];
      if (!Number.isInteger(value) || value < 1 || value > MAX_COUNT - 1) {
        throw new EddyError('INVALID_ARGUMENT', `index ${name} must be an integer in 1…${MAX_COUNT - 1}, got ${value}`);
      }
    }
    const index = new KeyIndex(fileSystem, dir, options);
    fileSystem.mkdir(dir);
    try {
      index.#load();
    } catch (error) {
      index.#closeHandles();
      if (!(options.rebuildOnCorruption && EddyError.is(error, 'CORRUPT_DATA'))) throw error;
      // Derived data: the engine re-adds every record still in the CommitLog.
      for (const name of index.#fileNames()) fileSystem.remove(joinPath(dir, name));
      index.#older.length = 0;
      index.#active = index.#newActive(0);
      index.#directoryDirty = true;
      index.#rebuilt = true;
    }
    return index;
  }

  /** True when open found a corrupt index and started empty (`rebuildOnCorruption`): every record must be added again. */
  get rebuilt(): boolean {
    return this.#rebuilt;
  }

  /** The highest CommitLog position indexed, or -1 when the index is empty. */
  get lastPosition(): number {
    if (this.#active.count > 0) return this.#active.lastPosition;
    const previous = this.#older.at(-1);
    return previous === undefined ? -1 : previous.lastPosition;
  }

  /**
   * Indexes `hashKey` (e.g. `"k" + topic + "\0" + key` or `"i" + messageId`) at `commitLogPosition`.
   * In memory until the next {@link KeyIndex.flush}.
   *
   * @throws `INVALID_ARGUMENT` when the position is below the last one added (dispatch order is required:
   * recovery relies on positions never going down within the index).
   */
  add(hashKey: string, commitLogPosition: number): void {
    this.addHash(indexHash(hashKey), commitLogPosition);
  }

  /**
   * {@link KeyIndex.add} with the key already hashed by {@link indexHash} (or built with
   * {@link indexHashUpdate} and {@link indexHashFinish}): the dispatch path hashes a key's parts without
   * joining them into a string.
   */
  addHash(hash: number, commitLogPosition: number): void {
    this.#ensureOpen();
    checkPosition(commitLogPosition, 'index position');
    let active = this.#active;
    if (active.count > 0 && commitLogPosition < active.lastPosition) {
      throw new EddyError(
        'INVALID_ARGUMENT',
        `index entries must be added in CommitLog order: ${commitLogPosition} is below ${active.lastPosition}`,
      );
    }
    if (active.count >= active.capacity) {
      this.#seal();
      active = this.#active;
    }
    const number = active.count + 1;
    const entryOffset = this.#entryOffset(active, number);
    if (entryOffset + ENTRY_SIZE > active.buffer.length) this.#grow(active, number);
    // A DataView: Buffer's read/write methods check their arguments on every call, and this runs for
    // every id and key of every message.
    const view = active.view;
    const slotOffset = HEADER_SIZE + (hash % active.slots) * SLOT_SIZE;
    view.setUint32(entryOffset, hash);
    view.setUint32(entryOffset + 4, Math.floor(commitLogPosition / TWO_32));
    view.setUint32(entryOffset + 8, commitLogPosition >>> 0);
    view.setUint32(entryOffset + 12, view.getUint32(slotOffset));
    view.setUint32(slotOffset, number);
    active.count = number;
    if (number === 1) active.firstPosition = commitLogPosition;
    active.lastPosition = commitLogPosition;
    markDirty(active, slotOffset, slotOffset + SLOT_SIZE);
    markDirty(active, entryOffset, entryOffset + ENTRY_SIZE);
  }

  /**
   * CommitLog positions indexed under `hashKey`, newest first, at most `limit`, without duplicates.
   * Hash collisions give false positives: confirm each on the record.
   */
  lookup(hashKey: string, limit: number): number[] {
    this.#ensureOpen();
    const positions: number[] = [];
    if (!(limit > 0)) return positions;
    const hash = indexHash(hashKey);
    const push = (position: number): void => {
      if (positions.at(-1) !== position) positions.push(position);
    };
    const active = this.#active;
    const buffer = active.buffer;
    let number = buffer.readUInt32BE(HEADER_SIZE + (hash % active.slots) * SLOT_SIZE);
    while (number !== 0 && positions.length < limit) {
      const offset = this.#entryOffset(active, number);
      if (buffer.readUInt32BE(offset) === hash) push(readUint64(buffer, offset + 4));
      number = buffer.readUInt32BE(offset + 12);
    }
    for (let i = this.#older.length - 1; i >= 0 && positions.length < limit; i--) {
      const file = this.#older[i] as OlderFile;
      if (file.count === 0) continue;
      const handle = this.#handleOf(file);
      const scratch = this.#scratch;
      const slotPosition = HEADER_SIZE + (hash % file.slots) * SLOT_SIZE;
      if (readFully(handle, scratch, 0, SLOT_SIZE, slotPosition) < SLOT_SIZE) continue;
      number = scratch.readUInt32BE(0);
      // The links only ever point back, so a damaged file cannot make this loop forever.
      while (number !== 0 && number <= file.count && positions.length < limit) {
        const offset = this.#entryOffset(file, number);
        if (readFully(handle, scratch, 0, ENTRY_SIZE, offset) < ENTRY_SIZE) break;
        if (scratch.readUInt32BE(0) === hash) push(readUint64(scratch, 4));
        const previous = scratch.readUInt32BE(12);
        if (previous >= number) break;
        number = previous;
      }
    }
    return positions;
  }

  /**
   * Writes the newest file's changed pages and fdatasyncs it, together with any file sealed since the
   * last flush, then the directory when files were created or removed. When it resolves, every entry
   * added before it was called is durable.
   *
   * @throws `IO_ERROR` or `DISK_FULL`; the entries stay in memory and the next flush writes them again.
   */
  async flush(): Promise<void> {
    this.#ensureOpen();
    const sealed = this.#older.filter((file) => file.unsynced);
    const active = this.#active;
    this.#writeDirty(active);
    const writes = this.#activeWrites;
    const syncs: Promise<void>[] = sealed.map((file) => (file.handle as FileHandle).sync());
    const activeHandle = writes > this.#activeSyncedWrites ? active.handle : undefined;
    if (activeHandle !== undefined) syncs.push(activeHandle.sync());
    const directory = this.#directoryDirty;
    this.#directoryDirty = false;
    const all = Promise.all(syncs);
    this.#pendingSyncs.add(all);
    try {
      await all;
      if (directory) await this.#fileSystem.syncDirectory(this.#dir);
    } catch (error) {
      if (directory) this.#directoryDirty = true;
      throw error;
    } finally {
      this.#pendingSyncs.delete(all);
    }
    for (const file of sealed) file.unsynced = false;
    if (activeHandle !== undefined && active === this.#active && writes > this.#activeSyncedWrites) {
      this.#activeSyncedWrites = writes;
    }
  }

  /**
   * Forgets every entry at CommitLog position `position` or above (recovery, before re-adding what the
   * CommitLog still holds past it): removes files wholly at or above it and cuts the one it falls in,
   * which becomes the newest. The change reaches the disk at the next flush.
   *
   * @throws `CORRUPT_DATA` when an older file that must be reloaded has a corrupt header.
   */
  truncateAfter(position: number): void {
    this.#ensureOpen();
    checkPosition(position, 'truncation position');
    for (;;) {
      const active = this.#active;
      if (active.count > 0 && active.firstPosition < position) break;
      const previous = this.#older.at(-1);
      if (active.count === 0 && (previous === undefined || previous.lastPosition < position)) break;
      this.#removeActive();
      if (previous === undefined) {
        this.#active = this.#newActive(active.sequence);
        break;
      }
      this.#older.pop();
      this.#openOlder.delete(previous);
      this.#closeLater(previous.handle);
      previous.handle = undefined;
      this.#active = this.#loadActive(previous.sequence);
    }
    const active = this.#active;
    if (active.count === 0 || active.lastPosition < position) return;
    // Positions never go down within a file, so the entries to forget are a suffix: find where it starts.
    let low = 1;
    let high = active.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (readUint64(active.buffer, this.#entryOffset(active, middle) + 4) < position) low = middle + 1;
      else high = middle;
    }
    const buffer = active.buffer;
    for (let number = active.count; number >= low; number--) {
      const offset = this.#entryOffset(active, number);
      const slotOffset = HEADER_SIZE + (buffer.readUInt32BE(offset) % active.slots) * SLOT_SIZE;
      // Newest first: each entry removed is its slot's head, so the head steps back along the chain.
      buffer.writeUInt32BE(buffer.readUInt32BE(offset + 12), slotOffset);
      buffer.fill(0, offset, offset + ENTRY_SIZE);
      markDirty(active, slotOffset, slotOffset + SLOT_SIZE);
      markDirty(active, offset, offset + ENTRY_SIZE);
    }
    active.count = low - 1;
    active.lastPosition = active.count === 0 ? 0 : readUint64(buffer, this.#entryOffset(active, active.count) + 4);
    if (active.count === 0) active.firstPosition = 0;
    markDirty(active, 0, HEADER_SIZE);
  }

  /**
   * Removes whole files whose entries are all below CommitLog position `position` (retention, after the
   * segments below it were deleted). The newest file goes too when it qualifies; a new one starts.
   */
  deleteBefore(position: number): void {
    this.#ensureOpen();
    checkPosition(position, 'retention position');
    while (this.#older.length > 0 && (this.#older[0] as OlderFile).lastPosition < position) {
      const file = this.#older.shift() as OlderFile;
      this.#openOlder.delete(file);
      this.#closeLater(file.handle);
      this.#fileSystem.remove(file.path);
      this.#directoryDirty = true;
    }
    const active = this.#active;
    if (this.#older.length === 0 && active.count > 0 && active.lastPosition < position) {
      this.#removeActive();
      this.#active = this.#newActive(active.sequence + 1);
    }
  }

  /**
   * Writes out what is still unwritten (without fdatasync: call {@link KeyIndex.flush} first for
   * durability) and closes every file. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#writeDirty(this.#active);
    } finally {
      this.#closeHandles();
    }
  }

  #ensureOpen(): void {
    if (this.#closed) throw new EddyError('STORE_CLOSED', `the key index in ${this.#dir} is closed`);
  }

  #fileNames(): string[] {
    return this.#fileSystem.list(this.#dir).filter((name) => FILE_NAME.test(name));
  }

  #load(): void {
    const names = this.#fileNames();
    const newest = names.pop();
    for (const name of names) {
      const path = joinPath(this.#dir, name);
      const handle = this.#fileSystem.open(path);
      try {
        const bytes = Buffer.alloc(HEADER_SIZE);
        readFully(handle, bytes, 0, HEADER_SIZE, 0);
        const header = parseHeader(bytes, path);
        if (header === 'blank') throw corrupt(path, 'an older index file has no header');
        if (handle.size() < this.#entryOffset(header, header.count + 1)) {
          throw corrupt(path, `the file is ${handle.size()} bytes, too short for its ${header.count} entries`);
        }
        this.#older.push({ sequence: Number(name), path, ...header, handle: undefined, unsynced: false });
      } finally {
        handle.close();
      }
    }
    if (newest !== undefined) this.#active = this.#loadActive(Number(newest));
  }

  /**
   * Reads an index file whole into a new active buffer and validates it: keeps the longest prefix of
   * entries that are written (hash ≠ 0) in non-decreasing position order, zeroes what lies past it, and
   * rebuilds the slot heads and links from those entries, marking any page that changed.
   */
  #loadActive(sequence: number): ActiveFile {
    const path = joinPath(this.#dir, fileName(sequence));
    const handle = this.#fileSystem.open(path);
    let keep = false;
    try {
      const size = handle.size();
      const headerBytes = Buffer.alloc(HEADER_SIZE);
      readFully(handle, headerBytes, 0, HEADER_SIZE, 0);
      const header = parseHeader(headerBytes, path);
      if (header === 'blank') {
        keep = true;
        const active = this.#newActive(sequence);
        active.handle = handle;
        return active;
      }
      const fullSize = fileSize(header.slots, header.capacity);
      if (size > fullSize)
        throw corrupt(path, `the file is ${size} bytes, more than its geometry allows (${fullSize})`);
      const entryBytes = Math.max(0, size - HEADER_SIZE - header.slots * SLOT_SIZE);
      const entries = Math.min(header.capacity, Math.max(header.count, Math.ceil(entryBytes / ENTRY_SIZE)));
      const active = this.#makeActive(sequence, header.slots, header.capacity, entries);
      active.generation = header.generation;
      active.handle = handle;
      const buffer = active.buffer;
      readFully(handle, buffer, 0, Math.min(size, buffer.length), 0);
      this.#rebuild(active, header.count, Math.min(size, buffer.length));
      keep = true;
      return active;
    } finally {
      if (!keep) handle.close();
    }
  }

  #rebuild(active: ActiveFile, claimedCount: number, readLength: number): void {
    const buffer = active.buffer;
    // One pass over up to millions of entries at open: a DataView is several times faster than
    // Buffer's checked readUInt32BE here. Links depend only on earlier entries, so the pass that
    // validates an entry can also relink it.
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    const slots = active.slots;
    const heads = new Uint32Array(slots);
    const entriesStart = HEADER_SIZE + slots * SLOT_SIZE;
    let count = 0;
    let last = 0;
    for (let offset = entriesStart; count < claimedCount; offset += ENTRY_SIZE) {
      const hash = view.getUint32(offset);
      const high = view.getUint32(offset + 4);
      const position = high * TWO_32 + view.getUint32(offset + 8);
      if (hash === 0 || position < last || high > MAX_SAFE_HIGH) break;
      last = position;
      count++;
      const slot = hash % slots;
      const head = heads[slot] as number;
      if (view.getUint32(offset + 12) !== head) {
        view.setUint32(offset + 12, head);
        markDirty(active, offset + 12, offset + ENTRY_SIZE);
      }
      heads[slot] = count;
    }
    const end = this.#entryOffset(active, count + 1);
    for (let offset = end; offset < readLength; offset++) {
      if (buffer[offset] !== 0) {
        buffer.fill(0, offset, readLength);
        markDirty(active, offset, readLength);
        break;
      }
    }
    for (let slot = 0, offset = HEADER_SIZE; slot < slots; slot++, offset += SLOT_SIZE) {
      const head = heads[slot] as number;
      if (view.getUint32(offset) !== head) {
        view.setUint32(offset, head);
        markDirty(active, offset, offset + SLOT_SIZE);
      }
    }
    active.count = count;
    active.firstPosition = count === 0 ? 0 : readUint64(buffer, entriesStart + 4);
    active.lastPosition = last;
    if (count !== claimedCount) markDirty(active, 0, HEADER_SIZE);
  }

  #newActive(sequence: number): ActiveFile {
    return this.#makeActive(sequence, this.#slots, this.#entriesPerFile, 0);
  }

  #makeActive(sequence: number, slots: number, capacity: number, entries: number): ActiveFile {
    const initialEntries = Math.min(capacity, Math.max(entries, INITIAL_ENTRIES));
    const pages = Math.ceil(fileSize(slots, capacity) / (1 << PAGE_SHIFT));
    const buffer = Buffer.alloc(fileSize(slots, initialEntries));
    const active: ActiveFile = {
      sequence,
      path: joinPath(this.#dir, fileName(sequence)),
      slots,
      capacity,
      buffer,
      view: new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength),
      count: 0,
      firstPosition: 0,
      lastPosition: 0,
      generation: 0,
      handle: undefined,
      dirty: new Uint8Array(pages),
      dirtyLow: pages,
      dirtyHigh: -1,
    };
    markDirty(active, 0, HEADER_SIZE);
    this.#activeWrites = 0;
    this.#activeSyncedWrites = 0;
    return active;
  }

  #grow(active: ActiveFile, number: number): void {
    const have = (active.buffer.length - HEADER_SIZE - active.slots * SLOT_SIZE) / ENTRY_SIZE;
    const entries = Math.min(active.capacity, Math.max(number, have * 2));
    const grown = Buffer.alloc(fileSize(active.slots, entries));
    active.buffer.copy(grown);
    active.buffer = grown;
    active.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  #entryOffset(file: { readonly slots: number }, number: number): number {
    return HEADER_SIZE + file.slots * SLOT_SIZE + (number - 1) * ENTRY_SIZE;
  }

  /** Writes the header into its next copy, then every dirty page, coalescing runs of pages into one write. */
  #writeDirty(active: ActiveFile): void {
    if (active.dirtyHigh < 0) return;
    if (active.handle === undefined) {
      active.handle = this.#fileSystem.open(active.path, { create: true });
      this.#directoryDirty = true;
    }
    active.generation = (active.generation + 1) >>> 0;
    const copy = (active.generation % 2) * HEADER_COPY_SIZE;
    const buffer = active.buffer;
    buffer.writeUInt32BE(MAGIC, copy);
    buffer.writeUInt16BE(VERSION, copy + 4);
    buffer.writeUInt16BE(0, copy + 6);
    buffer.writeUInt32BE(active.generation, copy + 8);
    buffer.writeUInt32BE(active.slots, copy + 12);
    buffer.writeUInt32BE(active.capacity, copy + 16);
    buffer.writeUInt32BE(active.count, copy + 20);
    writeUint64(buffer, copy + 24, active.firstPosition);
    writeUint64(buffer, copy + 32, active.lastPosition);
    buffer.fill(0, copy + 40, copy + HEADER_CRC_OFFSET);
    buffer.writeUInt32BE(crc32c(buffer.subarray(copy, copy + HEADER_CRC_OFFSET)), copy + HEADER_CRC_OFFSET);
    active.dirty[0] = 1;
    active.dirtyLow = 0;
    const dirty = active.dirty;
    let page = active.dirtyLow;
    while (page <= active.dirtyHigh) {
      if (dirty[page] === 0) {
        page++;
        continue;
      }
      let end = page;
      while (end <= active.dirtyHigh && dirty[end] === 1) end++;
      const from = page << PAGE_SHIFT;
      const to = Math.min(end << PAGE_SHIFT, buffer.length);
      if (to > from) writeFully(active.handle, buffer, from, to - from, from);
      // Cleared only once written: a failed write leaves the pages dirty for the next flush.
      dirty.fill(0, page, end);
      page = end;
    }
    active.dirtyLow = dirty.length;
    active.dirtyHigh = -1;
    this.#activeWrites++;
  }

  /** Writes the full active file out and starts the next one; the next flush fsyncs the sealed file. */
  #seal(): void {
    const active = this.#active;
    this.#writeDirty(active);
    const handle = active.handle as FileHandle;
    const sealed: OlderFile = {
      sequence: active.sequence,
      path: active.path,
      slots: active.slots,
      capacity: active.capacity,
      count: active.count,
      firstPosition: active.firstPosition,
      lastPosition: active.lastPosition,
      handle,
      unsynced: this.#activeWrites > this.#activeSyncedWrites,
    };
    this.#older.push(sealed);
    this.#touch(sealed);
    this.#active = this.#newActive(active.sequence + 1);
  }

  #removeActive(): void {
    const active = this.#active;
    this.#closeLater(active.handle);
    active.handle = undefined;
    this.#fileSystem.remove(active.path);
    this.#directoryDirty = true;
  }

  #handleOf(file: OlderFile): FileHandle {
    if (file.handle === undefined) file.handle = this.#fileSystem.open(file.path);
    this.#touch(file);
    return file.handle;
  }

  /** Marks `file` most recently used and closes the least recently used handles beyond the bound. */
  #touch(file: OlderFile): void {
    this.#openOlder.delete(file);
    this.#openOlder.add(file);
    if (this.#openOlder.size <= MAX_OPEN_OLDER_FILES) return;
    for (const candidate of this.#openOlder) {
      if (this.#openOlder.size <= MAX_OPEN_OLDER_FILES) break;
      // A sealed file awaiting its fsync keeps its handle: the sync must go through the fd that wrote.
      if (candidate === file || candidate.unsynced) continue;
      this.#openOlder.delete(candidate);
      candidate.handle?.close();
      candidate.handle = undefined;
    }
  }

  /** Closes a handle once no fdatasync that may be using it is pending. */
  #closeLater(handle: FileHandle | undefined): void {
    if (handle === undefined) return;
    if (this.#pendingSyncs.size === 0) {
      handle.close();
      return;
    }
    void Promise.allSettled([...this.#pendingSyncs]).then(() => handle.close());
  }

  #closeHandles(): void {
    this.#closeLater(this.#active.handle);
    this.#active.handle = undefined;
    for (const file of this.#older) {
      this.#closeLater(file.handle);
      file.handle = undefined;
    }
    this.#openOlder.clear();
  }
}

function markDirty(active: ActiveFile, from: number, to: number): void {
  const first = from >>> PAGE_SHIFT;
  const last = (to - 1) >>> PAGE_SHIFT;
  for (let page = first; page <= last; page++) active.dirty[page] = 1;
  if (first < active.dirtyLow) active.dirtyLow = first;
  if (last > active.dirtyHigh) active.dirtyHigh = last;
}
