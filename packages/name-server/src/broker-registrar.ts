import { type Clock, type Logger, parseWithSchema, type ScheduledTask, silentLogger, systemClock } from '@eddy/message';
import type { BrokerIdentity, BrokerRegistration } from '@eddy/routing';
import { z } from 'zod';
import { ClockSchema } from './clock-schema.js';
import { HostPortSchema } from './host-port.js';

/** RocketMQ's `registerNameServerPeriod`: a broker registers with every name server every 30 s. */
export const DEFAULT_REGISTER_INTERVAL_MS = 30_000;
/** How long one registration request may take. */
export const DEFAULT_REGISTER_TIMEOUT_MS = 3_000;
/** Delays before the 1st, 2nd, 3rd and later retries of a name server that failed. */
export const DEFAULT_RETRY_BACKOFF_MS: readonly number[] = Object.freeze([1_000, 2_000, 5_000, 10_000]);

/**
 * Options of {@link BrokerRegistrar}; parse configuration with it so that an error names the field at fault.
 * `registration`, `clock` and `logger` are injected in code.
 */
export const BrokerRegistrarOptionsSchema = z
  .object({
    /** Every name server, `host:port`; the broker registers with each of them. */
    nameServers: z
      .array(HostPortSchema)
      .min(1)
      .superRefine((addresses, context) => {
        addresses.forEach((address, index) => {
          if (addresses.indexOf(address) !== index) {
            context.addIssue({ code: 'custom', path: [index], message: `name server ${address} is listed twice` });
          }
        });
      }),
    /** What to register, asked for before every request so that a changed topic table goes out next time. */
    registration: z.custom<() => BrokerRegistration>(
      (value) => typeof value === 'function',
      'must be a function returning a BrokerRegistration',
    ),
    /** Period of registration with each name server (RocketMQ clamps its own to 10–60 s; this does not). */
    intervalMs: z.number().int().positive().max(3_600_000).default(DEFAULT_REGISTER_INTERVAL_MS),
    /** Timeout of one request. */
    timeoutMs: z.number().int().positive().max(600_000).default(DEFAULT_REGISTER_TIMEOUT_MS),
    /** Delays before successive retries of a failed name server; the last repeats. */
    retryBackoffMs: z
      .array(z.number().int().nonnegative().max(3_600_000))
      .min(1)
      .default([...DEFAULT_RETRY_BACKOFF_MS]),
    /** Time for the schedule; the system clock by default. */
    clock: ClockSchema.optional(),
    /** Where failures and recoveries are reported (once per change, not per retry); silent by default. */
    logger: z.custom<Logger>((value) => typeof value === 'object' && value !== null, 'must be a Logger').optional(),
  })
  .strict();

/** What {@link BrokerRegistrar} accepts (see {@link BrokerRegistrarOptionsSchema} for the defaults). */
export type BrokerRegistrarOptions = z.input<typeof BrokerRegistrarOptionsSchema>;

/** Where the registrar stands with one name server. Times are on the registrar's clock. */
export interface NameServerStatus {
  /** The name server, `host:port`. */
  readonly nameServer: string;
  /**
   * `pending` before the first answer, `registered` after a success, `failing` after a failure,
   * `stopped` once {@link BrokerRegistrar.stop} was called.
   */
  readonly state: 'pending' | 'registered' | 'failing' | 'stopped';
  /** When the last registration succeeded. */
  readonly lastSuccessAt: number | undefined;
  /** When the last registration failed. */
  readonly lastFailureAt: number | undefined;
  /** Why the last registration failed. */
  readonly lastError: string | undefined;
  /** Failures since the last success; picks the retry delay. */
  readonly consecutiveFailures: number;
  /** Successful registrations so far. */
  readonly successes: number;
  /** Failed registrations so far. */
  readonly failures: number;
  /** When the next registration is due; `undefined` while one is in flight or when stopped. */
  readonly nextAttemptAt: number | undefined;
}

interface Target {
  readonly nameServer: string;
  readonly url: string;
  state: NameServerStatus['state'];
  timer: ScheduledTask | undefined;
  inFlight: Promise<void> | undefined;
  lastSuccessAt: number | undefined;
  lastFailureAt: number | undefined;
  lastError: string | undefined;
  consecutiveFailures: number;
  successes: number;
  failures: number;
  nextAttemptAt: number | undefined;
}

