import { type Clock, EddyError, type ScheduledTask } from '@eddy/message';
import { z } from 'zod';
import { compareStrings } from './compare-strings.js';
import {
  type BrokerData,
  type BrokerEndpoints,
  type BrokerIdentity,
  type BrokerRegistration,
  type DataVersion,
  MASTER_ID,
  type QueueData,
  sameDataVersion,
  type TopicRouteData,
} from './route-data.js';

/** RocketMQ's `DEFAULT_BROKER_CHANNEL_EXPIRED_TIME`: a broker silent this long is dropped. */
export const DEFAULT_BROKER_EXPIRY_MS = 120_000;
/** How often the name server looks for silent brokers (RocketMQ 4.9's `scanNotActiveBroker` period). */
export const DEFAULT_SCAN_INTERVAL_MS = 10_000;

/** The serialisable part of {@link NameServerCoreOptions}, for configuration files and flags. */
export const NameServerCoreOptionsSchema = z
  .object({
    brokerExpiryMs: z.number().int().positive().max(86_400_000).default(DEFAULT_BROKER_EXPIRY_MS),
    scanIntervalMs: z.number().int().positive().max(3_600_000).default(DEFAULT_SCAN_INTERVAL_MS),
  })
  .strict();

/** Options of {@link NameServerCore}. */
export interface NameServerCoreOptions {
  /** Time and scheduling. */
  readonly clock: Clock;
  /** A broker silent for more than this is dropped; default {@link DEFAULT_BROKER_EXPIRY_MS}. */
  readonly brokerExpiryMs?: number;
  /** Period of the expiry scan after {@link NameServerCore.start}; default {@link DEFAULT_SCAN_INTERVAL_MS}. */
  readonly scanIntervalMs?: number;
}

/** The result of {@link NameServerCore.register}. */
export interface RegisterResult {
  /** False when the registration only refreshed the broker's liveness (same address and data version). */
  readonly changed: boolean;
}

/** Every live broker, by cluster (RocketMQ's `ClusterInfo`). */
export interface ClusterInfo {
  /** Broker name → broker with its live addresses; brokers without any are left out. */
  readonly brokerAddrTable: Readonly<Record<string, BrokerData>>;
  /** Cluster → sorted broker names. */
  readonly clusterAddrTable: Readonly<Record<string, readonly string[]>>;
}

interface BrokerEntry {
  readonly cluster: string;
  readonly brokerName: string;
  readonly brokerAddrs: Map<number, string>;
}

// RocketMQ's BrokerLiveInfo, plus the identity needed to undo the registration when it expires.
interface BrokerLiveInfo {
  readonly address: string;
  lastUpdateTimestamp: number;
  readonly dataVersion: DataVersion;
  readonly cluster: string;
  readonly brokerName: string;
  readonly brokerId: number;
  readonly endpoints: BrokerEndpoints;
}

/**
 * The state of a name server: which brokers are alive and which queues each topic has on them. No I/O:
 * the HTTP front of `@eddy/name-server` calls these methods; the expiry scan runs on the injected clock.
 *
 * Tables as RocketMQ's `RouteInfoManager`: `topicQueueTable` (topic → broker name → {@link QueueData}),
 * `brokerAddrTable` (broker name → cluster and broker id → address), `clusterAddrTable` (cluster →
 * broker names) and `brokerLiveTable` (address → last registration time and data version).
 *
 * Only a master's registration sets queue data; when the master goes (unregistered or expired), its
 * broker's queue data goes with it, and slaves stay listed in {@link NameServerCore.clusterInfo} only.
 * Reads ({@link NameServerCore.routeOf}, {@link NameServerCore.clusterInfo}, {@link NameServerCore.topics})
 * leave out brokers already past their expiry even before the scan removes them.
 *
 * @example
 * ```ts
 * const core = new NameServerCore({ clock: systemClock });
 * core.start();
 * core.register(BrokerRegistrationSchema.parse(body)); // from each broker, every 30 s
 * core.routeOf('orders'); // { topic, queueDatas, brokerDatas } or undefined
 * ```
 */
export class NameServerCore {
  readonly #clock: Clock;
  readonly #brokerExpiryMs: number;
  readonly #scanIntervalMs: number;
  readonly #topicQueueTable = new Map<string, Map<string, QueueData>>();
  readonly #brokerAddrTable = new Map<string, BrokerEntry>();
  readonly #clusterAddrTable = new Map<string, Set<string>>();
  readonly #brokerLiveTable = new Map<string, BrokerLiveInfo>();
  #scan: ScheduledTask | undefined;

  /** @throws EddyError `INVALID_CONFIG` when a duration is not a positive integer. */
  constructor(options: NameServerCoreOptions) {
    const result = NameServerCoreOptionsSchema.safeParse({
      brokerExpiryMs: options.brokerExpiryMs,
      scanIntervalMs: options.scanIntervalMs,
    });
    if (!result.success) {
      const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
      throw new EddyError('INVALID_CONFIG', `invalid name server options: ${problems}`);
    }
    this.#clock = options.clock;
    this.#brokerExpiryMs = result.data.brokerExpiryMs;
    this.#scanIntervalMs = result.data.scanIntervalMs;
  }

