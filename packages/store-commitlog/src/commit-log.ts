import { decodeRecord, EddyError, RECORD_HEADER_SIZE, RecordFieldCache, type StoredMessage } from '@eddy/message';
import { BATCH_MAGIC, type BatchRecord, decodeBatchRecord } from './batch-record.js';
import { type FileHandle, type FileSystem, joinPath } from './file-layer.js';
import { HandleCache } from './handle-cache.js';

/**
 * The magic of a blank record, the filler at the end of a segment that the next batch did not fit in:
 * u32 size (the rest of the segment) then u16 `0xEDDB`, where a record has its u16 magic `0xEDD1`.
 */
export const BLANK_MAGIC = 0xeddb;
/** Bytes a blank record writes; when fewer remain in a segment nothing is written and readers skip them. */
export const BLANK_HEADER_SIZE = 6;

// Older segments are read only by consumers that fall behind; a few open handles serve them.
const MAX_OPEN_SEGMENTS = 16;
// Recovery reads segments in large sequential chunks rather than one read per record.
const SCAN_CHUNK_SIZE = 8 * 1024 * 1024;

/** A segment file's name: its start position, 20 digits, as RocketMQ names them. */
export function segmentName(start: number): string {
  return String(start).padStart(20, '0');
}

/** An append waiting for the fdatasync that covers it. */
interface Waiter {
  readonly end: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Why a scan stopped before the end of the files. */
export interface ScanFault {
  /** Global position of the bad (or missing) record. */
  readonly position: number;
  /** The segment file holding it. */
  readonly path: string;
  /** Position inside that file. */
  readonly filePosition: number;
  /** What is wrong, e.g. `'checksum'`, `'truncated'`, `'bad-blank'`. */
  readonly fault: string;
  readonly detail: string;
}

/** The outcome of {@link CommitLog.scan}. */
export interface ScanResult {
  /** Where the valid data ends: the position after the last good record or blank. */
  readonly end: number;
  /** Records found valid. */
  readonly records: number;
  /** Set when the scan stopped at bad data before the end of the files. */
  readonly fault: ScanFault | undefined;
  /** Bytes in the files from `end` on (what truncating at `end` drops). */
  readonly bytesAfterEnd: number;
}

/**
 * The CommitLog: every queue's records, in arrival order, in fixed-size segment files named by their
 * start position. Positions are global (`segmentStart + position in segment`); the segment holding a
 * position is `floor(position / segmentSize) * segmentSize`, because a segment covers exactly
 * `segmentSize` positions (a blank record or, under 6 bytes, nothing fills what a batch left).
 *
 * Writes are synchronous and positional; durability is {@link CommitLog.waitForFlush} (group commit:
 * one fdatasync at a time covers every append made before it started) or {@link CommitLog.flush}.
 * After a failed fdatasync the log refuses further writes: the kernel may have dropped the dirty pages,
 * so nothing written since the last good sync can be promised (reopening recovers from the files).
 */
export class CommitLog {
  readonly dir: string;
  readonly segmentSize: number;
  readonly #fileSystem: FileSystem;
  readonly #handles: HandleCache;
  /** Start positions of the segment files, ascending. */
  #segments: number[];
  #maxPosition = 0;
  #flushedPosition = 0;
  /** Segments written since the last sync. */
  #dirty = new Set<number>();
  /** A segment file was created or removed since the last directory sync. */
  #directoryDirty = false;
  #waiters: Waiter[] = [];
  #syncing: Promise<void> | undefined;
  #failure: EddyError | undefined;
  #syncCount = 0;
  /** The segment being written, its handle held open so that each append skips the LRU look-up. */
  #active:
    | {
        readonly start: number;
        readonly path: string;
        readonly lease: { readonly handle: FileHandle; release(): void };
      }
    | undefined;

  private constructor(fileSystem: FileSystem, dir: string, segmentSize: number, segments: number[]) {
    this.#fileSystem = fileSystem;
    this.dir = dir;
    this.segmentSize = segmentSize;
    this.#segments = segments;
    this.#handles = new HandleCache(fileSystem, MAX_OPEN_SEGMENTS);
  }

