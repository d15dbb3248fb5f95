import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type StoredMessage, SystemProperty, SystemTopic } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openCommitLogStore, silentLogger } from '@eddy/store-commitlog';
import { FakeClock, makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DelayLevelScheduler } from '../src/delay-scheduler.js';
import { DeliveryJournal } from '../src/delivery-journal.js';
import { TimerScheduler } from '../src/timer-scheduler.js';
import {
  DELAY_LEVELS,
  DELAY_MESSAGES,
  type KillSpec,
  messageId,
  type ScheduledChildOptions,
  TIMER_PLAN,
  targetOf,
} from './fixtures/scheduled-plan.js';

// tsx's loader inside the child node process, not the tsx command: that runs the script in a
// grandchild, which a SIGKILL would leave running.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/scheduled-child.ts', import.meta.url));
const START = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

interface ChildOutcome {
  readonly acknowledged: string[];
  readonly signal: NodeJS.Signals | null;
  readonly finished: boolean;
}

function runChild(options: ScheduledChildOptions): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, JSON.stringify(options)], {
      cwd: packageDir,
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
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== null && code !== 0) {
        reject(new Error(`the child exited with ${code}: ${stderr}`));
        return;
      }
      // A line cut by the kill was never a complete acknowledgement.
      const lines = stdout.split('\n').slice(0, -1);
      resolve({
        acknowledged: lines.filter((line) => line.startsWith('scheduled ')).map((line) => line.slice(10)),
        signal,
        finished: lines.includes('done'),
      });
    });
  });
}

async function readAll(store: MessageStore, topic: string, queueId: number): Promise<StoredMessage[]> {
  const all: StoredMessage[] = [];
  for (let offset = 0; ; ) {
    const read = await store.read(topic, queueId, offset, { maxMessages: 500 });
    if (read.status !== 'ok' || read.messages.length === 0) return all;
    all.push(...read.messages);
    offset = read.nextOffset;
  }
}

const kinds = {
  delay: {
    systemTopic: SystemTopic.SCHEDULE,
    systemQueues: [0, 1],
    progressPrefix: 'consume/schedule/',
    count: DELAY_MESSAGES,
  },
  timer: {
    systemTopic: SystemTopic.TIMER,
    systemQueues: [0],
    progressPrefix: 'consume/timer/',
    count: TIMER_PLAN.length,
  },
} as const;

type Kind = keyof typeof kinds;

interface CrashCase {
  readonly name: string;
  /** Kill points of the first run and, optionally, of a recovery run after it. */
  readonly kill: (kind: Kind) => KillSpec;
  readonly recoveryKill?: (kind: Kind) => KillSpec;
  /** Relays left unfinished by the first kill: shows the kill landed inside a relay, or outside. */
  readonly unfinished: 0 | 1;
}

// Every kind makes four relays, each appending to orders/0 and orders/1 (see scheduled-plan.ts).
const cases: CrashCase[] = [
  {
    name: 'after a schedule was appended, before it was acknowledged',
    unfinished: 0,
    kill: (kind) => ({ when: 'after', op: 'append', prefix: kinds[kind].systemTopic, nth: 30 }),
  },
  {
    name: 'after the intent write of the first relay',
    unfinished: 1,
    kill: () => ({ when: 'after', op: 'put', prefix: 'consume/journal/', nth: 1 }),
  },
  {
    name: 'after the intent write of the third relay',
    unfinished: 1,
    kill: () => ({ when: 'after', op: 'put', prefix: 'consume/journal/', nth: 3 }),
  },
  {
    name: 'between the appends of the first relay',
    unfinished: 1,
    kill: () => ({ when: 'after', op: 'append', prefix: 'orders', nth: 1 }),
  },
  {
    name: 'between the appends of the second relay',
    unfinished: 1,
    kill: () => ({ when: 'after', op: 'append', prefix: 'orders', nth: 3 }),
  },
  {
    name: 'after the appends of the first relay, before its bookkeeping',
    unfinished: 1,
    kill: (kind) => ({ when: 'before', op: 'batch', prefix: kinds[kind].progressPrefix, nth: 1 }),
  },
  {
    name: 'after the appends of the third relay, before its bookkeeping',
    unfinished: 1,
    kill: (kind) => ({ when: 'before', op: 'batch', prefix: kinds[kind].progressPrefix, nth: 3 }),
  },
  {
    name: 'right after the bookkeeping of the first relay',
    unfinished: 0,
    kill: (kind) => ({ when: 'after', op: 'batch', prefix: kinds[kind].progressPrefix, nth: 1 }),
  },
  {
    name: 'right after the bookkeeping of the last relay',
    unfinished: 0,
    kill: (kind) => ({ when: 'after', op: 'batch', prefix: kinds[kind].progressPrefix, nth: 4 }),
  },
  {
    name: 'between appends, then again while the recovery re-appends',
    unfinished: 1,
    kill: () => ({ when: 'after', op: 'append', prefix: 'orders', nth: 1 }),
    recoveryKill: () => ({ when: 'after', op: 'append', prefix: 'orders', nth: 1 }),
  },
  {
    name: 'before the bookkeeping, then again before the recovery’s bookkeeping',
    unfinished: 1,
    kill: (kind) => ({ when: 'before', op: 'batch', prefix: kinds[kind].progressPrefix, nth: 2 }),
    recoveryKill: (kind) => ({ when: 'before', op: 'batch', prefix: kinds[kind].progressPrefix, nth: 1 }),
  },
];

