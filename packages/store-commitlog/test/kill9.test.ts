import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StoredMessage } from '@eddy/message';
import { conformanceBatchDecoder } from '@eddy/store-conformance';
import { makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCommitLogStore, silentLogger } from '../src/index.js';

interface Acknowledgement {
  readonly queueId: number;
  readonly baseOffset: number;
  readonly count: number;
  readonly ids: readonly string[];
  /** An encoded batch: `ids` name its records' bodies and keys; the store gave them message ids. */
  readonly encoded?: boolean;
}

// tsx's loader inside this node process, not the tsx command: that runs the script in a grandchild, which
// a SIGKILL to the command would leave running.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/appender.ts', import.meta.url));

/** Runs the appender until it has acknowledged `wanted` batches, kills it with SIGKILL, and returns what it acknowledged. */
function appendThenKill(dir: string, flush: 'sync' | 'async', wanted: number): Promise<Acknowledgement[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir, flush], {
      cwd: packageDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acknowledged: Acknowledgement[] = [];
    let pending = '';
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      // A line cut by the kill was never a complete acknowledgement.
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready' || killed) continue;
        acknowledged.push(JSON.parse(line) as Acknowledgement);
        if (acknowledged.length >= wanted) {
          killed = true;
          process.kill(child.pid as number, 'SIGKILL');
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acknowledged);
      else reject(new Error(`the appender exited with ${code} before it was killed: ${stderr}`));
    });
  });
}

describe.each(['sync', 'async'] as const)('kill -9 with %s flush', (flush) => {
  let temp: TempDir;
  beforeEach(async () => {
    temp = await makeTempDir(`kill9-${flush}`);
  });
  afterEach(async () => {
    await temp.remove();
  });

  it('keeps every acknowledged message, at its offset, and appends on without gaps', async () => {
    const acknowledged = await appendThenKill(temp.path, flush, 400);
    expect(acknowledged.length).toBeGreaterThanOrEqual(400);

    const store = await openCommitLogStore({
      dir: temp.path,
      flush,
      logger: silentLogger,
      segmentSize: 256 * 1024,
      maxBodySize: 64 * 1024,
      consumeQueueEntriesPerFile: 50,
      batchDecoders: [conformanceBatchDecoder],
    });
    try {
      const byQueue = new Map<number, StoredMessage[]>();
      for (const queueId of [0, 1, 2, 3]) {
        const range = await store.queueRange('crash', queueId);
        const all: StoredMessage[] = [];
        for (let offset = 0; offset < (range?.maxOffset ?? 0); ) {
          const read = await store.read('crash', queueId, offset, { maxMessages: 500 });
          if (read.status !== 'ok') throw new Error(`read gave ${read.status}`);
          all.push(...read.messages);
          offset = read.nextOffset;
        }
        expect(all.map((message) => message.queueOffset)).toEqual(all.map((_, i) => i));
        byQueue.set(queueId, all);
      }
      expect(acknowledged.some((ack) => ack.encoded)).toBe(true);
      for (const { queueId, baseOffset, count, ids, encoded } of acknowledged) {
        const stored = byQueue.get(queueId) ?? [];
        for (let i = 0; i < count; i++) {
          const message = stored[baseOffset + i];
          if (encoded) {
            expect(message?.messageId, `${queueId}@${baseOffset + i}`).toMatch(/^[0-9A-F]{32}$/);
            if (i === count - 1)
              expect((await store.findById(message?.messageId ?? ''))?.queueOffset).toBe(baseOffset + i);
          } else {
            expect(message?.messageId, `${queueId}@${baseOffset + i}`).toBe(ids[i]);
          }
          expect(
            Buffer.from(message?.body ?? [])
              .toString()
              .startsWith(`body-${ids[i]}-`),
          ).toBe(true);
          expect(message?.keys).toEqual([ids[i]]);
        }
      }
      const lastId = acknowledged
        .filter((ack) => !ack.encoded)
        .at(-1)
        ?.ids.at(-1) as string;
      expect((await store.findById(lastId))?.messageId).toBe(lastId);
      for (const queueId of [0, 1, 2, 3]) {
        const before = byQueue.get(queueId)?.length ?? 0;
        const result = await store.append('crash', queueId, [
          { ...(byQueue.get(queueId)?.[0] as StoredMessage), messageId: `after-${queueId}` },
        ]);
        expect(result.baseOffset).toBe(before);
      }
    } finally {
      await store.close();
    }
  }, 30_000);
});