  /**
   * Finds the segments in `dir`. The end of the log is set afterwards, by the store, from the checkpoint
   * or a recovery scan ({@link CommitLog.setEnd}).
   *
   * @throws `INVALID_CONFIG` when the files were written with another segment size.
   */
  static open(fileSystem: FileSystem, dir: string, segmentSize: number): CommitLog {
    fileSystem.mkdir(dir);
    const segments: number[] = [];
    for (const name of fileSystem.list(dir)) {
      if (!/^\d{20}$/.test(name)) continue;
      const start = Number(name);
      if (start % segmentSize !== 0) {
        throw new EddyError(
          'INVALID_CONFIG',
          `CommitLog segment ${joinPath(dir, name)} does not start at a multiple of segmentSize ${segmentSize}: the log was written with another segment size`,
        );
      }
      segments.push(start);
    }
    segments.sort((left, right) => left - right);
    return new CommitLog(fileSystem, dir, segmentSize, segments);
  }

  /** The first position still on disk (the start of the oldest segment). */
  get minPosition(): number {
    return Math.min(this.#segments[0] ?? this.#maxPosition, this.#maxPosition);
  }

  /** The end of the written data: where the next record goes (before any segment roll). */
  get maxPosition(): number {
    return this.#maxPosition;
  }

  /** Everything below is known to be fdatasync'd. */
  get flushedPosition(): number {
    return this.#flushedPosition;
  }

  /** fdatasync rounds run so far (each covers every dirty segment); for tests of group commit. */
  get syncCount(): number {
    return this.#syncCount;
  }

  /** The error that stopped writes, if an fdatasync failed. */
  get failure(): EddyError | undefined {
    return this.#failure;
  }

  /** Segment start positions, oldest first. */
  get segmentStarts(): readonly number[] {
    return this.#segments;
  }

  /** The path of the segment starting at `start`. */
  segmentPath(start: number): string {
    return joinPath(this.dir, segmentName(start));
  }

  /** The start of the segment holding `position`. */
  segmentStartOf(position: number): number {
    return Math.floor(position / this.segmentSize) * this.segmentSize;
  }

  /**
   * Sets the end of the log after open: drops every byte at or after `end` (a torn tail, or what a
   * clean stop never acknowledged) and makes `end` both the write and the flushed position.
   */
  setEnd(end: number): void {
    this.truncate(end);
    this.#maxPosition = end;
    this.#flushedPosition = end;
  }

  /**
   * Writes records (encoded back to back in `buffer`, of the given sizes) and returns each one's
   * position. Records that fit go with one write; a batch that does not fit in the rest of the segment
   * leaves a blank record there and goes to the next one, split at record boundaries only when it is
   * larger than a whole segment. On a failed write everything this call wrote is cut off again, so
   * the log never holds part of a batch.
   *
   * @throws `IO_ERROR` or `DISK_FULL` (nothing written); `MESSAGE_TOO_LARGE` for a record larger than a segment.
   */
  append(buffer: Buffer, sizes: readonly number[]): number[] {
    if (this.#failure !== undefined) throw this.#failure;
    const start = this.#maxPosition;
    const positions: number[] = new Array(sizes.length);
    let index = 0;
    let bufferOffset = 0;
    let position = start;
    try {
      while (index < sizes.length) {
        const segmentStart = this.segmentStartOf(position);
        const room = segmentStart + this.segmentSize - position;
        let count = 0;
        let bytes = 0;
        while (index + count < sizes.length && bytes + (sizes[index + count] as number) <= room) {
          bytes += sizes[index + count] as number;
          count++;
        }
        if (count === 0) {
          const size = sizes[index] as number;
          if (size > this.segmentSize) {
            throw new EddyError(
              'MESSAGE_TOO_LARGE',
              `record is ${size} bytes; the limit is ${this.segmentSize} (segmentSize)`,
            );
          }
          if (room >= BLANK_HEADER_SIZE) {
            const blank = Buffer.allocUnsafe(BLANK_HEADER_SIZE);
            blank.writeUInt32BE(room, 0);
            blank.writeUInt16BE(BLANK_MAGIC, 4);
            this.#writeFully(segmentStart, position - segmentStart, blank, 0, BLANK_HEADER_SIZE);
          }
          position = segmentStart + this.segmentSize;
          continue;
        }
        this.#writeFully(segmentStart, position - segmentStart, buffer, bufferOffset, bytes);
        for (let i = 0; i < count; i++) {
          positions[index + i] = position;
          position += sizes[index + i] as number;
        }
        bufferOffset += bytes;
        index += count;
      }
    } catch (error) {
      this.#rollBack(start, error);
      throw error;
    }
    this.#maxPosition = position;
    return positions;
  }

  /**
   * Reads `length` bytes at `position`, which must lie within one segment and below the write position,
   * into a new buffer, or into the start of `into` (at least `length` bytes) when given; returns exactly
   * the bytes read.
   *
   * @throws `CORRUPT_DATA` when the segment is shorter than the log says.
   */
  read(position: number, length: number, into?: Uint8Array): Buffer {
    const segmentStart = this.segmentStartOf(position);
    if (
      position < this.minPosition ||
      position + length > this.#maxPosition ||
      position + length > segmentStart + this.segmentSize
    ) {
      throw new EddyError(
        'CORRUPT_DATA',
        `CommitLog read of ${length} bytes at ${position} is outside the log (${this.minPosition}…${this.#maxPosition}) or its segment`,
        { details: { position, length } },
      );
    }
    const active = this.#active;
    const path = active?.start === segmentStart ? active.path : this.segmentPath(segmentStart);
    if (into !== undefined && into.byteLength < length) {
      throw new EddyError('INVALID_ARGUMENT', `a read of ${length} bytes was given a ${into.byteLength}-byte buffer`);
    }
    const target = into === undefined ? Buffer.allocUnsafe(length) : Buffer.from(into.buffer, into.byteOffset, length);
    const handle = active?.start === segmentStart ? active.lease.handle : this.#handles.get(path);
    let done = 0;
    while (done < length) {
      const read = handle.read(target, done, length - done, position - segmentStart + done);
      if (read === 0) {
        throw new EddyError(
          'CORRUPT_DATA',
          `${path} ends at ${position - segmentStart + done}; a record needs ${length - done} more bytes`,
          {
            details: { path, position: position - segmentStart + done },
          },
        );
      }
      done += read;
    }
    return target;
  }

  /** The store timestamp of the record at `position` (read from its header, unverified), or undefined if it is no record. */
  readStoreTimestamp(position: number): number | undefined {
    if (position + 32 > this.#maxPosition) return undefined;
    const header = this.read(position, 32);
    const magic = header.readUInt16BE(4);
    if (magic !== 0xedd1 && magic !== BATCH_MAGIC) return undefined;
    return header.readUInt32BE(24) * 2 ** 32 + header.readUInt32BE(28);
  }

  /** The size a record at `position` says it has, or undefined when no record starts there. */
  readRecordSize(position: number): number | undefined {
    if (position < this.minPosition || position + RECORD_HEADER_SIZE > this.#maxPosition) return undefined;
    const segmentStart = this.segmentStartOf(position);
    if (position + RECORD_HEADER_SIZE > segmentStart + this.segmentSize) return undefined;
    const header = this.read(position, RECORD_HEADER_SIZE);
    const magic = header.readUInt16BE(4);
    if (magic !== 0xedd1 && magic !== BATCH_MAGIC) return undefined;
    const size = header.readUInt32BE(0);
    if (size < RECORD_HEADER_SIZE || position + size > Math.min(this.#maxPosition, segmentStart + this.segmentSize))
      return undefined;
    return size;
  }

  /**
   * Resolves once everything below `end` is fdatasync'd (group commit); rejects if that sync fails.
   * `gathered` says the caller already collected this turn's appends into its write, so when no sync
   * is running one starts at once instead of waiting a turn for more appends to join.
   */
  waitForFlush(end: number, gathered = false): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#flushedPosition >= end && !this.#directoryDirty) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ end, resolve, reject });
      this.#syncing ??= this.#runSyncs(gathered);
    });
  }

  /** Makes everything written so far durable. */
  flush(): Promise<void> {
    return this.waitForFlush(this.#maxPosition);
  }

  /**
   * Walks the records from `from` (a record boundary) to the end of the files, checking each one's
   * CRC32C, and hands each good one to `visit`. Stops at the first bad or missing record and says where.
   * The record given to `visit` is a view into a reused buffer: copy what must outlive the call. Batch
   * records go to `visitBatch` (their payload too is a view into that buffer).
   */
  scan(
    from: number,
    visit: (record: StoredMessage, position: number, size: number) => void,
    visitBatch: (batch: BatchRecord, position: number, size: number) => void = () => {},
  ): ScanResult {
    let position = Math.max(from, this.#segments[0] ?? from);
    let records = 0;
    const decodeOptions = { cache: new RecordFieldCache() };
    const chunk = { buffer: Buffer.alloc(0), start: -1, segment: -1, length: 0 };
    const stop = (fault: ScanFault | undefined): ScanResult => ({
      end: position,
      records,
      fault,
      bytesAfterEnd: this.#bytesFrom(position),
    });
    let current:
      | {
          start: number;
          exists: boolean;
          hasNext: boolean;
          path: string;
          handle: FileHandle | undefined;
          fileSize: number;
        }
      | undefined;
    for (;;) {
      const segmentStart = this.segmentStartOf(position);
      if (current?.start !== segmentStart) {
        const exists = this.#segments.includes(segmentStart);
        const path = this.segmentPath(segmentStart);
        const handle = exists ? this.#handles.get(path) : undefined;
        current = {
          start: segmentStart,
          exists,
          hasNext: this.#segments.some((start) => start > segmentStart),
          path,
          handle,
          fileSize: handle?.size() ?? 0,
        };
      }
      const { hasNext, fileSize } = current;
      if (current.handle === undefined) {
        // At a segment's start with nothing after it, the log simply ends here; anywhere else (the scan
        // started inside it, or later segments exist) bytes the log held are gone.
        if (!hasNext && position === segmentStart) return stop(undefined);
        position = segmentStart;
        return stop(this.#fault(position, 'missing-segment', 'the segment holding this position is missing'));
      }
      const handle = current.handle;
      const offset = position - segmentStart;
      const remaining = this.segmentSize - offset;
      if (offset > fileSize) {
        // The scan starts past the end of the file: bytes below its start (already flushed) are gone.
        position = segmentStart + fileSize;
        return stop(
          this.#fault(position, 'truncated', `the segment ends at ${fileSize}, before the scan's start at ${offset}`),
        );
      }
      if (remaining < BLANK_HEADER_SIZE) {
        if (!hasNext) return stop(undefined);
        position = segmentStart + this.segmentSize;
        continue;
      }
      if (offset >= fileSize) {
        if (!hasNext) return stop(undefined);
        return stop(
          this.#fault(
            position,
            'truncated',
            `the segment ends at ${fileSize} without a blank record, but later segments exist`,
          ),
        );
      }
      const available = Math.min(fileSize, this.segmentSize) - offset;
      if (available < BLANK_HEADER_SIZE) {
        return stop(
          this.#fault(position, 'truncated', `${available} bytes left; a record header needs ${RECORD_HEADER_SIZE}`),
        );
      }
      const head = this.#chunkView(chunk, handle, segmentStart, offset, BLANK_HEADER_SIZE, fileSize);
      const size = head.buffer.readUInt32BE(head.at);
      const magic = head.buffer.readUInt16BE(head.at + 4);
      if (magic === BLANK_MAGIC) {
        if (size !== remaining) {
          return stop(
            this.#fault(
              position,
              'bad-blank',
              `a blank record says ${size} bytes but ${remaining} remain in the segment`,
            ),
          );
        }
        position = segmentStart + this.segmentSize;
        if (!hasNext) return stop(undefined);
        continue;
      }
      if (size > available) {
        // A size past the end of the file is a torn write (or a damaged size field).
        return stop(
          this.#fault(
            position,
            size > remaining ? 'bad-size' : 'truncated',
            `the record says ${size} bytes but ${available} are left in the file`,
          ),
        );
      }
      const view = this.#chunkView(chunk, handle, segmentStart, offset, Math.max(size, RECORD_HEADER_SIZE), fileSize);
      if (magic === BATCH_MAGIC) {
        const batch = decodeBatchRecord(view.buffer, view.at);
        if (!batch.ok) return stop(this.#fault(position, batch.fault, batch.error.message));
        visitBatch(batch.batch, position, size);
        records++;
        position += size;
        continue;
      }
      // In place, with a field cache: a log holds long runs of one topic and host, and recovery decodes
      // every record. `size` is the record's own size field, so decoding stops at its end.
      const decoded = decodeRecord(view.buffer, view.at, decodeOptions);
      if (!decoded.ok) return stop(this.#fault(position, decoded.fault, decoded.error.message));
      visit(decoded.record, position, size);
      records++;
      position += size;
    }
  }

  /**
   * Cuts the log at `position`: the segment holding it is truncated there and later ones are removed.
   */
  truncate(position: number): void {
    const keep: number[] = [];
    for (const start of this.#segments) {
      const path = this.segmentPath(start);
      if (start >= position) {
        this.#dropActive(start);
        this.#handles.close(path);
        this.#fileSystem.remove(path);
        this.#dirty.delete(start);
        this.#directoryDirty = true;
        continue;
      }
      keep.push(start);
      if (start + this.segmentSize > position) {
        const handle = this.#handles.get(path);
        if (handle.size() > position - start) handle.truncate(position - start);
      }
    }
    this.#segments = keep;
    if (this.#maxPosition > position) this.#maxPosition = position;
    if (this.#flushedPosition > position) this.#flushedPosition = position;
  }

  /**
   * Removes the oldest segments whose whole range lies below `position`, never the one being written.
   * Returns the starts removed.
   */
  removeSegmentsBefore(position: number): number[] {
    const newest = this.segmentStartOf(Math.max(this.#maxPosition - 1, 0));
    const removed: number[] = [];
    while (this.#segments.length > 0) {
      const start = this.#segments[0] as number;
      if (start + this.segmentSize > position || start >= newest) break;
      const path = this.segmentPath(start);
      this.#dropActive(start);
      this.#handles.close(path);
      this.#fileSystem.remove(path);
      this.#dirty.delete(start);
      this.#segments.shift();
      removed.push(start);
      this.#directoryDirty = true;
    }
    return removed;
  }

  /** The store timestamp of a segment's first record, or undefined when it holds none. */
  firstTimestampOf(segmentStart: number): number | undefined {
    if (!this.#segments.includes(segmentStart)) return undefined;
    return this.readStoreTimestamp(segmentStart);
  }

  /** The position after the last byte in the files (the last segment's start plus its size), whatever the log's end says. */
  dataEnd(): number {
    const last = this.#segments.at(-1);
    if (last === undefined) return 0;
    return last + Math.min(this.#handles.get(this.segmentPath(last)).size(), this.segmentSize);
  }

  /** Bytes the segment files hold. */
  diskBytes(): number {
    let total = 0;
    for (const start of this.#segments) {
      total +=
        start + this.segmentSize <= this.#maxPosition ? this.segmentSize : Math.max(0, this.#maxPosition - start);
    }
    return total;
  }

  /** Waits for a sync under way, then closes every handle. */
  async close(): Promise<void> {
    await this.#syncing?.catch(() => {});
    this.#dropActive(this.#active?.start ?? -1);
    this.#handles.closeAll();
  }

  #dropActive(start: number): void {
    if (this.#active?.start !== start) return;
    this.#active.lease.release();
    this.#active = undefined;
  }

  #fault(position: number, fault: string, detail: string): ScanFault {
    const start = this.segmentStartOf(position);
    return { position, path: this.segmentPath(start), filePosition: position - start, fault, detail };
  }

  #bytesFrom(position: number): number {
    let total = 0;
    for (const start of this.#segments) {
      if (start + this.segmentSize <= position) continue;
      const size = this.#handles.get(this.segmentPath(start)).size();
      total += Math.max(0, size - Math.max(0, position - start));
    }
    return total;
  }

  /** A view of `length` bytes at `offset` of a segment, from the scan's chunk buffer (refilled as needed). */
  #chunkView(
    chunk: { buffer: Buffer; start: number; segment: number; length: number },
    handle: { read(buffer: Uint8Array, offset: number, length: number, position: number): number },
    segment: number,
    offset: number,
    length: number,
    fileSize: number,
  ): { buffer: Buffer; at: number } {
    if (chunk.segment !== segment || offset < chunk.start || offset + length > chunk.start + chunk.length) {
      const wanted = Math.min(Math.max(SCAN_CHUNK_SIZE, length), fileSize - offset);
      if (chunk.buffer.byteLength < wanted) chunk.buffer = Buffer.allocUnsafe(Math.max(wanted, SCAN_CHUNK_SIZE));
      let done = 0;
      while (done < wanted) {
        const read = handle.read(chunk.buffer, done, wanted - done, offset + done);
        if (read === 0) break;
        done += read;
      }
      chunk.segment = segment;
      chunk.start = offset;
      chunk.length = done;
      if (done < length) {
        chunk.buffer.fill(0, done, length);
      }
    }
    return { buffer: chunk.buffer, at: offset - chunk.start };
  }

  #writeFully(segmentStart: number, filePosition: number, buffer: Buffer, offset: number, length: number): void {
    let active = this.#active;
    if (active?.start !== segmentStart) {
      active?.lease.release();
      this.#active = undefined;
      if (!this.#segments.includes(segmentStart)) {
        this.#segments.push(segmentStart);
        this.#segments.sort((left, right) => left - right);
        this.#directoryDirty = true;
      }
      const path = this.segmentPath(segmentStart);
      active = { start: segmentStart, path, lease: this.#handles.lease(path, true) };
      this.#active = active;
    }
    const { path } = active;
    const handle = active.lease.handle;
    let done = 0;
    while (done < length) {
      const written = handle.write(buffer, offset + done, length - done, filePosition + done);
      if (written <= 0) throw new EddyError('IO_ERROR', `write to ${path} at ${filePosition + done} wrote nothing`);
      done += written;
    }
    this.#dirty.add(segmentStart);
  }

  #rollBack(start: number, cause: unknown): void {
    try {
      this.truncate(start);
      this.#maxPosition = start;
    } catch (rollBackError) {
      // The files now hold part of a batch that was never acknowledged: refuse further writes, and let
      // recovery (which checks queue offsets) sort it out at the next open.
      this.#failure = new EddyError(
        'IO_ERROR',
        `could not cut a failed write back to ${start} in ${this.dir}: ${(rollBackError as Error).message}`,
        { cause: [cause, rollBackError] },
      );
    }
  }

  async #runSyncs(gathered: boolean): Promise<void> {
    let wait = !gathered;
    try {
      while (this.#waiters.length > 0) {
        // Let every append already queued in this turn of the event loop (appenders woken by the last
        // sync append again in promise callbacks) join this sync rather than wait for the next one.
        if (wait) await new Promise<void>((resolve) => setImmediate(resolve));
        wait = true;
        const target = this.#maxPosition;
        const dirty = [...this.#dirty];
        this.#dirty.clear();
        const directory = this.#directoryDirty;
        this.#directoryDirty = false;
        try {
          this.#syncCount++;
          await Promise.all(dirty.map((start) => this.#handles.sync(this.segmentPath(start))));
          if (directory) await this.#fileSystem.syncDirectory(this.dir);
        } catch (error) {
          this.#failure = EddyError.is(error)
            ? error
            : new EddyError('IO_ERROR', `fdatasync of ${this.dir} failed: ${String(error)}`, { cause: error });
          const waiters = this.#waiters.splice(0);
          for (const waiter of waiters) waiter.reject(this.#failure);
          return;
        }
        if (target > this.#flushedPosition) this.#flushedPosition = target;
        const still: Waiter[] = [];
        for (const waiter of this.#waiters.splice(0)) {
          if (waiter.end <= this.#flushedPosition) waiter.resolve();
          else still.push(waiter);
        }
        this.#waiters.push(...still);
      }
    } finally {
      this.#syncing = undefined;
    }
  }
}
