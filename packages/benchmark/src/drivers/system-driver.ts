import type { Requirement } from '../peer-requirements.js';
import type { PhaseMeter } from '../phase-meter.js';

/** The systems the runner knows, by the name `--systems` takes. */
export const SYSTEM_NAMES = ['eddy-kafka', 'eddy-kafkajs', 'eddy-rocketmq', 'nats', 'redis', 'rabbitmq'] as const;
export type SystemName = (typeof SYSTEM_NAMES)[number];

/** What a driver is handed to start its server. */
export interface StartContext {
  /** A fresh directory of its own, removed after the system is closed. */
  readonly workDir: string;
  readonly partitions: number;
  /** `apps/server/dist/main.js`, for the Eddy drivers. */
  readonly serverMain: string;
  /** The Python interpreter with confluent_kafka, for the librdkafka driver. */
  readonly python: string;
}

/** One phase: producers and consumers on a fresh topic, at a rate, until stopped. */
export interface PhaseRequest {
  /** A fresh topic name, [a-z0-9-] only, unique in the run. */
  readonly topic: string;
  readonly messageSize: number;
  readonly partitions: number;
  readonly producers: number;
  readonly consumers: number;
  /** Total over the producers. */
  readonly rate: number | 'max';
}

/** A started system: its broker's processes and a way to run a phase. */
export interface RunningSystem {
  /** The pids whose CPU is the broker's (a process tree for RabbitMQ). */
  brokerPids(): number[];
  /**
   * Starts the consumers, then the producers, calls `meter.markStarted()`, and keeps going until `stop`
   * aborts; then stops its clients, removes what the phase created when that frees memory or disk, and resolves.
   */
  run(request: PhaseRequest, meter: PhaseMeter, stop: AbortSignal): Promise<void>;
  /** Stops the server. */
  close(): Promise<void>;
}

/** A system under test and how to reach it with its fastest client here. */
export interface SystemDriver {
  readonly system: SystemName;
  /** Short, for tables: `Eddy · Kafka · librdkafka`. */
  readonly label: string;
  /** The broker and how it persists: `Eddy, commitlog, async flush`. */
  readonly broker: string;
  /** The client and version: `kafkajs 2.2.4`. */
  readonly client: string;
  /** Eddy's own drivers, the ones the ratios put over the peers. */
  readonly eddy: boolean;
  /** Where the client's work runs: `node` for a JavaScript client in the runner, `native` for librdkafka. */
  readonly clientRuntime: 'node' | 'native';
  readonly requirements: readonly Requirement[];
  start(context: StartContext): Promise<RunningSystem>;
}

/** The partitions consumer `index` of `consumers` reads: every `consumers`-th, from `index`. */
export function partitionsOf(index: number, consumers: number, partitions: number): number[] {
  const mine: number[] = [];
  for (let partition = index; partition < partitions; partition += consumers) mine.push(partition);
  return mine;
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** A logger that drops everything, for clients that log on their own (rocketmq-client-nodejs). */
export const SILENT_LOGGER = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
