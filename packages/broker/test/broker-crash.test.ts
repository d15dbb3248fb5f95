import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '@eddy/message';
import { openCommitLogStore } from '@eddy/store-commitlog';
import { makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COUNT, expectedBodies, readTopic, STORE_OPTIONS } from './fixtures/broker-crash-child.js';

// tsx's loader inside the child node process, so the SIGKILL reaches the process holding the broker.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/broker-crash-child.ts', import.meta.url));

function runChild(args: string[]): Promise<NodeJS.Signals | number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], {
      cwd: packageDir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === null && code !== 0) reject(new Error(`child exited with ${code}: ${stderr}`));
      else resolve(signal ?? code);
    });
  });
}

async function readReport(path: string): Promise<{ event: string; index?: number; status?: string }[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

describe('a whole broker killed -9 mid delayed and transactional work (CommitLog engine)', () => {
  let temp: TempDir;
  beforeEach(async () => {
    temp = await makeTempDir('broker-crash');
  });
  afterEach(async () => {
    await temp.remove();
  });

  it('delivers every delayed, timer and committed message exactly once after a restart', async () => {
    const storeDir = join(temp.path, 'store');
    const crashReport = join(temp.path, 'crash.jsonl');
    const recoverReport = join(temp.path, 'recover.jsonl');

    expect(await runChild([storeDir, crashReport, 'crash'])).toBe('SIGKILL');
    const crashed = await readReport(crashReport);
    expect(crashed.filter((event) => event.event === 'sent')).toHaveLength(2 * COUNT);
    expect(crashed.filter((event) => event.event === 'prepared')).toHaveLength(COUNT);
    expect(crashed.some((event) => event.event === 'survived')).toBe(false);
    // The kill landed mid-work: some transactions were not ended yet (the 3rd commit relay killed it).
    expect(crashed.filter((event) => event.event === 'ended').length).toBeLessThan(COUNT);

    expect(await runChild([storeDir, recoverReport, 'recover', crashReport])).toBe(0);
    const recovered = await readReport(recoverReport);
    expect(recovered.some((event) => event.event === 'done')).toBe(true);
    const endedBeforeCrash = new Set(crashed.filter((event) => event.event === 'ended').map((event) => event.index));
    for (const event of recovered.filter((entry) => entry.event === 'recovered')) {
      // Ended before the crash (and answered) → already resolved; the rest may or may not be.
      if (endedBeforeCrash.has(event.index)) expect(event.status, `transaction ${event.index}`).toBe('not-found');
    }

    const store = await openCommitLogStore({ dir: storeDir, clock: systemClock, ...STORE_OPTIONS });
    try {
      const decoder = new TextDecoder();
      const counts = new Map<string, number>();
      for (const message of await readTopic(store)) {
        const body = decoder.decode(message.body);
        counts.set(body, (counts.get(body) ?? 0) + 1);
      }
      const expected = expectedBodies();
      for (const body of expected) expect(counts.get(body), `${body} delivered exactly once`).toBe(1);
      for (let index = 1; index < COUNT; index += 2) expect(counts.has(`tx-${index}`)).toBe(false);
      expect([...counts.keys()].sort()).toEqual(expected);
    } finally {
      await store.close();
    }
  }, 60_000);
});
