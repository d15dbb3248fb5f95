import { describe, expect, it } from 'vitest';
import type { ApiCodec } from '../api.js';
import { KafkaErrorCode, KafkaProtocolError } from '../errors.js';
import { KafkaReader } from '../reader.js';
import { KafkaWriter } from '../writer.js';
import { deleteGroupsCodec } from './delete-groups.js';
import { describeGroupsCodec } from './describe-groups.js';
import { findCoordinatorCodec } from './find-coordinator.js';
import { heartbeatCodec } from './heartbeat.js';
import { joinGroupCodec } from './join-group.js';
import { leaveGroupCodec } from './leave-group.js';
import { listGroupsCodec } from './list-groups.js';
import { offsetCommitCodec } from './offset-commit.js';
import { offsetFetchCodec } from './offset-fetch.js';
import { syncGroupCodec } from './sync-group.js';

// biome-ignore lint/suspicious/noExplicitAny: round-trips over codecs of different types
type AnyCodec = ApiCodec<any, any>;
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const hex = (value: Uint8Array): string => Buffer.from(value).toString('hex');

function encode(write: (writer: KafkaWriter) => void): Uint8Array {
  const writer = new KafkaWriter();
  write(writer);
  return writer.finish();
}

/** Request and response round-trips at `version`, plus a failure at every truncation of the request. */
function roundTrip(codec: AnyCodec, version: number, request: unknown, response: unknown): void {
  const whole = encode((w) => codec.encodeRequest(w, version, request));
  const reader = new KafkaReader(whole);
  expect(codec.decodeRequest(reader, version)).toEqual(request);
  expect(reader.remaining).toBe(0);
  const responseBytes = encode((w) => codec.encodeResponse(w, version, response));
  const responseReader = new KafkaReader(responseBytes);
  expect(codec.decodeResponse(responseReader, version)).toEqual(response);
  expect(responseReader.remaining).toBe(0);
  for (let cut = 0; cut < whole.length; cut++) {
    expect(() => codec.decodeRequest(new KafkaReader(whole.subarray(0, cut)), version)).toThrow(KafkaProtocolError);
  }
  for (let cut = 0; cut < responseBytes.length; cut++) {
    expect(() => codec.decodeResponse(new KafkaReader(responseBytes.subarray(0, cut)), version)).toThrow(
      KafkaProtocolError,
    );
  }
}

/** A request body with an unknown tagged field at its end still decodes (flexible versions skip unknown tags). */
function withUnknownTag(body: Uint8Array): Uint8Array {
  // The body ends with an empty tag section (00); replace it with one tag 7 of two bytes.
  return Uint8Array.from([...body.subarray(0, body.length - 1), 0x01, 0x07, 0x02, 0xab, 0xcd]);
}

const memberId = 'consumer-1-2b9c';

describe('advertised ranges', () => {
  it.each([
    [findCoordinatorCodec, 4, 3],
    [joinGroupCodec, 6, 6],
    [syncGroupCodec, 4, 4],
    [heartbeatCodec, 4, 4],
    [leaveGroupCodec, 4, 4],
    [offsetCommitCodec, 8, 8],
    [offsetFetchCodec, 8, 6],
    [describeGroupsCodec, 5, 5],
    [listGroupsCodec, 4, 3],
    [deleteGroupsCodec, 2, 2],
  ] as [AnyCodec, number, number][])('%s', (codec, max, flexible) => {
    expect(codec.minVersion).toBe(0);
    expect(codec.maxVersion).toBe(max);
    expect(codec.flexibleVersion).toBe(flexible);
    expect(() => codec.decodeRequest(new KafkaReader(new Uint8Array(64)), max + 1)).toThrow(
      expect.objectContaining({ errorCode: KafkaErrorCode.UNSUPPORTED_VERSION }),
    );
  });
});

