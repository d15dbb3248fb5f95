// The scenarios: a cluster, producers and consumers of both protocols, one kind of fault, a drain, a history.
import { type CheckReport, createRandom, formatReportTable } from '@eddy/checker';
import { Cluster, type ClusterNode, FaultProxy } from '@eddy/cluster';
import * as workloads from '@eddy/workloads';
import { FeatureWorkloads, Recorder, sleep, TOPIC, type Workload } from '@eddy/workloads';
import { powerLoss } from './power-loss.js';

/** Validated options of `eddy-harness run`. */
export type RunOptions = { readonly seed: number; readonly durationMs: number; readonly serverMain: string };

/** A fault the scenario injected, `atMs` after the fault phase began. */
export type Injection = { readonly atMs: number; readonly what: string };

/** One run of a scenario: its options, seeded randomness, history, injections and progress line. */
export class Run {
  readonly recorder = new Recorder();
  readonly injected: Injection[] = [];
  readonly random: ReturnType<typeof createRandom>;
  /** The verdict on the FIFO, delay and transaction workloads' own history, in scenarios that run them. */
  features: CheckReport | undefined;
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
// Longer than the consumers' invisible time (15 s): a message popped just before a kill -9, whose answer
// died with the broker, comes back only after it; the drain ends sooner once nothing acked is missing.
const DRAIN_QUIET_MS = 20_000;
const FAULT_DELAY_TOLERANCE_MS = 20_000;
const DRAIN_MAX_MS = 120_000;

async function stopAll(workloads: readonly Workload[]): Promise<void> {
  // A client stuck on a dead connection must not hold the run: 20 s each, then it is left behind.
  await Promise.all(workloads.map((workload) => Promise.race([workload.stop().catch(() => {}), sleep(20_000)])));
}

/** Creates {@link TOPIC} with 4 queues on the broker whose admin API is at `http` (`host:port`). */
async function createTopic(http: string): Promise<void> {
  const request = { method: 'POST', body: `{"name":"${TOPIC}","queueCount":4}` };
  const created = await fetch(`http://${http}/admin/topics`, { ...request, headers: JSON_CONTENT });
  if (created.status !== 201) throw new Error(`creating topic ${TOPIC}: ${created.status} ${await created.text()}`);
}

/**
 * Stops the producers, then waits until `groups` (and the feature workloads' groups) got every acked message
 * and 1.5 s passed, or `quietMs` of silence.
 */
async function drain(
  run: Run,
  producers: readonly Workload[],
  groups: readonly string[],
  quietMs = DRAIN_QUIET_MS,
  features?: FeatureWorkloads,
) {
  await Promise.all([stopAll(producers), features?.stopProducers()]);
  run.inject('producers stopped; draining until nothing new arrives');
  const start = Date.now();
  run.recorder.lastReceiveAt = start;
  if (features !== undefined) features.recorder.lastReceiveAt = start;
  while (Date.now() - start < DRAIN_MAX_MS) {
    const quiet = Date.now() - Math.max(run.recorder.lastReceiveAt, features?.recorder.lastReceiveAt ?? 0);
    const missing = run.recorder.missing(groups) + (features?.missing() ?? 0);
    if (quiet >= quietMs || (quiet >= 1_500 && missing === 0)) break;
    await sleep(250);
  }
  run.inject('drained');
}

/** Checks the feature workloads' history: their table on stdout, their counts and verdict as injections. */
function checkFeatures(run: Run, features: FeatureWorkloads, delayToleranceMs: number | undefined): void {
  const report = features.check(delayToleranceMs === undefined ? {} : { delayToleranceMs });
  run.features = report;
  const { fifo, delay, transactions: txn } = features.summary();
  run.inject(`fifo: ${fifo.acked} acked in ${fifo.groups} message groups, ${fifo.received} received`);
  run.inject(`delay: ${delay.acked} acked, ${delay.received} received`);
  run.inject(
    `transactions: ${txn.committed} committed, ${txn.aborted} aborted, ${txn.unknown} unknown; ${txn.received} received`,
  );
  process.stdout.write(`FIFO, delay and transaction workloads:\n${formatReportTable(report)}\n`);
  const found = Object.entries(report.counts).filter(([kind, count]) => count > 0 && kind !== 'duplicate');
  run.inject(`feature checkers: ${found.length === 0 ? 'ok' : found.map((entry) => entry.join(' ')).join(', ')}`);
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

/**
 * Produce and consume through both protocols while `fault` runs, then drain until nothing new arrives. With
 * `withFeatures`, the FIFO, delay and transaction workloads run alongside and are checked after the drain.
 */
async function traffic(
  run: Run,
  target: Target,
  fault: (consumers: Consumers) => Promise<void>,
  withFeatures: boolean,
): Promise<void> {
  await createTopic(target.http);
  const { seed } = run.options;
  const features = withFeatures ? await FeatureWorkloads.start(target, { seed, pauseMs: PAUSE_MS }) : undefined;
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
    // A fault may hold a delayed message up for the broker's downtime and a client's reconnect.
    const delayToleranceMs = run.injected.length > 0 ? FAULT_DELAY_TOLERANCE_MS : undefined;
    await drain(run, producers, BOTH, DRAIN_QUIET_MS, features);
    if (features !== undefined) checkFeatures(run, features, delayToleranceMs);
  } finally {
    run.stopProgress();
    await Promise.all([stopAll([...producers, ...consumers.map(({ workload }) => workload)]), features?.stop()]);
  }
}

/** What a fault sees: the run, the broker, the consumers (to add to or remove), the target, the proxies if any. */
type FaultContext = { run: Run; broker: ClusterNode; consumers: Consumers; target: Target; proxies: FaultProxy[] };

/**
 * One broker (with its embedded name server), traffic (with the feature workloads when `features`) and `fault`. Proxied, the broker listens on 127.0.0.2 and
 * advertises 127.0.0.3, where one proxy per port listens on the same port number: Kafka metadata and RocketMQ
 * routes then send both clients through the proxies.
 */
function onBroker(
  fault: (context: FaultContext) => Promise<void>,
  { proxied = false, features = false } = {},
): (run: Run) => Promise<void> {
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
      await traffic(run, target, (consumers) => fault({ run, broker, consumers, target, proxies }), features);
    } finally {
      await Promise.all(proxies.map((proxy) => proxy.close()));
      await cluster.close();
    }
  };
}

