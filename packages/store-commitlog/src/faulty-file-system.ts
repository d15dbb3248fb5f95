import { dirname } from 'node:path';
import { EddyError } from '@eddy/message';
import { type FileHandle, type FileSystem, nodeFileSystem } from './file-layer.js';

/** Options of {@link FaultyFileSystem}; each can also be changed later through its method. */
export interface FaultyFileSystemOptions {
  /** How many of the next `FileHandle.write` calls write only part of what was asked. */
  readonly shortWrites?: number;
  /** How many of the next writes fail (with `IO_ERROR`, or `DISK_FULL` through {@link FaultyFileSystem.failWrites}). */
  readonly failWrites?: number;
  /** How many of the next syncs (`FileHandle.sync`, `syncDirectory`, `writeFileAtomic`) fail with `IO_ERROR`. */
  readonly failSyncs?: number;
}

/** What a {@link FaultyFileSystem} has been asked to do, for tests to assert on. */
export interface FaultyFileSystemCounts {
  /** `FileHandle.write` calls, failed and short ones included. */
  writes: number;
  /** Bytes the writes actually wrote. */
  bytesWritten: number;
  /** `FileHandle.sync` calls, failed ones included. */
  syncs: number;
  /** `syncDirectory` calls. */
  directorySyncs: number;
  /** `writeFileAtomic` calls. */
  atomicWrites: number;
  /** Syncs of any kind that were made to fail. */
  failedSyncs: number;
  /** Writes that were made short or to fail. */
  faultyWrites: number;
  /** `open` calls. */
  opens: number;
  /** `FileHandle.truncate` calls. */
  truncates: number;
  /** `remove` calls. */
  removes: number;
}

/** One change since the file's last successful sync, with what it replaced. */
interface UndoEntry {
  readonly sequence: number;
  readonly position: number;
  /** The bytes the change overwrote (zeros where the file was shorter). */
  previous: Buffer;
  /** A sync failed while this change was pending: like Linux after a writeback error, no later sync will persist it. */
  doomed: boolean;
}

interface FileState {
  /** The size the last successful sync made durable. */
  durableSize: number;
  /** The change sequence number of that sync's start, so that an older sync finishing later never lowers it. */
  durableSince: number;
  readonly undo: UndoEntry[];
  /** Created since the last `syncDirectory` of its directory: power loss may lose the directory entry. */
  newSinceDirectorySync: boolean;
}

interface Hooks {
  counts(): FaultyFileSystemCounts;
  planWrite(path: string, length: number): number;
  takeSyncFailure(action: string): void;
  nextSequence(): number;
  forget(handle: FaultyFileHandle): void;
}

function zeroCounts(): FaultyFileSystemCounts {
  return {
    writes: 0,
    bytesWritten: 0,
    syncs: 0,
    directorySyncs: 0,
    atomicWrites: 0,
    failedSyncs: 0,
    faultyWrites: 0,
    opens: 0,
    truncates: 0,
    removes: 0,
  };
}

/**
 * A {@link FileSystem} for tests that wraps another (the real one by default) and injects faults: short
 * writes, failed writes, failed syncs and power loss. It counts calls so tests can assert on them (e.g.
 * that group commit shared fdatasyncs).
 *
 * **What power loss models.** {@link FaultyFileSystem.simulatePowerLoss} turns every file back into what
 * its last successful sync made durable: each file keeps an undo log of the writes and truncations made
 * through this wrapper since its last successful `sync` (the bytes they replaced, at byte granularity);
 * power loss applies them newest first and cuts the file to its durable size. Files created through
 * `open(…, { create: true })` since the last `syncDirectory` of their directory are removed, as a
 * directory entry that never reached the disk. A failed sync leaves the writes it should have covered
 * lost for good, even if a later sync succeeds (Linux marks the pages clean after a writeback error), so
 * an engine that carries on after a failed fsync without writing the data again is caught. Every handle
 * open at the power loss is dead afterwards: its calls throw `IO_ERROR` and `close` does nothing.
 *
 * Not modelled: the wrapped file system's own caching (tests run on a real disk that does not lose
 * power), reordering within a sync, removals and renames that were not made durable (they stay done),
 * torn sectors within a single write, and directories created without a sync. `writeFileAtomic` is
 * durable and atomic when it resolves, as the real one is; when a sync failure is pending it fails
 * before replacing anything.
 */
