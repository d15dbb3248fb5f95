import { crc32c, EddyError } from '@eddy/message';
import {
  checkMetadataKey as checkKey,
  checkMetadataOperations,
  checkMetadataScan,
  checkMetadataValue as checkValue,
  compareKeys,
  type MetadataEntry,
  type MetadataOperation,
  type MetadataStore,
  storeClosedError,
} from '@eddy/store';
import { type FileHandle, type FileSystem, joinPath } from './file-layer.js';

/*
 * Two files under the metadata directory, big-endian throughout.
 *
 * `snapshot` (written whole with writeFileAtomic): magic u32 `EDMS`, version u16, reserved u16,
 * entry count u32, then per entry key length u32 + UTF-8 key + value length u32 + value, then CRC32C u32
 * of everything before it.
 *
 * `log`: magic u32 `EDML`, version u16, reserved u16, then records. A record is
 *   payload length u32 | CRC32C u32 of the length field | CRC32C u32 of the payload | payload
 * and its payload is operation count u32, then per operation kind u8 (1 put, 2 delete), key length u32,
 * UTF-8 key, and for a put value length u32 + value. The length has its own CRC so that a damaged
 * length is told apart from a record cut short by a crash.
 *
 * State = snapshot, then every log record in order. Replaying a log whose records the snapshot already
 * holds gives the same state (each record sets or removes keys whatever they held), so a crash between
 * writing a new snapshot and emptying the log is harmless.
 */
const SNAPSHOT_MAGIC = 0x45444d53;
const LOG_MAGIC = 0x45444d4c;
const VERSION = 1;
const LOG_HEADER_SIZE = 8;
const RECORD_HEADER_SIZE = 12;
const PUT = 1;
const DELETE = 2;
/** Compact once the log is past this size (a few thousand offset commits). */
const DEFAULT_COMPACT_BYTES = 4 * 1024 * 1024;

/** Options of {@link openMetadataLog}. */
export interface MetadataLogOptions {
  /** True: a write resolves after the fdatasync that covers it (concurrent writes share one); false: after the write. */
  readonly sync: boolean;
  /** Log size above which the state is written to a new snapshot and the log emptied. Default 4 MiB. */
  readonly compactBytes?: number;
}

/** The CommitLog engine's {@link MetadataStore}: a sorted map in memory, a snapshot and a log on disk. */
export interface MetadataLog extends MetadataStore {
  /** Makes every write so far durable (fdatasync), whatever the `sync` option. */
  flush(): Promise<void>;
  /** Waits for pending writes, makes them durable and closes the log. Idempotent; later calls reject with `STORE_CLOSED`. */
  close(): Promise<void>;
}

/**
 * Opens the metadata store in `dir` (created if missing): loads `snapshot`, replays `log`, drops a
 * record cut short at the end of the log (a crash during its write) and truncates the log there.
 *
 * Every `put`, `delete` (of a key that is there) and non-empty `batch` appends one record holding all
 * its operations, so a batch is atomic across crashes. After a failed write or fdatasync the store
 * refuses further writes (`IO_ERROR`): what reached the disk is no longer known.
 *
 * @throws `CORRUPT_DATA` naming the file and byte position for a bad snapshot or a bad log record
 * before the last one.
 */
export async function openMetadataLog(
  fileSystem: FileSystem,
  dir: string,
  options: MetadataLogOptions,
): Promise<MetadataLog> {
  const compactBytes = options.compactBytes ?? DEFAULT_COMPACT_BYTES;
  if (!Number.isSafeInteger(compactBytes) || compactBytes < 1) {
    throw new EddyError('INVALID_ARGUMENT', `compactBytes must be a positive integer, got ${compactBytes}`);
  }
  fileSystem.mkdir(dir);
  const map = new SortedMap();
  const snapshotPath = joinPath(dir, 'snapshot');
  const snapshot = fileSystem.readFile(snapshotPath);
  if (snapshot !== undefined) loadSnapshot(snapshot, snapshotPath, map);

  const logPath = joinPath(dir, 'log');
  const existed = fileSystem.exists(logPath);
  const handle = fileSystem.open(logPath, { create: true });
  try {
    const bytes = existed ? fileSystem.readFile(logPath) : undefined;
    let end = bytes === undefined ? 0 : replayLog(bytes, logPath, map);
    if (end === 0 || end !== bytes?.length) {
      // A new log, or a torn tail to cut off. Durable before any new record goes after it: otherwise a
      // crash could leave a new record followed by the old torn bytes, which would read as corruption.
      if (end === 0) {
        const header = Buffer.alloc(LOG_HEADER_SIZE);
        header.writeUInt32BE(LOG_MAGIC, 0);
        header.writeUInt16BE(VERSION, 4);
        writeFully(handle, header, 0);
        end = LOG_HEADER_SIZE;
      }
      handle.truncate(end);
      await handle.sync();
      if (!existed) await fileSystem.syncDirectory(dir);
    }
    return new MetadataLogStore(fileSystem, handle, snapshotPath, map, end, options.sync, compactBytes);
  } catch (error) {
    handle.close();
    throw error;
  }
}

