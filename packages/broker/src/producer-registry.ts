import { EddyError, type Logger } from '@eddy/message';
import type { ProducerRegistration, TransactionCheck } from './types.js';

/**
 * The live producers, by group: who can answer a transaction check-back. A check goes to ONE member
 * of the half message's producer group, the members with a `checkTransaction` taking turns, so that
 * when the producer that sent it is gone another member answers (RocketMQ's behaviour: any producer
 * of the group may resolve the transaction).
 */
export class ProducerRegistry {
  readonly #groups = new Map<string, Map<string, ProducerRegistration>>();
  readonly #turns = new Map<string, number>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /**
   * Adds (or replaces, by client id) a producer; the returned function removes this registration.
   *
   * @throws `INVALID_ARGUMENT` for an empty group or client id.
   */
  register(registration: ProducerRegistration): () => void {
    const { group, clientId } = registration;
    if (typeof group !== 'string' || group.length === 0) {
      throw new EddyError('INVALID_ARGUMENT', 'producer group is empty');
    }
    if (typeof clientId !== 'string' || clientId.length === 0) {
      throw new EddyError('INVALID_ARGUMENT', 'producer client id is empty');
    }
    let members = this.#groups.get(group);
    if (members === undefined) {
      members = new Map();
      this.#groups.set(group, members);
    }
    members.set(clientId, registration);
    return () => {
      const current = this.#groups.get(group);
      // A later registration under the same client id is not this one's to remove.
      if (current?.get(clientId) !== registration) return;
      current.delete(clientId);
      if (current.size === 0) {
        this.#groups.delete(group);
        this.#turns.delete(group);
      }
    };
  }

  /** The group's producers, by client id. */
  members(group: string): ProducerRegistration[] {
    const members = this.#groups.get(group);
    if (members === undefined) return [];
    return [...members.values()].sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
  }

  /** Every group with a live producer, sorted. */
  groups(): string[] {
    return [...this.#groups.keys()].sort();
  }

  /**
   * Asks the next checking member of the check's producer group to resolve it.
   *
   * @returns the client id asked, or `undefined` when the group has no live checking producer (the
   * transaction service asks again at its next check).
   */
  dispatch(check: TransactionCheck): string | undefined {
    const checkers = this.members(check.producerGroup).filter((member) => member.checkTransaction !== undefined);
    if (checkers.length === 0) {
      this.#logger.info('transaction check-back: no live producer of the group; will ask again', {
        producerGroup: check.producerGroup,
        transactionId: check.transactionId,
      });
      return undefined;
    }
    const turn = this.#turns.get(check.producerGroup) ?? 0;
    this.#turns.set(check.producerGroup, (turn + 1) % 0x7fffffff);
    const producer = checkers[turn % checkers.length] as ProducerRegistration;
    try {
      producer.checkTransaction?.(check);
    } catch (error) {
      this.#logger.warn('transaction check-back: the producer failed to take the check', {
        producerGroup: check.producerGroup,
        clientId: producer.clientId,
        transactionId: check.transactionId,
        error: String(error),
      });
    }
    return producer.clientId;
  }
}
