import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A directory made for one test, removed with {@link TempDir.remove}. */
export interface TempDir {
  /** Absolute path of the directory. */
  readonly path: string;
  /** Removes the directory and everything in it; safe to call twice. */
  remove(): Promise<void>;
}

/** Makes a fresh, empty directory under the OS temp directory, named `eddy-<prefix>-XXXXXX`. */
export async function makeTempDir(prefix = 'test'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `eddy-${prefix}-`));
  return {
    path,
    remove: () => rm(path, { recursive: true, force: true }),
  };
}
