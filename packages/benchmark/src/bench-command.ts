import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { BenchmarkError } from './benchmark-error.js';
import { type BenchmarkReport, runBenchmark } from './benchmark-runner.js';
import { writeDocsSection } from './docs-section.js';
import { SYSTEM_NAMES, type SystemName } from './drivers/system-driver.js';
import {
  renderLatencyTable,
  renderMarkdownSection,
  renderRatioTable,
  renderThroughputTable,
  SECTION_HEADING,
} from './markdown-report.js';
import { ProgressLine } from './progress-line.js';
import { renderSvgChart } from './svg-chart.js';
import { DEFAULT_WORKLOAD, type WorkloadSpec } from './workload-spec.js';

/**
 * Latency-phase rates of systems whose client cannot sustain the common one here: rocketmq-client-nodejs
 * 1.0.8 sends one message per RPC and tops out below 1,000 msgs/s on two busy cores.
 */
export const DEFAULT_LATENCY_RATES: Partial<Record<SystemName, number>> = { 'eddy-rocketmq': 200 };

/** The usage text of `eddy-harness bench`. */
export const BENCH_USAGE = `Usage: eddy-harness bench [options]   Eddy side by side with NATS JetStream, Redis Streams and RabbitMQ

Options:
  --systems LIST        comma-separated, of ${SYSTEM_NAMES.join(', ')} (default: all)
  --sizes LIST          message sizes in bytes, comma-separated (default 1024,100)
  --duration S          counted seconds of each throughput phase (default ${DEFAULT_WORKLOAD.durationSeconds})
  --warmup S            warm-up seconds before counting (default ${DEFAULT_WORKLOAD.warmupSeconds})
  --rate N|max          producer target of the throughput phase, msgs/s in all (default max)
  --latency-rate N[,SYSTEM=N…]
                        fixed rate of the latency phase, msgs/s, and per-system exceptions
                        (default ${DEFAULT_WORKLOAD.latencyRate},${Object.entries(DEFAULT_LATENCY_RATES)
                          .map(([system, rate]) => `${system}=${rate}`)
                          .join(',')})
  --latency-duration S  counted seconds of the latency phase (default ${DEFAULT_WORKLOAD.latencyDurationSeconds})
  --partitions N        partitions / queues / streams per topic (default 1)
  --producers N         producers (default 1)
  --consumers N         consumers (default 1)
  --quick               short phases: 1 s warm-up, 3 s throughput, 3 s latency
  --docs FILE           markdown file whose "${SECTION_HEADING}" section is rewritten (default docs/benchmarks.md)
  --svg FILE            chart to write (default docs/benchmarks-side-by-side.svg)
  --no-docs             write neither the docs section nor the chart
  --json FILE           the report as JSON
  --render FILE         measure nothing: render the docs section and chart of a report saved with --json
  --server FILE         Eddy's server entry point (default apps/server/dist/main.js)
  --python FILE         Python with confluent_kafka (default /usr/bin/python3)
  --work-dir DIR        parent of the temporary data directories (default the OS temp dir)

Peers come from Debian: apt-get install -y nats-server redis-server rabbitmq-server python3-confluent-kafka
Build Eddy first: npx turbo run build --filter=@eddy/server...
Exit code: 0 done, 1 a system failed, 2 bad usage or a peer not installed.`;

const numberText = (text: unknown): unknown =>
  typeof text === 'string' && /^\d+(\.\d+)?$/.test(text) ? Number(text) : text;
const positive = z.preprocess(numberText, z.number().positive());
const count = z.preprocess(numberText, z.number().int().min(1).max(64));
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (text) => (typeof text === 'string' ? text.split(',').map((part) => part.trim()) : text),
    z.array(item).min(1),
  );

