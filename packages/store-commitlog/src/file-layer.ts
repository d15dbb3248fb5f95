import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { EddyError } from '@eddy/message';

/**
 * An open file, with positional I/O. Writes and reads are synchronous: they touch the page cache and
 * return in microseconds, far cheaper than a thread-pool round trip per call. Only `sync` (fdatasync),
 * which waits for the disk, is asynchronous, so that appenders keep going while it runs (group commit).
 */
export interface FileHandle {
  /** The path the file was opened at. */
  readonly path: string;
  /** Writes `length` bytes of `buffer` from `offset` at file `position`; returns the bytes written (may be fewer). */
  write(buffer: Uint8Array, offset: number, length: number, position: number): number;
  /** Reads up to `length` bytes at file `position` into `buffer` at `offset`; returns the bytes read. */
  read(buffer: Uint8Array, offset: number, length: number, position: number): number;
  /** The file's current size in bytes. */
  size(): number;
  /** Cuts or extends the file to `length` bytes. */
  truncate(length: number): void;
  /** Makes the file's data durable (fdatasync). */
  sync(): Promise<void>;
  /** Closes the file; further calls are bugs. */
  close(): void;
}

/**
 * The file operations the engine uses, as a seam: tests wrap it ({@link FaultyFileSystem}) to inject
 * short writes, failed syncs and power loss without touching the engine's logic.
 */
export interface FileSystem {
  /** Opens a file for reading and writing, creating it (and its directory) when `create` is true. */
  open(path: string, options?: { create?: boolean }): FileHandle;
  exists(path: string): boolean;
  /** Creates a directory and its parents. */
  mkdir(path: string): void;
  /** Names in a directory, sorted; empty when it does not exist. */
  list(path: string): string[];
  /** Removes a file or a directory tree; nothing when it does not exist. */
  remove(path: string): void;
  /** Reads a whole small file, or `undefined` when it does not exist. */
  readFile(path: string): Buffer | undefined;
  /** Replaces a small file atomically and durably: write a temp file, fsync it, rename, fsync the directory. */
  writeFileAtomic(path: string, data: Uint8Array): Promise<void>;
  /** Makes a directory's entries (created, renamed, removed files) durable. */
  syncDirectory(path: string): Promise<void>;
  /** Bytes free and total on the file system holding `path`. */
  diskUsage(path: string): { free: number; total: number };
}

function ioError(action: string, path: string, cause: unknown): EddyError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new EddyError('DISK_FULL', `${action} ${path}: the disk is full`, { retriable: true, cause });
  }
  return new EddyError('IO_ERROR', `${action} ${path}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
}

function wrap<T>(action: string, path: string, operation: () => T): T {
  try {
    return operation();
  } catch (cause) {
    throw EddyError.is(cause) ? cause : ioError(action, path, cause);
  }
}

class NodeFileHandle implements FileHandle {
  readonly path: string;
  readonly #fd: number;

  constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  write(buffer: Uint8Array, offset: number, length: number, position: number): number {
    return wrap('write', this.path, () => fs.writeSync(this.#fd, buffer, offset, length, position));
  }

  read(buffer: Uint8Array, offset: number, length: number, position: number): number {
    return wrap('read', this.path, () => fs.readSync(this.#fd, buffer, offset, length, position));
  }

  size(): number {
    return wrap('stat', this.path, () => fs.fstatSync(this.#fd).size);
  }

  truncate(length: number): void {
    wrap('truncate', this.path, () => fs.ftruncateSync(this.#fd, length));
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) =>
      fs.fdatasync(this.#fd, (error) => (error ? reject(ioError('fdatasync', this.path, error)) : resolve())),
    );
  }

  close(): void {
    wrap('close', this.path, () => fs.closeSync(this.#fd));
  }
}

/** The real file system. */
export const nodeFileSystem: FileSystem = {
  open(path, options = {}) {
    return wrap('open', path, () => {
      if (options.create) fs.mkdirSync(dirname(path), { recursive: true });
      // 'r+' fails on a missing file; 'a' would ignore write positions, so create with 'wx' first.
      if (options.create && !fs.existsSync(path)) fs.closeSync(fs.openSync(path, 'wx'));
      return new NodeFileHandle(path, fs.openSync(path, 'r+'));
    });
  },
  exists: (path) => fs.existsSync(path),
  mkdir: (path) => wrap('mkdir', path, () => void fs.mkdirSync(path, { recursive: true })),
  list: (path) => wrap('list', path, () => (fs.existsSync(path) ? fs.readdirSync(path).sort() : [])),
  remove: (path) => wrap('remove', path, () => fs.rmSync(path, { recursive: true, force: true })),
  readFile: (path) => wrap('read', path, () => (fs.existsSync(path) ? fs.readFileSync(path) : undefined)),
  async writeFileAtomic(path, data) {
    const temporary = `${path}.tmp`;
    await wrap('write', temporary, async () => {
      fs.mkdirSync(dirname(path), { recursive: true });
      const fd = fs.openSync(temporary, 'w');
      try {
        let written = 0;
        while (written < data.byteLength) written += fs.writeSync(fd, data, written, data.byteLength - written);
        await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(temporary, path);
    });
    await nodeFileSystem.syncDirectory(dirname(path));
  },
  syncDirectory(path) {
    return new Promise((resolve, reject) => {
      fs.open(path, 'r', (openError, fd) => {
        if (openError) return reject(ioError('open', path, openError));
        fs.fsync(fd, (syncError) => {
          fs.close(fd, () => (syncError ? reject(ioError('fsync', path, syncError)) : resolve()));
        });
      });
    });
  },
  diskUsage(path) {
    return wrap('statfs', path, () => {
      const stats = fs.statfsSync(path);
      return { free: stats.bavail * stats.bsize, total: stats.blocks * stats.bsize };
    });
  },
};

/** Joins path segments (re-exported so engine code never builds paths by hand). */
export const joinPath = join;
