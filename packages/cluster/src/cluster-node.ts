import { type ChildProcess, spawn } from 'node:child_process';
import { OutputBuffer } from './output-buffer.js';

/** What a node of a {@link Cluster} is: its name, its role and the extra arguments of its command line. */
export interface NodeSpec {
  /** Unique in the cluster; a broker's name is also its `--broker-name` (the name in routes). */
  readonly name: string;
  readonly kind: 'broker' | 'namesrv';
  /** Extra CLI arguments after the ones the cluster sets; a repeated flag overrides (the last one wins). */
  readonly args: readonly string[];
}

/** The listening ports of a node; which ones are set depends on its kind. */
export interface NodePorts {
  /** RocketMQ gRPC (broker). */
  readonly grpc?: number;
  /** Health, metrics and admin HTTP (broker). */
  readonly http?: number;
  /** Kafka protocol (broker). */
  readonly kafka?: number;
  /** The name server's HTTP API (name server; a broker's embedded one when the cluster has none). */
  readonly namesrv?: number;
}

/**
 * One `eddy start` or `eddy namesrv` child process of a {@link Cluster}. Its ports and data directory
 * stay the same across {@link ClusterNode.restart}, so clients reconnect to the same addresses and a
 * broker recovers what it stored.
 */
export interface ClusterNode {
  readonly name: string;
  readonly kind: 'broker' | 'namesrv';
  readonly ports: NodePorts;
  /** The broker's `--data-dir`; name servers keep nothing on disk. */
  readonly dataDir?: string;
  /** The pid of the current process; `undefined` once it has exited. */
  readonly pid: number | undefined;
  /** `stopped` after {@link ClusterNode.stop} or an exit of its own, `killed` after a SIGKILL. */
  readonly state: 'running' | 'paused' | 'stopped' | 'killed';
  /**
   * SIGTERM (and SIGCONT when paused, so the signal is handled), then waits for the exit; resolves with
   * the exit code, `null` when a signal ended it. A node that outlasts its own 10 s shutdown deadline by
   * 5 s more is killed with SIGKILL. Resolves at once with the last exit code when it is not running.
   */
  stop(): Promise<number | null>;
  /** `kill -9` and waits until the process is gone: a crash, nothing flushed, nothing unregistered. */
  kill9(): Promise<void>;
  /** SIGSTOP: the process freezes with its sockets open, as under a long GC pause or a hung host. */
  pause(): void;
  /** SIGCONT after {@link ClusterNode.pause}. */
  resume(): void;
  /** Stops the node if it runs (SIGTERM), then starts it on the same ports and data directory and waits until it is healthy. */
  restart(): Promise<void>;
  /** What the node's processes wrote to stdout and stderr, across restarts: the last 1 MiB characters. */
  output(): string;
}

/** How a node is launched; the arguments are rebuilt on every spawn because ports can change before the first start succeeds. */
export interface NodeLaunch {
  readonly spec: NodeSpec;
  readonly serverMain: string;
  readonly host: string;
  readonly dataDir?: string;
  readonly startTimeoutMs: number;
  readonly commandLine: (ports: NodePorts) => string[];
  readonly healthUrl: (ports: NodePorts) => string;
}

const OUTPUT_LIMIT = 1 << 20;
/** Past the server's own 10 s shutdown deadline: by then it is hung, and SIGKILL ends it. */
const STOP_DEADLINE_MS = 15_000;
const HEALTH_POLL_MS = 100;
// Loaded into every child with `--import`: when this process dies in any way (even SIGKILL), the pipe
// on the child's stdin closes and the child kills itself, so no test run leaves an orphan broker behind.
const ORPHAN_GUARD = `data:text/javascript,${encodeURIComponent(
  [
    'const die = () => process.kill(process.pid, "SIGKILL");',
    'process.stdin.on("data", () => {});',
    'process.stdin.on("end", die);',
    'process.stdin.on("error", die);',
  ].join('\n'),
)}`;

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** The child process behind a {@link ClusterNode}. */
export class ProcessNode implements ClusterNode {
  readonly name: string;
  readonly kind: 'broker' | 'namesrv';
  readonly dataDir: string | undefined;
  #ports: NodePorts;
  #child: ChildProcess | undefined;
  #exit: Promise<Exit> = Promise.resolve({ code: null, signal: null });
  #lastCode: number | null = null;
  #state: ClusterNode['state'] = 'stopped';
  #closed = false;
  readonly #output = new OutputBuffer(OUTPUT_LIMIT);

