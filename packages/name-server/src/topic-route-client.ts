import { type Clock, EddyError, parseWithSchema, systemClock } from '@eddy/message';
import { type TopicRouteData, TopicRouteDataSchema } from '@eddy/routing';
import { z } from 'zod';
import { ClockSchema } from './clock-schema.js';
import { HostPortSchema } from './host-port.js';

/** How long one route request may take: short, because a broker answers its own clients' QueryRoute with it. */
export const DEFAULT_ROUTE_TIMEOUT_MS = 1_000;
/** How long an answer is reused for the same topic. */
export const DEFAULT_ROUTE_CACHE_MS = 1_000;
// Bounds the cache against clients asking for many distinct topic names.
const MAX_CACHED_TOPICS = 10_000;

/** Options of {@link TopicRouteClient}; parse configuration with it so that an error names the field at fault. */
export const TopicRouteClientOptionsSchema = z
  .object({
    /** Every name server, `host:port`; asked in turn until one answers. */
    nameServers: z.array(HostPortSchema).min(1),
    /** Timeout of one request to one name server. */
    timeoutMs: z.number().int().positive().max(60_000).default(DEFAULT_ROUTE_TIMEOUT_MS),
    /** How long an answer (a route or "no route") is reused; 0 asks every time. */
    cacheMs: z.number().int().nonnegative().max(600_000).default(DEFAULT_ROUTE_CACHE_MS),
    /** Time for the cache; the system clock by default. */
    clock: ClockSchema.optional(),
  })
  .strict();

/** What {@link TopicRouteClient} accepts (see {@link TopicRouteClientOptionsSchema} for the defaults). */
export type TopicRouteClientOptions = z.input<typeof TopicRouteClientOptionsSchema>;

interface CachedRoute {
  readonly route: TopicRouteData | undefined;
  readonly until: number;
}

/**
 * Reads topic routes from name servers (`GET /topics/:topic/route`), as RocketMQ's proxy reads
 * `TopicRouteData` to answer its gRPC clients. Name servers hold the same data (every broker registers
 * with all of them), so the first one that answers wins; the next lookup starts with it. Answers are
 * validated against `TopicRouteDataSchema` and cached for `cacheMs`; concurrent lookups of one topic
 * share one request.
 *
 * @example
 * ```ts
 * const routes = new TopicRouteClient({ nameServers: ['10.0.0.1:9876'] });
 * const route = await routes.routeOf('orders'); // undefined: no live broker holds it
 * ```
 */
export class TopicRouteClient {
  readonly #nameServers: readonly string[];
  readonly #timeoutMs: number;
  readonly #cacheMs: number;
  readonly #clock: Clock;
  readonly #cache = new Map<string, CachedRoute>();
  readonly #inFlight = new Map<string, Promise<TopicRouteData | undefined>>();
  #preferred = 0;

  /** @throws EddyError `INVALID_CONFIG` naming the bad option. */
  constructor(options: TopicRouteClientOptions) {
    const config = parseWithSchema(TopicRouteClientOptionsSchema, options, 'topic route client options');
    this.#nameServers = config.nameServers;
    this.#timeoutMs = config.timeoutMs;
    this.#cacheMs = config.cacheMs;
    this.#clock = config.clock ?? systemClock;
  }

  /**
   * The topic's route over live brokers, or `undefined` when a name server says no live broker holds it.
   *
   * @throws EddyError `IO_ERROR` (retriable) when no name server gave a valid answer, naming each failure.
   */
  routeOf(topic: string): Promise<TopicRouteData | undefined> {
    const cached = this.#cache.get(topic);
    if (cached !== undefined && cached.until > this.#clock.now()) return Promise.resolve(cached.route);
    let lookup = this.#inFlight.get(topic);
    if (lookup === undefined) {
      lookup = this.#ask(topic).finally(() => this.#inFlight.delete(topic));
      this.#inFlight.set(topic, lookup);
    }
    return lookup;
  }

  async #ask(topic: string): Promise<TopicRouteData | undefined> {
    const failures: string[] = [];
    for (let step = 0; step < this.#nameServers.length; step++) {
      const index = (this.#preferred + step) % this.#nameServers.length;
      const nameServer = this.#nameServers[index] as string;
      const answer = await this.#get(nameServer, topic);
      if ('error' in answer) {
        failures.push(`${nameServer}: ${answer.error}`);
        continue;
      }
      this.#preferred = index;
      if (this.#cacheMs > 0) {
        if (this.#cache.size >= MAX_CACHED_TOPICS) this.#cache.clear();
        this.#cache.set(topic, { route: answer.route, until: this.#clock.now() + this.#cacheMs });
      }
      return answer.route;
    }
    throw new EddyError('IO_ERROR', `no name server answered for topic '${topic}': ${failures.join('; ')}`, {
      retriable: true,
    });
  }

  async #get(nameServer: string, topic: string): Promise<{ route: TopicRouteData | undefined } | { error: string }> {
    try {
      const response = await fetch(`http://${nameServer}/topics/${encodeURIComponent(topic)}/route`, {
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const text = await response.text();
      const body: unknown = JSON.parse(text);
      if (response.status === 404 && (body as { error?: { code?: unknown } }).error?.code === 'UNKNOWN_TOPIC') {
        return { route: undefined };
      }
      if (!response.ok) return { error: `HTTP ${response.status} ${text.slice(0, 200).trim()}` };
      const parsed = TopicRouteDataSchema.safeParse(body);
      if (!parsed.success) return { error: `invalid route: ${parsed.error.issues[0]?.message ?? 'unknown'}` };
      return { route: parsed.data };
    } catch (error) {
      const cause = (error as { cause?: { code?: unknown } }).cause;
      return { error: typeof cause?.code === 'string' ? cause.code : String(error) };
    }
  }
}
