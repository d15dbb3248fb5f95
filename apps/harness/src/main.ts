#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBenchCommand } from '@eddy/benchmark';
import { checkHistory, formatReportTable } from '@eddy/checker';
import { z } from 'zod';
import { Run, SCENARIOS } from './scenarios.js';

const USAGE = `Usage: eddy-harness run <scenario> [options]   run a scenario, check its history
       eddy-harness list                       list the scenarios
       eddy-harness bench [options]            Eddy side by side with peers (see bench --help)

Options of run:
  --seed N           seed of every random choice (default 1)
  --duration-ms N    length of the fault phase, ms (default: the scenario's)
  --json FILE        write the report as JSON to FILE
  --server FILE      the eddy server entry point (default: apps/server/dist/main.js of this repository)

Exit code: 0 the checkers found nothing, 1 they found anomalies, 2 bad usage, 3 the run itself failed.`;

class UsageError extends Error {}

// Flag text becomes a number only when it looks like one, so that zod's message names the flag and the problem.
const numeric = (text: unknown): unknown => (typeof text === 'string' && /^-?\d+$/.test(text) ? Number(text) : text);
const count = (min: number, max: number) => z.preprocess(numeric, z.number().int().min(min).max(max));
const SERVER_MAIN = fileURLToPath(new URL('../../server/dist/main.js', import.meta.url));
/** The options of `run`, keyed by flag name. */
const RunOptionsSchema = z.object({
  seed: count(0, 2_147_483_647).default(1),
  'duration-ms': count(100, 3_600_000).optional(),
  json: z.string().min(1).optional(),
  server: z.string().min(1).default(SERVER_MAIN),
});

function parse(argv: string[]) {
  const flags = Object.fromEntries(
    Object.keys(RunOptionsSchema.shape).map((flag) => [flag, { type: 'string' as const }]),
  );
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...flags, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { help, ...values } = parsed.values;
  const result = RunOptionsSchema.safeParse(values);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UsageError(`invalid --${String(issue?.path[0])}: ${issue?.message}`);
  }
  return { help: help === true, positionals: parsed.positionals, options: result.data };
}

async function main(argv: string[]): Promise<number> {
  // `bench` has flags of its own, parsed by @eddy/benchmark.
  if (argv[0] === 'bench') return runBenchCommand(argv.slice(1));
  const { help, positionals, options } = parse(argv);
  const [command, name, ...rest] = positionals;
  if (help || command === undefined) {
    console.log(USAGE);
    return help ? 0 : 2;
  }
  if (command === 'list') {
    for (const [key, scenario] of Object.entries(SCENARIOS)) console.log(`${key.padEnd(22)} ${scenario.description}`);
    return 0;
  }
  if (command !== 'run') throw new UsageError(`unknown command '${command}'; expected run or list`);
  const scenario = name === undefined ? undefined : SCENARIOS[name];
  if (scenario === undefined || rest.length > 0) {
    const known = Object.keys(SCENARIOS).join(', ');
    const what = name === undefined ? 'run needs a scenario' : `unknown scenario '${name}'`;
    throw new UsageError(`${what}: one of ${known}`);
  }
  const durationMs = options['duration-ms'] ?? scenario.durationMs;
  console.log(`scenario ${name}: seed ${options.seed}, fault phase ${durationMs} ms`);
  const run = new Run(String(name), { seed: options.seed, durationMs, serverMain: options.server });
  await scenario.run(run);
  const groups = [...scenario.groups];
  const report = checkHistory(run.recorder.events, { semantics: 'at-least-once', consumerGroups: groups });
  console.log(formatReportTable(report));
  // The FIFO, delay and transaction workloads keep a history of their own (see @eddy/workloads).
  const ok = report.ok && (run.features?.ok ?? true);
  if (options.json !== undefined) {
    const { injected, features } = run;
    const json = { scenario: name, seed: options.seed, durationMs, ok, injected, report, features };
    writeFileSync(options.json, `${JSON.stringify(json, null, 2)}\n`);
  }
  console.log(ok ? 'OK: no anomalies' : 'FAILED: the checkers found anomalies');
  return ok ? 0 : 1;
}

// rocketmq-client-nodejs 1.0.8 removes its telemetry stream's error listener on release (and listens only once),
// so a reset after a shutdown or a broker crash is an 'error' event nobody handles: the client's, not the run's.
process.on('uncaughtException', (error: Error & { code?: unknown; metadata?: unknown }) => {
  if (typeof error.code === 'number' && error.metadata !== undefined) return;
  console.error(error);
  process.exit(3);
});

main(process.argv.slice(2)).then(
  // Exit explicitly: a client cut off mid-run may leave a socket or timer that would hold the process.
  (code) => process.exit(code),
  (error: unknown) => {
    const usage = error instanceof UsageError;
    console.error(usage ? `eddy-harness: ${error.message}\n\n${USAGE}` : error);
    process.exit(usage ? 2 : 3);
  },
);
