import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { seededRandom } from './random.js';

/** The faults a {@link FaultProxy} applies; {@link FaultProxy.set} replaces them all at once. */
export interface ProxyFaults {
  /** Delay of every chunk, each direction, ms. */
  readonly latencyMs?: number;
  /** A further delay drawn uniformly from [0, jitterMs) per chunk; order is kept (a chunk never overtakes the one before). */
  readonly jitterMs?: number;
  /**
   * Probability that a chunk is thrown away, each direction. The byte stream goes on without it, so the
   * receiver sees a corrupt stream and usually closes the connection: the point is broken connections.
   */
  readonly dropProbability?: number;
  /** Partition: every open connection is reset and new ones are accepted and reset at once, until lifted. */
  readonly cut?: boolean;
}

/** Options of {@link FaultProxy.start}. */
export interface FaultProxyOptions {
  /** Default 127.0.0.1. */
  readonly listenHost?: string;
  /** Default 0: a free port, see {@link FaultProxy.port}. */
  readonly listenPort?: number;
  readonly targetHost: string;
  readonly targetPort: number;
  /** Seed of the jitter and drop decisions; default 1. */
  readonly seed?: number;
}

/** What went through a {@link FaultProxy} so far. */
export interface ProxyStats {
  /** Connections accepted, including those reset at once by a cut. */
  readonly connections: number;
  /** Bytes delivered from clients to the target. */
  readonly bytesIn: number;
  /** Bytes delivered from the target to clients. */
  readonly bytesOut: number;
  /** Chunks thrown away by `dropProbability`. */
  readonly dropped: number;
}

/** The per-chunk decisions of a proxy, shared by its pipes. */
interface ChunkPolicy {
  /** Whether the next chunk is thrown away (and counted). */
  drop(): boolean;
  /** The delay of the next chunk, ms. */
  delay(): number;
}

/** Above this many bytes waiting in a direction's delay queue, its source is paused. */
const QUEUE_HIGH_WATER = 1 << 20;

/** One direction of a connection: chunks wait in order until due, then go to `to`. */
class DelayedPipe {
  readonly #queue: { at: number; chunk: Buffer | null /* null: the source ended */ }[] = [];
  #queuedBytes = 0;
  #lastAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #waitingForDrain = false;

  constructor(
    readonly from: Socket,
    readonly to: Socket,
    readonly policy: ChunkPolicy,
    readonly delivered: (bytes: number) => void,
  ) {
    from.on('data', (chunk: Buffer) => this.#push(chunk));
    from.on('end', () => this.#enqueue(null));
    to.on('drain', () => {
      this.#waitingForDrain = false;
      this.#pump();
    });
  }

  #push(chunk: Buffer): void {
    if (this.policy.drop()) return;
    this.#queuedBytes += chunk.length;
    if (this.#queuedBytes > QUEUE_HIGH_WATER) this.from.pause();
    this.#enqueue(chunk);
  }

  #enqueue(chunk: Buffer | null): void {
    // Never before the chunk ahead of it: jitter delays, it does not reorder a byte stream.
    this.#lastAt = Math.max(this.#lastAt, Date.now() + this.policy.delay());
    this.#queue.push({ at: this.#lastAt, chunk });
    this.#pump();
  }

  #pump(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (!this.#waitingForDrain && this.#queue.length > 0 && !this.to.destroyed) {
      const head = this.#queue[0] as { at: number; chunk: Buffer | null };
      const wait = head.at - Date.now();
      if (wait > 0) {
        this.#timer = setTimeout(() => this.#pump(), wait);
        return;
      }
      this.#queue.shift();
      if (head.chunk === null) {
        this.to.end();
        continue;
      }
      this.#queuedBytes -= head.chunk.length;
      this.delivered(head.chunk.length);
      if (!this.to.write(head.chunk)) this.#waitingForDrain = true;
      if (this.#queuedBytes <= QUEUE_HIGH_WATER && this.from.isPaused()) this.from.resume();
    }
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#queue.length = 0;
  }
}