  constructor(
    readonly launch: NodeLaunch,
    ports: NodePorts,
  ) {
    this.name = launch.spec.name;
    this.kind = launch.spec.kind;
    this.dataDir = launch.dataDir;
    this.#ports = ports;
  }

  get ports(): NodePorts {
    return this.#ports;
  }

  get pid(): number | undefined {
    return this.#alive() ? this.#child?.pid : undefined;
  }

  get state(): ClusterNode['state'] {
    return this.#state;
  }

  output(): string {
    return this.#output.toString();
  }

  /** New ports before the first successful start, when another process took one of the picked ones. */
  reassignPorts(ports: NodePorts): void {
    if (this.#alive()) throw new Error(`cannot change the ports of ${this.name} while it runs`);
    this.#ports = ports;
  }

  /** Spawns the process and resolves once it is healthy; rejects with its output when it exits first or the deadline passes. */
  async start(): Promise<void> {
    if (this.#closed) throw new Error(`${this.name} belongs to a closed cluster`);
    if (this.#alive()) throw new Error(`${this.name} is already running (pid ${this.#child?.pid})`);
    const args = ['--import', ORPHAN_GUARD, this.launch.serverMain, ...this.launch.commandLine(this.#ports)];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    this.#state = 'running';
    this.#output.append(`--- ${this.name}: started pid ${child.pid}: node ${args.slice(2).join(' ')}\n`);
    const append = (chunk: Buffer): void => this.#output.append(chunk.toString());
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    // A write to the guard's pipe never happens; its errors (EPIPE after the child died) are expected.
    child.stdin?.on('error', () => {});
    this.#exit = new Promise<Exit>((resolve) => {
      const settle = (exit: Exit): void => {
        if (this.#child === child && this.#state !== 'killed') this.#state = 'stopped';
        this.#lastCode = exit.code;
        this.#output.append(`--- ${this.name}: pid ${child.pid} exited with ${exit.code ?? exit.signal}\n`);
        resolve(exit);
      };
      child.once('exit', (code, signal) => settle({ code, signal }));
      child.once('error', (error) => {
        this.#output.append(`--- ${this.name}: ${error.message}\n`);
        if (child.pid === undefined) settle({ code: null, signal: null });
      });
    });
    await this.#waitHealthy();
  }

  async stop(): Promise<number | null> {
    const child = this.#child;
    if (child === undefined || !this.#alive()) return this.#lastCode;
    child.kill('SIGTERM');
    if (this.#state === 'paused') child.kill('SIGCONT');
    this.#state = 'running';
    const deadline = setTimeout(() => child.kill('SIGKILL'), STOP_DEADLINE_MS);
    try {
      return (await this.#exit).code;
    } finally {
      clearTimeout(deadline);
    }
  }

  async kill9(): Promise<void> {
    const child = this.#child;
    if (child === undefined || !this.#alive()) return;
    this.#state = 'killed';
    child.kill('SIGKILL');
    await this.#exit;
  }

  pause(): void {
    if (this.#state === 'paused') return;
    if (!this.#alive()) throw new Error(`cannot pause ${this.name}: it is ${this.#state}`);
    this.#child?.kill('SIGSTOP');
    this.#state = 'paused';
  }

  resume(): void {
    if (this.#state === 'running') return;
    if (!this.#alive()) throw new Error(`cannot resume ${this.name}: it is ${this.#state}`);
    this.#child?.kill('SIGCONT');
    this.#state = 'running';
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** SIGKILL if alive, and no start after this: what {@link Cluster.close} does. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.kill9();
  }

  /** Synchronous SIGKILL for the `exit` hook of this process, where nothing asynchronous runs any more. */
  killNow(): void {
    if (this.#alive()) this.#child?.kill('SIGKILL');
  }

  #alive(): boolean {
    const child = this.#child;
    return child !== undefined && child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  }

  async #waitHealthy(): Promise<void> {
    const url = this.launch.healthUrl(this.#ports);
    const timeoutMs = this.launch.startTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.#exit.then(() => {
      exited = true;
    });
    while (Date.now() < deadline) {
      if (exited) {
        const { code, signal } = await this.#exit;
        throw new Error(`${this.name} exited with ${code ?? signal} before it was healthy (${url}):\n${this.output()}`);
      }
      try {
        const signal = AbortSignal.timeout(Math.max(1, Math.min(2_000, deadline - Date.now())));
        const response = await fetch(url, { signal });
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, HEALTH_POLL_MS));
    }
    await this.kill9();
    throw new Error(`${this.name} was not healthy within ${timeoutMs} ms (startTimeoutMs; ${url}):\n${this.output()}`);
  }
}
