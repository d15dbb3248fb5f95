import { type Clock, EddyError } from '@eddy/message';
import { compareStrings } from './compare-strings.js';

/** RocketMQ 4.9's `latencyMax`: send latencies (ms) at which avoidance steps up. */
export const DEFAULT_LATENCY_MAX: readonly number[] = [50, 100, 550, 1000, 2000, 3000, 15000];
/** RocketMQ 4.9's `notAvailableDuration`: how long (ms) a broker is avoided at each step of {@link DEFAULT_LATENCY_MAX}. */
export const DEFAULT_NOT_AVAILABLE_DURATION: readonly number[] = [0, 0, 30_000, 60_000, 120_000, 180_000, 600_000];
/** The latency a failed send counts as (RocketMQ's `isolation`): past the last step, so the longest avoidance. */
export const ISOLATION_LATENCY_MS = 30_000;

/** The two step tables of latency fault tolerance, the same length, `latencyMax` ascending. */
export interface LatencyTables {
  /** Latency thresholds, ms, ascending. */
  readonly latencyMax: readonly number[];
  /** Avoidance, ms, for a latency at or above the threshold of the same index. */
  readonly notAvailableDuration: readonly number[];
}

/**
 * How long a broker is avoided after a send that took `latencyMs`: `notAvailableDuration[i]` for the
 * largest `i` with `latencyMs >= latencyMax[i]`, 0 below the first threshold (RocketMQ's
 * `MQFaultStrategy.computeNotAvailableDuration`).
 */
export function notAvailableFor(latencyMs: number, tables: LatencyTables): number {
  for (let index = tables.latencyMax.length - 1; index >= 0; index--) {
    if (latencyMs >= (tables.latencyMax[index] as number)) return tables.notAvailableDuration[index] ?? 0;
  }
  return 0;
}

/** Options of {@link LatencyFaultTolerance}. */
export interface LatencyFaultToleranceOptions extends Partial<LatencyTables> {
  /** Time. */
  readonly clock: Clock;
}

/** What the fault tolerance remembers of one broker (RocketMQ's `FaultItem`). */
export interface FaultItem {
  /** The broker. */
  readonly brokerName: string;
  /** The latency of its last send, ms ({@link ISOLATION_LATENCY_MS} after a failure). */
  readonly currentLatency: number;
  /** Clock time from which it is available again. */
  readonly startTimestamp: number;
}

/**
 * Producer-side avoidance of slow and failing brokers (RocketMQ's `LatencyFaultToleranceImpl` with
 * `MQFaultStrategy`'s tables). After each send, report the broker and the latency; the broker is then
 * avoided for {@link notAvailableFor} that latency. A failed send is reported with `isolation`.
 *
 * Memory grows with the number of distinct brokers reported; {@link LatencyFaultTolerance.remove} forgets one.
 */
export class LatencyFaultTolerance {
  readonly #clock: Clock;
  readonly #tables: LatencyTables;
  readonly #items = new Map<string, FaultItem>();

  /** @throws EddyError `INVALID_CONFIG` when the tables differ in length, are empty, negative or not ascending. */
  constructor(options: LatencyFaultToleranceOptions) {
    const latencyMax = [...(options.latencyMax ?? DEFAULT_LATENCY_MAX)];
    const notAvailableDuration = [...(options.notAvailableDuration ?? DEFAULT_NOT_AVAILABLE_DURATION)];
    const problem = checkTables(latencyMax, notAvailableDuration);
    if (problem !== undefined)
      throw new EddyError('INVALID_CONFIG', `invalid latency fault tolerance tables: ${problem}`);
    this.#clock = options.clock;
    this.#tables = { latencyMax, notAvailableDuration };
  }

  /** The tables in force (copies). */
  get tables(): LatencyTables {
    return { latencyMax: [...this.#tables.latencyMax], notAvailableDuration: [...this.#tables.notAvailableDuration] };
  }

  /**
   * Records a send to `brokerName` that took `latencyMs`; with `isolation` (the send failed) it counts as
   * {@link ISOLATION_LATENCY_MS}. The broker is avoided from now for the matching duration; a fast send
   * ends an earlier avoidance at once.
   */
  updateFaultItem(brokerName: string, latencyMs: number, isolation = false): void {
    const currentLatency = isolation ? ISOLATION_LATENCY_MS : Math.max(0, latencyMs);
    const duration = notAvailableFor(currentLatency, this.#tables);
    this.#items.set(brokerName, { brokerName, currentLatency, startTimestamp: this.#clock.now() + duration });
  }

  /** False while the broker is being avoided; true for brokers never reported. */
  isAvailable(brokerName: string): boolean {
    const item = this.#items.get(brokerName);
    return item === undefined || this.#clock.now() >= item.startTimestamp;
  }

  /** Forgets a broker (it left the route). */
  remove(brokerName: string): void {
    this.#items.delete(brokerName);
  }

  /** What is remembered of a broker, if anything. */
  faultItemOf(brokerName: string): FaultItem | undefined {
    return this.#items.get(brokerName);
  }

  /**
   * The least-bad broker, for when every candidate is avoided: available ones first, then the lowest
   * last latency, then the soonest available again, then by name. Without `among` it ranks the brokers
   * it remembers; with `among` it ranks those names (a name never reported is best of all).
   *
   * @returns `undefined` when there is nothing to rank.
   */
  pickOneAtLeast(among?: Iterable<string>): string | undefined {
    const now = this.#clock.now();
    const names = among === undefined ? [...this.#items.keys()] : [...among];
    let best: string | undefined;
    let bestRank: readonly [number, number, number] | undefined;
    for (const name of names) {
      const item = this.#items.get(name);
      const rank = item === undefined ? ([0, 0, 0] as const) : rankOf(item, now);
      if (best === undefined || bestRank === undefined || compareRanks(rank, bestRank, name, best) < 0) {
        best = name;
        bestRank = rank;
      }
    }
    return best;
  }
}

function rankOf(item: FaultItem, now: number): readonly [number, number, number] {
  return [now >= item.startTimestamp ? 0 : 1, item.currentLatency, item.startTimestamp];
}

function compareRanks(
  a: readonly [number, number, number],
  b: readonly [number, number, number],
  nameA: string,
  nameB: string,
): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || compareStrings(nameA, nameB);
}

function checkTables(latencyMax: number[], notAvailableDuration: number[]): string | undefined {
  if (latencyMax.length === 0) return 'latencyMax is empty';
  if (latencyMax.length !== notAvailableDuration.length) {
    return `latencyMax has ${latencyMax.length} entries and notAvailableDuration ${notAvailableDuration.length}; they must match`;
  }
  for (const value of [...latencyMax, ...notAvailableDuration]) {
    if (!Number.isFinite(value) || value < 0) return `${value} is not a non-negative number of ms`;
  }
  for (let index = 1; index < latencyMax.length; index++) {
    if ((latencyMax[index] as number) <= (latencyMax[index - 1] as number)) return 'latencyMax is not ascending';
  }
  return undefined;
}
