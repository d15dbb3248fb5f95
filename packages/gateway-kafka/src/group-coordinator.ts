import { randomUUID } from 'node:crypto';
import type { Broker } from '@eddy/broker';
import type { Clock, Logger, ScheduledTask } from '@eddy/message';
import {
  type DeletableGroupResult,
  type DescribedGroup,
  type JoinGroupRequestProtocol,
  type JoinGroupResponseMember,
  KafkaErrorCode,
  KafkaProtocolError,
  type LeaveGroupMember,
  type LeaveGroupMemberResponse,
  type ListedGroup,
  type OffsetCommitRequest,
  type OffsetCommitResponseTopic,
  type OffsetFetchRequestTopic,
  type OffsetFetchResponseTopic,
} from '@eddy/protocol-kafka';
import type { GroupCoordinator as GroupCoordinatorContract, KafkaGatewayConfig } from './gateway-state.js';
import { type GroupOffset, GroupOffsets, isStorableName } from './group-offsets.js';

/** The classic group protocol's states, as DescribeGroups names them. */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** The settings the coordinator reads (a {@link KafkaGatewayConfig} has them all). */
export type GroupCoordinatorConfig = Pick<
  KafkaGatewayConfig,
  'groupInitialRebalanceDelayMs' | 'groupMinSessionTimeoutMs' | 'groupMaxSessionTimeoutMs'
>;

/** What {@link GroupCoordinator} is built from. */
export interface GroupCoordinatorOptions {
  readonly broker: Broker;
  /** Default: the broker's clock. */
  readonly clock?: Clock;
  readonly config: GroupCoordinatorConfig;
  /** Default: the broker's logger. */
  readonly logger?: Logger;
}

/** A JoinGroup as the coordinator takes it. */
export interface JoinGroupInput {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly JoinGroupRequestProtocol[];
  readonly clientId: string;
  readonly clientHost: string;
  /** JoinGroup v4+ (KIP-394): a first join without an instance id gets MEMBER_ID_REQUIRED and an id. */
  readonly requireKnownMemberId: boolean;
}

/** The JoinGroup answer (the response without throttle time). */
export interface JoinGroupResult {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolName: string;
  readonly leader: string;
  readonly memberId: string;
  readonly members: readonly JoinGroupResponseMember[];
}

/** A SyncGroup as the coordinator takes it. */
export interface SyncGroupInput {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly assignments: readonly { readonly memberId: string; readonly assignment: Uint8Array }[];
}

/** The SyncGroup answer. */
export interface SyncGroupResult {
  readonly errorCode: number;
  readonly assignment: Uint8Array;
}

/** A Heartbeat as the coordinator takes it. */
export interface HeartbeatInput {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

interface Member {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly JoinGroupRequestProtocol[];
  assignment: Uint8Array;
  /** When the session expires unless a heartbeat (or join/sync) comes first. */
  deadline: number;
  joinWaiter: ((result: JoinGroupResult) => void) | undefined;
  syncWaiter: ((result: SyncGroupResult) => void) | undefined;
}

interface Group {
  readonly id: string;
  state: GroupState;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  readonly members: Map<string, Member>;
  /** group.instance.id → member id of the live static member. */
  readonly staticMembers: Map<string, string>;
  /** KIP-394 member ids handed out with MEMBER_ID_REQUIRED, not yet joined → session deadline. */
  readonly pendingMembers: Map<string, number>;
  /** The rebalance timer (or initial delay) while PreparingRebalance. */
  joinTimer: ScheduledTask | undefined;
  /** While the initial delay runs: whether a member joined during it, and how much longer it may be extended. */
  initialDelay: { newMemberJoined: boolean; remainingMs: number } | undefined;
}

const EMPTY = new Uint8Array(0);
// DescribeGroups' "authorized operations not requested".
const OPERATIONS_NOT_REQUESTED = -2147483648;
// READ (3), DELETE (6) and DESCRIBE (8): what any client may do to a group here (no ACLs).
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
// Kafka's offset.metadata.max.bytes.
const MAX_OFFSET_METADATA_BYTES = 4096;

/**
 * Kafka's classic consumer-group coordinator over an Eddy broker: member ids, generations, the join /
 * sync barrier, heartbeats and session expiry, static membership (KIP-345), and committed offsets.
 *
 * Group membership lives in memory only: after a restart members get UNKNOWN_MEMBER_ID and rejoin, as
 * after a Kafka coordinator failover. Committed offsets are durable and shared with RocketMQ groups of
 * the same name (`broker.offsets`), so `broker.lag(group)` and RocketMQ tooling see Kafka groups.
 *
 * Timers: one rebalance timer per group while it rebalances, and a single sweeper for every session
 * (scheduled at the earliest deadline), never one timer per heartbeat.
 */
export class GroupCoordinator implements GroupCoordinatorContract {
  readonly #clock: Clock;
  readonly #config: GroupCoordinatorConfig;
  readonly #logger: Logger;
  readonly #broker: Broker;
  readonly #offsets: GroupOffsets;
  readonly #groups = new Map<string, Group>();
  #sweeper: { task: ScheduledTask; at: number } | undefined;
  #closed = false;

