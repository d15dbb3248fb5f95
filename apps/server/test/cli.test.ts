// The `eddy` command's configuration as a process sees it: bad values from a flag, the environment or a
// config file exit with code 2 and a message naming the field; --help prints the usage.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAIN_JS, REPO_ROOT, startEddy } from './launch.js';

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runEddy(args: readonly string[], env: Record<string, string> = {}): Promise<Exit> {
  const child = spawn(process.execPath, [MAIN_JS, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('eddy configuration errors', () => {
  let temp: TempDir;
  beforeEach(async () => {
    temp = await makeTempDir('server-cli');
  });
  afterEach(() => temp.remove());

  it('exits 2 naming a bad flag', async () => {
    const result = await runEddy(['start', '--data-dir', temp.path, '--grpc-port', '70000']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/invalid config: grpcPort: .*65535.*--grpc-port/);
  });

  it('exits 2 naming a bad environment variable', async () => {
    const result = await runEddy(['--data-dir', temp.path], { EDDY_STORE: 'rocksdb' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/invalid config: store: .*EDDY_STORE/);
  });

  it('exits 2 naming a bad config file field', async () => {
    const file = join(temp.path, 'eddy.yaml');
    await writeFile(file, `dataDir: ${temp.path}\nflush: sometimes\n`);
    const result = await runEddy(['start', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/invalid config: flush: .*eddy\.yaml/);
  });

  it('exits 2 on an unknown flag or command, and on a bad name server flag', async () => {
    expect((await runEddy(['start', '--grpc-prot', '1'])).code).toBe(2);
    expect((await runEddy(['launch'])).stderr).toMatch(/unknown command 'launch'/);
    const result = await runEddy(['namesrv', '--port', '99999']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/port: .*--port/);
  });

  it('prints the usage for --help and exits 0', async () => {
    const result = await runEddy(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/usage: eddy/);
    expect(result.stdout).toMatch(/--grpc-port/);
  });

  it('rejects startEddy with the output when the configuration is bad', async () => {
    await expect(startEddy({ dataDir: temp.path, env: { EDDY_FLUSH: 'never' } })).rejects.toThrow(
      /flush: .*EDDY_FLUSH/,
    );
  });
});