type PostResult = { readonly ok: true; readonly body: unknown } | { readonly ok: false; readonly error: string };

/**
 * The broker side of routing: registers a broker with every name server, at once and then every
 * `intervalMs` (RocketMQ: every 30 s with all name servers, which never talk to each other). Each name
 * server has its own schedule: one that is down or slow is retried with backoff (`retryBackoffMs`,
 * never later than `intervalMs`) and delays no other. {@link BrokerRegistrar.stop} unregisters from
 * all of them, best effort.
 *
 * With the system clock its timers are unref'd: the registrar never keeps a process alive on its own
 * (the broker's listeners do).
 *
 * @example
 * ```ts
 * const registrar = new BrokerRegistrar({
 *   nameServers: ['10.0.0.1:9876', '10.0.0.2:9876'],
 *   registration: () => ({ cluster: 'DefaultCluster', brokerName: 'broker-a', brokerId: 0, address: '10.0.0.5:10911',
 *     endpoints: { grpc: '10.0.0.5:8081' }, dataVersion, topics: topicTable.list() }),
 * });
 * await registrar.start();
 * // …
 * await registrar.stop();
 * ```
 */
export class BrokerRegistrar {
  readonly #registration: () => BrokerRegistration;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #retryBackoffMs: readonly number[];
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #targets: Target[];
  #running = false;
  // Bumped by start() and stop(), so an answer that arrives after a stop changes nothing.
  #generation = 0;
  #abort = new AbortController();
  #stopping: Promise<void> | undefined;
  #firstRound: Promise<unknown> | undefined;

