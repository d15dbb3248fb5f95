import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from './temp-dir.js';

describe('makeTempDir', () => {
  it('makes an empty directory and removes it with its contents', async () => {
    const dir = await makeTempDir('kit');
    expect(await readdir(dir.path)).toEqual([]);
    await writeFile(join(dir.path, 'x'), 'y');
    await dir.remove();
    expect(existsSync(dir.path)).toBe(false);
    await dir.remove();
  });
});
