// Runs the BUILT `eddy` command (apps/server/dist/main.js) as a child process on free loopback ports and
// a temporary data directory, for tests of this app and of the gateways that need a whole server.
// test/global-setup.ts builds it before any test runs.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePorts, makeTempDir } from '@eddy/testkit';

/** The built entry point. */
export const MAIN_JS = fileURLToPath(new URL('../dist/main.js', import.meta.url));
/** The repository root: the working directory of the children, so relative paths in args behave alike. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** How long a start may take before it counts as failed: generous, tests share two cores. */
const START_DEADLINE_MS = 60_000;
/** Attempts with fresh ports when a port picked as free was taken by someone else before the child bound it. */
const PORT_ATTEMPTS = 3;

/** Options of {@link startEddy}. */
export interface StartEddyOptions {
  /** More arguments after the defaults; a repeated flag overrides the default (the last one wins). */
  readonly args?: readonly string[];
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Data directory; default a fresh temporary one, removed by {@link EddyProcess.cleanup}. */
  readonly dataDir?: string;
}

/** A running (or stopped) `eddy start` child process. */
export interface EddyProcess {
  readonly grpcPort: number;
  readonly httpPort: number;
  /** The Kafka listener's port. */
  readonly kafkaPort: number;
  /** The port of the embedded name server (unused when `--namesrv` is given). */
  readonly namesrvPort: number;
  readonly dataDir: string;
  /** The current child's pid (changes on {@link EddyProcess.restart}). */
  readonly pid: number;
  /** The RocketMQ gRPC endpoint, `127.0.0.1:<grpcPort>`. */
  readonly endpoint: string;
  /** `http://127.0.0.1:<httpPort>`. */
  readonly httpUrl: string;
  /** Everything the children wrote to stdout and stderr so far, across restarts. */
  output(): string;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code (`null` when a signal ended it). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** `kill -9`, and waits until the process is gone. */
  kill9(): Promise<void>;
  /** Starts it again on the same ports and data directory (stopping it with SIGTERM first if it runs). */
  restart(): Promise<void>;
  /** Kills the process if it still runs and removes the data directory if {@link startEddy} made it. */
  cleanup(): Promise<void>;
}

// Children must not outlive the test worker, whatever way it ends.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  if (exited(child)) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Resolves once `GET /healthz` answers 200; rejects when the child exits first or the deadline passes. */
async function waitHealthy(child: ChildProcess, httpPort: number, output: () => string): Promise<void> {
  const deadline = Date.now() + START_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (exited(child)) {
      throw new Error(`eddy exited with ${child.exitCode ?? child.signalCode} before it was healthy:\n${output()}`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${httpPort}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`eddy was not healthy within ${START_DEADLINE_MS} ms:\n${output()}`);
}

/**
 * Starts `node apps/server/dist/main.js start` on free ports and a temporary data directory, and resolves
 * once `GET /healthz` answers 200. Rejects with the child's output when it exits first (bad config,
 * failed start) or is not healthy within 60 s.
 *
 * @example
 * ```ts
 * const eddy = await startEddy({ args: ['--store', 'memory'] });
 * // … use eddy.endpoint …
 * expect(await eddy.stop()).toBe(0);
 * await eddy.cleanup();
 * ```
 */
export async function startEddy(options: StartEddyOptions = {}): Promise<EddyProcess> {
  const temp = options.dataDir === undefined ? await makeTempDir('server') : undefined;
  const dataDir = options.dataDir ?? (temp?.path as string);
  let log = '';
  const output = (): string => log;
  let child: ChildProcess | undefined;
  let ports: number[] = [];

  const spawnChild = async (): Promise<void> => {
    const [grpcPort, httpPort, namesrvPort, kafkaPort] = ports.map(String) as [string, string, string, string];
    const args = ['start', '--data-dir', dataDir, '--grpc-port', grpcPort, '--http-port', httpPort];
    args.push('--kafka-port', kafkaPort);
    const current = spawn(
      process.execPath,
      [MAIN_JS, ...args, '--namesrv-port', namesrvPort, ...(options.args ?? [])],
      { cwd: REPO_ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = current;
    running.add(current);
    current.once('exit', () => running.delete(current));
    const append = (chunk: Buffer): void => {
      log += chunk.toString();
    };
    current.stdout?.on('data', append);
    current.stderr?.on('data', append);
    await waitHealthy(current, Number(httpPort), output);
  };

  for (let attempt = 1; ; attempt++) {
    ports = await freePorts(4);
    const before = log.length;
    try {
      await spawnChild();
      break;
    } catch (error) {
      if (attempt >= PORT_ATTEMPTS || !log.slice(before).includes('EADDRINUSE')) {
        await temp?.remove();
        throw error;
      }
    }
  }

  const current = (): ChildProcess => child as ChildProcess;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    if (!exited(current())) current().kill(signal);
    return waitForExit(current());
  };
  const [grpcPort, httpPort, namesrvPort, kafkaPort] = ports as [number, number, number, number];
  return {
    grpcPort,
    httpPort,
    namesrvPort,
    kafkaPort,
    dataDir,
    get pid() {
      return current().pid as number;
    },
    endpoint: `127.0.0.1:${grpcPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    output,
    stop,
    kill9: async () => {
      await stop('SIGKILL');
    },
    restart: async () => {
      await stop('SIGTERM');
      await spawnChild();
    },
    cleanup: async () => {
      await stop('SIGKILL');
      await temp?.remove();
    },
  };
}