  /** @throws EddyError `INVALID_CONFIG` naming the bad option. */
  constructor(options: BrokerRegistrarOptions) {
    const config = parseWithSchema(BrokerRegistrarOptionsSchema, options, 'broker registrar options');
    this.#registration = config.registration;
    this.#intervalMs = config.intervalMs;
    this.#timeoutMs = config.timeoutMs;
    this.#retryBackoffMs = config.retryBackoffMs;
    this.#clock = config.clock ?? systemClock;
    this.#logger = config.logger ?? silentLogger;
    this.#targets = config.nameServers.map((nameServer) => ({
      nameServer,
      url: `http://${nameServer}`,
      state: 'pending',
      timer: undefined,
      inFlight: undefined,
      lastSuccessAt: undefined,
      lastFailureAt: undefined,
      lastError: undefined,
      consecutiveFailures: 0,
      successes: 0,
      failures: 0,
      nextAttemptAt: undefined,
    }));
  }

  /** True between {@link BrokerRegistrar.start} and {@link BrokerRegistrar.stop}. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Registers with every name server at once and keeps registering until {@link BrokerRegistrar.stop}.
   * Resolves when each name server has answered (or failed) once, with {@link BrokerRegistrar.status};
   * it never rejects, and a name server that failed is already scheduled for a retry. Calling it while
   * running does nothing.
   */
  async start(): Promise<readonly NameServerStatus[]> {
    await this.#stopping;
    if (!this.#running) {
      this.#running = true;
      this.#stopping = undefined;
      this.#generation++;
      this.#abort = new AbortController();
      for (const target of this.#targets) target.state = 'pending';
      this.#firstRound = Promise.all(this.#targets.map((target) => this.#attempt(target, this.#generation)));
    }
    await this.#firstRound;
    return this.status();
  }

  /**
   * Stops registering, cancels requests in flight, and unregisters from every name server at once (best
   * effort: failures are logged, not thrown; each request has `timeoutMs`). Idempotent.
   */
  stop(): Promise<void> {
    if (!this.#running) return this.#stopping ?? Promise.resolve();
    this.#running = false;
    this.#generation++;
    this.#abort.abort();
    for (const target of this.#targets) {
      target.timer?.cancel();
      target.timer = undefined;
      target.nextAttemptAt = undefined;
      target.state = 'stopped';
    }
    this.#stopping = this.#unregisterAll();
    return this.#stopping;
  }

  /** Per name server, in the order given: the last success and failure and what comes next. */
  status(): NameServerStatus[] {
    return this.#targets.map((target) => ({
      nameServer: target.nameServer,
      state: target.state,
      lastSuccessAt: target.lastSuccessAt,
      lastFailureAt: target.lastFailureAt,
      lastError: target.lastError,
      consecutiveFailures: target.consecutiveFailures,
      successes: target.successes,
      failures: target.failures,
      nextAttemptAt: target.nextAttemptAt,
    }));
  }

  #attempt(target: Target, generation: number): Promise<void> {
    target.timer = undefined;
    target.nextAttemptAt = undefined;
    const attempt = this.#register(target, generation).finally(() => {
      if (target.inFlight === attempt) target.inFlight = undefined;
    });
    target.inFlight = attempt;
    return attempt;
  }

  async #register(target: Target, generation: number): Promise<void> {
    let result: PostResult;
    try {
      result = await this.#post(target, '/brokers/register', this.#registration(), this.#abort.signal);
    } catch (error) {
      // The registration callback threw: a bug in the broker, reported like a failed request.
      result = { ok: false, error: `the registration callback threw: ${String(error)}` };
    }
    if (generation !== this.#generation) return;
    const now = this.#clock.now();
    let delay: number;
    if (result.ok) {
      if (target.consecutiveFailures > 0) {
        this.#logger.info('registered with the name server again', {
          nameServer: target.nameServer,
          after: target.consecutiveFailures,
        });
      }
      target.state = 'registered';
      target.lastSuccessAt = now;
      target.consecutiveFailures = 0;
      target.successes++;
      delay = this.#intervalMs;
    } else {
      target.state = 'failing';
      target.lastFailureAt = now;
      target.lastError = result.error;
      target.consecutiveFailures++;
      target.failures++;
      const index = Math.min(target.consecutiveFailures, this.#retryBackoffMs.length) - 1;
      delay = Math.min(this.#retryBackoffMs[index] ?? this.#intervalMs, this.#intervalMs);
      if (target.consecutiveFailures === 1) {
        this.#logger.warn('registration with a name server failed; retrying with backoff', {
          nameServer: target.nameServer,
          error: result.error,
        });
      }
    }
    target.nextAttemptAt = now + delay;
    target.timer = this.#clock.schedule(delay, () => {
      void this.#attempt(target, generation);
    });
  }

  async #unregisterAll(): Promise<void> {
    await Promise.allSettled(this.#targets.map((target) => target.inFlight));
    let identity: BrokerIdentity;
    try {
      const { cluster, brokerName, brokerId } = this.#registration();
      identity = { cluster, brokerName, brokerId };
    } catch (error) {
      this.#logger.warn('cannot unregister: the registration callback threw', { error: String(error) });
      return;
    }
    await Promise.all(
      this.#targets.map(async (target) => {
        const result = await this.#post(target, '/brokers/unregister', identity, undefined);
        if (!result.ok) {
          this.#logger.warn('unregistering from a name server failed', {
            nameServer: target.nameServer,
            error: result.error,
          });
        }
      }),
    );
  }

  async #post(target: Target, path: string, body: unknown, cancel: AbortSignal | undefined): Promise<PostResult> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = cancel === undefined ? timeout : AbortSignal.any([timeout, cancel]);
    try {
      const response = await fetch(`${target.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal,
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (response.ok) return { ok: true, body: parsed };
      const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      const detail =
        typeof error?.message === 'string' ? `${String(error.code)}: ${error.message}` : text.slice(0, 200).trim();
      return { ok: false, error: `HTTP ${response.status} ${detail}` };
    } catch (error) {
      if (timeout.aborted) return { ok: false, error: `no answer within ${this.#timeoutMs} ms (timeoutMs)` };
      if (cancel?.aborted) return { ok: false, error: 'cancelled by stop()' };
      return { ok: false, error: describeFetchError(error) };
    }
  }
}

// fetch reports every network failure as "fetch failed"; the useful part is the cause's code.
function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string')
    return `${cause.code}${typeof cause.message === 'string' ? ` (${cause.message})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}
