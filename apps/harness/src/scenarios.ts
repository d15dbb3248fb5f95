// The scenarios: a cluster, producers and consumers of both protocols, one kind of fault, a drain, a history.
import { createRandom } from '@eddy/checker';
import { Cluster, type ClusterNode, FaultProxy } from '@eddy/cluster';
import { powerLoss } from './power-loss.js';
import * as workloads from './workloads.js';
import { Recorder, sleep, TOPIC, type Workload } from './workloads.js';

/** Validated options of `eddy-harness run`. */
export type RunOptions = { readonly seed: number; readonly durationMs: number; readonly serverMain: string };

/** A fault the scenario injected, `atMs` after the fault phase began. */
export type Injection = { readonly atMs: number; readonly what: string };

/** One run of a scenario: its options, seeded randomness, history, injections and progress line. */
export class Run {
  readonly recorder = new Recorder();
  readonly injected: Injection[] = [];
  readonly random: ReturnType<typeof createRandom>;
  #phaseStart = Date.now();
  #ticker: NodeJS.Timeout | undefined;
  #ticks = 0;

  constructor(
    readonly scenario: string,
    readonly options: RunOptions,
  ) {
    this.random = createRandom(options.seed);
  }

  /** Starts the fault phase's clock and the progress line on stderr. */
  startPhase(): void {
    this.#phaseStart = Date.now();
    this.#ticker = setInterval(() => this.#progress(false), 500);
    this.#ticker.unref();
  }

