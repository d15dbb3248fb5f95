import type { TopicConfig } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { acceptedMessageTypes, topicAccepts } from './message-type.js';
import { assignmentQueues, queuePermission, routeQueues, wireEndpoints } from './route.js';

const broker = { name: 'broker-a', host: '127.0.0.1', port: 8081 };

function topic(overrides: Partial<TopicConfig> = {}): TopicConfig {
  return {
    name: 't',
    readQueueNums: 4,
    writeQueueNums: 4,
    perm: 6,
    messageType: 'MIXED',
    retentionMs: undefined,
    ...overrides,
  };
}

describe('routes', () => {
  it('puts read-and-write queues first, so queue 0 is READ_WRITE whenever the topic is', () => {
    expect(
      routeQueues(topic({ readQueueNums: 4, writeQueueNums: 2 }), broker).map((queue) => queue.permission),
    ).toEqual(['READ_WRITE', 'READ_WRITE', 'READ', 'READ']);
    expect(
      routeQueues(topic({ readQueueNums: 1, writeQueueNums: 3 }), broker).map((queue) => queue.permission),
    ).toEqual(['READ_WRITE', 'WRITE', 'WRITE']);
  });

  it('masks queues with the topic permission', () => {
    expect(queuePermission(topic({ perm: 4 }), 0)).toBe('READ');
    expect(queuePermission(topic({ perm: 2 }), 0)).toBe('WRITE');
    expect(queuePermission(topic({ perm: 0 }), 0)).toBe('NONE');
  });

  it('gives every queue its topic, broker endpoints and accepted types', () => {
    const [queue] = routeQueues(topic({ messageType: 'FIFO' }), broker);
    expect(queue).toEqual({
      topic: { resourceNamespace: '', name: 't' },
      id: 0,
      permission: 'READ_WRITE',
      broker: {
        name: 'broker-a',
        id: 0,
        endpoints: { scheme: 'IPv4', addresses: [{ host: '127.0.0.1', port: 8081 }] },
      },
      acceptMessageTypes: ['FIFO'],
    });
  });

  it('names the address scheme of the advertised host', () => {
    expect(wireEndpoints('broker.example', 1).scheme).toBe('DOMAIN_NAME');
    expect(wireEndpoints('::1', 1).scheme).toBe('IPv6');
  });

  it('assigns one whole-broker queue, or every read queue when orderly, or nothing when unreadable', () => {
    expect(assignmentQueues(topic(), broker, false).map((queue) => queue.id)).toEqual([-1]);
    expect(assignmentQueues(topic({ readQueueNums: 3 }), broker, true).map((queue) => queue.id)).toEqual([0, 1, 2]);
    expect(assignmentQueues(topic({ perm: 2 }), broker, false)).toEqual([]);
  });
});

describe('message types', () => {
  it('lets MIXED topics take everything and typed topics their own type', () => {
    expect(acceptedMessageTypes('MIXED')).toEqual(['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION']);
    expect(topicAccepts('MIXED', 'DELAY')).toBe(true);
    expect(topicAccepts('FIFO', 'FIFO')).toBe(true);
    expect(topicAccepts('FIFO', 'NORMAL')).toBe(false);
  });
});