  constructor(options: GroupCoordinatorOptions) {
    this.#broker = options.broker;
    this.#clock = options.clock ?? options.broker.clock;
    this.#config = options.config;
    this.#logger = options.logger ?? options.broker.logger;
    this.#offsets = new GroupOffsets(options.broker);
  }

  /** The committed offsets this coordinator reads and writes (for transactional offset commits). */
  get offsets(): GroupOffsets {
    return this.#offsets;
  }

  /** The state of a group held in memory (`Dead` when this coordinator does not know it). */
  groupState(groupId: string): GroupState {
    return this.#groups.get(groupId)?.state ?? 'Dead';
  }

  /** Answers every held JoinGroup / SyncGroup with COORDINATOR_NOT_AVAILABLE and stops the timers. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#sweeper?.task.cancel();
    this.#sweeper = undefined;
    for (const group of this.#groups.values()) {
      group.joinTimer?.cancel();
      for (const member of group.members.values()) {
        this.#answerJoin(member, joinError(KafkaErrorCode.COORDINATOR_NOT_AVAILABLE, member.memberId));
        this.#answerSync(member, { errorCode: KafkaErrorCode.COORDINATOR_NOT_AVAILABLE, assignment: EMPTY });
      }
    }
    this.#groups.clear();
  }

  /**
   * JoinGroup: resolves when the rebalance completes (or at once for errors, MEMBER_ID_REQUIRED and
   * static members rejoining a stable group unchanged).
   */
  joinGroup(input: JoinGroupInput): Promise<JoinGroupResult> {
    if (this.#closed) return Promise.resolve(joinError(KafkaErrorCode.COORDINATOR_NOT_AVAILABLE, input.memberId));
    if (!isStorableName(input.groupId)) {
      return Promise.resolve(joinError(KafkaErrorCode.INVALID_GROUP_ID, input.memberId));
    }
    if (
      input.sessionTimeoutMs < this.#config.groupMinSessionTimeoutMs ||
      input.sessionTimeoutMs > this.#config.groupMaxSessionTimeoutMs
    ) {
      return Promise.resolve(joinError(KafkaErrorCode.INVALID_SESSION_TIMEOUT, input.memberId));
    }
    if (input.protocolType === '' || input.protocols.length === 0) {
      return Promise.resolve(joinError(KafkaErrorCode.INCONSISTENT_GROUP_PROTOCOL, input.memberId));
    }
    const group = this.#groups.get(input.groupId) ?? this.#createGroup(input.groupId);
    return new Promise<JoinGroupResult>((resolve) => {
      if (input.memberId === '') this.#joinUnknownMember(group, input, resolve);
      else this.#joinKnownMember(group, input, resolve);
      if (group.members.size === 0 && group.pendingMembers.size === 0 && group.state === 'Empty') {
        this.#groups.delete(group.id);
      }
    });
  }

  /** SyncGroup: the leader's assignment is stored and handed out; followers wait for it. */
  syncGroup(input: SyncGroupInput): Promise<SyncGroupResult> {
    const fail = (errorCode: number): Promise<SyncGroupResult> => Promise.resolve({ errorCode, assignment: EMPTY });
    const group = this.#groups.get(input.groupId);
    if (group === undefined) return fail(KafkaErrorCode.UNKNOWN_MEMBER_ID);
    const error = this.#validateMember(group, input.memberId, input.groupInstanceId, input.generationId);
    if (error !== KafkaErrorCode.NONE) return fail(error);
    const member = group.members.get(input.memberId) as Member;
    switch (group.state) {
      case 'PreparingRebalance':
        return fail(KafkaErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        this.#touch(member);
        return Promise.resolve({ errorCode: KafkaErrorCode.NONE, assignment: member.assignment });
      case 'CompletingRebalance':
        return new Promise<SyncGroupResult>((resolve) => {
          this.#answerSync(member, { errorCode: KafkaErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
          member.syncWaiter = resolve;
          this.#touch(member);
          if (member.memberId !== group.leaderId) return;
          const assignments = new Map(input.assignments.map((item) => [item.memberId, item.assignment]));
          for (const each of group.members.values()) each.assignment = assignments.get(each.memberId) ?? EMPTY;
          group.state = 'Stable';
          for (const each of group.members.values()) {
            this.#answerSync(each, { errorCode: KafkaErrorCode.NONE, assignment: each.assignment });
          }
          this.#logger.info('kafka group stable', {
            group: group.id,
            generation: group.generationId,
            members: group.members.size,
          });
        });
      default:
        return fail(KafkaErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  /** Heartbeat: keeps the session alive; REBALANCE_IN_PROGRESS tells the member to rejoin. */
  heartbeat(input: HeartbeatInput): number {
    const group = this.#groups.get(input.groupId);
    if (group === undefined) return KafkaErrorCode.UNKNOWN_MEMBER_ID;
    const error = this.#validateMember(group, input.memberId, input.groupInstanceId, input.generationId);
    if (error !== KafkaErrorCode.NONE) return error;
    const member = group.members.get(input.memberId) as Member;
    this.#touch(member);
    return group.state === 'PreparingRebalance' ? KafkaErrorCode.REBALANCE_IN_PROGRESS : KafkaErrorCode.NONE;
  }

  /**
   * LeaveGroup: removes each member (by member id, or by instance id for static members) and rebalances.
   * The group-level error is set only when the group is unknown; v0–2 answers carry the member's error.
   */
  leaveGroup(
    groupId: string,
    members: readonly LeaveGroupMember[],
  ): { errorCode: number; members: LeaveGroupMemberResponse[] } {
    const group = this.#groups.get(groupId);
    if (group === undefined) {
      return {
        errorCode: KafkaErrorCode.UNKNOWN_MEMBER_ID,
        members: members.map((m) => ({ ...m, errorCode: KafkaErrorCode.UNKNOWN_MEMBER_ID })),
      };
    }
    const results: LeaveGroupMemberResponse[] = [];
    let removed = false;
    for (const leaving of members) {
      let memberId = leaving.memberId;
      let errorCode: number = KafkaErrorCode.NONE;
      if (leaving.groupInstanceId !== null) {
        const registered = group.staticMembers.get(leaving.groupInstanceId);
        if (registered === undefined) errorCode = KafkaErrorCode.UNKNOWN_MEMBER_ID;
        else if (memberId !== '' && memberId !== registered) errorCode = KafkaErrorCode.FENCED_INSTANCE_ID;
        else memberId = registered;
      }
      if (errorCode === KafkaErrorCode.NONE) {
        if (group.pendingMembers.delete(memberId)) {
          // A KIP-394 member that never joined: nothing to rebalance.
        } else if (group.members.has(memberId)) {
          this.#removeMember(group, group.members.get(memberId) as Member, 'left');
          removed = true;
        } else {
          errorCode = KafkaErrorCode.UNKNOWN_MEMBER_ID;
        }
      }
      results.push({ memberId: leaving.memberId, groupInstanceId: leaving.groupInstanceId, errorCode });
    }
    if (removed) this.#membershipShrank(group);
    return { errorCode: KafkaErrorCode.NONE, members: results };
  }

  /**
   * OffsetCommit: validates the member and generation while the group has members (or a rebalance is
   * completing); a group without members accepts generation -1 commits (standalone consumers, admin
   * offset resets). Negative offsets are acknowledged and not stored.
   */
  async commitOffsets(request: OffsetCommitRequest): Promise<OffsetCommitResponseTopic[]> {
    const every = (errorCode: number): OffsetCommitResponseTopic[] =>
      request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
      }));
    if (this.#closed) return every(KafkaErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!isStorableName(request.groupId)) return every(KafkaErrorCode.INVALID_GROUP_ID);
    const error = this.#validateCommit(request);
    if (error !== KafkaErrorCode.NONE) return every(error);

    const offsets: GroupOffset[] = [];
    const results = request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => {
        let errorCode: number = KafkaErrorCode.NONE;
        const metadata = partition.committedMetadata ?? '';
        const offset = partition.committedOffset;
        if (!isStorableName(topic.name) || partition.partitionIndex < 0) {
          errorCode = KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        } else if (Buffer.byteLength(metadata, 'utf8') > MAX_OFFSET_METADATA_BYTES) {
          errorCode = KafkaErrorCode.OFFSET_METADATA_TOO_LARGE;
        } else if (offset >= 0n && offset <= BigInt(Number.MAX_SAFE_INTEGER)) {
          offsets.push({ topic: topic.name, partition: partition.partitionIndex, offset: Number(offset), metadata });
        }
        return { partitionIndex: partition.partitionIndex, errorCode };
      }),
    }));
    try {
      await this.#offsets.commit(request.groupId, offsets);
    } catch (cause) {
      this.#logger.error('kafka offset commit failed', { group: request.groupId, error: String(cause) });
      return every(KafkaErrorCode.UNKNOWN_SERVER_ERROR);
    }
    return results;
  }

  /** OffsetFetch: the committed offsets asked for (-1 when none), or every one with `topics` null. */
  async fetchOffsets(
    groupId: string,
    topics: readonly OffsetFetchRequestTopic[] | null,
  ): Promise<{ errorCode: number; topics: OffsetFetchResponseTopic[] }> {
    const none = (errorCode: number) => ({
      errorCode,
      topics: (topics ?? []).map((topic) => ({
        name: topic.name,
        partitions: topic.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          committedOffset: -1n,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode,
        })),
      })),
    });
    if (!isStorableName(groupId)) return none(KafkaErrorCode.INVALID_GROUP_ID);
    if (topics === null) {
      const byTopic = new Map<string, OffsetFetchResponseTopic['partitions'][number][]>();
      for (const { topic, partition, offset, metadata } of await this.#offsets.all(groupId)) {
        const list = byTopic.get(topic) ?? [];
        list.push({
          partitionIndex: partition,
          committedOffset: BigInt(offset),
          committedLeaderEpoch: -1,
          metadata,
          errorCode: 0,
        });
        byTopic.set(topic, list);
      }
      return { errorCode: 0, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
    }
    const result: OffsetFetchResponseTopic[] = [];
    for (const topic of topics) {
      const partitions: OffsetFetchResponseTopic['partitions'][number][] = [];
      for (const partitionIndex of topic.partitionIndexes) {
        if (!isStorableName(topic.name) || partitionIndex < 0) {
          partitions.push({
            partitionIndex,
            committedOffset: -1n,
            committedLeaderEpoch: -1,
            metadata: '',
            errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          });
          continue;
        }
        const { offset, metadata } = await this.#offsets.committed(groupId, topic.name, partitionIndex);
        partitions.push({
          partitionIndex,
          committedOffset: BigInt(offset),
          committedLeaderEpoch: -1,
          metadata,
          errorCode: 0,
        });
      }
      result.push({ name: topic.name, partitions });
    }
    return { errorCode: 0, topics: result };
  }

  /** DescribeGroups for one group: members with their metadata and assignment. */
  async describeGroup(groupId: string, includeAuthorizedOperations: boolean): Promise<DescribedGroup> {
    const authorizedOperations = includeAuthorizedOperations ? GROUP_OPERATIONS : OPERATIONS_NOT_REQUESTED;
    const base = { groupId, protocolType: '', protocolData: '', members: [], authorizedOperations };
    if (!isStorableName(groupId)) {
      return { ...base, errorCode: KafkaErrorCode.INVALID_GROUP_ID, groupState: 'Dead' };
    }
    const group = this.#groups.get(groupId);
    if (group === undefined) {
      const state = (await this.#offsets.has(groupId)) ? 'Empty' : 'Dead';
      return { ...base, errorCode: 0, groupState: state };
    }
    const stable = group.state === 'Stable' || group.state === 'CompletingRebalance';
    return {
      ...base,
      errorCode: 0,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        memberMetadata: stable ? protocolMetadata(member, group.protocolName) : EMPTY,
        memberAssignment: group.state === 'Stable' ? member.assignment : EMPTY,
      })),
    };
  }

  /**
   * ListGroups: the groups this coordinator holds, then every group with committed offsets and every
   * live RocketMQ group (protocol type empty: they only store offsets as far as Kafka is concerned).
   */
  async listGroups(): Promise<ListedGroup[]> {
    const listed = new Map<string, string>();
    for (const group of this.#groups.values()) listed.set(group.id, group.protocolType ?? '');
    for (const name of await this.#offsets.groups()) if (!listed.has(name)) listed.set(name, '');
    for (const name of this.#broker.groups.groups()) if (!listed.has(name)) listed.set(name, '');
    return [...listed].map(([groupId, protocolType]) => ({ groupId, protocolType }));
  }

  /** DeleteGroups: only groups without members; their committed offsets go too. */
  async deleteGroups(groupIds: readonly string[]): Promise<DeletableGroupResult[]> {
    const results: DeletableGroupResult[] = [];
    for (const groupId of groupIds) {
      results.push({ groupId, errorCode: await this.#deleteGroup(groupId) });
    }
    return results;
  }

  async #deleteGroup(groupId: string): Promise<number> {
    if (!isStorableName(groupId)) return KafkaErrorCode.INVALID_GROUP_ID;
    const group = this.#groups.get(groupId);
    if (group !== undefined && group.state !== 'Empty') return KafkaErrorCode.NON_EMPTY_GROUP;
    if (this.#broker.groups.members(groupId).length > 0) return KafkaErrorCode.NON_EMPTY_GROUP;
    const removed = await this.#offsets.delete(groupId);
    if (group !== undefined) {
      group.state = 'Dead';
      this.#groups.delete(groupId);
      return KafkaErrorCode.NONE;
    }
    return removed > 0 ? KafkaErrorCode.NONE : KafkaErrorCode.GROUP_ID_NOT_FOUND;
  }

  #validateCommit(request: OffsetCommitRequest): number {
    const group = this.#groups.get(request.groupId);
    const hasMembers = group !== undefined && group.members.size > 0;
    if (!hasMembers) {
      // Offsets-only use (assign() consumers, admin resets) commits without a generation; a generation
      // here is a member of a group this coordinator no longer has (a restart): it must rejoin.
      return request.generationId < 0 ? KafkaErrorCode.NONE : KafkaErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (request.generationId < 0 && request.memberId === '' && request.groupInstanceId === null) {
      return KafkaErrorCode.UNKNOWN_MEMBER_ID;
    }
    const error = this.#validateMember(group, request.memberId, request.groupInstanceId, request.generationId);
    if (error !== KafkaErrorCode.NONE) return error;
    // The member has the new generation from its JoinGroup answer but not its assignment yet.
    if (group.state === 'CompletingRebalance') return KafkaErrorCode.REBALANCE_IN_PROGRESS;
    this.#touch(group.members.get(request.memberId) as Member);
    return KafkaErrorCode.NONE;
  }

  #validateMember(group: Group, memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (groupInstanceId !== null) {
      const registered = group.staticMembers.get(groupInstanceId);
      if (registered !== undefined && registered !== memberId) return KafkaErrorCode.FENCED_INSTANCE_ID;
    }
    if (!group.members.has(memberId)) return KafkaErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return KafkaErrorCode.ILLEGAL_GENERATION;
    return KafkaErrorCode.NONE;
  }

  #createGroup(id: string): Group {
    const group: Group = {
      id,
      state: 'Empty',
      generationId: 0,
      protocolType: null,
      protocolName: null,
      leaderId: null,
      members: new Map(),
      staticMembers: new Map(),
      pendingMembers: new Map(),
      joinTimer: undefined,
      initialDelay: undefined,
    };
    this.#groups.set(id, group);
    return group;
  }

  #joinUnknownMember(group: Group, input: JoinGroupInput, resolve: (result: JoinGroupResult) => void): void {
    if (group.state === 'Dead') {
      resolve(joinError(KafkaErrorCode.COORDINATOR_NOT_AVAILABLE, ''));
      return;
    }
    if (!this.#supportsProtocols(group, input, undefined)) {
      resolve(joinError(KafkaErrorCode.INCONSISTENT_GROUP_PROTOCOL, ''));
      return;
    }
    if (input.groupInstanceId !== null) {
      const existing = group.staticMembers.get(input.groupInstanceId);
      if (existing !== undefined) {
        // A static member back after a restart keeps its member id; a stable group needs no rebalance
        // when it subscribes as before.
        this.#rejoinMember(group, group.members.get(existing) as Member, input, resolve);
        return;
      }
    }
    const memberId = `${input.clientId}-${randomUUID()}`;
    if (input.groupInstanceId === null && input.requireKnownMemberId) {
      group.pendingMembers.set(memberId, this.#clock.now() + input.sessionTimeoutMs);
      this.#scheduleSweep(this.#clock.now() + input.sessionTimeoutMs);
      resolve(joinError(KafkaErrorCode.MEMBER_ID_REQUIRED, memberId));
      return;
    }
    this.#addMember(group, memberId, input, resolve);
  }

  #joinKnownMember(group: Group, input: JoinGroupInput, resolve: (result: JoinGroupResult) => void): void {
    const { memberId } = input;
    if (input.groupInstanceId !== null) {
      const registered = group.staticMembers.get(input.groupInstanceId);
      if (registered !== undefined && registered !== memberId) {
        resolve(joinError(KafkaErrorCode.FENCED_INSTANCE_ID, memberId));
        return;
      }
    }
    if (group.pendingMembers.has(memberId)) {
      if (!this.#supportsProtocols(group, input, undefined)) {
        resolve(joinError(KafkaErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId));
        return;
      }
      group.pendingMembers.delete(memberId);
      this.#addMember(group, memberId, input, resolve);
      return;
    }
    const member = group.members.get(memberId);
    if (member === undefined || group.state === 'Dead') {
      resolve(joinError(KafkaErrorCode.UNKNOWN_MEMBER_ID, memberId));
      return;
    }
    if (!this.#supportsProtocols(group, input, memberId)) {
      resolve(joinError(KafkaErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId));
      return;
    }
    this.#rejoinMember(group, member, input, resolve);
  }

  /** A member of the group joins again (a rebalance it was told about, or a static member's restart). */
  #rejoinMember(group: Group, member: Member, input: JoinGroupInput, resolve: (result: JoinGroupResult) => void): void {
    const unchanged = sameProtocols(member.protocols, input.protocols);
    if ((group.state === 'Stable' || group.state === 'CompletingRebalance') && unchanged) {
      if (group.state === 'Stable' && member.memberId === group.leaderId && member.groupInstanceId === null) {
        // A dynamic leader rejoining a stable group wants a new assignment: rebalance.
      } else {
        this.#updateMember(member, input);
        this.#touch(member);
        resolve(this.#joinResult(group, member));
        return;
      }
    }
    this.#updateMember(member, input);
    this.#answerJoin(member, joinError(KafkaErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
    member.joinWaiter = resolve;
    if (group.state !== 'PreparingRebalance') this.#prepareRebalance(group, `member ${member.memberId} rejoined`);
    else this.#maybeCompleteJoin(group);
  }

  #addMember(group: Group, memberId: string, input: JoinGroupInput, resolve: (result: JoinGroupResult) => void): void {
    const member: Member = {
      memberId,
      groupInstanceId: input.groupInstanceId,
      clientId: input.clientId,
      clientHost: input.clientHost,
      sessionTimeoutMs: input.sessionTimeoutMs,
      rebalanceTimeoutMs: input.rebalanceTimeoutMs,
      protocolType: input.protocolType,
      protocols: input.protocols,
      assignment: EMPTY,
      deadline: this.#clock.now() + input.sessionTimeoutMs,
      joinWaiter: resolve,
      syncWaiter: undefined,
    };
    if (group.members.size === 0) group.protocolType = input.protocolType;
    group.members.set(memberId, member);
    if (input.groupInstanceId !== null) group.staticMembers.set(input.groupInstanceId, memberId);
    if (group.leaderId === null) group.leaderId = memberId;
    this.#scheduleSweep(member.deadline);
    if (group.initialDelay !== undefined) group.initialDelay.newMemberJoined = true;
    if (group.state !== 'PreparingRebalance') this.#prepareRebalance(group, `member ${memberId} joined`);
    else this.#maybeCompleteJoin(group);
  }

  #updateMember(member: Member, input: JoinGroupInput): void {
    member.clientId = input.clientId;
    member.clientHost = input.clientHost;
    member.sessionTimeoutMs = input.sessionTimeoutMs;
    member.rebalanceTimeoutMs = input.rebalanceTimeoutMs;
    member.protocolType = input.protocolType;
    member.protocols = input.protocols;
  }

  #prepareRebalance(group: Group, reason: string): void {
    if (group.state === 'CompletingRebalance') {
      for (const member of group.members.values()) {
        member.assignment = EMPTY;
        this.#answerSync(member, { errorCode: KafkaErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
      }
    }
    const wasEmpty = group.state === 'Empty';
    group.state = 'PreparingRebalance';
    group.joinTimer?.cancel();
    this.#logger.info('kafka group rebalancing', { group: group.id, generation: group.generationId, reason });
    const rebalanceTimeoutMs = Math.max(0, ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs));
    const delay = this.#config.groupInitialRebalanceDelayMs;
    if (wasEmpty && delay > 0) {
      const first = Math.min(delay, rebalanceTimeoutMs);
      group.initialDelay = { newMemberJoined: false, remainingMs: Math.max(0, rebalanceTimeoutMs - first) };
      group.joinTimer = this.#clock.schedule(first, () => this.#initialDelayElapsed(group));
      return;
    }
    group.joinTimer = this.#clock.schedule(rebalanceTimeoutMs, () => {
      group.joinTimer = undefined;
      if (group.state === 'PreparingRebalance') this.#completeJoin(group);
    });
    this.#maybeCompleteJoin(group);
  }

  #initialDelayElapsed(group: Group): void {
    const pending = group.initialDelay;
    group.joinTimer = undefined;
    if (pending === undefined || group.state !== 'PreparingRebalance') return;
    // Kafka's InitialDelayedJoin: while members keep arriving, wait another delay, within the rebalance timeout.
    if (pending.newMemberJoined && pending.remainingMs > 0) {
      const next = Math.min(this.#config.groupInitialRebalanceDelayMs, pending.remainingMs);
      group.initialDelay = { newMemberJoined: false, remainingMs: pending.remainingMs - next };
      group.joinTimer = this.#clock.schedule(next, () => this.#initialDelayElapsed(group));
      return;
    }
    group.initialDelay = undefined;
    this.#completeJoin(group);
  }

  #maybeCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance' || group.initialDelay !== undefined) return;
    if (group.pendingMembers.size > 0) return;
    for (const member of group.members.values()) if (member.joinWaiter === undefined) return;
    this.#completeJoin(group);
  }

  #completeJoin(group: Group): void {
    group.joinTimer?.cancel();
    group.joinTimer = undefined;
    group.initialDelay = undefined;
    for (const member of [...group.members.values()]) {
      if (member.joinWaiter === undefined) this.#removeMember(group, member, 'did not rejoin in time');
    }
    group.generationId++;
    if (group.members.size === 0) {
      group.state = 'Empty';
      group.protocolName = null;
      group.protocolType = null;
      group.leaderId = null;
      this.#logger.info('kafka group empty', { group: group.id, generation: group.generationId });
      if (group.pendingMembers.size === 0) this.#groups.delete(group.id);
      return;
    }
    if (group.leaderId === null || !group.members.has(group.leaderId)) {
      group.leaderId = group.members.keys().next().value as string;
    }
    group.protocolName = selectProtocol(group);
    group.state = 'CompletingRebalance';
    const now = this.#clock.now();
    for (const member of group.members.values()) {
      member.deadline = now + member.sessionTimeoutMs;
      this.#answerJoin(member, this.#joinResult(group, member));
    }
    this.#scheduleSweep(now + Math.min(...[...group.members.values()].map((m) => m.sessionTimeoutMs)));
  }

  #joinResult(group: Group, member: Member): JoinGroupResult {
    const leader = group.leaderId ?? '';
    return {
      errorCode: KafkaErrorCode.NONE,
      generationId: group.generationId,
      protocolName: group.protocolName ?? '',
      leader,
      memberId: member.memberId,
      members:
        member.memberId === leader
          ? [...group.members.values()].map((each) => ({
              memberId: each.memberId,
              groupInstanceId: each.groupInstanceId,
              metadata: protocolMetadata(each, group.protocolName),
            }))
          : [],
    };
  }

  #supportsProtocols(group: Group, input: JoinGroupInput, exceptMemberId: string | undefined): boolean {
    const others = [...group.members.values()].filter((member) => member.memberId !== exceptMemberId);
    if (others.length === 0) return true;
    if (group.protocolType !== null && group.protocolType !== input.protocolType) return false;
    return input.protocols.some((protocol) =>
      others.every((member) => member.protocols.some((candidate) => candidate.name === protocol.name)),
    );
  }

  #removeMember(group: Group, member: Member, reason: string): void {
    group.members.delete(member.memberId);
    if (member.groupInstanceId !== null && group.staticMembers.get(member.groupInstanceId) === member.memberId) {
      group.staticMembers.delete(member.groupInstanceId);
    }
    if (group.leaderId === member.memberId) group.leaderId = group.members.keys().next().value ?? null;
    this.#answerJoin(member, joinError(KafkaErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    this.#answerSync(member, { errorCode: KafkaErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    this.#logger.info('kafka group member removed', { group: group.id, member: member.memberId, reason });
  }

  /** After members left or expired: rebalance the rest (or finish a rebalance that waited for them). */
  #membershipShrank(group: Group): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') {
      this.#prepareRebalance(group, 'a member left');
    } else if (group.state === 'PreparingRebalance') {
      if (group.members.size === 0) this.#completeJoin(group);
      else this.#maybeCompleteJoin(group);
    }
  }

  #touch(member: Member): void {
    member.deadline = this.#clock.now() + member.sessionTimeoutMs;
  }

  #answerJoin(member: Member, result: JoinGroupResult): void {
    const waiter = member.joinWaiter;
    member.joinWaiter = undefined;
    waiter?.(result);
  }

  #answerSync(member: Member, result: SyncGroupResult): void {
    const waiter = member.syncWaiter;
    member.syncWaiter = undefined;
    waiter?.(result);
  }

  #scheduleSweep(at: number): void {
    if (this.#closed) return;
    if (this.#sweeper !== undefined && this.#sweeper.at <= at) return;
    this.#sweeper?.task.cancel();
    const task = this.#clock.schedule(at - this.#clock.now(), () => {
      this.#sweeper = undefined;
      this.#sweep();
    });
    this.#sweeper = { task, at };
  }

  /** Expires silent members and stale KIP-394 member ids, then schedules itself at the next deadline. */
  #sweep(): void {
    const now = this.#clock.now();
    let next = Number.POSITIVE_INFINITY;
    for (const group of [...this.#groups.values()]) {
      for (const [memberId, deadline] of group.pendingMembers) {
        if (deadline <= now) group.pendingMembers.delete(memberId);
        else next = Math.min(next, deadline);
      }
      let expired = false;
      for (const member of [...group.members.values()]) {
        // A member held in JoinGroup or SyncGroup is alive: the rebalance timeout bounds that wait.
        if (member.joinWaiter !== undefined || member.syncWaiter !== undefined) {
          next = Math.min(next, now + member.sessionTimeoutMs);
        } else if (member.deadline <= now) {
          this.#removeMember(group, member, 'session timed out');
          expired = true;
        } else {
          next = Math.min(next, member.deadline);
        }
      }
      if (expired) this.#membershipShrank(group);
      else if (group.state === 'PreparingRebalance') this.#maybeCompleteJoin(group);
      if (group.state === 'Empty' && group.members.size === 0 && group.pendingMembers.size === 0) {
        this.#groups.delete(group.id);
      }
    }
    if (Number.isFinite(next)) this.#scheduleSweep(next);
  }
}

