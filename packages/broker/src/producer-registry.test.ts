import { createMessage, type StoredMessage, silentLogger } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { ProducerRegistry } from './producer-registry.js';
import type { TransactionCheck } from './types.js';

const message: StoredMessage = {
  ...createMessage({ topic: 't', body: 'x', producerGroup: 'p' }),
  queueId: 0,
  queueOffset: 0,
  storeTimestamp: 0,
};
const check = (transactionId: string, producerGroup = 'p'): TransactionCheck => ({
  transactionId,
  producerGroup,
  message,
  checkTimes: 1,
});

describe('ProducerRegistry', () => {
  it('sends each check to one checking member of the group, members taking turns', () => {
    const registry = new ProducerRegistry(silentLogger);
    const asked: string[] = [];
    const checker = (clientId: string) => ({
      clientId,
      group: 'p',
      checkTransaction: (received: TransactionCheck) => asked.push(`${clientId}:${received.transactionId}`),
    });
    registry.register(checker('a'));
    const removeB = registry.register(checker('b'));
    registry.register({ clientId: 'silent', group: 'p' });
    expect([1, 2, 3].map((id) => registry.dispatch(check(`t${id}`)))).toEqual(['a', 'b', 'a']);
    expect(asked).toEqual(['a:t1', 'b:t2', 'a:t3']);
    removeB();
    expect([4, 5].map((id) => registry.dispatch(check(`t${id}`)))).toEqual(['a', 'a']);
    expect(registry.dispatch(check('t6', 'other-group'))).toBeUndefined();
    expect(registry.members('p').map(({ clientId }) => clientId)).toEqual(['a', 'silent']);
  });

  it('keeps a re-registration when the earlier registration of the same client is removed', () => {
    const registry = new ProducerRegistry(silentLogger);
    const removeFirst = registry.register({ clientId: 'a', group: 'p' });
    registry.register({ clientId: 'a', group: 'p', topics: ['t'] });
    removeFirst();
    expect(registry.members('p')).toEqual([{ clientId: 'a', group: 'p', topics: ['t'] }]);
    expect(() => registry.register({ clientId: '', group: 'p' })).toThrow(/client id is empty/);
  });

  it('survives a checker that throws', () => {
    const registry = new ProducerRegistry(silentLogger);
    registry.register({
      clientId: 'a',
      group: 'p',
      checkTransaction: () => {
        throw new Error('boom');
      },
    });
    expect(registry.dispatch(check('t1'))).toBe('a');
  });
});
