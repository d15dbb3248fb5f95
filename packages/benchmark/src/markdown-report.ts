import type { BenchmarkReport, SystemResult } from './benchmark-runner.js';
import { comparePeers } from './comparison.js';

/** The heading of the section this package owns in docs/benchmarks.md. */
export const SECTION_HEADING = '## Side by side with peers';

const integer = (value: number): string => Math.round(value).toLocaleString('en-US');
const fixed = (value: number, digits: number): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const cell = (value: number | undefined, render: (value: number) => string): string =>
  value === undefined || !Number.isFinite(value) ? '—' : render(value);
const times = (value: number): string => `${fixed(value, 2)}×`;
const escapeCell = (text: string): string => text.replaceAll('|', '\\|');

/** `1 KiB`, `100 B`, `64 KiB`. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** A row of `columns` cells for a system and size without a result: the first line of why. */
function failedRow(result: SystemResult, columns: number): string {
  const why = escapeCell((result.failure ?? 'no result').split('\n')[0] ?? '').slice(0, 160);
  const cells = [result.label, formatSize(result.messageSize), '—', `failed: ${why}`];
  while (cells.length < columns) cells.push('');
  return `| ${cells.join(' | ')} |`;
}

function rateOf(rate: number | 'max'): string {
  return rate === 'max' ? 'max' : `${integer(rate)}/s`;
}

/** The throughput table: one row per system and size. */
export function renderThroughputTable(results: readonly SystemResult[]): string {
  const rows = [
    '| system | size | target | produce msgs/s | produce MB/s | consume msgs/s | consume MB/s | broker CPU | client CPU | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const result of results) {
    const t = result.throughput;
    if (t === undefined) {
      rows.push(failedRow(result, 10));
      continue;
    }
    const window = (seconds: number): string =>
      `${fixed(seconds, 2)} s (${Math.round((seconds / t.seconds) * 100)} % of a core)`;
    rows.push(
      `| ${result.label} | ${formatSize(result.messageSize)} | ${rateOf(t.rate)} | ${integer(t.producedPerSecond)} | ${fixed(t.producedMBps, 1)} | ${integer(t.consumedPerSecond)} | ${fixed(t.consumedMBps, 1)} | ${window(t.brokerCpuSeconds)} | ${window(t.clientCpuSeconds)} | ${integer(t.errors)} |`,
    );
  }
  return rows.join('\n');
}

/** The latency table: one row per system and size, at the fixed rate. */
export function renderLatencyTable(results: readonly SystemResult[]): string {
  const rows = [
    '| system | size | rate | p50 ms | p99 ms | p99.9 ms | max ms | sent · received | broker CPU |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const result of results) {
    const l = result.latency;
    if (l === undefined) {
      rows.push(failedRow(result, 9));
      continue;
    }
    const ms = (value: number): string => cell(value, (v) => fixed(v, 2));
    rows.push(
      `| ${result.label} | ${formatSize(result.messageSize)} | ${integer(l.rate)}/s | ${ms(l.p50Ms)} | ${ms(l.p99Ms)} | ${ms(l.p999Ms)} | ${ms(l.maxMs)} | ${integer(l.sent)} · ${integer(l.received)} | ${Math.round((l.brokerCpuSeconds / l.seconds) * 100)} % of a core |`,
    );
  }
  return rows.join('\n');
}

/** Eddy over each peer, same run: against the best Eddy driver, and against Eddy with the peer's kind of client. */
export function renderRatioTable(results: readonly SystemResult[]): string {
  const comparisons = comparePeers(results);
  if (comparisons.length === 0) return '';
  const rows = [
    '| Eddy ÷ peer | size | produce, best Eddy | produce, same client | consume, best Eddy | consume, same client | p99, best Eddy | p99, same client |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { peerLabel, messageSize, best, sameClient } of comparisons) {
    const pair = (a: number | undefined, b: number | undefined): string => `${cell(a, times)} | ${cell(b, times)}`;
    rows.push(
      `| Eddy ÷ ${peerLabel} | ${formatSize(messageSize)} | ${pair(best.produce, sameClient.produce)} | ${pair(best.consume, sameClient.consume)} | ${pair(best.p99, sameClient.p99)} |`,
    );
  }
  return rows.join('\n');
}