describe('FindCoordinator v3–4', () => {
  const response = { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 0, host: 'localhost', port: 9092 };
  it('v3 round-trips (flexible, one key)', () => {
    roundTrip(findCoordinatorCodec, 3, { key: 'grp', keyType: 0 }, { ...response, errorMessage: 'x' });
  });
  it('v4 round-trips batched keys and coordinators', () => {
    const coordinators = [
      { key: 'a', nodeId: 0, host: 'localhost', port: 9092, errorCode: 0, errorMessage: null },
      { key: 'b', nodeId: -1, host: '', port: -1, errorCode: 42, errorMessage: 'bad' },
    ];
    roundTrip(
      findCoordinatorCodec,
      4,
      { key: 'a', keyType: 1, coordinatorKeys: ['a', 'b'] },
      {
        ...response,
        coordinators,
      },
    );
  });
  it('v4 bytes: key_type, compact keys, tags', () => {
    const body = encode((w) =>
      findCoordinatorCodec.encodeRequest(w, 4, { key: 'a', keyType: 0, coordinatorKeys: ['a', 'b'] }),
    );
    expect(hex(body)).toBe('00030261026200');
    const fallback = encode((w) => findCoordinatorCodec.encodeRequest(w, 4, { key: 'g', keyType: 0 }));
    expect(hex(fallback)).toBe('0002026700');
    const reply = encode((w) =>
      findCoordinatorCodec.encodeResponse(w, 4, {
        ...response,
        coordinators: [{ key: 'g', nodeId: 0, host: 'h', port: 9092, errorCode: 0, errorMessage: null }],
      }),
    );
    // throttle, 1 coordinator: key 'g', node 0, host 'h', port 9092, error 0, message null, tags; tags.
    expect(hex(reply)).toBe('000000000202670000000002680000238400000000' + '00');
  });
  it('v4 decode skips unknown tags', () => {
    const body = encode((w) =>
      findCoordinatorCodec.encodeRequest(w, 4, { key: 'a', keyType: 0, coordinatorKeys: ['a'] }),
    );
    expect(findCoordinatorCodec.decodeRequest(new KafkaReader(withUnknownTag(body)), 4)).toEqual({
      key: 'a',
      keyType: 0,
      coordinatorKeys: ['a'],
    });
  });
});

describe('JoinGroup v6', () => {
  it('round-trips', () => {
    const request = {
      groupId: 'grp',
      sessionTimeoutMs: 30000,
      rebalanceTimeoutMs: 60000,
      memberId: '',
      groupInstanceId: 'static-1',
      protocolType: 'consumer',
      protocols: [
        { name: 'roundrobin', metadata: bytes('meta-1') },
        { name: 'range', metadata: new Uint8Array(0) },
      ],
    };
    const response = {
      throttleTimeMs: 0,
      errorCode: 0,
      generationId: 3,
      protocolName: 'roundrobin',
      leader: memberId,
      memberId,
      members: [
        { memberId, groupInstanceId: null, metadata: bytes('m1') },
        { memberId: 'other', groupInstanceId: 'static-1', metadata: bytes('m2') },
      ],
    };
    roundTrip(joinGroupCodec, 6, request, response);
    expect(
      joinGroupCodec.decodeRequest(
        new KafkaReader(withUnknownTag(encode((w) => joinGroupCodec.encodeRequest(w, 6, request)))),
        6,
      ),
    ).toEqual(request);
  });
});

describe('SyncGroup v4, Heartbeat v4, LeaveGroup v4', () => {
  it('SyncGroup v4 round-trips', () => {
    roundTrip(
      syncGroupCodec,
      4,
      {
        groupId: 'grp',
        generationId: 2,
        memberId,
        groupInstanceId: null,
        assignments: [
          { memberId, assignment: bytes('a1') },
          { memberId: 'm2', assignment: new Uint8Array(0) },
        ],
      },
      { throttleTimeMs: 0, errorCode: 0, assignment: bytes('assignment') },
    );
  });
  it('Heartbeat v4 round-trips; bytes are compact', () => {
    const request = { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null };
    roundTrip(heartbeatCodec, 4, request, { throttleTimeMs: 5, errorCode: 27 });
    expect(hex(encode((w) => heartbeatCodec.encodeRequest(w, 4, request)))).toBe('02670000000102' + '6d0000');
    expect(hex(encode((w) => heartbeatCodec.encodeResponse(w, 4, { throttleTimeMs: 0, errorCode: 27 })))).toBe(
      '00000000001b00',
    );
  });
  it('LeaveGroup v4 round-trips', () => {
    roundTrip(
      leaveGroupCodec,
      4,
      {
        groupId: 'grp',
        members: [
          { memberId, groupInstanceId: null },
          { memberId: '', groupInstanceId: 'i-1' },
        ],
      },
      {
        throttleTimeMs: 0,
        errorCode: 0,
        members: [
          { memberId, groupInstanceId: null, errorCode: 0 },
          { memberId: '', groupInstanceId: 'i-1', errorCode: 82 },
        ],
      },
    );
  });
});

describe('OffsetCommit v8', () => {
  it('round-trips', () => {
    roundTrip(
      offsetCommitCodec,
      8,
      {
        groupId: 'grp',
        generationId: 4,
        memberId,
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [
          {
            name: 't1',
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: 42n,
                committedLeaderEpoch: -1,
                commitTimestamp: -1n,
                committedMetadata: null,
              },
              {
                partitionIndex: 1,
                committedOffset: 7n,
                committedLeaderEpoch: 3,
                commitTimestamp: -1n,
                committedMetadata: 'md',
              },
            ],
          },
        ],
      },
      {
        throttleTimeMs: 0,
        topics: [
          {
            name: 't1',
            partitions: [
              { partitionIndex: 0, errorCode: 0 },
              { partitionIndex: 1, errorCode: 22 },
            ],
          },
        ],
      },
    );
  });
});

