/**
 * A small summariser of V8 `.cpuprofile` files (as written by `node --cpu-prof`) for
 * bench/kafka.bench.ts: self time per function and per package, optionally only for the samples taken
 * inside given windows of the monotonic clock (a profile's timestamps are `CLOCK_MONOTONIC`
 * microseconds, the clock of `process.hrtime`, so a parent process can mark the windows).
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A monotonic-clock window in microseconds (`process.hrtime.bigint() / 1000n`). */
export interface Window {
  readonly fromUs: number;
  readonly toUs: number;
}

export interface ProfileEntry {
  readonly name: string;
  readonly where: string;
  readonly selfMs: number;
  /** Share of the busy (non-idle) samples of the windows. */
  readonly share: number;
}

export interface ProfileSummary {
  readonly sampledMs: number;
  readonly busyMs: number;
  readonly idleShare: number;
  readonly top: readonly ProfileEntry[];
  readonly packages: readonly { readonly name: string; readonly share: number }[];
}

const IDLE = new Set(['(idle)', '(program)']);

function where(url: string, line: number): string {
  if (url === '') return 'native';
  const path = url.replace(/^file:\/\//, '');
  const workspace = /\/(packages|apps)\/([^/]+)\/(?:dist|src)\/(.+)$/.exec(path);
  if (workspace) return `${workspace[2]}/${workspace[3]}:${line + 1}`;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.+)$/.exec(path);
  if (dependency) return `${dependency[1]}/${dependency[2]?.split('/').pop()}:${line + 1}`;
  return `${path}:${line + 1}`;
}

function packageOf(name: string, url: string): string {
  if (name === '(garbage collector)') return 'garbage collector';
  if (url === '') return 'native (V8 builtins, libuv, syscalls)';
  const path = url.replace(/^file:\/\//, '');
  const workspace = /\/(packages|apps)\/([^/]+)\//.exec(path);
  if (workspace) return `@eddy/${workspace[2] === 'kafka' ? 'kafka (app)' : workspace[2]}`;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (dependency) return `npm: ${dependency[1]}`;
  if (path.startsWith('node:')) return 'Node.js core (JavaScript)';
  return path;
}

/** Self time per function and per package in `file`, limited to `windows` when given. */
export function summariseProfile(file: string, windows: readonly Window[] = [], topCount = 10): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const selfUs = new Map<number, number>();
  let time = profile.startTime;
  let sampled = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    time += profile.timeDeltas[i] ?? 0;
    if (windows.length > 0 && !windows.some((w) => time >= w.fromUs && time <= w.toUs)) continue;
    const id = profile.samples[i] as number;
    const node = byId.get(id);
    if (node === undefined) continue;
    sampled += delta;
    if (IDLE.has(node.callFrame.functionName)) {
      idle += delta;
      continue;
    }
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  const busy = sampled - idle;
  const functions = new Map<string, { name: string; where: string; us: number }>();
  const packages = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame;
    const name = functionName === '' ? '(anonymous)' : functionName;
    const at = where(url, lineNumber);
    const key = `${name}@${at}`;
    const entry = functions.get(key) ?? { name, where: at, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    const pkg = packageOf(functionName, url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const share = (us: number): number => (busy > 0 ? us / busy : 0);
  return {
    sampledMs: sampled / 1000,
    busyMs: busy / 1000,
    idleShare: sampled > 0 ? idle / sampled : 0,
    top: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topCount)
      .map((f) => ({ name: f.name, where: f.where, selfMs: f.us / 1000, share: share(f.us) })),
    packages: [...packages.entries()].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, share: share(us) })),
  };
}
