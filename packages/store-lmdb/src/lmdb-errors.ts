import { statfsSync } from 'node:fs';
import { EddyError } from '@eddy/message';

// errno values and LMDB return codes, as lmdb-js puts them in `error.code`.
const EIO = 5;
const ENOSPC = 28;
const EFBIG = 27;
const EDQUOT = 122;
const MDB_MAP_FULL = -30792;
const MDB_INVALID = -30793;
const MDB_CORRUPTED = -30796;
const MDB_PAGE_NOTFOUND = -30797;
const DISK_FULL_CODES = new Set<unknown>([ENOSPC, EFBIG, EDQUOT, MDB_MAP_FULL, 'ENOSPC', 'EFBIG', 'EDQUOT']);
const CORRUPT_CODES = new Set<unknown>([MDB_INVALID, MDB_CORRUPTED, MDB_PAGE_NOTFOUND]);
/** Below this much free space an I/O error is taken for a full disk. */
const NEARLY_FULL_BYTES = 16 * 1024 * 1024;

/**
 * True when the file system holding `dir` has (almost) no room left. LMDB grows its file through the
 * memory map, and on a full file system that surfaces as EIO rather than ENOSPC (seen on tmpfs), so
 * an I/O error is classified by looking at the free space.
 */
export function isNearlyFull(dir: string): boolean {
  try {
    const stats = statfsSync(dir);
    const free = stats.bavail * stats.bsize;
    return free < NEARLY_FULL_BYTES || free < (stats.blocks * stats.bsize) / 100;
  } catch {
    return false;
  }
}

/**
 * An error thrown by LMDB as the store's typed error: a full disk (or a map that cannot grow) is
 * `DISK_FULL` and retriable (so is an I/O error while `dir`'s file system is nearly full), a damaged file `CORRUPT_DATA`, anything else `IO_ERROR`. An `EddyError`
 * passes through unchanged. LMDB aborts the failed transaction, so the store stays as it was before it.
 */
export function toStoreError(error: unknown, doing: string, dir?: string): EddyError {
  if (EddyError.is(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const text = error instanceof Error ? error.message : String(error);
  const full = code === EIO && dir !== undefined && isNearlyFull(dir);
  if (full || DISK_FULL_CODES.has(code) || /no space left|MDB_MAP_FULL/i.test(text)) {
    return new EddyError('DISK_FULL', `${doing} failed: the disk is full (${text})`, {
      retriable: true,
      cause: error,
    });
  }
  if (CORRUPT_CODES.has(code)) {
    return new EddyError('CORRUPT_DATA', `${doing} failed: the LMDB file is damaged (${text})`, { cause: error });
  }
  return new EddyError('IO_ERROR', `${doing} failed: ${text}`, { cause: error });
}