  /** Resolves `ms` after the fault phase began. */
  at(ms: number): Promise<void> {
    return sleep(this.#phaseStart + ms - Date.now());
  }

  /** Prints and keeps one injected fault (or phase change) with its time. */
  inject(what: string): void {
    const atMs = Date.now() - this.#phaseStart;
    this.injected.push({ atMs, what });
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    process.stdout.write(`[+${(atMs / 1000).toFixed(1)}s] ${what}\n`);
  }

  stopProgress(): void {
    clearInterval(this.#ticker);
    this.#progress(true);
  }

  #progress(last: boolean): void {
    const { sent, acked, received } = this.recorder.counts;
    const line = `${this.scenario} ${((Date.now() - this.#phaseStart) / 1000).toFixed(1)}s: sent ${sent}, acked ${acked}, received ${received}`;
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}${last ? '\n' : ''}`);
    else if (last || ++this.#ticks % 4 === 0) process.stderr.write(`${line}\n`);
  }
}

/** The consumer group of each protocol; each must receive every acked message. */
export const GROUPS = { kafka: 'harness-kafka', rocketmq: 'harness-rocketmq' } as const;
type Protocol = keyof typeof GROUPS;
/** Where clients connect (`host:port`) and where the broker's admin API is. */
type Target = { readonly kafka: string; readonly grpc: string; readonly http: string };
/** The running consumers, which a fault may add to and remove from. */
type Consumers = { workload: Workload; protocol: Protocol }[];

const PAUSE_MS = 10;
const JSON_CONTENT = { 'content-type': 'application/json' };
const DRAIN_QUIET_MS = 8_000;
const DRAIN_MAX_MS = 120_000;

async function stopAll(workloads: readonly Workload[]): Promise<void> {
  // A client stuck on a dead connection must not hold the run: 20 s each, then it is left behind.
  await Promise.all(workloads.map((workload) => Promise.race([workload.stop().catch(() => {}), sleep(20_000)])));
}

let memberCount = 0;
async function addConsumer(run: Run, target: Target, consumers: Consumers, protocol: Protocol): Promise<void> {
  const name = `${protocol}-consumer-${++memberCount}`;
  const workload =
    protocol === 'kafka'
      ? await workloads.kafkaConsumer(run.recorder, target.kafka, name, GROUPS.kafka)
      : await workloads.rocketConsumer(run.recorder, target.grpc, name, GROUPS.rocketmq);
  consumers.push({ workload, protocol });
}

/** Produce and consume through both protocols while `fault` runs, then drain until nothing new arrives. */
async function traffic(run: Run, target: Target, fault: (consumers: Consumers) => Promise<void>): Promise<void> {
  const request = { method: 'POST', body: `{"name":"${TOPIC}","queueCount":4}` };
  const created = await fetch(`http://${target.http}/admin/topics`, { ...request, headers: JSON_CONTENT });
  if (created.status !== 201) throw new Error(`creating topic ${TOPIC}: ${created.status} ${await created.text()}`);
  const consumers: Consumers = [];
  await addConsumer(run, target, consumers, 'kafka');
  await addConsumer(run, target, consumers, 'rocketmq');
  const kafkaProducer = await workloads.kafkaProducer(run.recorder, target.kafka, 'kafka-producer', PAUSE_MS);
  const producers = [
    kafkaProducer,
    await workloads.rocketProducer(run.recorder, target.grpc, 'rocketmq-producer', PAUSE_MS),
  ];
  run.startPhase();
  try {
    await Promise.all([fault(consumers), run.at(run.options.durationMs)]);
    await stopAll(producers);
    run.inject('producers stopped; draining until nothing new arrives');
    const start = Date.now();
    run.recorder.lastReceiveAt = start;
    while (Date.now() - start < DRAIN_MAX_MS) {
      const quiet = Date.now() - run.recorder.lastReceiveAt;
      if (quiet >= DRAIN_QUIET_MS || (quiet >= 1_500 && run.recorder.missing(Object.values(GROUPS)) === 0)) break;
      await sleep(250);
    }
    run.inject('drained');
  } finally {
    run.stopProgress();
    await stopAll([...producers, ...consumers.map((consumer) => consumer.workload)]);
  }
}

/** What a fault sees: the run, the broker, the consumers (to add to or remove), the target, the proxies if any. */
type FaultContext = { run: Run; broker: ClusterNode; consumers: Consumers; target: Target; proxies: FaultProxy[] };

/**
 * One broker (with its embedded name server), traffic and `fault`. Proxied, the broker listens on 127.0.0.2 and
 * advertises 127.0.0.3, where one proxy per port listens on the same port number: Kafka metadata and RocketMQ
 * routes then send both clients through the proxies.
 */
function onBroker(fault: (context: FaultContext) => Promise<void>, proxied = false): (run: Run) => Promise<void> {
  return async (run) => {
    const host = proxied ? '127.0.0.2' : '127.0.0.1';
    const brokerArgs = proxied ? ['--advertised-host', '127.0.0.3'] : [];
    const { serverMain } = run.options;
    const cluster = await Cluster.start({ brokers: 1, nameServers: 0, serverMain, host, brokerArgs });
    const proxies: FaultProxy[] = [];
    try {
      const broker = cluster.brokers()[0] as ClusterNode;
      const address = async (port = 0): Promise<string> => {
        if (!proxied) return `${host}:${port}`;
        const options = { listenHost: '127.0.0.3', listenPort: port, targetHost: host, targetPort: port };
        proxies.push(await FaultProxy.start({ ...options, seed: run.options.seed }));
        return `127.0.0.3:${port}`;
      };
      const { kafka, grpc, http } = broker.ports;
      const target = { kafka: await address(kafka), grpc: await address(grpc), http: `${host}:${http}` };
      await traffic(run, target, (consumers) => fault({ run, broker, consumers, target, proxies }));
    } finally {
      await Promise.all(proxies.map((proxy) => proxy.close()));
      await cluster.close();
    }
  };
}

/** A scenario: what it does (for `list`), its default `--duration-ms`, the groups that must get every acked message. */
export type Scenario = {
  description: string;
  durationMs: number;
  groups: readonly string[];
  run(run: Run): Promise<void>;
};
const BOTH = Object.values(GROUPS);
const third = (run: Run): number => run.options.durationMs / 3;

export const SCENARIOS: Record<string, Scenario> = {
  smoke: {
    description: 'CI: one broker, kafkajs and RocketMQ clients produce and consume, no fault; checkers clean',
    durationMs: 5_000,
    groups: BOTH,
    run: onBroker(async () => {}),
  },
  'crash-during-produce': {
    description: 'kill -9 the broker while producers send, restart it on the same data; no acked message lost',
    durationMs: 15_000,
    groups: BOTH,
    run: onBroker(async ({ run, broker }) => {
      await run.at(third(run));
      run.inject(`kill -9 ${broker.name} (pid ${broker.pid})`);
      await broker.kill9();
      await sleep(1_000);
      run.inject(`restarting ${broker.name}`);
      await broker.restart();
      run.inject(`${broker.name} healthy again (pid ${broker.pid})`);
    }),
  },
  'pause-broker': {
    description: 'SIGSTOP the broker mid-run, SIGCONT it a few seconds later; no acked message lost',
    durationMs: 15_000,
    groups: BOTH,
    run: onBroker(async ({ run, broker }) => {
      await run.at(third(run));
      run.inject(`SIGSTOP ${broker.name} (pid ${broker.pid})`);
      broker.pause();
      await sleep(Math.min(4_000, third(run)));
      run.inject(`SIGCONT ${broker.name}`);
      broker.resume();
    }),
  },
  'partition-client': {
    description: 'clients reach the broker through fault proxies: latency, then every connection cut, then healed',
    durationMs: 15_000,
    groups: BOTH,
    run: onBroker(async ({ run, broker, proxies }) => {
      const quarter = run.options.durationMs / 4;
      await run.at(quarter);
      run.inject(`proxies to ${broker.name}: latency 50 ms ± 50 ms`);
      for (const proxy of proxies) proxy.set({ latencyMs: 50, jitterMs: 50 });
      await run.at(2 * quarter);
      run.inject('proxies: cut (refuse and reset every connection)');
      for (const proxy of proxies) proxy.set({ cut: true });
      await sleep(Math.min(4_000, quarter));
      const connections = proxies.reduce((sum, proxy) => sum + proxy.stats.connections, 0);
      run.inject(`proxies: healed (${connections} client connections through them so far)`);
      for (const proxy of proxies) proxy.set({});
    }, true),
  },
  'consumer-churn': {
    description: 'consumers of each group join and leave while consuming; duplicates allowed, no loss',
    durationMs: 20_000,
    groups: BOTH,
    run: onBroker(async ({ run, consumers, target }) => {
      for (let i = 1; i < 8; i++) {
        await run.at((i * run.options.durationMs) / 8);
        const protocol = run.random.pick(['kafka', 'rocketmq'] as const);
        const members = consumers.filter((consumer) => consumer.protocol === protocol);
        if (members.length < 2 || (members.length < 3 && run.random.next() < 0.5)) {
          await addConsumer(run, target, consumers, protocol);
          run.inject(`${consumers.at(-1)?.workload.name} joined ${GROUPS[protocol]}`);
        } else {
          const leaving = run.random.pick(members);
          consumers.splice(consumers.indexOf(leaving), 1);
          run.inject(`${leaving.workload.name} leaves ${GROUPS[protocol]}`);
          await stopAll([leaving.workload]);
        }
      }
    }),
  },
  'power-loss': {
    description: 'in-process: the CommitLog store (flush sync) loses power mid-append; no acked message lost',
    durationMs: 2_000,
    groups: ['recovery'],
    run: powerLoss,
  },
};
