import { type ChildProcess, spawn } from 'node:child_process';
import { BenchmarkError } from './benchmark-error.js';

/** How to launch a peer server and tell when it serves. */
export interface ServerLaunch {
  /** For messages: `redis-server`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Resolves once the server answers; called every 250 ms until `startTimeoutMs`. */
  readonly ready: () => Promise<boolean>;
  readonly startTimeoutMs: number;
}

const OUTPUT_LIMIT = 64 * 1024;
const STOP_DEADLINE_MS = 15_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A peer's server as a child process in its own process group, so that a launcher script's children
 * (RabbitMQ's `beam.smp`) are stopped with it. No server outlives this process: its `exit` kills the group.
 */
export class ServerProcess {
  readonly #child: ChildProcess;
  #output = '';
  #exited = false;
  readonly #exit: Promise<void>;
  readonly #onExit = (): void => this.#signal('SIGKILL');

  private constructor(readonly launch: ServerLaunch) {
    this.#child = spawn(launch.command, [...launch.args], {
      cwd: launch.cwd,
      env: { ...process.env, ...launch.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const append = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString()).slice(-OUTPUT_LIMIT);
    };
    this.#child.stdout?.on('data', append);
    this.#child.stderr?.on('data', append);
    this.#exit = new Promise<void>((resolve) => {
      this.#child.once('exit', () => resolve());
      this.#child.once('error', (error) => {
        append(Buffer.from(`${error.message}\n`));
        resolve();
      });
    }).then(() => {
      this.#exited = true;
    });
    process.on('exit', this.#onExit);
  }

  /** Starts the server and resolves once `ready` says so; rejects with its output when it exits or times out first. */
  static async start(launch: ServerLaunch): Promise<ServerProcess> {
    const server = new ServerProcess(launch);
    const deadline = Date.now() + launch.startTimeoutMs;
    while (Date.now() < deadline) {
      if (server.#exited) break;
      if (await launch.ready().catch(() => false)) return server;
      await sleep(250);
    }
    const why = server.#exited ? 'exited before it served' : `did not serve within ${launch.startTimeoutMs} ms`;
    await server.stop();
    throw new BenchmarkError('SERVER_START_FAILED', `${launch.name} ${why}:\n${server.output()}`);
  }

  /** The pid of the launched command (the root of its process tree). */
  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** The last 64 KiB it wrote. */
  output(): string {
    return this.#output;
  }

  /** SIGTERM to the group, SIGKILL after 15 s; resolves once the launched command has exited. */
  async stop(): Promise<void> {
    if (!this.#exited) {
      this.#signal('SIGTERM');
      const deadline = setTimeout(() => this.#signal('SIGKILL'), STOP_DEADLINE_MS);
      await this.#exit;
      clearTimeout(deadline);
    }
    // Helpers of the group that outlive the launcher (a daemon that ignored SIGTERM) go too.
    this.#signal('SIGKILL');
    process.off('exit', this.#onExit);
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.#child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is gone.
    }
  }
}