/**
 * Three brokers (CommitLog) registered with one name server, the topic on each: RocketMQ producers and a
 * consumer go where the brokers' routes (read from the name server) send them. One broker is killed with
 * SIGKILL mid-run and restarted before the drain; sends acknowledged while it is down went to the others.
 */
async function multiBrokerFailover(run: Run): Promise<void> {
  const brokerArgs = ['--store', 'commitlog', '--register-interval-ms', '200'];
  const { serverMain } = run.options;
  const cluster = await Cluster.start({ brokers: 3, nameServers: 1, serverMain, brokerArgs });
  const clients: Workload[] = [];
  try {
    const brokers = cluster.brokers();
    for (const broker of brokers) await createTopic(`127.0.0.1:${broker.ports.http}`);
    // Clients keep the route they start with for 30 s: start them once the name server has every broker's queues.
    const routeUrl = `http://127.0.0.1:${cluster.nameServers()[0]?.ports.namesrv}/topics/${TOPIC}/route`;
    for (const deadline = Date.now() + 30_000; ; await sleep(100)) {
      const route = await fetch(routeUrl).then((response) => response.json() as Promise<{ queueDatas?: [] }>);
      if (route.queueDatas?.length === brokers.length) break;
      if (Date.now() > deadline) throw new Error(`the name server does not route ${TOPIC} to every broker`);
    }
    const grpc = brokers.map((broker) => `127.0.0.1:${broker.ports.grpc}`);
    const consumer = await workloads.rocketConsumer(
      run.recorder,
      grpc[2] as string,
      'rocketmq-consumer',
      GROUPS.rocketmq,
    );
    clients.push(consumer);
    for (const [index, endpoint] of grpc.slice(0, 2).entries()) {
      clients.push(await workloads.rocketProducer(run.recorder, endpoint, `rocketmq-producer-${index + 1}`, PAUSE_MS));
    }
    run.startPhase();
    await run.at(third(run));
    const victim = run.random.pick(brokers);
    run.inject(`kill -9 ${victim.name} (pid ${victim.pid})`);
    await victim.kill9();
    const killedAt = Date.now();
    await run.at(2 * third(run));
    const acked = run.recorder.ackedSince(killedAt);
    run.inject(`${acked} sends acknowledged after the kill, by the other brokers; restarting ${victim.name}`);
    await victim.restart();
    run.inject(`${victim.name} healthy again (pid ${victim.pid})`);
    await run.at(run.options.durationMs);
    // Longer than the consumer's 15 s invisibility: a message popped just before the kill comes back after it.
    await drain(run, clients.slice(1), [GROUPS.rocketmq], 20_000);
  } finally {
    run.stopProgress();
    await stopAll(clients);
    await cluster.close();
  }
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
    description: 'CI: one broker, both protocols, FIFO, delayed and transactional workloads, no fault; checkers clean',
    durationMs: 5_000,
    groups: BOTH,
    run: onBroker(async () => {}, { features: true }),
  },
  'crash-during-produce': {
    description: 'kill -9 the broker while producers (FIFO, delay, transactions too) send, restart it; no acked loss',
    durationMs: 15_000,
    groups: BOTH,
    run: onBroker(
      async ({ run, broker }) => {
        await run.at(third(run));
        run.inject(`kill -9 ${broker.name} (pid ${broker.pid})`);
        await broker.kill9();
        await sleep(1_000);
        run.inject(`restarting ${broker.name}`);
        await broker.restart();
        run.inject(`${broker.name} healthy again (pid ${broker.pid})`);
      },
      { features: true },
    ),
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
    run: onBroker(
      async ({ run, broker, proxies }) => {
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
      },
      { proxied: true },
    ),
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
  'multi-broker-failover': {
    description: '3 brokers + name server, kill -9 one: RocketMQ producers fail over to the others; no acked loss',
    durationMs: 15_000,
    groups: [GROUPS.rocketmq],
    run: multiBrokerFailover,
  },
  'power-loss': {
    description: 'in-process: the CommitLog store (flush sync) loses power mid-append; no acked message lost',
    durationMs: 2_000,
    groups: ['recovery'],
    run: powerLoss,
  },
};
