import { describe, expect, it } from 'vitest';
import type { ApiCodec } from '../api.js';
import { KafkaProtocolError } from '../errors.js';
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
const versions = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function roundTrip(codec: AnyCodec, version: number, request: unknown, response: unknown): void {
  const requestBytes = new KafkaWriter();
  codec.encodeRequest(requestBytes, version, request);
  const whole = requestBytes.finish();
  const reader = new KafkaReader(whole);
  expect(codec.decodeRequest(reader, version)).toEqual(request);
  expect(reader.remaining).toBe(0);
  const responseBytes = new KafkaWriter();
  codec.encodeResponse(responseBytes, version, response);
  const responseReader = new KafkaReader(responseBytes.finish());
  expect(codec.decodeResponse(responseReader, version)).toEqual(response);
  expect(responseReader.remaining).toBe(0);
  for (let cut = 0; cut < whole.length; cut++) {
    expect(() => codec.decodeRequest(new KafkaReader(whole.subarray(0, cut)), version)).toThrow(KafkaProtocolError);
  }
}

/** Decodes `frame` (a request body) and checks the value, then encodes the value back to the same bytes. */
function golden(codec: AnyCodec, version: number, frame: string, value: unknown): void {
  const reader = new KafkaReader(new Uint8Array(Buffer.from(frame, 'hex')));
  expect(codec.decodeRequest(reader, version)).toEqual(value);
  expect(reader.remaining).toBe(0);
  const writer = new KafkaWriter();
  codec.encodeRequest(writer, version, value);
  expect(hex(writer.finish())).toBe(frame);
}

describe('group codecs: request bodies as kafkajs 2.2.4 encodes them', () => {
  it('FindCoordinator v2 (transaction key)', () => {
    golden(findCoordinatorCodec, 2, '000374786e01', { key: 'txn', keyType: 1 });
  });
  it('JoinGroup v5', () => {
    golden(
      joinGroupCodec,
      5,
      '0003677270000075300000ea6000036d2d31ffff0008636f6e73756d6572000000010012526f756e64526f62696e41737369676e657200000003616263',
      {
        groupId: 'grp',
        sessionTimeoutMs: 30000,
        rebalanceTimeoutMs: 60000,
        memberId: 'm-1',
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'RoundRobinAssigner', metadata: bytes('abc') }],
      },
    );
  });
  it('SyncGroup v3', () => {
    golden(syncGroupCodec, 3, '00036772700000000200036d2d31ffff0000000100036d2d31000000027879', {
      groupId: 'grp',
      generationId: 2,
      memberId: 'm-1',
      groupInstanceId: null,
      assignments: [{ memberId: 'm-1', assignment: bytes('xy') }],
    });
  });
  it('Heartbeat v3', () => {
    golden(heartbeatCodec, 3, '00036772700000000200036d2d31ffff', {
      groupId: 'grp',
      generationId: 2,
      memberId: 'm-1',
      groupInstanceId: null,
    });
  });
  it('LeaveGroup v3', () => {
    golden(leaveGroupCodec, 3, '00036772700000000100036d2d31ffff', {
      groupId: 'grp',
      members: [{ memberId: 'm-1', groupInstanceId: null }],
    });
  });
  it('OffsetCommit v5 (null metadata)', () => {
    golden(offsetCommitCodec, 5, '00036772700000000200036d2d31000000010001740000000100000000000000000000002affff', {
      groupId: 'grp',
      generationId: 2,
      memberId: 'm-1',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: 't',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 42n,
              committedLeaderEpoch: -1,
              commitTimestamp: -1n,
              committedMetadata: null,
            },
          ],
        },
      ],
    });
  });
  it('OffsetFetch v4', () => {
    golden(offsetFetchCodec, 4, '000367727000000001000174000000020000000000000001', {
      groupId: 'grp',
      topics: [{ name: 't', partitionIndexes: [0, 1] }],
    });
  });
  it('DescribeGroups v2, ListGroups v2, DeleteGroups v1', () => {
    golden(describeGroupsCodec, 2, '000000010003677270', { groups: ['grp'], includeAuthorizedOperations: false });
    golden(listGroupsCodec, 2, '', {});
    golden(deleteGroupsCodec, 1, '000000010003677270', { groupsNames: ['grp'] });
  });
});