function joinError(errorCode: number, memberId: string): JoinGroupResult {
  return { errorCode, generationId: -1, protocolName: '', leader: '', memberId, members: [] };
}

function sameProtocols(a: readonly JoinGroupRequestProtocol[], b: readonly JoinGroupRequestProtocol[]): boolean {
  return (
    a.length === b.length &&
    a.every((protocol, index) => {
      const other = b[index] as JoinGroupRequestProtocol;
      return protocol.name === other.name && Buffer.from(protocol.metadata).equals(Buffer.from(other.metadata));
    })
  );
}

function protocolMetadata(member: Member, protocolName: string | null): Uint8Array {
  return member.protocols.find((protocol) => protocol.name === protocolName)?.metadata ?? EMPTY;
}

/** Kafka's vote: among the protocols every member supports, the one most members list first. */
function selectProtocol(group: Group): string {
  const members = [...group.members.values()];
  const first = members[0] as Member;
  const candidates = first.protocols
    .map((protocol) => protocol.name)
    .filter((name) => members.every((member) => member.protocols.some((protocol) => protocol.name === name)));
  const votes = new Map<string, number>(candidates.map((name) => [name, 0]));
  for (const member of members) {
    const choice = member.protocols.find((protocol) => votes.has(protocol.name));
    if (choice !== undefined) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
  }
  let best = candidates[0] ?? '';
  for (const name of candidates) if ((votes.get(name) ?? 0) > (votes.get(best) ?? 0)) best = name;
  return best;
}

/**
 * The gateway's group coordinator as this module's class (the gateway state types it by the small
 * contract only). A gateway started without one answers COORDINATOR_NOT_AVAILABLE.
 */
export function requireGroupCoordinator(state: { readonly groups: GroupCoordinatorContract }): GroupCoordinator {
  if (state.groups instanceof GroupCoordinator) return state.groups;
  throw new KafkaProtocolError(KafkaErrorCode.COORDINATOR_NOT_AVAILABLE, 'this gateway has no group coordinator');
}