/** Keys in UTF-8 byte order beside a map of their values. */
class SortedMap {
  readonly values = new Map<string, Uint8Array>();
  keys: string[] = [];

  set(key: string, value: Uint8Array): void {
    if (!this.values.has(key)) this.keys.splice(this.lowerBound(key), 0, key);
    this.values.set(key, value);
  }

  delete(key: string): boolean {
    if (!this.values.delete(key)) return false;
    this.keys.splice(this.lowerBound(key), 1);
    return true;
  }

  /** The index of the first key not below `key`. */
  lowerBound(key: string): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareKeys(this.keys[middle] as string, key) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

interface Waiter {
  readonly run: () => void;
}

class MetadataLogStore implements MetadataLog {
  readonly #fileSystem: FileSystem;
  readonly #handle: FileHandle;
  readonly #snapshotPath: string;
  readonly #map: SortedMap;
  readonly #sync: boolean;
  readonly #compactBytes: number;
  #end: number;
  /** Writes since the log was last fdatasynced (async mode flushes only when there are some). */
  #unsynced = false;
  #currentSync: Promise<void> | undefined;
  #nextSync: Promise<void> | undefined;
  #compaction: Promise<void> | undefined;
  /** Writes that arrived during a compaction, run in arrival order when it ends. */
  readonly #waiting: Waiter[] = [];
  #failure: EddyError | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;

  constructor(
    fileSystem: FileSystem,
    handle: FileHandle,
    snapshotPath: string,
    map: SortedMap,
    end: number,
    sync: boolean,
    compactBytes: number,
  ) {
    this.#fileSystem = fileSystem;
    this.#handle = handle;
    this.#snapshotPath = snapshotPath;
    this.#map = map;
    this.#end = end;
    this.#sync = sync;
    this.#compactBytes = compactBytes;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.#ensureOpen();
    checkKey(key);
    return this.#map.values.get(key)?.slice();
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.#ensureOpen();
    checkKey(key);
    checkValue(key, value);
    await this.#write([{ type: 'put', key, value }], () => undefined);
  }

  async delete(key: string): Promise<boolean> {
    this.#ensureOpen();
    checkKey(key);
    return this.#write([{ type: 'delete', key }], () => this.#map.values.has(key));
  }

  async scan(prefix: string, options: { readonly limit?: number } = {}): Promise<MetadataEntry[]> {
    this.#ensureOpen();
    const limit = checkMetadataScan(prefix, options);
    const { keys, values } = this.#map;
    const entries: MetadataEntry[] = [];
    // Keys sharing a prefix are contiguous in UTF-8 byte order, starting where the prefix would sort.
    for (let index = this.#map.lowerBound(prefix); index < keys.length && entries.length < limit; index++) {
      const key = keys[index] as string;
      if (!key.startsWith(prefix)) break;
      entries.push({ key, value: (values.get(key) as Uint8Array).slice() });
    }
    return entries;
  }

  async batch(operations: readonly MetadataOperation[]): Promise<void> {
    this.#ensureOpen();
    // Every operation is checked before any is written: a batch is all or nothing.
    checkMetadataOperations(operations);
    if (operations.length === 0) return;
    await this.#write(operations, () => undefined);
  }