describe('group codecs: every version round-trips', () => {
  it.each(versions(0, 2))('FindCoordinator v%i', (v) => {
    roundTrip(
      findCoordinatorCodec,
      v,
      { key: 'g', keyType: v >= 1 ? 1 : 0 },
      {
        throttleTimeMs: v >= 1 ? 5 : 0,
        errorCode: 0,
        errorMessage: v >= 1 ? 'fine' : null,
        nodeId: 0,
        host: '127.0.0.1',
        port: 9092,
      },
    );
  });
  it.each(versions(0, 5))('JoinGroup v%i', (v) => {
    roundTrip(
      joinGroupCodec,
      v,
      {
        groupId: 'g',
        sessionTimeoutMs: 10000,
        rebalanceTimeoutMs: v >= 1 ? 20000 : 10000,
        memberId: '',
        groupInstanceId: v >= 5 ? 'i-1' : null,
        protocolType: 'consumer',
        protocols: [
          { name: 'range', metadata: bytes('r') },
          { name: 'roundrobin', metadata: bytes('rr') },
        ],
      },
      {
        throttleTimeMs: v >= 2 ? 1 : 0,
        errorCode: 0,
        generationId: 3,
        protocolName: 'range',
        leader: 'm-1',
        memberId: 'm-1',
        members: [{ memberId: 'm-1', groupInstanceId: v >= 5 ? 'i-1' : null, metadata: bytes('r') }],
      },
    );
  });
  it.each(versions(0, 3))('SyncGroup v%i', (v) => {
    roundTrip(
      syncGroupCodec,
      v,
      {
        groupId: 'g',
        generationId: 1,
        memberId: 'm',
        groupInstanceId: v >= 3 ? 'i' : null,
        assignments: [{ memberId: 'm', assignment: bytes('a') }],
      },
      { throttleTimeMs: v >= 1 ? 2 : 0, errorCode: 27, assignment: bytes('') },
    );
  });
  it.each(versions(0, 3))('Heartbeat v%i', (v) => {
    roundTrip(
      heartbeatCodec,
      v,
      { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: v >= 3 ? 'i' : null },
      { throttleTimeMs: v >= 1 ? 2 : 0, errorCode: 22 },
    );
  });
  it.each(versions(0, 3))('LeaveGroup v%i', (v) => {
    roundTrip(
      leaveGroupCodec,
      v,
      {
        groupId: 'g',
        members:
          v >= 3
            ? [
                { memberId: 'm', groupInstanceId: null },
                { memberId: '', groupInstanceId: 'i' },
              ]
            : [{ memberId: 'm', groupInstanceId: null }],
      },
      {
        throttleTimeMs: v >= 1 ? 2 : 0,
        errorCode: 0,
        members: v >= 3 ? [{ memberId: '', groupInstanceId: 'i', errorCode: 25 }] : [],
      },
    );
  });
  it.each(versions(0, 7))('OffsetCommit v%i', (v) => {
    roundTrip(
      offsetCommitCodec,
      v,
      {
        groupId: 'g',
        generationId: v >= 1 ? 4 : -1,
        memberId: v >= 1 ? 'm' : '',
        groupInstanceId: v >= 7 ? 'i' : null,
        retentionTimeMs: v >= 2 && v <= 4 ? 1000n : -1n,
        topics: [
          {
            name: 't',
            partitions: [
              {
                partitionIndex: 2,
                committedOffset: 99n,
                committedLeaderEpoch: v >= 6 ? 0 : -1,
                commitTimestamp: v === 1 ? 1700000000000n : -1n,
                committedMetadata: 'meta',
              },
            ],
          },
        ],
      },
      { throttleTimeMs: v >= 3 ? 1 : 0, topics: [{ name: 't', partitions: [{ partitionIndex: 2, errorCode: 0 }] }] },
    );
  });
  it.each(versions(1, 5))('OffsetFetch v%i', (v) => {
    roundTrip(
      offsetFetchCodec,
      v,
      { groupId: 'g', topics: v >= 2 ? null : [{ name: 't', partitionIndexes: [0] }] },
      {
        throttleTimeMs: v >= 3 ? 1 : 0,
        topics: [
          {
            name: 't',
            partitions: [
              { partitionIndex: 0, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
            ],
          },
        ],
        errorCode: 0,
      },
    );
  });
  it('OffsetFetch v0 is advertised but not decoded', () => {
    expect(offsetFetchCodec.minVersion).toBe(0);
    expect(() => offsetFetchCodec.decodeRequest(new KafkaReader(new Uint8Array(0)), 0)).toThrow(KafkaProtocolError);
  });
  it.each(versions(0, 4))('DescribeGroups v%i', (v) => {
    roundTrip(
      describeGroupsCodec,
      v,
      { groups: ['g', 'h'], includeAuthorizedOperations: v >= 3 },
      {
        throttleTimeMs: v >= 1 ? 1 : 0,
        groups: [
          {
            errorCode: 0,
            groupId: 'g',
            groupState: 'Stable',
            protocolType: 'consumer',
            protocolData: 'range',
            members: [
              {
                memberId: 'm',
                groupInstanceId: v >= 4 ? 'i' : null,
                clientId: 'c',
                clientHost: '/127.0.0.1',
                memberMetadata: bytes('md'),
                memberAssignment: bytes('as'),
              },
            ],
            authorizedOperations: v >= 3 ? 328 : -2147483648,
          },
        ],
      },
    );
  });
  it.each(versions(0, 2))('ListGroups v%i', (v) => {
    roundTrip(
      listGroupsCodec,
      v,
      {},
      {
        throttleTimeMs: v >= 1 ? 1 : 0,
        errorCode: 0,
        groups: [{ groupId: 'g', protocolType: 'consumer' }],
      },
    );
  });
  it.each(versions(0, 1))('DeleteGroups v%i', (v) => {
    roundTrip(
      deleteGroupsCodec,
      v,
      { groupsNames: ['g'] },
      { throttleTimeMs: 0, results: [{ groupId: 'g', errorCode: 68 }] },
    );
  });
});
