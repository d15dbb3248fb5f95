import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createMessage } from '@eddy/message';
import { makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { openLmdbStore } from '../src/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/append-loop.mjs', import.meta.url));
const ACKS_BEFORE_KILL = 400;

interface Ack {
  readonly queueId: number;
  readonly baseOffset: number;
  readonly count: number;
  readonly ids: readonly string[];
}

/** Runs the fixture until it has acknowledged `acks` batches, SIGKILLs it, and returns every ack it printed. */
function appendUntilKilled(dir: string, flush: 'sync' | 'async', acks: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE, dir, flush], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    let lines = 0;
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      lines += chunk.split('\n').length - 1;
      if (!killed && lines >= acks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`the child ended by itself (${signal ?? _code}): ${errors}`));
        return;
      }
      // A line cut off by the kill was never complete, so it was never an acknowledgement.
      const complete = output.slice(0, output.lastIndexOf('\n') + 1);
      resolve(
        complete
          .split('\n')
          .filter((line) => line.length > 0)
          .map((line) => JSON.parse(line) as Ack),
      );
    });
  });
}

describe('kill -9 of a process appending to an LMDB store', () => {
  let dir: TempDir | undefined;
  afterEach(async () => {
    await dir?.remove();
    dir = undefined;
  });

  for (const flush of ['sync', 'async'] as const) {
    it(`keeps every acknowledged batch with flush '${flush}', and appends continue without gaps`, async () => {
      dir = await makeTempDir('lmdb-kill9');
      const acks = await appendUntilKilled(dir.path, flush, ACKS_BEFORE_KILL);
      expect(acks.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);

      const store = await openLmdbStore({ dir: dir.path });
      try {
        const acknowledgedEnd = new Map<number, number>();
        for (const ack of acks) {
          const result = await store.read('acked', ack.queueId, ack.baseOffset, { maxMessages: ack.count });
          if (result.status !== 'ok') throw new Error(`batch at ${ack.queueId}@${ack.baseOffset}: ${result.status}`);
          expect(result.messages.map((message) => message.messageId)).toEqual(ack.ids);
          expect(result.messages.map((message) => message.queueOffset)).toEqual(
            ack.ids.map((_, index) => ack.baseOffset + index),
          );
          for (const [index, message] of result.messages.entries()) {
            const [, batch, position] = (ack.ids[index] as string).split('-');
            const expected = `body of batch ${batch} message ${position}`.repeat(1 + (Number(position) % 4));
            expect(new TextDecoder().decode(message.body)).toBe(expected);
          }
          const end = ack.baseOffset + ack.count;
          acknowledgedEnd.set(ack.queueId, Math.max(acknowledgedEnd.get(ack.queueId) ?? 0, end));
        }
        for (const [queueId, end] of acknowledgedEnd) {
          const range = await store.queueRange('acked', queueId);
          // Batches committed but not yet acknowledged when the kill came may be there too, whole.
          expect(range?.minOffset).toBe(0);
          expect(range?.maxOffset).toBeGreaterThanOrEqual(end);
          let offset = 0;
          while (offset < (range?.maxOffset ?? 0)) {
            const result = await store.read('acked', queueId, offset, { maxMessages: 1000 });
            if (result.status !== 'ok') throw new Error(`read ${queueId}@${offset}: ${result.status}`);
            expect(result.messages[0]?.queueOffset).toBe(offset);
            offset = result.nextOffset;
          }
          const appended = await store.append('acked', queueId, [
            createMessage({ topic: 'acked', body: 'after the kill', messageId: `after-${queueId}` }),
          ]);
          expect(appended.baseOffset).toBe(range?.maxOffset);
        }
        expect((await store.findById(acks[0]?.ids[0] as string))?.queueOffset).toBe(acks[0]?.baseOffset);
      } finally {
        await store.close();
      }
    }, 30_000);
  }
});
