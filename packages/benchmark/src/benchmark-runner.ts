import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchmarkError } from './benchmark-error.js';
import { measureDiskWriteRate } from './disk-write-rate.js';
import { DRIVERS } from './drivers/registry.js';
import type { PhaseRequest, RunningSystem, SystemDriver, SystemName } from './drivers/system-driver.js';
import { describeMachine, loadAverageNow, type MachineInfo } from './machine.js';
import { assertRequirements } from './peer-requirements.js';
import { type Counts, PhaseMeter } from './phase-meter.js';
import { ownCpuSeconds, processCpuSeconds } from './process-cpu.js';
import type { ProgressLine } from './progress-line.js';
import { type LatencySummary, summariseLatencies } from './statistics.js';
import { parseWorkloadSpec, type WorkloadSpec } from './workload-spec.js';

/** Options of {@link runBenchmark}. */
export interface BenchmarkOptions {
  /** In the order given; each is started, measured at every size, and stopped before the next. */
  readonly systems: readonly SystemName[];
  /** Message sizes in bytes; each runs the workload once. */
  readonly sizes: readonly number[];
  /** The workload, the same for every system (the size comes from `sizes`). */
  readonly workload: Omit<WorkloadSpec, 'messageSize'>;
  /** The built Eddy server, `apps/server/dist/main.js`. */
  readonly serverMain: string;
  /** The Python with confluent_kafka; default /usr/bin/python3. */
  readonly python?: string;
  /** Parent of the run's temporary directory (data dirs, the disk probe); default the OS temp dir. */
  readonly baseDir?: string;
  /** Bytes the disk probe writes; default 1 GiB; 0 skips it. */
  readonly diskProbeBytes?: number;
  /** The live line; none when omitted. */
  readonly progress?: ProgressLine;
  /**
   * The latency phase's rate for particular systems, msgs/s, where the spec's one is more than that
   * system's client can sustain here (a saturated client measures its queue, not the broker).
   */
  readonly latencyRates?: Partial<Record<SystemName, number>>;
  /** The command line, as the report should show it. */
  readonly command?: string;
}

/** The throughput phase of one system at one size: producers and consumers together, counted over the window. */
export interface ThroughputResult {
  /** Target rate, msgs/s, or `max`. */
  readonly rate: number | 'max';
  readonly seconds: number;
  readonly produced: Counts;
  readonly consumed: Counts;
  readonly producedPerSecond: number;
  /** MB/s, 10⁶ bytes of payload. */
  readonly producedMBps: number;
  readonly consumedPerSecond: number;
  readonly consumedMBps: number;
  /** utime + stime of the broker's processes over the window. */
  readonly brokerCpuSeconds: number;
  /** utime + stime of the clients (this process, or the Python client processes) over the window. */
  readonly clientCpuSeconds: number;
  readonly errors: number;
  readonly firstError?: string;
}

/** The latency phase of one system at one size: the spec's fixed rate, latencies of the window. */
export interface LatencyResult extends LatencySummary {
  readonly rate: number;
  readonly seconds: number;
  readonly sent: number;
  readonly received: number;
  readonly brokerCpuSeconds: number;
  readonly errors: number;
  readonly firstError?: string;
}

/** One system at one message size. */
export interface SystemResult {
  readonly system: SystemName;
  readonly label: string;
  readonly broker: string;
  readonly client: string;
  readonly eddy: boolean;
  readonly clientRuntime: 'node' | 'native';
  readonly messageSize: number;
  readonly throughput?: ThroughputResult;
  readonly latency?: LatencyResult;
  /** Why a phase, or the system, has no result. */
  readonly failure?: string;
}

