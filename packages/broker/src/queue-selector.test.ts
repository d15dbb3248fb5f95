import { type TopicConfig, tagCode } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { messageGroupQueueId, QueueSelector } from './queue-selector.js';

const topic = (writeQueueNums: number): TopicConfig => ({
  name: 't',
  readQueueNums: writeQueueNums,
  writeQueueNums,
  perm: 6,
  messageType: 'MIXED',
  retentionMs: undefined,
});

describe('QueueSelector', () => {
  it('takes the write queues in turn, per topic', () => {
    const selector = new QueueSelector();
    const picks = Array.from({ length: 6 }, () => selector.select(topic(3), { messageGroup: undefined }));
    expect(picks).toEqual([0, 1, 2, 0, 1, 2]);
    expect(selector.select({ ...topic(2), name: 'other' }, { messageGroup: undefined })).toBe(0);
  });

  it('hashes a message group with FNV-1a modulo the write queues, whatever queue was asked for', () => {
    const selector = new QueueSelector();
    for (const group of ['order-1', 'order-2', 'ü-grüße', '']) {
      const expected = tagCode(group) % 7;
      expect(messageGroupQueueId(group, 7)).toBe(expected);
      expect(selector.select(topic(7), { messageGroup: group }, 0)).toBe(expected);
    }
    // FNV-1a 32 of "a" is 0xe40c292c.
    expect(messageGroupQueueId('a', 1000)).toBe(0xe40c292c % 1000);
  });

  it('takes an explicit write queue and refuses one the topic does not have', () => {
    const selector = new QueueSelector();
    expect(selector.select(topic(4), { messageGroup: undefined }, 3)).toBe(3);
    expect(() => selector.select(topic(4), { messageGroup: undefined }, 4)).toThrow(/not a write queue/);
    expect(() => selector.select(topic(4), { messageGroup: undefined }, -1)).toThrow(/not a write queue/);
    expect(() => selector.select(topic(4), { messageGroup: undefined }, 1.5)).toThrow(/not a write queue/);
  });
});