/** The flags of `bench`, validated; messages name the flag. */
const BenchFlagsSchema = z.object({
  systems: list(z.enum(SYSTEM_NAMES)).optional(),
  sizes: list(z.preprocess(numberText, z.number().int().min(16).max(1_048_576))).optional(),
  duration: positive.optional(),
  warmup: z.preprocess(numberText, z.number().min(0)).optional(),
  rate: z.union([z.literal('max'), z.preprocess(numberText, z.number().int().min(1))]).optional(),
  'latency-rate': z
    .string()
    .regex(/^(\d+)?(,?[a-z-]+=\d+)*$/, 'expected N or N,SYSTEM=N,… (msgs/s)')
    .optional(),
  'latency-duration': positive.optional(),
  partitions: count.optional(),
  producers: count.optional(),
  consumers: count.optional(),
  quick: z.boolean().optional(),
  docs: z.string().min(1).optional(),
  svg: z.string().min(1).optional(),
  'no-docs': z.boolean().optional(),
  json: z.string().min(1).optional(),
  render: z.string().min(1).optional(),
  server: z.string().min(1).optional(),
  python: z.string().min(1).optional(),
  'work-dir': z.string().min(1).optional(),
});
type BenchFlags = z.infer<typeof BenchFlagsSchema>;
/** `1000,eddy-rocketmq=200` → the common rate and the exceptions (over {@link DEFAULT_LATENCY_RATES}). */
export function parseLatencyRates(text: string | undefined): {
  rate?: number;
  rates: Partial<Record<SystemName, number>>;
} {
  const rates: Partial<Record<SystemName, number>> = { ...DEFAULT_LATENCY_RATES };
  let rate: number | undefined;
  for (const part of (text ?? '').split(',').filter((item) => item !== '')) {
    const [name, value] = part.includes('=') ? part.split('=') : [undefined, part];
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1) {
      throw new BenchmarkError('INVALID_OPTION', `invalid --latency-rate: '${part}' is not a rate ≥ 1 msgs/s`);
    }
    if (name === undefined) rate = number;
    else if ((SYSTEM_NAMES as readonly string[]).includes(name)) rates[name as SystemName] = number;
    else
      throw new BenchmarkError(
        'INVALID_OPTION',
        `invalid --latency-rate: unknown system '${name}'; one of ${SYSTEM_NAMES.join(', ')}`,
      );
  }
  return rate === undefined ? { rates } : { rate, rates };
}

const BOOLEAN_FLAGS = new Set(['quick', 'no-docs']);

/** Parses the arguments after `bench`; throws {@link BenchmarkError} `INVALID_OPTION` naming the flag. */
export function parseBenchArguments(argv: readonly string[]): BenchFlags & { help: boolean } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    const options = Object.fromEntries(
      Object.keys(BenchFlagsSchema.shape).map((flag) => [
        flag,
        { type: BOOLEAN_FLAGS.has(flag) ? ('boolean' as const) : ('string' as const) },
      ]),
    );
    parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
    });
  } catch (error) {
    throw new BenchmarkError('INVALID_OPTION', (error as Error).message);
  }
  const { help, ...values } = parsed.values;
  const result = BenchFlagsSchema.safeParse(values);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new BenchmarkError('INVALID_OPTION', `invalid --${String(issue?.path[0])}: ${issue?.message}`);
  }
  return { ...result.data, help: help === true };
}

/** The workload the flags ask for: `--quick` first, then each flag over it. */
export function workloadFromFlags(flags: BenchFlags): Omit<WorkloadSpec, 'messageSize'> {
  const base = flags.quick
    ? { ...DEFAULT_WORKLOAD, warmupSeconds: 1, durationSeconds: 3, latencyDurationSeconds: 3 }
    : DEFAULT_WORKLOAD;
  return {
    ...base,
    ...(flags.duration === undefined ? {} : { durationSeconds: flags.duration }),
    ...(flags.warmup === undefined ? {} : { warmupSeconds: flags.warmup }),
    ...(flags.rate === undefined ? {} : { producerRate: flags.rate }),
    ...latencyRate(flags['latency-rate']),
    ...(flags['latency-duration'] === undefined ? {} : { latencyDurationSeconds: flags['latency-duration'] }),
    ...(flags.partitions === undefined ? {} : { partitions: flags.partitions }),
    ...(flags.producers === undefined ? {} : { producers: flags.producers }),
    ...(flags.consumers === undefined ? {} : { consumers: flags.consumers }),
  };
}

function latencyRate(text: string | undefined): { latencyRate?: number } {
  const { rate } = parseLatencyRates(text);
  return rate === undefined ? {} : { latencyRate: rate };
}

/** A path given on the command line: relative to the working directory. */
const givenPath = (path: string): string => resolve(process.cwd(), path);
/** A default path: in this repository (this file is packages/benchmark/dist/bench-command.js), wherever the command runs. */
const repositoryPath = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

