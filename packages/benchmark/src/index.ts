/**
 * Eddy side by side with its peers, in the style of the OpenMessaging Benchmark: one workload spec
 * ({@link WorkloadSpecSchema}), a driver per system with that system's fastest client here (Eddy over
 * Kafka with librdkafka and kafkajs, Eddy over RocketMQ gRPC with the official Node client; NATS
 * JetStream, Redis Streams and RabbitMQ stream queues from Debian's packages), and a runner
 * ({@link runBenchmark}) that starts each server as a child process on loopback with a temporary data
 * directory, runs a throughput phase and a fixed-rate latency phase per message size, and reports
 * msgs/s, MB/s, broker and client CPU, p50/p99/p99.9 latency and Eddy's ratio to each peer. The report
 * renders as markdown tables ({@link renderMarkdownSection}) and an SVG chart ({@link renderSvgChart});
 * {@link runBenchCommand} is `eddy-harness bench`.
 *
 * It does not install peers (a missing one is a {@link BenchmarkError} `PEER_NOT_INSTALLED` naming the
 * `apt-get install -y …`), build Eddy, or judge the numbers. Guarantees: no server it starts outlives the
 * run or this process's exit; every data directory it makes is removed; numbers are counted over a
 * measured window after a warm-up, on the same machine and in the same run for every system.
 *
 * @packageDocumentation
 */

export {
  BENCH_USAGE,
  DEFAULT_LATENCY_RATES,
  measuringArguments,
  parseBenchArguments,
  parseLatencyRates,
  runBenchCommand,
  workloadFromFlags,
} from './bench-command.js';
export { BenchmarkError, type BenchmarkErrorCode } from './benchmark-error.js';
export {
  type BenchmarkOptions,
  type BenchmarkReport,
  type LatencyResult,
  runBenchmark,
  type SystemResult,
  type ThroughputResult,
} from './benchmark-runner.js';
export { comparePeers, type PeerComparison } from './comparison.js';
export { measureDiskWriteRate } from './disk-write-rate.js';
export { replaceDocsSection, writeDocsSection } from './docs-section.js';
export { DRIVERS } from './drivers/registry.js';
export {
  type PhaseRequest,
  type RunningSystem,
  type StartContext,
  SYSTEM_NAMES,
  type SystemDriver,
  type SystemName,
} from './drivers/system-driver.js';
export { describeMachine, loadAverageNow, type MachineInfo } from './machine.js';
export {
  formatSize,
  renderLatencyTable,
  renderMarkdownSection,
  renderRatioTable,
  renderThroughputTable,
  SECTION_HEADING,
  type SectionOptions,
} from './markdown-report.js';
export { assertRequirements, findExecutable, missingPeerMessage, type Requirement } from './peer-requirements.js';
export { type Counts, nowMicros, PhaseMeter, sentAtMicros, stampedPayload } from './phase-meter.js';
export { ownCpuSeconds, processCpuSeconds, processTree } from './process-cpu.js';
export { formatProgress, ProgressLine, type ProgressState } from './progress-line.js';
export { type LatencySummary, percentile, ratio, summariseLatencies } from './statistics.js';
export { compactNumber, renderSvgChart } from './svg-chart.js';
export {
  DEFAULT_WORKLOAD,
  MIN_MESSAGE_SIZE,
  parseWorkloadSpec,
  type WorkloadSpec,
  WorkloadSpecSchema,
} from './workload-spec.js';
