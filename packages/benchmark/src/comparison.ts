import type { SystemResult } from './benchmark-runner.js';
import { ratio } from './statistics.js';

/** Eddy's value over a peer's for the three headline metrics; each missing when a side has none. */
export interface Ratios {
  /** Producer msgs/s: above 1, Eddy is faster. */
  readonly produce?: number;
  /** Consumer msgs/s: above 1, Eddy is faster. */
  readonly consume?: number;
  /** p99 latency at the same rate: below 1, Eddy is quicker. */
  readonly p99?: number;
}

/** Eddy against one peer at one size, measured in the same run. */
export interface PeerComparison {
  readonly peer: string;
  readonly peerLabel: string;
  readonly messageSize: number;
  /** Eddy = the best of all its drivers, whatever their client. */
  readonly best: Ratios;
  /**
   * Eddy = the best of its drivers whose client runs where the peer's does (a Node client against a
   * Node client): like for like, since on two cores a client's own CPU caps what it can measure.
   */
  readonly sameClient: Ratios;
}

/**
 * Puts Eddy over each peer at each size, twice: the best of Eddy's drivers (each protocol has its own
 * fastest client), and the best of those with the peer's client runtime. Latencies compare only at the
 * same rate. A size without an Eddy result has no comparisons.
 */
export function comparePeers(results: readonly SystemResult[]): PeerComparison[] {
  const comparisons: PeerComparison[] = [];
  const sizes = [...new Set(results.map((result) => result.messageSize))];
  for (const messageSize of sizes) {
    const atSize = results.filter((result) => result.messageSize === messageSize);
    const eddy = atSize.filter((result) => result.eddy);
    if (eddy.length === 0) continue;
    for (const peer of atSize.filter((result) => !result.eddy)) {
      comparisons.push({
        peer: peer.system,
        peerLabel: peer.label,
        messageSize,
        best: ratiosOver(eddy, peer),
        sameClient: ratiosOver(
          eddy.filter((result) => result.clientRuntime === peer.clientRuntime),
          peer,
        ),
      });
    }
  }
  return comparisons;
}

function ratiosOver(eddy: readonly SystemResult[], peer: SystemResult): Ratios {
  const produce = ratio(
    best(eddy, (result) => result.throughput?.producedPerSecond, 'max'),
    peer.throughput?.producedPerSecond,
  );
  const consume = ratio(
    best(eddy, (result) => result.throughput?.consumedPerSecond, 'max'),
    peer.throughput?.consumedPerSecond,
  );
  // A lighter load is an easier one: only Eddy's latencies at the peer's rate count.
  const sameRate = eddy.filter((result) => result.latency?.rate === peer.latency?.rate);
  const p99 = ratio(
    best(sameRate, (result) => result.latency?.p99Ms, 'min'),
    peer.latency?.p99Ms,
  );
  return {
    ...(produce === undefined ? {} : { produce }),
    ...(consume === undefined ? {} : { consume }),
    ...(p99 === undefined ? {} : { p99 }),
  };
}

function best(
  results: readonly SystemResult[],
  value: (result: SystemResult) => number | undefined,
  direction: 'max' | 'min',
): number | undefined {
  let found: number | undefined;
  for (const result of results) {
    const candidate = value(result);
    if (candidate === undefined || !Number.isFinite(candidate)) continue;
    if (found === undefined || (direction === 'max' ? candidate > found : candidate < found)) found = candidate;
  }
  return found;
}
