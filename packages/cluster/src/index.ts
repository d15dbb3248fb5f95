/**
 * Eddy clusters on one machine, for the test harness and for tests that need real processes:
 *
 * - {@link Cluster} runs brokers (`eddy start`) and name servers (`eddy namesrv`) as child processes of
 *   the built server, on free ports of one interface, each broker with its own data directory and
 *   registered with every name server. Each node can be stopped (SIGTERM), killed (SIGKILL), paused
 *   (SIGSTOP), resumed and restarted on the same ports and data directory; its output is kept (bounded).
 * - {@link FaultProxy} is a TCP proxy that injects latency, jitter, dropped chunks and partitions between
 *   clients and a node, with seeded randomness.
 * - {@link freeLoopbackPorts} picks free ports.
 *
 * It does not build the server, check what clients see, or run workloads (that is `@eddy/checker` and
 * `apps/harness`). Guarantees: a start resolves only once every node answers its health check, and
 * rejects with the failing node's output otherwise; no node outlives {@link Cluster.close} or the exit
 * of this process (each child also kills itself when this process dies without exit hooks, unless it
 * is paused at that moment). Loopback only in practice: nothing here is meant for production.
 *
 * @packageDocumentation
 */
export { Cluster, type ClusterOptions } from './cluster.js';
export type { ClusterNode, NodePorts, NodeSpec } from './cluster-node.js';
export { FaultProxy, type FaultProxyOptions, type ProxyFaults, type ProxyStats } from './fault-proxy.js';
export { freeLoopbackPorts } from './free-ports.js';
