// The built `eddy-harness` as a user runs it: a child process, its exit code, its output and JSON report.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN_JS = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eddy-harness-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end; a generous kill deadline only guards against a hang. */
function harness(args: string[], deadlineMs = 150_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN_JS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface JsonReport {
  scenario: string;
  ok: boolean;
  injected: { atMs: number; what: string }[];
  report: { ok: boolean; counts: Record<string, number>; stats: { acked: number; received: number } };
}

/**
 * The counts the FIFO, delay and transaction workloads inject after the drain (see `checkFeatures`), as
 * numbers, and the feature checkers' verdict.
 */
function featureCounts(report: JsonReport) {
  const lines = report.injected.map((injection) => injection.what);
  const numbers = (pattern: RegExp): number[] => {
    const match = lines.map((line) => pattern.exec(line)).find((found) => found !== null);
    expect(match, `no injection matches ${pattern}:\n${lines.join('\n')}`).toBeDefined();
    return match!.slice(1).map(Number);
  };
  const [fifoAcked, fifoGroups, fifoReceived] = numbers(/^fifo: (\d+) acked in (\d+) message groups, (\d+) received$/);
  const [delayAcked, delayReceived] = numbers(/^delay: (\d+) acked, (\d+) received$/);
  const [committed, aborted, , txnReceived] = numbers(
    /^transactions: (\d+) committed, (\d+) aborted, (\d+) unknown; (\d+) received$/,
  );
  const verdict = lines.find((line) => line.startsWith('feature checkers: '));
  return {
    fifo: { acked: fifoAcked!, groups: fifoGroups!, received: fifoReceived! },
    delay: { acked: delayAcked!, received: delayReceived! },
    transactions: { committed: committed!, aborted: aborted!, received: txnReceived! },
    verdict,
  };
}

describe('eddy-harness', () => {
  it('lists the scenarios', async () => {
    const { code, stdout } = await harness(['list']);
    expect(code).toBe(0);
    for (const name of [
      'smoke',
      'crash-during-produce',
      'pause-broker',
      'partition-client',
      'consumer-churn',
      'power-loss',
    ]) {
      expect(stdout).toContain(name);
    }
  });

  it('exits 2 naming the flag on bad usage', async () => {
    const badSeed = await harness(['run', 'smoke', '--seed', 'abc']);
    expect(badSeed.code).toBe(2);
    expect(badSeed.stderr).toContain('--seed');
    const badDuration = await harness(['run', 'smoke', '--duration-ms', '5']);
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toContain('--duration-ms');
    const unknown = await harness(['run', 'no-such-scenario']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no-such-scenario');
    expect((await harness(['run', 'smoke', '--colour'])).code).toBe(2);
  });

  it('runs smoke with clean checkers and writes the JSON report', async () => {
    const json = join(dir, 'smoke.json');
    const ran = await harness(['run', 'smoke', '--seed', '7', '--json', json]);
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as JsonReport;
    expect(report).toMatchObject({ scenario: 'smoke', ok: true, report: { ok: true } });
    expect(report.report.stats.acked).toBeGreaterThan(0);
    expect(report.report.stats.received).toBeGreaterThanOrEqual(report.report.stats.acked);
    // The group-order, delay and transaction checkers had something to judge, and found nothing.
    const features = featureCounts(report);
    expect(features.verdict, ran.stdout).toBe('feature checkers: ok');
    expect(features.fifo.acked).toBeGreaterThan(0);
    expect(features.fifo.groups).toBeGreaterThan(1);
    expect(features.fifo.received).toBeGreaterThanOrEqual(features.fifo.acked);
    expect(features.delay.acked).toBeGreaterThan(0);
    expect(features.delay.received).toBeGreaterThanOrEqual(features.delay.acked);
    // Seed 7 aborts the first transaction and commits the second.
    expect(features.transactions.committed).toBeGreaterThan(0);
    expect(features.transactions.aborted).toBeGreaterThan(0);
    expect(features.transactions.received).toBeGreaterThan(0);
  });

  it('loses no acked message when the broker is killed during produce', async () => {
    const json = join(dir, 'crash.json');
    const ran = await harness(['run', 'crash-during-produce', '--seed', '3', '--duration-ms', '6000', '--json', json]);
    // 0 or 1 (whatever else the checkers say): the run itself completed and wrote its report.
    expect([0, 1], ran.stdout + ran.stderr).toContain(ran.code);
    const report = JSON.parse(readFileSync(json, 'utf8')) as JsonReport;
    expect(report.injected.map((injection) => injection.what).join('\n')).toContain('kill -9');
    expect(report.report.stats.acked).toBeGreaterThan(0);
    expect(report.report.counts.lost, ran.stdout).toBe(0);
    const features = featureCounts(report);
    expect(features.fifo.acked + features.delay.acked + features.transactions.committed).toBeGreaterThan(0);
    // Whatever else they found, the feature checkers lost no acked message of a committed transaction or topic.
    expect(features.verdict, ran.stdout).toMatch(/^feature checkers: /);
    expect(features.verdict, ran.stdout).not.toMatch(/\blost\b/);
  });
});
