// `eddy-harness run multi-broker-failover` as a user runs it: three brokers and a name server as processes,
// one broker killed mid-run; the RocketMQ producers' sends after the kill are acknowledged by the others.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN_JS = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eddy-harness-multi-broker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI to its end and resolves with its exit code and output; the kill deadline only guards a hang. */
function harness(args: string[], deadlineMs = 150_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN_JS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const append = (chunk: Buffer): void => {
      output += chunk.toString();
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

interface JsonReport {
  ok: boolean;
  injected: { atMs: number; what: string }[];
  report: { counts: Record<string, number>; stats: { acked: number } };
}

describe('eddy-harness multi-broker-failover', () => {
  it('fails producers over to the surviving brokers and loses no acknowledged message', async () => {
    const json = join(dir, 'multi-broker.json');
    const ran = await harness(['run', 'multi-broker-failover', '--seed', '5', '--duration-ms', '6000', '--json', json]);
    expect(ran.code, ran.output).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as JsonReport;
    expect(report.ok).toBe(true);
    expect(report.report.counts.lost).toBe(0);
    const events = report.injected.map((injection) => injection.what);
    const kill = events.findIndex((what) => what.startsWith('kill -9 broker-'));
    expect(kill, events.join('\n')).toBeGreaterThanOrEqual(0);
    const afterKill = events.slice(kill).find((what) => what.includes('sends acknowledged after the kill'));
    expect(Number(afterKill?.split(' ')[0]), events.join('\n')).toBeGreaterThan(0);
    expect(events.slice(kill).some((what) => / healthy again /.test(what))).toBe(true);
  });
});
