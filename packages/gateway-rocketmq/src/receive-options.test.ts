import { describe, expect, it } from 'vitest';
import { filterFromWire } from './filter.js';
import {
  AUTO_RENEW_INVISIBLE_MS,
  batchSizeOf,
  clampInvisibleDuration,
  longPollingMs,
  popQueueIds,
  receiveInvisibleDuration,
} from './receive-options.js';
import { groupName, readableTopicName, writableTopicName } from './resource-names.js';
import { hostOfPeer } from './rpc-adapters.js';

describe('receive options', () => {
  it('raises tiny invisible times to 1 s and refuses more than 12 h', () => {
    expect(clampInvisibleDuration(1)).toEqual({ ms: 1000 });
    expect(clampInvisibleDuration(0)).toEqual({ ms: 1000 });
    expect(clampInvisibleDuration(15_000)).toEqual({ ms: 15_000 });
    expect(clampInvisibleDuration(13 * 3600_000)).toMatchObject({ status: { code: 'ILLEGAL_INVISIBLE_TIME' } });
  });

  it('gives receives without an invisible time (push consumers) the auto-renew default', () => {
    expect(receiveInvisibleDuration(undefined)).toEqual({ ms: AUTO_RENEW_INVISIBLE_MS });
    expect(receiveInvisibleDuration(5000)).toEqual({ ms: 5000 });
  });

  it('keeps long polling at most the maximum and inside the client deadline', () => {
    expect(longPollingMs(30_000, Number.POSITIVE_INFINITY, 20_000)).toBe(20_000);
    expect(longPollingMs(undefined, Number.POSITIVE_INFINITY, 20_000)).toBe(20_000);
    expect(longPollingMs(5000, 33_000, 20_000)).toBe(5000);
    // requestTimeout 1 s + awaitDuration 1 s: answer before the deadline, with room to send.
    expect(longPollingMs(1000, 2000, 20_000)).toBe(1000);
    expect(longPollingMs(20_000, 2000, 20_000)).toBe(1500);
    expect(longPollingMs(20_000, -5, 20_000)).toBe(0);
  });

  it('pops the whole topic for queue −1 and for a SimpleConsumer queue 0, else the queue named', () => {
    expect(popQueueIds(-1, true)).toBeUndefined();
    expect(popQueueIds(0, false)).toBeUndefined();
    expect(popQueueIds(undefined, false)).toBeUndefined();
    expect(popQueueIds(0, true)).toEqual([0]);
    expect(popQueueIds(2, true)).toEqual([2]);
  });

  it('asks for at least one message and at most 1024', () => {
    expect(batchSizeOf(undefined)).toBe(1);
    expect(batchSizeOf(0)).toBe(1);
    expect(batchSizeOf(32)).toBe(32);
    expect(batchSizeOf(1_000_000)).toBe(1024);
  });
});

describe('filters and names', () => {
  it('maps filter types, empty expressions meaning everything', () => {
    expect(filterFromWire({ type: 'SQL', expression: 'a > 1' })).toEqual({ type: 'SQL92', expression: 'a > 1' });
    expect(filterFromWire({ type: 'TAG', expression: 'A || B' })).toEqual({ type: 'TAG', expression: 'A || B' });
    expect(filterFromWire(undefined)).toEqual({ type: 'TAG', expression: '*' });
    expect(filterFromWire({ type: 'TAG', expression: ' ' })).toEqual({ type: 'TAG', expression: '*' });
  });

  it('lets consumers read retry and dead-letter topics, but producers write only user topics', () => {
    expect(readableTopicName({ name: '%DLQ%group' })).toEqual({ name: '%DLQ%group' });
    expect(readableTopicName({ name: '%RETRY%group' })).toEqual({ name: '%RETRY%group' });
    expect(readableTopicName({ name: 'SCHEDULE_TOPIC_XXXX' })).toMatchObject({ status: { code: 'ILLEGAL_TOPIC' } });
    expect(writableTopicName({ name: '%DLQ%group' })).toMatchObject({ status: { code: 'ILLEGAL_TOPIC' } });
    expect(groupName({ name: '' })).toMatchObject({ status: { code: 'ILLEGAL_CONSUMER_GROUP' } });
    expect(groupName(undefined)).toMatchObject({ status: { code: 'ILLEGAL_CONSUMER_GROUP' } });
  });

  it('finds the host in gRPC peer strings', () => {
    expect(hostOfPeer('ipv4:127.0.0.1:5000')).toBe('127.0.0.1');
    expect(hostOfPeer('127.0.0.1:5000')).toBe('127.0.0.1');
    expect(hostOfPeer('ipv6:[::1]:5000')).toBe('::1');
    expect(hostOfPeer('unix:/tmp/socket')).toBe('/tmp/socket');
  });
});