  async flush(): Promise<void> {
    this.#ensureOpen();
    await this.#compaction;
    if (this.#failure) throw this.#failure;
    if (this.#unsynced) await this.#requestSync();
  }

  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    this.#closing = true;
    this.#closed = (async () => {
      try {
        // A compaction drains the writes queued behind it; each of them may start another.
        while (this.#compaction) await this.#compaction.catch(() => undefined);
        if (this.#failure === undefined && this.#unsynced) await this.#requestSync();
        else await this.#currentSync?.catch(() => undefined);
        await this.#nextSync?.catch(() => undefined);
      } finally {
        this.#handle.close();
      }
    })();
    return this.#closed;
  }

  #ensureOpen(): void {
    if (this.#closing) throw storeClosedError('commitlog');
  }

  /**
   * Appends one record for `operations` and applies them. `before` runs just before they are applied
   * (it computes `delete`'s answer); a delete of a missing key writes nothing.
   */
  #write<T>(operations: readonly MetadataOperation[], before: () => T): Promise<T> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#compaction) {
      return new Promise<T>((resolve, reject) => {
        this.#waiting.push({ run: () => this.#write(operations, before).then(resolve, reject) });
      });
    }
    const result = before();
    if (operations.length === 1 && operations[0]?.type === 'delete' && result === false) {
      return Promise.resolve(result);
    }
    const record = encodeRecord(operations);
    try {
      writeFully(this.#handle, record, this.#end);
    } catch (error) {
      this.#abandonPartialWrite(error);
      return Promise.reject(error);
    }
    this.#end += record.length;
    this.#unsynced = true;
    for (const operation of operations) {
      if (operation.type === 'put') this.#map.set(operation.key, new Uint8Array(operation.value));
      else this.#map.delete(operation.key);
    }
    if (this.#end - LOG_HEADER_SIZE >= this.#compactBytes) this.#compaction = this.#compact();
    if (!this.#sync) return Promise.resolve(result);
    return this.#requestSync().then(() => result);
  }

  /** Cuts a record that was only partly written, so the next one goes right after the last good one. */
  #abandonPartialWrite(error: unknown): void {
    try {
      this.#handle.truncate(this.#end);
    } catch {
      this.#fail(error);
    }
  }

  #fail(error: unknown): EddyError {
    this.#failure ??= EddyError.is(error)
      ? error
      : new EddyError('IO_ERROR', `metadata log ${this.#handle.path}: ${String(error)}`, { cause: error });
    return this.#failure;
  }

