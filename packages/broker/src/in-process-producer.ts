import { createMessage, EddyError, type MessageInit, validateGroupName } from '@eddy/message';
import type { ClientContext } from './client-context.js';
import type {
  EndTransactionResult,
  InProcessProducer,
  InProcessProducerOptions,
  InProcessTransaction,
  SendOptions,
  SendResult,
  TransactionCheck,
  TransactionResolution,
} from './types.js';

/**
 * A producer inside the broker's process. It is registered with the broker for its whole life, so
 * that transaction check-backs of its group can reach its `checker`; the checker's answer ends the
 * transaction (`fromCheck: true`), and no answer leaves it for the next check.
 */
export class InProcessProducerClient implements InProcessProducer {
  readonly clientId: string;
  readonly group: string;
  readonly #context: ClientContext;
  readonly #checker: InProcessProducerOptions['checker'];
  readonly #unregister: () => void;
  #closed = false;

  /** @throws `INVALID_NAME` for a bad group. */
  constructor(context: ClientContext, options: InProcessProducerOptions) {
    const groupError = validateGroupName(options.group, { system: true });
    if (groupError !== undefined) throw groupError;
    this.#context = context;
    this.group = options.group;
    this.clientId = context.nextClientId('producer');
    this.#checker = options.checker;
    const checker = this.#checker;
    this.#unregister = context.broker.registerProducer({
      clientId: this.clientId,
      group: this.group,
      ...(options.topics === undefined ? {} : { topics: options.topics }),
      ...(checker === undefined ? {} : { checkTransaction: (check: TransactionCheck) => this.#answer(check) }),
    });
  }

  send(init: MessageInit, options?: SendOptions): Promise<SendResult> {
    this.#checkOpen();
    const message = createMessage(
      { ...init, producerGroup: init.producerGroup ?? this.group },
      { clock: this.#context.clock },
    );
    return this.#context.broker.send(message, options);
  }

  async sendInTransaction(init: MessageInit): Promise<InProcessTransaction> {
    this.#checkOpen();
    const { broker, clock } = this.#context;
    const result = await broker.send(
      createMessage({ ...init, transaction: 'prepared', producerGroup: this.group }, { clock }),
    );
    const transactionId = result.transactionId as string;
    const end = (resolution: TransactionResolution): Promise<EndTransactionResult> =>
      broker.endTransaction({ transactionId, resolution });
    return { result, commit: () => end('commit'), rollback: () => end('rollback') };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unregister();
  }

  #answer(check: TransactionCheck): void {
    const checker = this.#checker;
    if (checker === undefined || this.#closed) return;
    const { broker, logger } = this.#context;
    this.#context.track(
      (async () => {
        try {
          const resolution = await checker(check);
          if (resolution !== 'commit' && resolution !== 'rollback') return;
          await broker.endTransaction({ transactionId: check.transactionId, resolution, fromCheck: true });
        } catch (error) {
          // The transaction stays pending: the broker asks again at its next check.
          logger.warn('in-process producer: transaction checker failed', {
            clientId: this.clientId,
            transactionId: check.transactionId,
            error: String(error),
          });
        }
      })(),
    );
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new EddyError('INVALID_ARGUMENT', `producer '${this.clientId}' of group '${this.group}' is closed`);
    }
  }
}