  /** The expiry in force, ms. */
  get brokerExpiryMs(): number {
    return this.#brokerExpiryMs;
  }

  /** The scan period in force, ms. */
  get scanIntervalMs(): number {
    return this.#scanIntervalMs;
  }

  /**
   * Records a broker's registration. When the broker's address already holds the same data version, only
   * its liveness is refreshed (the cheap path taken every 30 s). Otherwise the broker is (re)recorded
   * and, for a master, its topic table replaces that broker's queue data: a topic it no longer lists
   * loses that broker's {@link QueueData}, and a topic left with none is gone. A slave's topics are ignored.
   *
   * Expects a registration validated at the boundary (`BrokerRegistrationSchema`).
   */
  register(registration: BrokerRegistration): RegisterResult {
    const now = this.#clock.now();
    const { cluster, brokerName, brokerId, address } = registration;
    const live = this.#brokerLiveTable.get(address);
    if (
      live !== undefined &&
      live.cluster === cluster &&
      live.brokerName === brokerName &&
      live.brokerId === brokerId &&
      sameDataVersion(live.dataVersion, registration.dataVersion)
    ) {
      live.lastUpdateTimestamp = now;
      return { changed: false };
    }

    // The address now belongs to another identity (a reconfigured broker): forget the old one first.
    if (
      live !== undefined &&
      (live.cluster !== cluster || live.brokerName !== brokerName || live.brokerId !== brokerId)
    ) {
      this.#remove(live);
    }

    let entry = this.#brokerAddrTable.get(brokerName);
    if (entry !== undefined && entry.cluster !== cluster) {
      // A broker name is unique across clusters; a broker that moved cluster takes its name along.
      for (const id of [...entry.brokerAddrs.keys()]) this.#removeAddress(entry, id);
      entry = this.#brokerAddrTable.get(brokerName);
    }
    if (entry === undefined) {
      entry = { cluster, brokerName, brokerAddrs: new Map() };
      this.#brokerAddrTable.set(brokerName, entry);
    }
    let names = this.#clusterAddrTable.get(cluster);
    if (names === undefined) {
      names = new Set();
      this.#clusterAddrTable.set(cluster, names);
    }
    names.add(brokerName);

    // The broker id moved to a new address, or a slave became master at the same address (RocketMQ
    // removes the old id of the address so one process is never listed twice).
    const previousAddress = entry.brokerAddrs.get(brokerId);
    if (previousAddress !== undefined && previousAddress !== address) this.#brokerLiveTable.delete(previousAddress);
    for (const [id, otherAddress] of entry.brokerAddrs) {
      if (otherAddress === address && id !== brokerId) entry.brokerAddrs.delete(id);
    }
    entry.brokerAddrs.set(brokerId, address);

    if (brokerId === MASTER_ID) this.#replaceQueueData(brokerName, registration);

    this.#brokerLiveTable.set(address, {
      address,
      lastUpdateTimestamp: now,
      dataVersion: { timestamp: registration.dataVersion.timestamp, counter: registration.dataVersion.counter },
      cluster,
      brokerName,
      brokerId,
      endpoints: { ...registration.endpoints },
    });
    return { changed: true };
  }

  /**
   * Removes one broker process. When it was the master, its broker's queue data goes; when it was the
   * last process of its broker name, the broker leaves its cluster. Unknown brokers are ignored.
   *
   * @returns whether anything was removed.
   */
  unregister(identity: BrokerIdentity): boolean {
    const entry = this.#brokerAddrTable.get(identity.brokerName);
    if (entry === undefined || entry.cluster !== identity.cluster) return false;
    if (!entry.brokerAddrs.has(identity.brokerId)) return false;
    this.#removeAddress(entry, identity.brokerId);
    return true;
  }

  /**
   * The route of a topic over live brokers, or `undefined` when no live master holds it. Queue data and
   * brokers are sorted by broker name; a broker lists only its live addresses.
   */
  routeOf(topic: string): TopicRouteData | undefined {
    const byBroker = this.#topicQueueTable.get(topic);
    if (byBroker === undefined) return undefined;
    const now = this.#clock.now();
    const queueDatas: QueueData[] = [];
    const brokerDatas: BrokerData[] = [];
    for (const brokerName of [...byBroker.keys()].sort(compareStrings)) {
      const entry = this.#brokerAddrTable.get(brokerName);
      const master = entry?.brokerAddrs.get(MASTER_ID);
      if (entry === undefined || master === undefined || !this.#isLive(master, now)) continue;
      queueDatas.push({ ...(byBroker.get(brokerName) as QueueData) });
      brokerDatas.push(this.#brokerDataOf(entry, now) as BrokerData);
    }
    if (queueDatas.length === 0) return undefined;
    return { topic, queueDatas, brokerDatas };
  }

  /** Every cluster and its live brokers. */
  clusterInfo(): ClusterInfo {
    const now = this.#clock.now();
    const brokerAddrTable: Record<string, BrokerData> = {};
    const clusterAddrTable: Record<string, string[]> = {};
    for (const cluster of [...this.#clusterAddrTable.keys()].sort(compareStrings)) {
      const names: string[] = [];
      for (const brokerName of [...(this.#clusterAddrTable.get(cluster) ?? [])].sort(compareStrings)) {
        const entry = this.#brokerAddrTable.get(brokerName);
        const data = entry === undefined ? undefined : this.#brokerDataOf(entry, now);
        if (data === undefined) continue;
        brokerAddrTable[brokerName] = data;
        names.push(brokerName);
      }
      if (names.length > 0) clusterAddrTable[cluster] = names;
    }
    return { brokerAddrTable, clusterAddrTable };
  }

  /** The topics that have a route (see {@link NameServerCore.routeOf}), sorted. */
  topics(): string[] {
    return [...this.#topicQueueTable.keys()].filter((topic) => this.routeOf(topic) !== undefined).sort(compareStrings);
  }

  /**
   * Drops every broker silent for more than the expiry (with its broker's queue data when it was the
   * master), as RocketMQ's `scanNotActiveBroker`.
   *
   * @returns the removed addresses, sorted.
   */
  scanExpired(): string[] {
    const now = this.#clock.now();
    const removed: string[] = [];
    for (const [address, live] of [...this.#brokerLiveTable]) {
      if (now - live.lastUpdateTimestamp > this.#brokerExpiryMs) {
        this.#remove(live);
        removed.push(address);
      }
    }
    return removed.sort(compareStrings);
  }

  /** Runs {@link NameServerCore.scanExpired} every scan interval on the clock until {@link NameServerCore.stop}. Idempotent. */
  start(): void {
    if (this.#scan !== undefined) return;
    const tick = (): void => {
      this.#scan = this.#clock.schedule(this.#scanIntervalMs, tick);
      this.scanExpired();
    };
    this.#scan = this.#clock.schedule(this.#scanIntervalMs, tick);
  }

  /** Cancels the periodic scan. Idempotent; the state is kept. */
  stop(): void {
    this.#scan?.cancel();
    this.#scan = undefined;
  }

  #isLive(address: string, now: number): boolean {
    const live = this.#brokerLiveTable.get(address);
    return live !== undefined && now - live.lastUpdateTimestamp <= this.#brokerExpiryMs;
  }

  // The broker with its live addresses; undefined when none is live.
  #brokerDataOf(entry: BrokerEntry, now: number): BrokerData | undefined {
    const brokerAddrs: Record<number, string> = {};
    let endpoints: BrokerEndpoints | undefined;
    for (const id of [...entry.brokerAddrs.keys()].sort((a, b) => a - b)) {
      const address = entry.brokerAddrs.get(id) as string;
      if (!this.#isLive(address, now)) continue;
      brokerAddrs[id] = address;
      endpoints ??= { ...this.#brokerLiveTable.get(address)?.endpoints };
    }
    if (endpoints === undefined) return undefined;
    return { cluster: entry.cluster, brokerName: entry.brokerName, brokerAddrs, endpoints };
  }

  #replaceQueueData(brokerName: string, registration: BrokerRegistration): void {
    const listed = new Set<string>();
    for (const topic of registration.topics) {
      listed.add(topic.name);
      let byBroker = this.#topicQueueTable.get(topic.name);
      if (byBroker === undefined) {
        byBroker = new Map();
        this.#topicQueueTable.set(topic.name, byBroker);
      }
      byBroker.set(brokerName, {
        brokerName,
        readQueueNums: topic.readQueueNums,
        writeQueueNums: topic.writeQueueNums,
        perm: topic.perm,
        topicSysFlag: 0,
        messageType: topic.messageType,
      });
    }
    for (const [topic, byBroker] of this.#topicQueueTable) {
      if (!listed.has(topic)) this.#removeQueueData(topic, byBroker, brokerName);
    }
  }

  #removeQueueData(topic: string, byBroker: Map<string, QueueData>, brokerName: string): void {
    byBroker.delete(brokerName);
    if (byBroker.size === 0) this.#topicQueueTable.delete(topic);
  }

  #remove(live: BrokerLiveInfo): void {
    this.#brokerLiveTable.delete(live.address);
    const entry = this.#brokerAddrTable.get(live.brokerName);
    if (entry !== undefined && entry.brokerAddrs.get(live.brokerId) === live.address) {
      this.#removeAddress(entry, live.brokerId);
    }
  }

  #removeAddress(entry: BrokerEntry, brokerId: number): void {
    const address = entry.brokerAddrs.get(brokerId);
    entry.brokerAddrs.delete(brokerId);
    if (address !== undefined) this.#brokerLiveTable.delete(address);
    if (brokerId === MASTER_ID) {
      for (const [topic, byBroker] of [...this.#topicQueueTable])
        this.#removeQueueData(topic, byBroker, entry.brokerName);
    }
    if (entry.brokerAddrs.size === 0) {
      this.#brokerAddrTable.delete(entry.brokerName);
      const names = this.#clusterAddrTable.get(entry.cluster);
      names?.delete(entry.brokerName);
      if (names !== undefined && names.size === 0) this.#clusterAddrTable.delete(entry.cluster);
    }
  }
}
