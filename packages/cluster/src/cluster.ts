import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClusterNode, type NodePorts, type NodeSpec, ProcessNode } from './cluster-node.js';
import { freeLoopbackPorts } from './free-ports.js';

/** Options of {@link Cluster.start}. */
export interface ClusterOptions {
  /** How many `eddy start` processes, named `broker-a`, `broker-b`, … (also their `--broker-name`). */
  readonly brokers: number;
  /** How many `eddy namesrv` processes, named `namesrv-a`, …; every broker registers with all of them. */
  readonly nameServers: number;
  /** The built server entry point, `apps/server/dist/main.js`. */
  readonly serverMain: string;
  /** Parent of the brokers' data directories (`<baseDir>/<broker name>`); default a temporary directory, removed by {@link Cluster.close}. */
  readonly baseDir?: string;
  /** Extra arguments for every broker, after the cluster's own (`['--store', 'memory']`). */
  readonly brokerArgs?: readonly string[];
  /** Interface every node binds; default 127.0.0.1. */
  readonly host?: string;
  /** How long a node may take to become healthy, per start, ms; default 60 000. */
  readonly startTimeoutMs?: number;
}

/** Attempts with fresh ports when a port picked as free was taken by someone else before the node bound it. */
const PORT_ATTEMPTS = 3;

/** `a`, `b`, … `z`, `aa`, `ab`, … */
function letters(index: number): string {
  let name = '';
  for (let rest = index + 1; rest > 0; rest = Math.floor((rest - 1) / 26)) {
    name = String.fromCharCode(97 + ((rest - 1) % 26)) + name;
  }
  return name;
}

