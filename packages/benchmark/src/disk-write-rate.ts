import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const CHUNK = 1024 * 1024;

/**
 * The machine's raw sequential write rate in MB/s (10⁶ bytes): `bytes` written in 1 MiB `writeSync`
 * chunks, then one `fsync`, into a file in `dir` (removed after). No broker can persist faster than this.
 */
export function measureDiskWriteRate(dir: string, bytes = 1024 * CHUNK): number {
  const file = join(dir, 'disk-write-rate.bin');
  const chunk = Buffer.alloc(CHUNK, 0x5a);
  const fd = openSync(file, 'w');
  try {
    const start = performance.now();
    for (let written = 0; written < bytes; written += CHUNK) writeSync(fd, chunk, 0, Math.min(CHUNK, bytes - written));
    fsyncSync(fd);
    const seconds = (performance.now() - start) / 1000;
    return bytes / seconds / 1e6;
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
}