/** A whole run. */
export interface BenchmarkReport {
  readonly startedAt: string;
  readonly seconds: number;
  readonly machine: MachineInfo;
  readonly command: string;
  readonly workload: Omit<WorkloadSpec, 'messageSize'>;
  readonly sizes: readonly number[];
  readonly latencyRates: Partial<Record<SystemName, number>>;
  /** MB/s of 1 MiB `writeSync`s + `fsync` in the run's directory; undefined when skipped. */
  readonly diskWriteMBps?: number;
  readonly results: readonly SystemResult[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
/** How long a driver may take to have its clients connected and sending. */
const START_DEADLINE_MS = 60_000;
/** How long a driver may take to stop its clients after a phase. */
const STOP_DEADLINE_MS = 30_000;

/**
 * Runs the workload against each system at each size: a throughput phase (the spec's producer rate,
 * `max` by default) and a latency phase (the spec's fixed rate), each on a fresh topic, each a warm-up
 * then a measured window. Servers are child processes on free loopback ports with their own temporary
 * data directories, removed afterwards. A system that fails is reported with its failure and the run
 * goes on; a missing peer stops the run before anything starts ({@link BenchmarkError} `PEER_NOT_INSTALLED`).
 */
export async function runBenchmark(options: BenchmarkOptions): Promise<BenchmarkReport> {
  const startedAt = new Date();
  const loadAtStart = loadAverageNow();
  const drivers = options.systems.map((system) => DRIVERS[system]);
  for (const size of options.sizes) parseWorkloadSpec({ ...options.workload, messageSize: size });
  assertRequirements(drivers.flatMap((driver) => driver.requirements));
  const runDir = mkdtempSync(join(options.baseDir ?? tmpdir(), 'eddy-bench-'));
  const results: SystemResult[] = [];
  let diskWriteMBps: number | undefined;
  try {
    const probeBytes = options.diskProbeBytes ?? 1024 * 1024 * 1024;
    if (probeBytes > 0) {
      options.progress?.note(`raw disk write: ${probeBytes / 1024 / 1024} MiB in 1 MiB writeSync chunks + fsync …`);
      diskWriteMBps = measureDiskWriteRate(runDir, probeBytes);
      options.progress?.note(`raw disk write: ${diskWriteMBps.toFixed(0)} MB/s`);
    }
    let phaseNumber = 0;
    for (const driver of drivers) {
      const workDir = mkdtempSync(join(runDir, `${driver.system}-`));
      const base = { system: driver.system, label: driver.label, broker: driver.broker, client: driver.client };
      const describe = { ...base, eddy: driver.eddy, clientRuntime: driver.clientRuntime };
      let running: RunningSystem;
      try {
        options.progress?.note(`${driver.system}: starting the server`);
        running = await driver.start({
          workDir,
          partitions: options.workload.partitions,
          serverMain: options.serverMain,
          python: options.python ?? '/usr/bin/python3',
        });
      } catch (error) {
        const failure = `start: ${messageOf(error)}`;
        options.progress?.note(`${driver.system}: ${failure}`);
        for (const messageSize of options.sizes) results.push({ ...describe, messageSize, failure });
        rmSync(workDir, { recursive: true, force: true });
        continue;
      }
      try {
        for (const messageSize of options.sizes) {
          const failures: string[] = [];
          const { workload } = options;
          const request = {
            messageSize,
            partitions: workload.partitions,
            producers: workload.producers,
            consumers: workload.consumers,
          };
          const latencyRate = options.latencyRates?.[driver.system] ?? workload.latencyRate;
          let throughput: ThroughputResult | undefined;
          let latency: LatencyResult | undefined;
          try {
            const outcome = await runPhase(driver, running, options.progress, {
              request: {
                ...request,
                topic: `t${++phaseNumber}-${messageSize}-throughput`,
                rate: workload.producerRate,
              },
              phase: `${messageSize} B throughput`,
              warmupMs: workload.warmupSeconds * 1000,
              durationMs: workload.durationSeconds * 1000,
              latency: false,
            });
            throughput = throughputOf(outcome, workload.producerRate);
            options.progress?.note(
              `${driver.system} ${messageSize} B: produced ${Math.round(throughput.producedPerSecond)} msgs/s, consumed ${Math.round(throughput.consumedPerSecond)} msgs/s`,
            );
          } catch (error) {
            failures.push(`throughput: ${messageOf(error)}`);
          }
          try {
            const outcome = await runPhase(driver, running, options.progress, {
              request: { ...request, topic: `t${++phaseNumber}-${messageSize}-latency`, rate: latencyRate },
              phase: `${messageSize} B latency at ${latencyRate}/s`,
              warmupMs: Math.min(workload.warmupSeconds, 2) * 1000,
              durationMs: workload.latencyDurationSeconds * 1000,
              latency: true,
            });
            latency = latencyOf(outcome, latencyRate);
            options.progress?.note(
              `${driver.system} ${messageSize} B: latency p50 ${latency.p50Ms.toFixed(2)} ms, p99 ${latency.p99Ms.toFixed(2)} ms`,
            );
          } catch (error) {
            failures.push(`latency: ${messageOf(error)}`);
          }
          for (const failure of failures) options.progress?.note(`${driver.system} ${messageSize} B: ${failure}`);
          results.push({
            ...describe,
            messageSize,
            ...(throughput ? { throughput } : {}),
            ...(latency ? { latency } : {}),
            ...(failures.length > 0 ? { failure: failures.join('; ') } : {}),
          });
        }
      } finally {
        await running.close().catch(() => {});
        rmSync(workDir, { recursive: true, force: true });
      }
    }
  } finally {
    options.progress?.clear();
    rmSync(runDir, { recursive: true, force: true });
  }
  return {
    startedAt: startedAt.toISOString(),
    seconds: (Date.now() - startedAt.getTime()) / 1000,
    machine: describeMachine(loadAtStart),
    command: options.command ?? '',
    workload: options.workload,
    sizes: options.sizes,
    latencyRates: options.latencyRates ?? {},
    ...(diskWriteMBps === undefined ? {} : { diskWriteMBps }),
    results,
  };
}

interface PhasePlan {
  readonly request: PhaseRequest;
  readonly phase: string;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly latency: boolean;
}

interface PhaseOutcome {
  readonly meter: PhaseMeter;
  readonly seconds: number;
  readonly brokerCpuSeconds: number;
  readonly clientCpuSeconds: number;
}

/** Warm-up, then the measured window with CPU read at both ends, then stop and wait for the clients. */
async function runPhase(
  driver: SystemDriver,
  running: RunningSystem,
  progress: ProgressLine | undefined,
  plan: PhasePlan,
): Promise<PhaseOutcome> {
  const meter = new PhaseMeter(plan.latency);
  const controller = new AbortController();
  let failure: unknown;
  let finished = false;
  const run = running.run(plan.request, meter, controller.signal).then(
    () => {
      finished = true;
    },
    (error: unknown) => {
      failure = error;
      finished = true;
    },
  );
  const brokerCpu = (): number => running.brokerPids().reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const clientCpu = (): number =>
    meter.clientPids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0) +
    (meter.inProcessClients ? ownCpuSeconds() : 0);
  const checkRunning = (what: string): void => {
    if (failure !== undefined) throw failure;
    if (finished) throw new BenchmarkError('DRIVER_FAILED', `${driver.system} stopped by itself during ${what}`);
  };
  const started = performance.now();
  let stage = 'starting';
  let last = { at: started, sent: 0, received: 0 };
  const ticker = setInterval(() => {
    const now = performance.now();
    const { sent, received } = meter.total;
    const seconds = Math.max(1e-3, (now - last.at) / 1000);
    progress?.update({
      system: driver.system,
      phase: `${plan.phase}, ${stage}`,
      seconds: (now - started) / 1000,
      sent: sent.messages,
      received: received.messages,
      sentPerSecond: (sent.messages - last.sent) / seconds,
      receivedPerSecond: (received.messages - last.received) / seconds,
    });
    last = { at: now, sent: sent.messages, received: received.messages };
  }, 500);
  try {
    let timedOut = false;
    const deadline = sleep(START_DEADLINE_MS).then(() => {
      timedOut = true;
    });
    await Promise.race([meter.started, run, deadline]);
    checkRunning('start-up');
    if (timedOut) {
      throw new BenchmarkError('PHASE_TIMEOUT', `${driver.system}: clients not sending after ${START_DEADLINE_MS} ms`);
    }
    stage = 'warm-up';
    await Promise.race([sleep(plan.warmupMs), run]);
    checkRunning('the warm-up');
    stage = 'measuring';
    const cpuBefore = { broker: brokerCpu(), client: clientCpu() };
    const windowStart = performance.now();
    meter.startMeasuring();
    await Promise.race([sleep(plan.durationMs), run]);
    meter.stopMeasuring();
    const seconds = (performance.now() - windowStart) / 1000;
    const cpuAfter = { broker: brokerCpu(), client: clientCpu() };
    checkRunning('the measurement');
    stage = 'stopping';
    return {
      meter,
      seconds,
      brokerCpuSeconds: cpuAfter.broker - cpuBefore.broker,
      clientCpuSeconds: cpuAfter.client - cpuBefore.client,
    };
  } finally {
    controller.abort();
    let stuck = false;
    await Promise.race([run, sleep(STOP_DEADLINE_MS).then(() => (stuck = true))]);
    clearInterval(ticker);
    if (stuck) progress?.note(`${driver.system}: clients did not stop within ${STOP_DEADLINE_MS} ms`);
  }
}

function throughputOf(outcome: PhaseOutcome, rate: number | 'max'): ThroughputResult {
  const { meter, seconds } = outcome;
  const { sent, received } = meter.window;
  return {
    rate,
    seconds,
    produced: { ...sent },
    consumed: { ...received },
    producedPerSecond: sent.messages / seconds,
    producedMBps: sent.bytes / seconds / 1e6,
    consumedPerSecond: received.messages / seconds,
    consumedMBps: received.bytes / seconds / 1e6,
    brokerCpuSeconds: outcome.brokerCpuSeconds,
    clientCpuSeconds: outcome.clientCpuSeconds,
    errors: meter.errors,
    ...(meter.firstError === undefined ? {} : { firstError: meter.firstError }),
  };
}

function latencyOf(outcome: PhaseOutcome, rate: number): LatencyResult {
  const { meter, seconds } = outcome;
  return {
    ...summariseLatencies(meter.latenciesMicros),
    rate,
    seconds,
    sent: meter.window.sent.messages,
    received: meter.window.received.messages,
    brokerCpuSeconds: outcome.brokerCpuSeconds,
    errors: meter.errors,
    ...(meter.firstError === undefined ? {} : { firstError: meter.firstError }),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
