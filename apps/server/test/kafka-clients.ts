// Helpers of the kafka-*.test.ts files: external Kafka clients (kcat, confluent-kafka through /usr/bin/python3)
// run as child processes against a real `eddy start` (see launch.ts), plus small polling utilities.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const KCAT = '/usr/bin/kcat';
export const PYTHON = '/usr/bin/python3';

export const hasKcat = existsSync(KCAT);
/** confluent-kafka only imports with the system Python. */
export const hasConfluentKafka =
  existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status === 0;

/** Runs `command` with `input` on stdin; resolves with stdout, rejects with stderr on a non-zero exit or timeout. */
export function run(
  command: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out).toString());
      else {
        const why = signal === 'SIGKILL' ? `killed after ${timeoutMs} ms` : `exited with ${code}`;
        reject(new Error(`${command} ${args.join(' ').slice(0, 200)} ${why}: ${err.slice(-4000)}`));
      }
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** kcat with `input` on stdin. */
export const kcat = (args: readonly string[], input = '', timeoutMs = 30_000): Promise<string> =>
  run(KCAT, args, { input, timeoutMs });

/** Runs a Python script (given inline) with the system Python and its arguments; resolves with stdout. */
export const python = (script: string, args: readonly string[], timeoutMs = 60_000): Promise<string> =>
  run(PYTHON, ['-c', script, ...args], { timeoutMs });

/** Polls `check` every 50 ms until it holds; rejects after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const text = (bytes: Uint8Array | Buffer | null | undefined): string | null =>
  bytes === null || bytes === undefined ? null : Buffer.from(bytes).toString('utf8');

/** The arguments of {@link import('./launch.js').startEddy} every kafka-*.test.ts file uses. */
export const EDDY_ARGS = ['--flush', 'async', '--log-level', 'warn'] as const;