/**
 * A TCP proxy on one machine that injects network faults between clients and a target: latency and
 * jitter, dropped chunks, and partitions. Each accepted connection gets its own connection to the
 * target and a delay queue per direction. Randomness is seeded, so a run can be repeated (up to how
 * the OS splits the stream into chunks).
 *
 * @example
 * ```ts
 * const proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: broker.ports.kafka! });
 * proxy.set({ latencyMs: 50, jitterMs: 20 });
 * proxy.set({ cut: true }); // partition
 * proxy.set({}); // heal
 * await proxy.close();
 * ```
 */
export class FaultProxy {
  readonly port: number;
  #faults: ProxyFaults = {};
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #random: () => number;
  readonly #sockets = new Set<Socket>();
  readonly #pipes = new Set<DelayedPipe>();
  readonly #stats = { connections: 0, bytesIn: 0, bytesOut: 0, dropped: 0 };
  readonly #policy: ChunkPolicy = {
    drop: () => {
      const probability = this.#faults.dropProbability ?? 0;
      if (probability <= 0 || this.#random() >= probability) return false;
      this.#stats.dropped++;
      return true;
    },
    delay: () => {
      const { latencyMs = 0, jitterMs = 0 } = this.#faults;
      return latencyMs + (jitterMs > 0 ? this.#random() * jitterMs : 0);
    },
  };

  private constructor(server: Server, port: number, target: { host: string; port: number }, seed: number) {
    this.#server = server;
    this.port = port;
    this.#target = target;
    this.#random = seededRandom(seed);
    server.on('connection', (client) => this.#accept(client));
  }

  /** Listens on `listenHost:listenPort` and resolves once it does. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.listenHost ?? '127.0.0.1', port: options.listenPort ?? 0 }, () => {
        server.off('error', reject);
        // Accept failures (EMFILE) must not crash the harness; the connection is simply not made.
        server.on('error', () => {});
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    return new FaultProxy(server, port, { host: options.targetHost, port: options.targetPort }, options.seed ?? 1);
  }

  /** A snapshot of the counters. */
  get stats(): ProxyStats {
    return { ...this.#stats };
  }

  /** Replaces the faults (`set({})` heals everything); `cut: true` also resets every open connection now. */
  set(faults: ProxyFaults): void {
    const { dropProbability = 0, latencyMs = 0, jitterMs = 0 } = faults;
    if (!(dropProbability >= 0 && dropProbability <= 1))
      throw new RangeError(`dropProbability is ${dropProbability}; it must be in [0, 1]`);
    if (!(latencyMs >= 0 && jitterMs >= 0))
      throw new RangeError(`latencyMs (${latencyMs}) and jitterMs (${jitterMs}) must be ≥ 0`);
    this.#faults = { ...faults };
    if (faults.cut === true) this.cutAll();
  }

  /** Resets every open connection now (both sides get an RST); new connections are still accepted unless `cut` is set. */
  cutAll(): void {
    for (const pipe of this.#pipes) pipe.stop();
    this.#pipes.clear();
    for (const socket of this.#sockets) socket.resetAndDestroy();
    this.#sockets.clear();
  }

  /** Stops listening and resets every open connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.cutAll();
    await closed;
  }

  #accept(client: Socket): void {
    this.#stats.connections++;
    client.on('error', () => {});
    if (this.#faults.cut === true) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host: this.#target.host, port: this.#target.port, allowHalfOpen: true });
    upstream.on('error', () => {});
    const sockets = [client, upstream];
    for (const socket of sockets) this.#sockets.add(socket);
    const pipes = [
      new DelayedPipe(client, upstream, this.#policy, (bytes) => {
        this.#stats.bytesIn += bytes;
      }),
      new DelayedPipe(upstream, client, this.#policy, (bytes) => {
        this.#stats.bytesOut += bytes;
      }),
    ];
    for (const pipe of pipes) this.#pipes.add(pipe);
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      for (const pipe of pipes) {
        pipe.stop();
        this.#pipes.delete(pipe);
      }
      for (const socket of sockets) this.#sockets.delete(socket);
    };
    // A reset or error on one side resets the other, as a broken path would; a clean close waits for
    // both directions to end (half-close is passed through by the pipes).
    for (const [socket, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      socket.on('close', (hadError) => {
        if (hadError && !other.destroyed) other.resetAndDestroy();
        if (client.destroyed && upstream.destroyed) finish();
      });
    }
    client.resume();
  }
}