export class FaultyFileSystem implements FileSystem {
  readonly #inner: FileSystem;
  readonly #files = new Map<string, FileState>();
  readonly #handles = new Set<FaultyFileHandle>();
  #sequence = 0;
  #shortWrites: number;
  #failWrites: number;
  #failWriteCode: 'IO_ERROR' | 'DISK_FULL' = 'IO_ERROR';
  #failSyncs: number;
  /** Calls made so far; reset with {@link FaultyFileSystem.resetCounts}. */
  counts: FaultyFileSystemCounts = zeroCounts();
  /** What the handles need from their file system, kept off the public surface. */
  readonly #hooks: Hooks = {
    counts: () => this.counts,
    planWrite: (path, length) => this.#planWrite(path, length),
    takeSyncFailure: (action) => this.#takeSyncFailure(action),
    nextSequence: () => ++this.#sequence,
    forget: (handle) => this.#handles.delete(handle),
  };

  constructor(inner: FileSystem = nodeFileSystem, options: FaultyFileSystemOptions = {}) {
    this.#inner = inner;
    this.#shortWrites = options.shortWrites ?? 0;
    this.#failWrites = options.failWrites ?? 0;
    this.#failSyncs = options.failSyncs ?? 0;
  }

  /** Makes the next `count` writes short: each writes half of what was asked (at least one byte). */
  shortWrites(count: number): void {
    this.#shortWrites = count;
  }

  /** Makes the next `count` writes throw `code` (default `IO_ERROR`) without writing anything. */
  failWrites(count: number, code: 'IO_ERROR' | 'DISK_FULL' = 'IO_ERROR'): void {
    this.#failWrites = count;
    this.#failWriteCode = code;
  }

  /** Makes the next `count` syncs (`FileHandle.sync`, `syncDirectory`, `writeFileAtomic`) fail with `IO_ERROR`. */
  failSyncs(count: number): void {
    this.#failSyncs = count;
  }

  /** Sets every counter back to zero. */
  resetCounts(): void {
    this.counts = zeroCounts();
  }

  /** Bytes written to `path` that a power loss now would take back (0 when everything is durable). */
  unsyncedBytes(path: string): number {
    const state = this.#files.get(path);
    return state === undefined ? 0 : state.undo.reduce((sum, entry) => sum + entry.previous.length, 0);
  }

  /**
   * Reverts every file to what its last successful sync made durable (see the class comment for the
   * model), removes files whose creation was never made durable, and kills every open handle.
   */
  simulatePowerLoss(): void {
    for (const handle of this.#handles) handle.kill();
    this.#handles.clear();
    for (const [path, state] of this.#files) {
      if (state.newSinceDirectorySync) {
        this.#inner.remove(path);
        continue;
      }
      if (!this.#inner.exists(path)) continue;
      const handle = this.#inner.open(path);
      try {
        for (let i = state.undo.length - 1; i >= 0; i--) {
          const entry = state.undo[i] as UndoEntry;
          writeAll(handle, entry.previous, entry.position);
        }
        handle.truncate(state.durableSize);
      } finally {
        handle.close();
      }
    }
    this.#files.clear();
  }

  open(path: string, options?: { create?: boolean }): FileHandle {
    this.counts.opens++;
    const existed = this.#inner.exists(path);
    const inner = this.#inner.open(path, options);
    let state = this.#files.get(path);
    if (state === undefined) {
      // A file this wrapper has not seen yet is taken as durable as it stands.
      const size = existed ? inner.size() : 0;
      state = { durableSize: size, durableSince: 0, undo: [], newSinceDirectorySync: !existed };
      this.#files.set(path, state);
    }
    const handle = new FaultyFileHandle(this.#hooks, inner, state);
    this.#handles.add(handle);
    return handle;
  }

  exists(path: string): boolean {
    return this.#inner.exists(path);
  }

  mkdir(path: string): void {
    this.#inner.mkdir(path);
  }

  list(path: string): string[] {
    return this.#inner.list(path);
  }

  remove(path: string): void {
    this.counts.removes++;
    this.#inner.remove(path);
    for (const known of [...this.#files.keys()]) {
      if (known === path || known.startsWith(`${path}/`)) this.#files.delete(known);
    }
  }

  readFile(path: string): Buffer | undefined {
    return this.#inner.readFile(path);
  }

  async writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
    this.counts.atomicWrites++;
    this.#takeSyncFailure(`fsync ${path}.tmp`);
    await this.#inner.writeFileAtomic(path, data);
    this.#files.set(path, {
      durableSize: data.byteLength,
      durableSince: this.#sequence,
      undo: [],
      newSinceDirectorySync: false,
    });
  }

  async syncDirectory(path: string): Promise<void> {
    this.counts.directorySyncs++;
    this.#takeSyncFailure(`fsync ${path}`);
    await this.#inner.syncDirectory(path);
    for (const [known, state] of this.#files) if (dirname(known) === path) state.newSinceDirectorySync = false;
  }

  diskUsage(path: string): { free: number; total: number } {
    return this.#inner.diskUsage(path);
  }

  /** The write-fault decision for one write: how many bytes to let through, or a throw. */
  #planWrite(path: string, length: number): number {
    this.counts.writes++;
    if (this.#failWrites > 0) {
      this.#failWrites--;
      this.counts.faultyWrites++;
      const code = this.#failWriteCode;
      throw new EddyError(code, `write ${path}: ${code === 'DISK_FULL' ? 'the disk is full' : 'injected I/O error'}`, {
        retriable: code === 'DISK_FULL',
      });
    }
    if (this.#shortWrites > 0 && length > 1) {
      this.#shortWrites--;
      this.counts.faultyWrites++;
      return Math.floor(length / 2);
    }
    return length;
  }

  #takeSyncFailure(action: string): void {
    if (this.#failSyncs <= 0) return;
    this.#failSyncs--;
    this.counts.failedSyncs++;
    throw new EddyError('IO_ERROR', `${action}: injected I/O error`);
  }
}