describe.each(['delay', 'timer'] as const)('kill -9 of a %s scheduler on the CommitLog engine', (kind) => {
  let temp: TempDir;
  beforeEach(async () => {
    temp = await makeTempDir(`scheduled-crash-${kind}`);
  });
  afterEach(async () => {
    await temp.remove();
  });

  const open = (clock: FakeClock): Promise<MessageStore> =>
    openCommitLogStore({ dir: temp.path, clock, logger: silentLogger, segmentSize: 8 * 1024 * 1024 });

  async function unfinishedRelays(): Promise<number> {
    const store = await open(new FakeClock(START));
    try {
      return await new DeliveryJournal({ store, name: kind }).unfinished();
    } finally {
      await store.close();
    }
  }

  // Opens the store a day later, starts a scheduler (which recovers and delivers everything due) and
  // returns what the real queues and the scheduler's log hold.
  async function restart(day: number): Promise<{ delivered: StoredMessage[]; scheduled: StoredMessage[] }> {
    const clock = new FakeClock(START + day * DAY);
    const store = await open(clock);
    try {
      const scheduler =
        kind === 'delay'
          ? new DelayLevelScheduler({ store, clock, levels: DELAY_LEVELS })
          : new TimerScheduler({ store, clock });
      await scheduler.start();
      await clock.advance(10_000);
      await scheduler.whenIdle();
      if (scheduler instanceof TimerScheduler) expect(scheduler.pending).toBe(0);
      await scheduler.stop();
      const journal = new DeliveryJournal({ store, name: kind });
      expect(await journal.unfinished()).toBe(0);
      const scheduled = (
        await Promise.all(kinds[kind].systemQueues.map((queueId) => readAll(store, kinds[kind].systemTopic, queueId)))
      ).flat();
      const delivered = [...(await readAll(store, 'orders', 0)), ...(await readAll(store, 'orders', 1))];
      return { delivered, scheduled };
    } finally {
      await store.close();
    }
  }

  it('runs to the end without a kill: every message delivered once', async () => {
    const outcome = await runChild({ dir: temp.path, kind, phase: 'run', now: START });
    expect(outcome.finished).toBe(true);
    expect(outcome.acknowledged).toHaveLength(kinds[kind].count);
    const { delivered, scheduled } = await restart(1);
    expectExactlyOnce(delivered, scheduled, outcome.acknowledged);
    expect(scheduled).toHaveLength(kinds[kind].count);
  }, 60_000);

  for (const { name, kill, recoveryKill, unfinished } of cases) {
    it(`killed ${name}: no message lost, repeated or resurrected`, async () => {
      const first = await runChild({ dir: temp.path, kind, phase: 'run', now: START, kill: kill(kind) });
      expect(first.signal).toBe('SIGKILL');
      expect(first.finished).toBe(false);
      expect(await unfinishedRelays()).toBe(unfinished);
      if (recoveryKill !== undefined) {
        const second = await runChild({
          dir: temp.path,
          kind,
          phase: 'recover',
          now: START + 3600_000,
          kill: recoveryKill(kind),
        });
        expect(second.signal).toBe('SIGKILL');
        expect(await unfinishedRelays()).toBe(1);
      }
      const { delivered, scheduled } = await restart(1);
      expectExactlyOnce(delivered, scheduled, first.acknowledged);
      // Another restart delivers nothing again.
      const again = await restart(2);
      expect(again.delivered.map((message) => message.messageId)).toEqual(
        delivered.map((message) => message.messageId),
      );
    }, 60_000);
  }
});

// Every message in the scheduler's log is in its real queue exactly once, and nothing else is there;
// every acknowledged schedule is in the log.
function expectExactlyOnce(
  delivered: readonly StoredMessage[],
  scheduled: readonly StoredMessage[],
  acknowledged: readonly string[],
): void {
  const scheduledIds = scheduled.map((message) => message.messageId);
  expect(new Set(scheduledIds).size).toBe(scheduledIds.length);
  for (const id of acknowledged) expect(scheduledIds).toContain(id);
  const deliveredIds = delivered.map((message) => message.messageId).sort();
  expect(deliveredIds).toEqual([...scheduledIds].sort());
  for (const message of delivered) {
    const index = Number(message.messageId.slice(2));
    expect(messageId(index)).toBe(message.messageId);
    expect(Buffer.from(message.body).toString()).toBe(`body-${message.messageId}`);
    expect(message.queueId).toBe(targetOf(index).queueId);
    expect(message.properties[SystemProperty.REAL_TOPIC]).toBeUndefined();
    expect(message.properties[SystemProperty.DELIVERY_ID]).toBeDefined();
  }
}