/** Writes the chart and the docs section of `report`. */
function writeOutputs(report: BenchmarkReport, svgPath: string, docsPath: string): void {
  mkdirSync(dirname(svgPath), { recursive: true });
  writeFileSync(svgPath, renderSvgChart(report));
  const chartLink = relative(dirname(docsPath), svgPath).split('\\').join('/');
  writeDocsSection(docsPath, SECTION_HEADING, renderMarkdownSection(report, { chartLink }));
  console.error(`wrote ${svgPath} and the "${SECTION_HEADING}" section of ${docsPath}`);
}

/** Flags that say where results go, not what is measured: the command shown with the results leaves them out. */
const OUTPUT_FLAGS = new Set(['--json', '--docs', '--svg', '--no-docs']);

/** `argv` without its output flags (and their values). */
export function measuringArguments(argv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    const [flag] = argument.split('=');
    if (flag !== undefined && OUTPUT_FLAGS.has(flag)) {
      if (!argument.includes('=') && flag !== '--no-docs') index++;
      continue;
    }
    kept.push(argument);
  }
  return kept;
}

/** Prints the three tables of a report to stdout. */
function printReport(report: BenchmarkReport): void {
  console.log(renderThroughputTable(report.results));
  console.log();
  console.log(renderLatencyTable(report.results));
  const ratios = renderRatioTable(report.results);
  if (ratios !== '') console.log(`\n${ratios}`);
}

/**
 * `eddy-harness bench [options]`: runs the side-by-side benchmark, prints the tables, writes the chart
 * and the docs section (unless `--no-docs`), and resolves with the exit code (see {@link BENCH_USAGE}).
 */
export async function runBenchCommand(argv: readonly string[]): Promise<number> {
  let flags: ReturnType<typeof parseBenchArguments>;
  try {
    flags = parseBenchArguments(argv);
    parseLatencyRates(flags['latency-rate']);
  } catch (error) {
    console.error(`eddy-harness bench: ${(error as Error).message}\n\n${BENCH_USAGE}`);
    return 2;
  }
  if (flags.help) {
    console.log(BENCH_USAGE);
    return 0;
  }
  const systems: SystemName[] = flags.systems ?? [...SYSTEM_NAMES];
  const sizes = flags.sizes ?? [1024, 100];
  const svgPath = flags.svg === undefined ? repositoryPath('docs/benchmarks-side-by-side.svg') : givenPath(flags.svg);
  const docsPath = flags.docs === undefined ? repositoryPath('docs/benchmarks.md') : givenPath(flags.docs);
  if (flags.render !== undefined) {
    const saved = JSON.parse(readFileSync(givenPath(flags.render), 'utf8')) as BenchmarkReport;
    printReport(saved);
    writeOutputs(saved, svgPath, docsPath);
    return 0;
  }
  // A Ctrl-C must still stop the servers: process.exit runs the exit hooks that kill them.
  const interrupt = (): void => process.exit(130);
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let report: BenchmarkReport;
  try {
    report = await runBenchmark({
      systems,
      sizes,
      workload: workloadFromFlags(flags),
      serverMain: flags.server === undefined ? repositoryPath('apps/server/dist/main.js') : givenPath(flags.server),
      latencyRates: parseLatencyRates(flags['latency-rate']).rates,
      progress: new ProgressLine(),
      command: ['eddy-harness bench', ...measuringArguments(argv)].join(' '),
      ...(flags.python === undefined ? {} : { python: flags.python }),
      ...(flags['work-dir'] === undefined ? {} : { baseDir: givenPath(flags['work-dir']) }),
    });
  } catch (error) {
    if (error instanceof BenchmarkError && (error.code === 'PEER_NOT_INSTALLED' || error.code === 'INVALID_SPEC')) {
      console.error(`eddy-harness bench: ${error.message}`);
      return 2;
    }
    throw error;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  printReport(report);
  if (flags.json !== undefined) writeFileSync(givenPath(flags.json), `${JSON.stringify(report, null, 2)}\n`);
  if (!flags['no-docs']) writeOutputs(report, svgPath, docsPath);
  return report.results.some((result) => result.failure !== undefined) ? 1 : 0;
}