/** ` except eddy-rocketmq at 200 msgs/s (…)` for systems whose latency phase ran at a rate of their own. */
function rateExceptions(report: BenchmarkReport): string {
  const ran = new Set(report.results.map((result) => result.system as string));
  const own = Object.entries(report.latencyRates ?? {}).filter(([system]) => ran.has(system));
  if (own.length === 0) return '';
  const list = own.map(([system, rate]) => `${system} at ${integer(rate ?? 0)} msgs/s`).join(', ');
  return ` except ${list} (its client cannot sustain the common rate here)`;
}

/** Options of {@link renderMarkdownSection}. */
export interface SectionOptions {
  /** The chart's path relative to the markdown file, for the image link; none when omitted. */
  readonly chartLink?: string;
}

/** The whole `## Side by side with peers` section: how it was run, the machine, the tables, the chart. */
export function renderMarkdownSection(report: BenchmarkReport, options: SectionOptions = {}): string {
  const { machine, workload } = report;
  const loadOf = (values: readonly number[]): string => values.map((value) => fixed(value, 2)).join(', ');
  const load =
    machine.loadAverageAtStart === undefined
      ? `load average ${loadOf(machine.loadAverage)} at the end`
      : `load average ${loadOf(machine.loadAverageAtStart)} at the start, ${loadOf(machine.loadAverage)} at the end (the machine is shared: a load above the core count means other work ran too)`;
  const systems = [...new Map(report.results.map((result) => [result.system, result])).values()];
  const lines = [
    SECTION_HEADING,
    '',
    `\`${report.command}\` (\`@eddy/benchmark\`, OpenMessaging-Benchmark style): every broker is a child process on free loopback ports with a temporary data directory, started and stopped by the runner, clients on the same machine. Each system and size runs a throughput phase (producers and consumers together on a fresh topic; target ${rateOf(workload.producerRate)}; ${workload.warmupSeconds} s warm-up, then ${workload.durationSeconds} s counted) and a latency phase (${integer(workload.latencyRate)} msgs/s, the same for every system${rateExceptions(report)}; ${Math.min(workload.warmupSeconds, 2)} s warm-up, then ${workload.latencyDurationSeconds} s; the send time travels in the payload's first 8 bytes, latency = receive − send). ${workload.partitions} partition(s)/stream(s), ${workload.producers} producer(s), ${workload.consumers} consumer(s). MB = 10⁶ bytes of payload. CPU is utime + stime from /proc over the counted window: the broker's process (RabbitMQ: the launcher's process tree, beam.smp included), and the clients' (this Node process; the Python processes for librdkafka; the redis-benchmark processes plus this one for Redis).`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores · Node ${machine.node} · ${load} · run took ${integer(report.seconds)} s · ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC.` +
      (report.diskWriteMBps === undefined
        ? ''
        : ` Raw sequential write in the data directory's file system (1 GiB of 1 MiB \`writeSync\`s + \`fsync\`), the physical limit: **${integer(report.diskWriteMBps)} MB/s**.`),
    '',
    '**Throughput** (counted over the window; a consumer below its producer is falling behind):',
    '',
    renderThroughputTable(report.results),
    '',
    `**End-to-end latency** at a fixed rate:`,
    '',
    renderLatencyTable(report.results),
  ];
  const ratios = renderRatioTable(report.results);
  if (ratios !== '') {
    lines.push(
      '',
      "**Eddy over each peer**, same run. Throughput above 1× and latency below 1× favour Eddy. *Best Eddy* is the best of Eddy's drivers for each size and metric (librdkafka is native code); *same client* is the best Eddy driver whose client runs like the peer's: JavaScript in Node for NATS and RabbitMQ (against kafkajs and the RocketMQ client), native code for Redis, whose producers at max rate are redis-benchmark (against librdkafka). On two cores that is the fairer reading, since a Node client's own CPU caps what it can push. p99 compares only at the same rate.",
      '',
      ratios,
    );
  }
  if (options.chartLink !== undefined) lines.push('', `![Side by side: throughput and latency](${options.chartLink})`);
  lines.push('', 'Systems and clients:', '');
  for (const result of systems)
    lines.push(`- **${result.label}** (\`${result.system}\`): ${result.broker}; ${result.client}.`);
  const failures = report.results.filter((result) => result.failure !== undefined);
  if (failures.length > 0) {
    lines.push('', 'Failures:', '');
    for (const result of failures) {
      lines.push(`- ${result.label}, ${formatSize(result.messageSize)}: ${result.failure?.split('\n')[0]}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
