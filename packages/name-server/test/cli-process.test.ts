import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const bin = fileURLToPath(new URL(`../${manifest.bin['eddy-namesrv']}`, import.meta.url));

describe('the eddy-namesrv bin', () => {
  it('listens, answers, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, '--port', '0', '--scan-interval-ms', '100'], {
      cwd: packageDir,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<Record<string, unknown>>((resolve) =>
        lines.once('line', (line) => resolve(JSON.parse(line))),
      );
      expect(first).toMatchObject({ message: 'listening', scanIntervalMs: 100 });
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