class FaultyFileHandle implements FileHandle {
  readonly path: string;
  readonly #owner: Hooks;
  readonly #inner: FileHandle;
  readonly #state: FileState;
  #dead = false;
  #closed = false;

  constructor(owner: Hooks, inner: FileHandle, state: FileState) {
    this.path = inner.path;
    this.#owner = owner;
    this.#inner = inner;
    this.#state = state;
  }

  write(buffer: Uint8Array, offset: number, length: number, position: number): number {
    this.#check();
    const allowed = this.#owner.planWrite(this.path, length);
    this.#remember(position, allowed);
    const written = this.#inner.write(buffer, offset, allowed, position);
    this.#owner.counts().bytesWritten += written;
    return written;
  }

  read(buffer: Uint8Array, offset: number, length: number, position: number): number {
    this.#check();
    return this.#inner.read(buffer, offset, length, position);
  }

  size(): number {
    this.#check();
    return this.#inner.size();
  }

  truncate(length: number): void {
    this.#check();
    this.#owner.counts().truncates++;
    const size = this.#inner.size();
    if (length < size) this.#remember(length, size - length);
    this.#inner.truncate(length);
  }

  async sync(): Promise<void> {
    this.#check();
    this.#owner.counts().syncs++;
    // Only changes made before the sync began are certainly covered by it.
    const start = this.#owner.nextSequence();
    const size = this.#inner.size();
    const state = this.#state;
    try {
      this.#owner.takeSyncFailure(`fdatasync ${this.path}`);
      await this.#inner.sync();
    } catch (error) {
      for (const entry of state.undo) if (entry.sequence < start) entry.doomed = true;
      throw error;
    }
    if (this.#dead) throw new EddyError('IO_ERROR', `fdatasync ${this.path}: the power went out`);
    commit(state, start, size);
  }

  close(): void {
    if (this.#dead || this.#closed) return;
    this.#closed = true;
    this.#owner.forget(this);
    this.#inner.close();
  }

  /** Power loss: the handle is gone with the machine. */
  kill(): void {
    if (this.#dead) return;
    this.#dead = true;
    if (!this.#closed) this.#inner.close();
  }

  #check(): void {
    if (this.#dead) throw new EddyError('IO_ERROR', `${this.path}: the handle was lost in a simulated power loss`);
    if (this.#closed) throw new Error(`${this.path} is closed`);
  }

  /** Records what `length` bytes at `position` hold now, before they are overwritten. */
  #remember(position: number, length: number): void {
    if (length <= 0) return;
    const previous = Buffer.alloc(length);
    const size = this.#inner.size();
    if (position < size) {
      const available = Math.min(length, size - position);
      let done = 0;
      while (done < available) {
        const read = this.#inner.read(previous, done, available - done, position + done);
        if (read <= 0) break;
        done += read;
      }
    }
    this.#state.undo.push({ sequence: this.#owner.nextSequence(), position, previous, doomed: false });
  }
}

/**
 * A sync that began at change `start` succeeded: changes before it are durable, except doomed ones,
 * which keep their undo minus whatever durable later changes overwrote.
 */
function commit(state: FileState, start: number, size: number): void {
  const covered = state.undo.filter((entry) => entry.sequence < start);
  if (covered.length === 0 && start <= state.durableSince) return;
  const kept: UndoEntry[] = [];
  const durableLater: Array<{ from: number; to: number }> = [];
  for (let i = covered.length - 1; i >= 0; i--) {
    const entry = covered[i] as UndoEntry;
    if (!entry.doomed) {
      durableLater.push({ from: entry.position, to: entry.position + entry.previous.length });
      continue;
    }
    kept.unshift(...clip(entry, durableLater));
  }
  const pending = state.undo.filter((entry) => entry.sequence >= start);
  state.undo.length = 0;
  state.undo.push(...kept, ...pending);
  if (start > state.durableSince) {
    state.durableSince = start;
    state.durableSize = size;
  }
}

/** The parts of a doomed entry's undo that no later durable change overwrote. */
function clip(entry: UndoEntry, ranges: ReadonlyArray<{ from: number; to: number }>): UndoEntry[] {
  let pieces = [{ from: entry.position, to: entry.position + entry.previous.length }];
  for (const range of ranges) {
    const next: typeof pieces = [];
    for (const piece of pieces) {
      if (range.to <= piece.from || range.from >= piece.to) {
        next.push(piece);
        continue;
      }
      if (piece.from < range.from) next.push({ from: piece.from, to: range.from });
      if (range.to < piece.to) next.push({ from: range.to, to: piece.to });
    }
    pieces = next;
  }
  return pieces.map((piece) => ({
    sequence: entry.sequence,
    position: piece.from,
    previous: entry.previous.subarray(piece.from - entry.position, piece.to - entry.position),
    doomed: true,
  }));
}

function writeAll(handle: FileHandle, bytes: Buffer, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    const written = handle.write(bytes, done, bytes.length - done, position + done);
    if (written <= 0) throw new Error(`could not restore ${handle.path} at byte ${position + done}`);
    done += written;
  }
}
