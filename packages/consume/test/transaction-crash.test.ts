import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type StoredMessage, SystemProperty, SystemTopic } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openCommitLogStore } from '@eddy/store-commitlog';
import { FakeClock, makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseOpRecord } from '../src/transaction-message.js';
import { type HalfMessageCheck, TransactionService } from '../src/transaction-service.js';
import {
  type CrashPlan,
  type CrashStep,
  intendedResolution,
  REAL_TOPIC,
  STORE_OPTIONS,
} from './fixtures/transaction-crasher.js';

// tsx's loader inside the child node process (not the tsx command, which would run the script in a
// grandchild that the SIGKILL would not reach), as the CommitLog engine's kill -9 test does.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/transaction-crasher.ts', import.meta.url));
const decoder = new TextDecoder();
const TIMEOUT = 6000;

interface ChildRun {
  /** Transaction ids the child printed, by index: what its producers were told. */
  readonly prepared: Map<number, string>;
  /** End statuses the child printed, by index. */
  readonly ended: Map<number, string>;
}

/** Runs the crasher to its self-inflicted SIGKILL, then reads its report; rejects if it exits any other way. */
async function runUntilKilled(dir: string, plan: CrashPlan): Promise<ChildRun> {
  const report = join(dir, 'report.jsonl');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fixture, join(dir, 'store'), report, JSON.stringify(plan)],
      { cwd: packageDir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`the crasher exited with ${code ?? signal} instead of killing itself: ${stderr}`));
    });
  });
  const run: ChildRun = { prepared: new Map(), ended: new Map() };
  for (const line of (await readFile(report, 'utf8')).split('\n')) {
    if (line === '') continue;
    const event = JSON.parse(line) as { event: string; index: number; transactionId?: string; status?: string };
    if (event.event === 'prepared') run.prepared.set(event.index, event.transactionId as string);
    if (event.event === 'ended') run.ended.set(event.index, event.status as string);
  }
  return run;
}

async function readAll(store: MessageStore, topic: string, queueId: number): Promise<StoredMessage[]> {
  const messages: StoredMessage[] = [];
  for (let offset = 0; ; ) {
    const read = await store.read(topic, queueId, offset, { maxMessages: 1000 });
    if (read.status !== 'ok' || read.messages.length === 0) return messages;
    messages.push(...read.messages);
    offset = read.nextOffset;
  }
}

async function deliveredBodies(store: MessageStore): Promise<string[]> {
  const messages = [...(await readAll(store, REAL_TOPIC, 0)), ...(await readAll(store, REAL_TOPIC, 1))];
  const ids = messages.map((message) => message.properties[SystemProperty.DELIVERY_ID]);
  expect(new Set(ids).size, 'delivery ids are unique').toBe(messages.length);
  return messages.map((message) => decoder.decode(message.body)).sort();
}

function indexOf(check: HalfMessageCheck): number {
  return Number(decoder.decode(check.message.body).slice(1));
}

