// power-loss: in-process, the CommitLog store over a FaultyFileSystem that can lose what was not synced.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMessage } from '@eddy/message';
import { FaultyFileSystem, openCommitLogStore, silentLogger } from '@eddy/store-commitlog';
import { parsePayload, TOPIC } from '@eddy/workloads';
import type { Run } from './scenarios.js';

const QUEUES = 4;
const WRITERS = 4;

/**
 * Writers append one message at a time under `flush: 'sync'`; power fails at a random point; the store is
 * reopened from what the disk kept and read back whole as the consumer group `recovery`.
 */
export async function powerLoss(run: Run): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'eddy-harness-power-'));
  try {
    const fileSystem = new FaultyFileSystem();
    const store = await openCommitLogStore({ dir, flush: 'sync', fileSystem, logger: silentLogger });
    let cut = false;
    const writer = async (name: string): Promise<void> => {
      for (let seq = 1; !cut; seq++) {
        const id = `${name}-${seq}`;
        const queue = run.random.int(0, QUEUES - 1);
        const who = { client: name, id, producer: name, seq };
        const base = { type: 'send', time: Date.now(), ...who, topic: TOPIC, queue } as const;
        const body = JSON.stringify({ id, producer: name, seq });
        try {
          const { baseOffset } = await store.append(TOPIC, queue, [createMessage({ topic: TOPIC, body })]);
          // An append that completes after the cut could never have reached its client.
          run.recorder.add({ ...base, outcome: cut ? 'unknown' : 'ack', offset: baseOffset });
        } catch {
          run.recorder.add({ ...base, outcome: 'unknown' });
        }
      }
    };
    run.startPhase();
    const writers = Array.from({ length: WRITERS }, (_, i) => writer(`writer-${i + 1}`));
    const { durationMs } = run.options;
    await run.at(run.random.int(Math.floor(durationMs / 2), durationMs));
    fileSystem.simulatePowerLoss();
    cut = true;
    run.inject(`power loss after ${run.recorder.counts.acked} acked appends (flush: sync)`);
    await Promise.allSettled(writers);
    await store.close().catch(() => {});

    run.inject('store reopened; reading every queue back');
    const reopened = await openCommitLogStore({ dir, flush: 'sync', logger: silentLogger });
    for (let queue = 0; queue < QUEUES; queue++) {
      const maxOffset = (await reopened.queueRange(TOPIC, queue))?.maxOffset ?? 0;
      for (let offset = 0; offset < maxOffset; ) {
        const result = await reopened.read(TOPIC, queue, offset, { maxMessages: 256 });
        if (result.status !== 'ok')
          throw new Error(`reading ${TOPIC}/${queue}@${offset} after recovery: ${result.status}`);
        for (const message of result.messages) {
          const payload = parsePayload(Buffer.from(message.body));
          const at = { queue, offset: message.queueOffset, consumerGroup: 'recovery' };
          run.recorder.add({ type: 'receive', time: Date.now(), client: 'recovery', ...payload, topic: TOPIC, ...at });
        }
        offset = result.nextOffset;
      }
    }
    await reopened.close();
  } finally {
    run.stopProgress();
    rmSync(dir, { recursive: true, force: true });
  }
}
