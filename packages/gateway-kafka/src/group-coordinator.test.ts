import { type Broker, createBroker } from '@eddy/broker';
import { KafkaErrorCode } from '@eddy/protocol-kafka';

type MessageStore = Broker['store'];

import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCoordinator, type JoinGroupInput, type JoinGroupResult } from './group-coordinator.js';

const E = KafkaErrorCode;
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('GroupCoordinator', () => {
  let store: MessageStore;
  let broker: Broker;
  let clock: FakeClock;
  let coordinator: GroupCoordinator;

  const open = (initialDelay = 0): GroupCoordinator =>
    new GroupCoordinator({
      broker,
      clock,
      config: {
        groupInitialRebalanceDelayMs: initialDelay,
        groupMinSessionTimeoutMs: 6000,
        groupMaxSessionTimeoutMs: 1_800_000,
      },
    });

  beforeEach(async () => {
    store = await openMemoryStore();
    clock = new FakeClock();
    broker = createBroker({ store, clock });
    await broker.start();
    coordinator = open();
  });
  afterEach(async () => {
    await coordinator.close();
    await broker.close();
    await store.close();
  });

  const join = (overrides: Partial<JoinGroupInput> = {}): Promise<JoinGroupResult> =>
    coordinator.joinGroup({
      groupId: 'g',
      memberId: '',
      groupInstanceId: null,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 30_000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: bytes('m') }],
      clientId: 'client',
      clientHost: '/127.0.0.1',
      requireKnownMemberId: false,
      ...overrides,
    });

  /** Joins as a v4+ client would: MEMBER_ID_REQUIRED, then again with the id. */
  async function joinV4(overrides: Partial<JoinGroupInput> = {}): Promise<Promise<JoinGroupResult>> {
    const first = await join({ ...overrides, requireKnownMemberId: true });
    expect(first.errorCode).toBe(E.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^client-[0-9a-f-]{36}$/);
    return join({ ...overrides, requireKnownMemberId: true, memberId: first.memberId });
  }

  it('runs a one-member group through join, sync, heartbeat and leave', async () => {
    const joined = await await joinV4();
    expect(joined).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range', leader: joined.memberId });
    expect(joined.members).toEqual([{ memberId: joined.memberId, groupInstanceId: null, metadata: bytes('m') }]);
    expect(coordinator.groupState('g')).toBe('CompletingRebalance');
    const base = { groupId: 'g', generationId: 1, memberId: joined.memberId, groupInstanceId: null };
    const synced = await coordinator.syncGroup({
      ...base,
      assignments: [{ memberId: joined.memberId, assignment: bytes('a') }],
    });
    expect(synced).toEqual({ errorCode: 0, assignment: bytes('a') });
    expect(coordinator.groupState('g')).toBe('Stable');
    expect(coordinator.heartbeat(base)).toBe(E.NONE);
    expect(coordinator.heartbeat({ ...base, generationId: 0 })).toBe(E.ILLEGAL_GENERATION);
    expect(coordinator.heartbeat({ ...base, memberId: 'nobody' })).toBe(E.UNKNOWN_MEMBER_ID);
    expect(
      coordinator.leaveGroup('g', [{ memberId: joined.memberId, groupInstanceId: null }]).members[0]?.errorCode,
    ).toBe(E.NONE);
    expect(coordinator.groupState('g')).toBe('Dead');
  });

  it('rejects session timeouts out of bounds and groups without a common protocol', async () => {
    expect((await join({ sessionTimeoutMs: 1000 })).errorCode).toBe(E.INVALID_SESSION_TIMEOUT);
    const first = join();
    await first;
    const other = await join({ protocols: [{ name: 'RoundRobinAssigner', metadata: bytes('x') }] });
    expect(other.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('rebalances two members: the second join holds until the first rejoins; followers wait for the leader', async () => {
    const a = await join({ clientId: 'a' });
    const aBase = { groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null };
    await coordinator.syncGroup({ ...aBase, assignments: [{ memberId: a.memberId, assignment: bytes('all') }] });

    let bJoined: JoinGroupResult | undefined;
    void join({ clientId: 'b' }).then((result) => {
      bJoined = result;
    });
    await clock.advance(0);
    expect(bJoined).toBeUndefined();
    expect(coordinator.heartbeat(aBase)).toBe(E.REBALANCE_IN_PROGRESS);
    const aAgain = await join({ clientId: 'a', memberId: a.memberId });
    await clock.advance(0);
    expect(aAgain).toMatchObject({ errorCode: 0, generationId: 2, leader: a.memberId });
    expect(aAgain.members.map((m) => m.memberId).sort()).toEqual([a.memberId, bJoined?.memberId].sort());
    expect(bJoined).toMatchObject({ errorCode: 0, generationId: 2, leader: a.memberId, members: [] });

    const b = bJoined as JoinGroupResult;
    let bSynced: { errorCode: number; assignment: Uint8Array } | undefined;
    void coordinator
      .syncGroup({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null, assignments: [] })
      .then((result) => {
        bSynced = result;
      });
    await clock.advance(0);
    expect(bSynced).toBeUndefined();
    const aSynced = await coordinator.syncGroup({
      ...aBase,
      generationId: 2,
      assignments: [
        { memberId: a.memberId, assignment: bytes('p0') },
        { memberId: b.memberId, assignment: bytes('p1') },
      ],
    });
    await clock.advance(0);
    expect(aSynced.assignment).toEqual(bytes('p0'));
    expect(bSynced).toEqual({ errorCode: 0, assignment: bytes('p1') });
    expect(coordinator.heartbeat(aBase)).toBe(E.ILLEGAL_GENERATION);
  });

  it('evicts members that do not rejoin within the rebalance timeout', async () => {
    const a = await join({ clientId: 'a', rebalanceTimeoutMs: 20_000 });
    await coordinator.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: null,
      assignments: [],
    });
    const pending = join({ clientId: 'b', rebalanceTimeoutMs: 20_000 });
    // a keeps heartbeating (told to rejoin) but never rejoins.
    for (let i = 0; i < 6; i++) {
      await clock.advance(3000);
      coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null });
    }
    await clock.advance(3000);
    const b = await pending;
    expect(b).toMatchObject({ errorCode: 0, generationId: 2, leader: b.memberId });
    expect(b.members.map((m) => m.memberId)).toEqual([b.memberId]);
    expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null })).toBe(
      E.UNKNOWN_MEMBER_ID,
    );
  });

  it('expires a silent member after its session timeout and rebalances the others', async () => {
    const a = await join({ clientId: 'a' });
    const bPending = join({ clientId: 'b' });
    await join({ clientId: 'a', memberId: a.memberId });
    const b = await bPending;
    const sync = (memberId: string, assignments: { memberId: string; assignment: Uint8Array }[] = []) =>
      coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId, groupInstanceId: null, assignments });
    const bSync = sync(b.memberId);
    await sync(a.memberId, [{ memberId: b.memberId, assignment: bytes('x') }]);
    await bSync;
    expect(coordinator.groupState('g')).toBe('Stable');
    // Only b heartbeats; a goes silent.
    for (let i = 0; i < 4; i++) {
      await clock.advance(3000);
      expect(
        coordinator.heartbeat({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null }),
      ).toBe(i < 3 ? E.NONE : E.REBALANCE_IN_PROGRESS);
    }
    const rejoined = await join({ clientId: 'b', memberId: b.memberId });
    expect(rejoined).toMatchObject({ errorCode: 0, generationId: 3, leader: b.memberId });
    expect(clock.pendingTasks).toBeLessThanOrEqual(2);
  });

  it('waits the initial rebalance delay for a new group, so members arriving together share one generation', async () => {
    await coordinator.close();
    coordinator = open(3000);
    const a = join({ clientId: 'a' });
    await clock.advance(1000);
    const b = join({ clientId: 'b' });
    await clock.advance(2000);
    const c = join({ clientId: 'c' });
    await clock.advance(3000);
    await clock.advance(3000);
    const results = await Promise.all([a, b, c]);
    expect(results.map((r) => r.generationId)).toEqual([1, 1, 1]);
    expect(results.filter((r) => r.members.length === 3)).toHaveLength(1);
  });

  it('gives a static member its member id back without a rebalance, and fences a stale id', async () => {
    const a = await join({ clientId: 'a', groupInstanceId: 'i-a' });
    const b = join({ clientId: 'b', groupInstanceId: 'i-b' });
    await join({ clientId: 'a', groupInstanceId: 'i-a', memberId: a.memberId });
    const bJoined = await b;
    const bSync = coordinator.syncGroup({
      groupId: 'g',
      generationId: 2,
      memberId: bJoined.memberId,
      groupInstanceId: 'i-b',
      assignments: [],
    });
    await coordinator.syncGroup({
      groupId: 'g',
      generationId: 2,
      memberId: a.memberId,
      groupInstanceId: 'i-a',
      assignments: [{ memberId: bJoined.memberId, assignment: bytes('b-part') }],
    });
    await bSync;

    // b restarts: joins with an empty member id and its instance id.
    const back = await join({ clientId: 'b', groupInstanceId: 'i-b', requireKnownMemberId: true });
    expect(back).toMatchObject({ errorCode: 0, memberId: bJoined.memberId, generationId: 2, members: [] });
    expect(coordinator.groupState('g')).toBe('Stable');
    const synced = await coordinator.syncGroup({
      groupId: 'g',
      generationId: 2,
      memberId: bJoined.memberId,
      groupInstanceId: 'i-b',
      assignments: [],
    });
    expect(synced.assignment).toEqual(bytes('b-part'));

    const stale = { groupId: 'g', generationId: 2, memberId: 'stale-id', groupInstanceId: 'i-b' };
    expect(coordinator.heartbeat(stale)).toBe(E.FENCED_INSTANCE_ID);
    expect((await join({ groupInstanceId: 'i-b', memberId: 'stale-id' })).errorCode).toBe(E.FENCED_INSTANCE_ID);
    // v3 LeaveGroup by instance id.
    const left = coordinator.leaveGroup('g', [
      { memberId: '', groupInstanceId: 'i-b' },
      { memberId: '', groupInstanceId: 'unknown' },
    ]);
    expect(left.members.map((m) => m.errorCode)).toEqual([E.NONE, E.UNKNOWN_MEMBER_ID]);
    expect(coordinator.groupState('g')).toBe('PreparingRebalance');
  });

  it('commits offsets with metadata through the broker offset store, validating members', async () => {
    const commit = (generationId: number, memberId: string, offset: bigint, metadata: string | null = 'meta') =>
      coordinator.commitOffsets({
        groupId: 'g',
        generationId,
        memberId,
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [
          {
            name: 't',
            partitions: [
              {
                partitionIndex: 1,
                committedOffset: offset,
                committedLeaderEpoch: -1,
                commitTimestamp: -1n,
                committedMetadata: metadata,
              },
            ],
          },
        ],
      });
    await broker.topics.create({ name: 't', queueCount: 2 });
    // No members: a standalone commit (generation -1) is accepted.
    expect((await commit(-1, '', 5n))[0]?.partitions[0]?.errorCode).toBe(E.NONE);
    expect(await broker.offsets.committed('g', 't', 1)).toBe(5);
    expect(
      (await coordinator.fetchOffsets('g', [{ name: 't', partitionIndexes: [0, 1] }])).topics[0]?.partitions,
    ).toEqual([
      { partitionIndex: 0, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
      { partitionIndex: 1, committedOffset: 5n, committedLeaderEpoch: -1, metadata: 'meta', errorCode: 0 },
    ]);

    const a = await join();
    expect((await commit(-1, '', 6n))[0]?.partitions[0]?.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect((await commit(1, a.memberId, 6n))[0]?.partitions[0]?.errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    await coordinator.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: null,
      assignments: [],
    });
    expect((await commit(0, a.memberId, 6n))[0]?.partitions[0]?.errorCode).toBe(E.ILLEGAL_GENERATION);
    // Kafka lets a member move its offset backwards (it seeked).
    expect((await commit(1, a.memberId, 3n, null))[0]?.partitions[0]?.errorCode).toBe(E.NONE);
    const all = await coordinator.fetchOffsets('g', null);
    expect(all.topics).toEqual([
      {
        name: 't',
        partitions: [{ partitionIndex: 1, committedOffset: 3n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }],
      },
    ]);
    expect(await broker.offsets.committed('g', 't', 1)).toBe(3);
  });

  it('lists, describes and deletes groups; only empty groups can be deleted', async () => {
    await coordinator.commitOffsets({
      groupId: 'offsets-only',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: 't',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 1n,
              committedLeaderEpoch: -1,
              commitTimestamp: -1n,
              committedMetadata: 'x',
            },
          ],
        },
      ],
    });
    const a = await join();
    await coordinator.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: null,
      assignments: [{ memberId: a.memberId, assignment: bytes('as') }],
    });
    expect(await coordinator.listGroups()).toEqual([
      { groupId: 'g', protocolType: 'consumer' },
      { groupId: 'offsets-only', protocolType: '' },
    ]);
    const described = await coordinator.describeGroup('g', true);
    expect(described).toMatchObject({
      errorCode: 0,
      groupState: 'Stable',
      protocolType: 'consumer',
      protocolData: 'range',
    });
    expect(described.members).toEqual([
      {
        memberId: a.memberId,
        groupInstanceId: null,
        clientId: 'client',
        clientHost: '/127.0.0.1',
        memberMetadata: bytes('m'),
        memberAssignment: bytes('as'),
      },
    ]);
    expect((await coordinator.describeGroup('nope', false)).groupState).toBe('Dead');
    expect((await coordinator.describeGroup('offsets-only', false)).groupState).toBe('Empty');
    expect(await coordinator.deleteGroups(['g', 'offsets-only', 'nope'])).toEqual([
      { groupId: 'g', errorCode: E.NON_EMPTY_GROUP },
      { groupId: 'offsets-only', errorCode: E.NONE },
      { groupId: 'nope', errorCode: E.GROUP_ID_NOT_FOUND },
    ]);
    expect(await broker.offsets.committed('offsets-only', 't', 0)).toBeUndefined();
    expect((await coordinator.fetchOffsets('offsets-only', null)).topics).toEqual([]);
  });
});