describe('transactions survive kill -9 at every step of the protocol (CommitLog engine)', () => {
  let temp: TempDir;
  beforeEach(async () => {
    temp = await makeTempDir('transaction-crash');
  });
  afterEach(async () => {
    await temp.remove();
  });

  /**
   * After the crash: restarts, lets the producers end what they were told about, answers check-backs
   * for the rest, and checks that each committed transaction is delivered exactly once and nothing
   * else; then restarts again and checks that nothing comes back.
   */
  async function recoverAndCheck(plan: CrashPlan, child: ChildRun) {
    const clock = new FakeClock();
    let store = await openCommitLogStore({ dir: join(temp.path, 'store'), clock, ...STORE_OPTIONS });
    const answers: Promise<unknown>[] = [];
    const checked: number[] = [];
    const service: TransactionService = new TransactionService({
      store,
      clock,
      onCheck: (check) => {
        checked.push(indexOf(check));
        answers.push(service.end(check.transactionId, intendedResolution(indexOf(check)), { fromCheck: true }));
      },
    });
    await service.start();
    const recovery = service.lastRecovery;

    const endedNow = new Map<number, string>();
    for (const [index, transactionId] of child.prepared) {
      if (child.ended.has(index)) continue;
      endedNow.set(index, (await service.end(transactionId, intendedResolution(index))).status);
    }
    await clock.advance(TIMEOUT);
    await service.whenIdle();
    await Promise.all(answers);
    expect(service.pending).toBe(0);

    // What was prepared is what the half topic holds: every transaction the child was told about, plus
    // one whose half append the crash cut off from its answer.
    const prepared = new Set(
      (await readAll(store, SystemTopic.TRANSACTION_HALF, 0)).map((half) => Number(decoder.decode(half.body).slice(1))),
    );
    for (const index of child.prepared.keys()) expect(prepared.has(index), `half of transaction ${index}`).toBe(true);
    expect(prepared.size).toBe(child.prepared.size + (plan.step === 'half-append' ? 1 : 0));
    const expected = [...prepared]
      .filter((index) => intendedResolution(index) === 'commit')
      .map((index) => `m${index}`)
      .sort();
    const delivered = await deliveredBodies(store);
    expect(delivered).toEqual(expected);
    const ops = (await readAll(store, SystemTopic.TRANSACTION_OP_HALF, 0)).map((record) => parseOpRecord(record));
    const resolvedHalves = new Set(ops.map((op) => op?.halfOffset));
    expect(resolvedHalves.size, 'one op record per transaction').toBe(ops.length);
    expect(ops.length).toBe(prepared.size);
    await service.stop();
    await store.close();

    // Another restart: nothing pending, nothing to finish, nothing delivered again.
    store = await openCommitLogStore({ dir: join(temp.path, 'store'), clock, ...STORE_OPTIONS });
    const again = new TransactionService({ store, clock, onCheck: () => expect.fail('nothing should be checked') });
    try {
      await again.start();
      expect(again.pending).toBe(0);
      expect(again.lastRecovery).toMatchObject({ relaysFinished: 0, pending: 0 });
      await clock.advance(20 * 60_000);
      for (const [index, transactionId] of child.prepared) {
        expect(await again.end(transactionId, intendedResolution(index)), `transaction ${index}`).toEqual({
          status: 'not-found',
        });
      }
      expect(await deliveredBodies(store)).toEqual(expected);
    } finally {
      await again.stop();
      await store.close();
    }
    return { recovery, endedNow, checked };
  }

  // Sequential runs: 6 transactions prepared, then ended one by one; 0, 2, 3, 5 commit, 1 and 4 roll back.
  it.each<[CrashStep, number, number, number]>([
    // step, victim, relays the restart finishes, messages it appends
    ['intent', 2, 1, 2],
    ['intent', 4, 1, 1],
    ['real-append', 2, 1, 1],
    ['op-append', 2, 1, 0],
    ['op-append', 4, 1, 0],
    ['bookkeeping', 2, 0, 0],
    ['bookkeeping', 4, 0, 0],
  ])(
    'killed right after the %s of ending transaction %i',
    async (step, victim, relaysFinished, messagesAppended) => {
      const plan: CrashPlan = { count: 6, step, victim, concurrent: false };
      const child = await runUntilKilled(temp.path, plan);
      expect(child.prepared.size).toBe(6);
      expect([...child.ended.keys()]).toEqual(Array.from({ length: victim }, (_, index) => index));
      const { recovery, endedNow, checked } = await recoverAndCheck(plan, child);
      expect(recovery).toMatchObject({ relaysFinished, messagesAppended });
      // The decision reached the journal before the crash, so the restart finished it: it is not pending.
      expect(endedNow.get(victim)).toBe('not-found');
      expect([...endedNow.entries()].filter(([index]) => index !== victim).every(([, status]) => status === 'ok')).toBe(
        true,
      );
      expect(checked).toEqual([]);
    },
    60_000,
  );

  it.each([3, 4])(
    'killed right after the half append of transaction %i: a check-back resolves it',
    async (victim) => {
      const plan: CrashPlan = { count: 6, step: 'half-append', victim, concurrent: false };
      const child = await runUntilKilled(temp.path, plan);
      expect([...child.prepared.keys()]).toEqual(Array.from({ length: victim }, (_, index) => index));
      const { recovery, checked } = await recoverAndCheck(plan, child);
      expect(recovery).toMatchObject({ relaysFinished: 0, pending: victim + 1 });
      expect(checked).toEqual([victim]);
    },
    60_000,
  );

  // Concurrent runs: every end at once, so resolutions share relays (group commit) of up to 64
  // transactions (typically [1, 64, 64, 64, 7] for 200): a crash leaves a whole batch half done.
  it.each<[CrashStep, number, number]>([
    ['intent', 200, 3],
    // The 4th real-queue append is the first of the third relay's two (queues 0 and 1): one queue has
    // its copies, the other not.
    ['real-append', 200, 4],
    ['op-append', 200, 2],
    ['bookkeeping', 200, 2],
    // The first watermark write, after TRANSACTION_PROGRESS_EVERY resolutions, with others in flight.
    ['progress', 1100, 1],
  ])(
    'killed right after a %s, %i concurrent transactions, occurrence %i',
    async (step, count, victim) => {
      const plan: CrashPlan = { count, step, victim, concurrent: true };
      const child = await runUntilKilled(temp.path, plan);
      expect(child.prepared.size).toBe(count);
      const { recovery } = await recoverAndCheck(plan, child);
      // The watermark put answers after the last relays finished; what matters is what it recorded.
      if (step === 'progress') return;
      expect(child.ended.size).toBeLessThan(count);
      if (step !== 'bookkeeping') expect(recovery?.relaysFinished).toBe(1);
    },
    120_000,
  );
});
