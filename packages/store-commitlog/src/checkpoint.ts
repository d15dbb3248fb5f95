import { crc32c, EddyError } from '@eddy/message';
import type { FileSystem } from './file-layer.js';

/**
 * What the store knows to be durable, written after each flush. Recovery after a crash scans the
 * CommitLog from `dispatchFlushed`; a bad record at or past `commitLogFlushed` is a torn tail, one
 * before it is corruption.
 */
export interface Checkpoint {
  readonly version: 1;
  /** CommitLog position below which every byte is fdatasynced. */
  readonly commitLogFlushed: number;
  /** CommitLog position below which every record's ConsumeQueue and index entries are fdatasynced. */
  readonly dispatchFlushed: number;
  /** Store timestamp of the newest record below `commitLogFlushed` (ms since the epoch). */
  readonly lastStoreTimestamp: number;
}

/*
 * Checkpoint file, version 1, 36 bytes, big-endian: magic u32 `EDCP`, version u16, reserved u16 (0),
 * commitLogFlushed u64, dispatchFlushed u64, lastStoreTimestamp u64, CRC32C u32 of the 32 bytes before it.
 */
const MAGIC = 0x45444350;
const SIZE = 36;
const CRC_OFFSET = 32;
const TWO_32 = 2 ** 32;

const FIELDS = ['commitLogFlushed', 'dispatchFlushed', 'lastStoreTimestamp'] as const;

function corrupt(path: string, what: string): EddyError {
  return new EddyError('CORRUPT_DATA', `checkpoint ${path}: ${what}`, { details: { path } });
}

/**
 * Reads the checkpoint at `path`: `undefined` when there is none (a new store).
 *
 * @throws `CORRUPT_DATA` naming the file when it has the wrong size, magic or version, or its CRC32C
 * does not match (it is written atomically, so a torn checkpoint is never expected).
 */
export function readCheckpoint(fileSystem: FileSystem, path: string): Checkpoint | undefined {
  const bytes = fileSystem.readFile(path);
  if (bytes === undefined) return undefined;
  if (bytes.length !== SIZE) throw corrupt(path, `the file is ${bytes.length} bytes, not ${SIZE}`);
  if (bytes.readUInt32BE(0) !== MAGIC) throw corrupt(path, 'bad magic');
  const crc = crc32c(bytes.subarray(0, CRC_OFFSET));
  if (crc !== bytes.readUInt32BE(CRC_OFFSET)) throw corrupt(path, 'CRC32C mismatch');
  const version = bytes.readUInt16BE(4);
  if (version !== 1) throw corrupt(path, `unknown version ${version}`);
  const read = (offset: number): number => {
    const value = bytes.readUInt32BE(offset) * TWO_32 + bytes.readUInt32BE(offset + 4);
    if (!Number.isSafeInteger(value)) throw corrupt(path, `value ${value} at byte ${offset} is out of range`);
    return value;
  };
  return { version: 1, commitLogFlushed: read(8), dispatchFlushed: read(16), lastStoreTimestamp: read(24) };
}

/**
 * Replaces the checkpoint at `path` atomically and durably (`writeFileAtomic`).
 *
 * @throws `INVALID_ARGUMENT` for a value that is not a non-negative safe integer; `IO_ERROR` or
 * `DISK_FULL` from the write, in which case the previous checkpoint is still in place.
 */
export async function writeCheckpoint(fileSystem: FileSystem, path: string, checkpoint: Checkpoint): Promise<void> {
  const bytes = Buffer.alloc(SIZE);
  bytes.writeUInt32BE(MAGIC, 0);
  bytes.writeUInt16BE(1, 4);
  FIELDS.forEach((field, index) => {
    const value = checkpoint[field];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new EddyError('INVALID_ARGUMENT', `checkpoint ${field} must be a non-negative safe integer, got ${value}`);
    }
    bytes.writeUInt32BE(Math.floor(value / TWO_32), 8 + index * 8);
    bytes.writeUInt32BE(value >>> 0, 12 + index * 8);
  });
  bytes.writeUInt32BE(crc32c(bytes.subarray(0, CRC_OFFSET)), CRC_OFFSET);
  await fileSystem.writeFileAtomic(path, bytes);
}