/** The host part of a URL or `host:port` to reach `host` on this machine (a wildcard bind is reached on loopback). */
function reachable(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Eddy brokers and name servers as child processes on one machine, for tests and the harness: each on
 * free ports of one interface, each broker with its own data directory, every broker registered with
 * every name server. Nodes can be stopped, killed, paused and restarted one by one.
 *
 * Processes are never left behind: {@link Cluster.close} kills what is left, the `exit` of this process
 * does too, and each child kills itself when this process dies without running its exit hooks (the
 * one gap: a node paused with SIGSTOP at that moment stays stopped).
 *
 * @example
 * ```ts
 * const cluster = await Cluster.start({ brokers: 2, nameServers: 1, serverMain: 'apps/server/dist/main.js' });
 * try {
 *   await cluster.node('broker-a').kill9();
 *   await cluster.node('broker-a').restart();
 * } finally {
 *   await cluster.close();
 * }
 * ```
 */
export class Cluster {
  readonly nodes: readonly ClusterNode[];
  readonly #nodes: readonly ProcessNode[];
  readonly #ownedDir: string | undefined;
  readonly #onExit = (): void => {
    for (const node of this.#nodes) node.killNow();
  };
  #closing: Promise<void> | undefined;

  private constructor(nodes: ProcessNode[], ownedDir: string | undefined) {
    this.#nodes = nodes;
    this.nodes = nodes;
    this.#ownedDir = ownedDir;
    process.on('exit', this.#onExit);
  }

  /**
   * Starts the name servers, then the brokers (each group in parallel), and resolves once every node is
   * healthy: `GET /healthz` 200 on a broker's HTTP port (after it has registered with every name server)
   * and on a name server's API. Rejects when a node exits first or is not healthy within
   * `startTimeoutMs`, with that node's output in the message, after killing every node it started.
   */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const { brokers, nameServers, serverMain } = options;
    for (const [field, value] of Object.entries({ brokers, nameServers })) {
      if (!Number.isInteger(value) || value < 0) throw new Error(`${field} is ${value}; it must be an integer ≥ 0`);
    }
    if (brokers + nameServers === 0) throw new Error('a cluster needs at least one broker or name server');
    const host = options.host ?? '127.0.0.1';
    const startTimeoutMs = options.startTimeoutMs ?? 60_000;
    const ownedDir = options.baseDir === undefined ? await mkdtemp(join(tmpdir(), 'eddy-cluster-')) : undefined;
    const baseDir = options.baseDir ?? (ownedDir as string);

    const nameServerNodes: ProcessNode[] = [];
    for (let index = 0; index < nameServers; index++) {
      const spec: NodeSpec = { name: `namesrv-${letters(index)}`, kind: 'namesrv', args: [] };
      const [namesrv] = await freeLoopbackPorts(1, host);
      const node = new ProcessNode(
        {
          spec,
          serverMain,
          host,
          startTimeoutMs,
          commandLine: (ports) => ['namesrv', '--host', host, '--port', String(ports.namesrv), ...spec.args],
          healthUrl: (ports) => `http://${reachable(host)}:${ports.namesrv}/healthz`,
        },
        { namesrv },
      );
      nameServerNodes.push(node);
    }
    // Read when a broker spawns: a name server's port may change if its first start hit EADDRINUSE.
    const nameServerList = (): string =>
      nameServerNodes.map((node) => `${reachable(host)}:${node.ports.namesrv}`).join(',');

    const brokerNodes: ProcessNode[] = [];
    for (let index = 0; index < brokers; index++) {
      const name = `broker-${letters(index)}`;
      const spec: NodeSpec = { name, kind: 'broker', args: options.brokerArgs ?? [] };
      const dataDir = join(baseDir, name);
      await mkdir(dataDir, { recursive: true });
      const node = new ProcessNode(
        {
          spec,
          serverMain,
          host,
          dataDir,
          startTimeoutMs,
          commandLine: (ports) => {
            const args = ['start', '--data-dir', dataDir, '--host', host, '--broker-name', name];
            args.push('--grpc-port', String(ports.grpc), '--http-port', String(ports.http));
            args.push('--kafka-port', String(ports.kafka));
            // Without name servers each broker runs an embedded one: each needs its own port.
            if (nameServers === 0) args.push('--namesrv-port', String(ports.namesrv));
            else args.push('--namesrv', nameServerList());
            return [...args, ...spec.args];
          },
          healthUrl: (ports) => `http://${reachable(host)}:${ports.http}/healthz`,
        },
        await brokerPorts(host, nameServers === 0),
      );
      brokerNodes.push(node);
    }

    const cluster = new Cluster([...nameServerNodes, ...brokerNodes], ownedDir);
    try {
      await Promise.all(
        nameServerNodes.map((node) =>
          startWithRetry(node, async () => ({ namesrv: (await freeLoopbackPorts(1, host))[0] })),
        ),
      );
      await Promise.all(brokerNodes.map((node) => startWithRetry(node, () => brokerPorts(host, nameServers === 0))));
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** The brokers, in order (`broker-a` first). */
  brokers(): ClusterNode[] {
    return this.nodes.filter((node) => node.kind === 'broker');
  }

  /** The name servers, in order. */
  nameServers(): ClusterNode[] {
    return this.nodes.filter((node) => node.kind === 'namesrv');
  }

  /** The node named `name`; throws naming the nodes there are when there is none. */
  node(name: string): ClusterNode {
    const found = this.nodes.find((node) => node.name === name);
    if (found === undefined) {
      throw new Error(`no node named '${name}'; the cluster has ${this.nodes.map((node) => node.name).join(', ')}`);
    }
    return found;
  }

  /**
   * Kills every node that still runs (SIGKILL: a clean stop is {@link ClusterNode.stop}), waits until
   * each is gone and removes the temporary base directory if the cluster made it. Safe to call twice.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await Promise.all(this.#nodes.map((node) => node.close()));
      } finally {
        process.off('exit', this.#onExit);
        if (this.#ownedDir !== undefined) await rm(this.#ownedDir, { recursive: true, force: true });
      }
    })();
    return this.#closing;
  }
}

async function brokerPorts(host: string, embeddedNameServer: boolean): Promise<NodePorts> {
  const [grpc, http, kafka, namesrv] = await freeLoopbackPorts(embeddedNameServer ? 4 : 3, host);
  return embeddedNameServer ? { grpc, http, kafka, namesrv } : { grpc, http, kafka };
}

/** The first start of a node, again on fresh ports when one it was given was taken meanwhile. */
async function startWithRetry(node: ProcessNode, freshPorts: () => Promise<NodePorts>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const before = node.output().length;
    try {
      await node.start();
      return;
    } catch (error) {
      if (attempt >= PORT_ATTEMPTS || !node.output().slice(before).includes('EADDRINUSE')) throw error;
      node.reassignPorts(await freshPorts());
    }
  }
}