describe('OffsetFetch v6–8', () => {
  const partitions = [
    { partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
    { partitionIndex: 1, committedOffset: -1n, committedLeaderEpoch: 2, metadata: null, errorCode: 0 },
  ];
  const response = { throttleTimeMs: 0, topics: [{ name: 't1', partitions }], errorCode: 0 };
  it('v6 round-trips (null topics = all)', () => {
    roundTrip(offsetFetchCodec, 6, { groupId: 'grp', topics: null }, response);
    roundTrip(offsetFetchCodec, 6, { groupId: 'grp', topics: [{ name: 't1', partitionIndexes: [0, 1] }] }, response);
  });
  it('v7 round-trips require_stable', () => {
    roundTrip(
      offsetFetchCodec,
      7,
      { groupId: 'grp', topics: [{ name: 't1', partitionIndexes: [0] }], requireStable: true },
      {
        ...response,
        errorCode: 16,
      },
    );
    const body = encode((w) => offsetFetchCodec.encodeRequest(w, 7, { groupId: 'g', topics: null }));
    expect(hex(body)).toBe('0267' + '00' + '00' + '00');
  });
  it('v8 round-trips several groups', () => {
    const groups = [
      { groupId: 'g1', topics: [{ name: 't1', partitionIndexes: [0, 1] }] },
      { groupId: 'g2', topics: null },
    ];
    const responseGroups = [
      { groupId: 'g1', topics: [{ name: 't1', partitions }], errorCode: 0 },
      { groupId: 'g2', topics: [], errorCode: 69 },
    ];
    roundTrip(
      offsetFetchCodec,
      8,
      { groupId: 'g1', topics: groups[0]?.topics, requireStable: false, groups },
      { throttleTimeMs: 0, topics: [{ name: 't1', partitions }], errorCode: 0, groups: responseGroups },
    );
  });
  it('v8 without groups encodes the single group', () => {
    const body = encode((w) => offsetFetchCodec.encodeRequest(w, 8, { groupId: 'g', topics: null }));
    // groups [1]: 'g', topics null, tags; require_stable false; tags.
    expect(hex(body)).toBe('02026700000000');
    expect(offsetFetchCodec.decodeRequest(new KafkaReader(body), 8)).toEqual({
      groupId: 'g',
      topics: null,
      requireStable: false,
      groups: [{ groupId: 'g', topics: null }],
    });
  });
  it('v0 is advertised but not decoded', () => {
    expect(() => offsetFetchCodec.decodeRequest(new KafkaReader(new Uint8Array(8)), 0)).toThrow(
      expect.objectContaining({ errorCode: KafkaErrorCode.UNSUPPORTED_VERSION }),
    );
  });
});

describe('DescribeGroups v5, ListGroups v3–4, DeleteGroups v2', () => {
  it('DescribeGroups v5 round-trips', () => {
    roundTrip(
      describeGroupsCodec,
      5,
      { groups: ['g1', 'g2'], includeAuthorizedOperations: true },
      {
        throttleTimeMs: 0,
        groups: [
          {
            errorCode: 0,
            groupId: 'g1',
            groupState: 'Stable',
            protocolType: 'consumer',
            protocolData: 'range',
            members: [
              {
                memberId,
                groupInstanceId: null,
                clientId: 'c',
                clientHost: '/127.0.0.1',
                memberMetadata: bytes('md'),
                memberAssignment: bytes('as'),
              },
            ],
            authorizedOperations: 3064,
          },
          {
            errorCode: 0,
            groupId: 'g2',
            groupState: 'Dead',
            protocolType: '',
            protocolData: '',
            members: [],
            authorizedOperations: -2147483648,
          },
        ],
      },
    );
  });
  it('ListGroups v3 round-trips (no state)', () => {
    roundTrip(
      listGroupsCodec,
      3,
      {},
      {
        throttleTimeMs: 0,
        errorCode: 0,
        groups: [{ groupId: 'g1', protocolType: 'consumer' }],
      },
    );
    expect(hex(encode((w) => listGroupsCodec.encodeRequest(w, 3, {})))).toBe('00');
  });
  it('ListGroups v4 round-trips the states filter and states', () => {
    roundTrip(
      listGroupsCodec,
      4,
      { statesFilter: ['Stable', 'Empty'] },
      {
        throttleTimeMs: 0,
        errorCode: 0,
        groups: [
          { groupId: 'g1', protocolType: 'consumer', groupState: 'Stable' },
          { groupId: 'g2', protocolType: '', groupState: 'Empty' },
        ],
      },
    );
    expect(hex(encode((w) => listGroupsCodec.encodeRequest(w, 4, {})))).toBe('0100');
  });
  it('DeleteGroups v2 round-trips', () => {
    roundTrip(
      deleteGroupsCodec,
      2,
      { groupsNames: ['g1', 'g2'] },
      {
        throttleTimeMs: 0,
        results: [
          { groupId: 'g1', errorCode: 0 },
          { groupId: 'g2', errorCode: 68 },
        ],
      },
    );
  });
});