  /**
   * Group commit: one fdatasync at a time; writes made while one runs share the next. Resolves once a
   * sync that began after the call's write has finished.
   */
  #requestSync(): Promise<void> {
    if (this.#nextSync) return this.#nextSync;
    if (this.#currentSync === undefined) return this.#startSync();
    const next = this.#currentSync
      .catch(() => undefined)
      .then(() => {
        this.#nextSync = undefined;
        return this.#startSync();
      });
    this.#nextSync = next;
    return next;
  }

  #startSync(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    this.#unsynced = false;
    const sync: Promise<void> = this.#handle.sync().then(
      () => {
        if (this.#currentSync === sync) this.#currentSync = undefined;
      },
      (error: unknown) => {
        if (this.#currentSync === sync) this.#currentSync = undefined;
        // After a failed fdatasync the kernel may have dropped the dirty pages: nothing after the last
        // good sync can be trusted, so no later write may be acknowledged either.
        throw this.#fail(error);
      },
    );
    this.#currentSync = sync;
    return sync;
  }

  async #compact(): Promise<void> {
    try {
      await this.#fileSystem.writeFileAtomic(this.#snapshotPath, encodeSnapshot(this.#map));
      try {
        this.#handle.truncate(LOG_HEADER_SIZE);
        this.#end = LOG_HEADER_SIZE;
        // As at open: the empty log must be durable before a new record can land where old ones were.
        await this.#handle.sync();
      } catch (error) {
        this.#fail(error);
      }
    } catch {
      // The old snapshot and the whole log are still in place: carry on and compact later. The
      // threshold is not lowered, so the next write tries again.
    } finally {
      this.#compaction = undefined;
      while (this.#waiting.length > 0 && this.#compaction === undefined) this.#waiting.shift()?.run();
    }
  }
}

function encodeRecord(operations: readonly MetadataOperation[]): Buffer {
  let size = RECORD_HEADER_SIZE + 4;
  const keys: Buffer[] = [];
  for (const operation of operations) {
    const key = Buffer.from(operation.key, 'utf8');
    keys.push(key);
    size += 1 + 4 + key.length + (operation.type === 'put' ? 4 + operation.value.byteLength : 0);
  }
  const payloadLength = size - RECORD_HEADER_SIZE;
  if (payloadLength > 0xffff_ffff) {
    throw new EddyError('INVALID_ARGUMENT', `metadata write of ${payloadLength} bytes is over the 4 GiB record limit`);
  }
  const record = Buffer.allocUnsafe(size);
  let at = RECORD_HEADER_SIZE;
  at = record.writeUInt32BE(operations.length, at);
  operations.forEach((operation, index) => {
    const key = keys[index] as Buffer;
    at = record.writeUInt8(operation.type === 'put' ? PUT : DELETE, at);
    at = record.writeUInt32BE(key.length, at);
    at += key.copy(record, at);
    if (operation.type === 'put') {
      at = record.writeUInt32BE(operation.value.byteLength, at);
      record.set(operation.value, at);
      at += operation.value.byteLength;
    }
  });
  record.writeUInt32BE(payloadLength, 0);
  record.writeUInt32BE(crc32c(record.subarray(0, 4)), 4);
  record.writeUInt32BE(crc32c(record.subarray(RECORD_HEADER_SIZE)), 8);
  return record;
}

/**
 * Applies every record of the log to `map`; returns where the good records end (the log's length
 * unless a torn last record was dropped), or 0 for a log whose header never reached the disk.
 */
function replayLog(bytes: Buffer, path: string, map: SortedMap): number {
  if (bytes.length < LOG_HEADER_SIZE || (bytes.readUInt32BE(0) === 0 && bytes.every((byte) => byte === 0))) {
    if (bytes.every((byte) => byte === 0)) return 0;
    throw new EddyError('CORRUPT_DATA', `metadata log ${path}: the header is damaged`, { details: { path } });
  }
  if (bytes.readUInt32BE(0) !== LOG_MAGIC || bytes.readUInt16BE(4) !== VERSION) {
    throw new EddyError('CORRUPT_DATA', `metadata log ${path}: bad magic or unknown version`, { details: { path } });
  }
  let position = LOG_HEADER_SIZE;
  while (position < bytes.length) {
    const fault = recordFault(bytes, position);
    if (typeof fault === 'string') {
      if (isTornTail(bytes, position, fault)) return position;
      throw new EddyError(
        'CORRUPT_DATA',
        `metadata log ${path}: corrupt record at byte ${position} (${fault}); ${bytes.length - position} bytes from there on`,
        { details: { path, position } },
      );
    }
    const payload = bytes.subarray(position + RECORD_HEADER_SIZE, fault);
    const operations = decodePayload(payload);
    if (operations === undefined) {
      throw new EddyError('CORRUPT_DATA', `metadata log ${path}: malformed record at byte ${position}`, {
        details: { path, position },
      });
    }
    for (const operation of operations) {
      if (operation.type === 'put') map.set(operation.key, operation.value);
      else map.delete(operation.key);
    }
    position = fault;
  }
  return position;
}

type RecordFault = 'partial header' | 'bad length' | 'past the end' | 'bad checksum';

/** The end of the good record at `position`, or what is wrong with it. */
function recordFault(bytes: Buffer, position: number): number | RecordFault {
  if (bytes.length - position < RECORD_HEADER_SIZE) return 'partial header';
  if (crc32c(bytes.subarray(position, position + 4)) !== bytes.readUInt32BE(position + 4)) return 'bad length';
  const end = position + RECORD_HEADER_SIZE + bytes.readUInt32BE(position);
  if (end > bytes.length) return 'past the end';
  const crc = crc32c(bytes.subarray(position + RECORD_HEADER_SIZE, end));
  if (crc !== bytes.readUInt32BE(position + 8)) return 'bad checksum';
  return end;
}

/**
 * A crash during the last append leaves its record cut short (a prefix of it reached the disk) or
 * unwritten (zeros where the file grew but the data did not land). Anything else is damage.
 */
function isTornTail(bytes: Buffer, position: number, fault: RecordFault): boolean {
  if (fault === 'partial header' || fault === 'past the end') return true;
  if (bytes.subarray(position).every((byte) => byte === 0)) return true;
  // A bad checksum on the record that ends exactly at the end of the file: the last write, partly landed.
  return fault === 'bad checksum' && position + RECORD_HEADER_SIZE + bytes.readUInt32BE(position) === bytes.length;
}

type DecodedOperation = { type: 'put'; key: string; value: Uint8Array } | { type: 'delete'; key: string };

function decodePayload(payload: Buffer): DecodedOperation[] | undefined {
  if (payload.length < 4) return undefined;
  const count = payload.readUInt32BE(0);
  const operations: DecodedOperation[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 5 > payload.length) return undefined;
    const kind = payload.readUInt8(at);
    const keyLength = payload.readUInt32BE(at + 1);
    at += 5;
    if (at + keyLength > payload.length) return undefined;
    const key = payload.toString('utf8', at, at + keyLength);
    at += keyLength;
    if (kind === DELETE) {
      operations.push({ type: 'delete', key });
      continue;
    }
    if (kind !== PUT || at + 4 > payload.length) return undefined;
    const valueLength = payload.readUInt32BE(at);
    at += 4;
    if (at + valueLength > payload.length) return undefined;
    // A copy: a view would keep the whole log buffer alive.
    operations.push({ type: 'put', key, value: new Uint8Array(payload.subarray(at, at + valueLength)) });
    at += valueLength;
  }
  return at === payload.length ? operations : undefined;
}

function encodeSnapshot(map: SortedMap): Buffer {
  const keys = map.keys.map((key) => Buffer.from(key, 'utf8'));
  let size = 12 + 4;
  map.keys.forEach((key, index) => {
    size += 8 + (keys[index] as Buffer).length + (map.values.get(key) as Uint8Array).byteLength;
  });
  const bytes = Buffer.allocUnsafe(size);
  bytes.writeUInt32BE(SNAPSHOT_MAGIC, 0);
  bytes.writeUInt16BE(VERSION, 4);
  bytes.writeUInt16BE(0, 6);
  let at = bytes.writeUInt32BE(map.keys.length, 8);
  map.keys.forEach((key, index) => {
    const keyBytes = keys[index] as Buffer;
    const value = map.values.get(key) as Uint8Array;
    at = bytes.writeUInt32BE(keyBytes.length, at);
    at += keyBytes.copy(bytes, at);
    at = bytes.writeUInt32BE(value.byteLength, at);
    bytes.set(value, at);
    at += value.byteLength;
  });
  bytes.writeUInt32BE(crc32c(bytes.subarray(0, at)), at);
  return bytes;
}

function loadSnapshot(bytes: Buffer, path: string, map: SortedMap): void {
  const corrupt = (what: string): EddyError =>
    new EddyError('CORRUPT_DATA', `metadata snapshot ${path}: ${what}`, { details: { path } });
  if (bytes.length < 16) throw corrupt(`the file is only ${bytes.length} bytes`);
  if (crc32c(bytes.subarray(0, bytes.length - 4)) !== bytes.readUInt32BE(bytes.length - 4)) {
    throw corrupt('CRC32C mismatch');
  }
  if (bytes.readUInt32BE(0) !== SNAPSHOT_MAGIC || bytes.readUInt16BE(4) !== VERSION) {
    throw corrupt('bad magic or unknown version');
  }
  const count = bytes.readUInt32BE(8);
  const end = bytes.length - 4;
  let at = 12;
  for (let i = 0; i < count; i++) {
    if (at + 4 > end) throw corrupt(`entry ${i} is cut short`);
    const keyLength = bytes.readUInt32BE(at);
    at += 4;
    if (at + keyLength + 4 > end) throw corrupt(`entry ${i} is cut short`);
    const key = bytes.toString('utf8', at, at + keyLength);
    at += keyLength;
    const valueLength = bytes.readUInt32BE(at);
    at += 4;
    if (at + valueLength > end) throw corrupt(`entry ${i} is cut short`);
    map.set(key, new Uint8Array(bytes.subarray(at, at + valueLength)));
    at += valueLength;
  }
  if (at !== end) throw corrupt(`${end - at} bytes after the last entry`);
}

function writeFully(handle: FileHandle, bytes: Buffer, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    const written = handle.write(bytes, done, bytes.length - done, position + done);
    if (written <= 0) throw new EddyError('IO_ERROR', `write ${handle.path}: wrote nothing at byte ${position + done}`);
    done += written;
  }
}

// A lone surrogate has no UTF-8 form: two different such keys would encode to the same bytes (U+FFFD)
