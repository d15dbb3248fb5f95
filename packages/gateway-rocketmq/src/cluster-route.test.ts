import type { TopicConfig } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { type ClusterTopicRoute, topicPlacements } from './cluster-route.js';

const self = { name: 'broker-b', host: '127.0.0.1', port: 8082 };
const local: TopicConfig = {
  name: 't',
  readQueueNums: 4,
  writeQueueNums: 4,
  perm: 6,
  messageType: 'NORMAL',
  retentionMs: undefined,
};
const queues = (brokerName: string, writeQueueNums = 2) => ({
  brokerName,
  readQueueNums: 2,
  writeQueueNums,
  perm: 6,
  messageType: 'NORMAL' as const,
});
const route: ClusterTopicRoute = {
  queueDatas: [queues('broker-c'), queues('broker-a', 1), queues('broker-b', 8), queues('broker-d')],
  brokerDatas: [
    { brokerName: 'broker-a', endpoints: { grpc: '10.0.0.1:8081' } },
    { brokerName: 'broker-b', endpoints: { grpc: '10.0.0.2:9999' } },
    { brokerName: 'broker-c', endpoints: { grpc: '[::1]:8083' } },
    // Registered without a gRPC front: clients could not reach it.
    { brokerName: 'broker-d', endpoints: {} },
  ],
};

describe('topicPlacements', () => {
  it('lists every broker of the route with its endpoint, sorted, and this broker from its own config', () => {
    const placements = topicPlacements('t', local, route, self);
    expect(placements.map(({ broker }) => broker)).toEqual([
      { name: 'broker-a', host: '10.0.0.1', port: 8081 },
      self,
      { name: 'broker-c', host: '::1', port: 8083 },
    ]);
    expect(placements.map(({ config }) => [config.name, config.writeQueueNums])).toEqual([
      ['t', 1],
      ['t', 4],
      ['t', 2],
    ]);
  });

  it('leaves this broker out when it does not hold the topic, even if the name server still lists it', () => {
    expect(topicPlacements('t', undefined, route, self).map(({ broker }) => broker.name)).toEqual([
      'broker-a',
      'broker-c',
    ]);
  });

  it('is this broker alone without a route, and empty when nobody holds the topic', () => {
    expect(topicPlacements('t', local, undefined, self)).toEqual([{ config: local, broker: self }]);
    expect(topicPlacements('t', undefined, undefined, self)).toEqual([]);
  });
});
