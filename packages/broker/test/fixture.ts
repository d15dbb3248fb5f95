import { createMessage, EddyError, type Message, type MessageInit } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock } from '@eddy/testkit';
import { type Broker, type BrokerOptions, createBroker } from '../src/index.js';

/** A started broker over a memory store and a fake clock. */
export interface MemoryBroker {
  readonly clock: FakeClock;
  readonly store: MessageStore;
  readonly broker: Broker;
  /** A message stamped by the fake clock. */
  message(init: MessageInit): Message;
  close(): Promise<void>;
}

export async function memoryBroker(
  options: Omit<Partial<BrokerOptions>, 'store' | 'clock'> = {},
): Promise<MemoryBroker> {
  const clock = new FakeClock();
  const store = await openMemoryStore({ clock });
  const broker = createBroker({ store, clock, ...options });
  await broker.start();
  return {
    clock,
    store,
    broker,
    message: (init) => createMessage(init, { clock }),
    close: async () => {
      await broker.close();
      await store.close();
    },
  };
}

/** The body of a message as text. */
export function text(message: { readonly body: Uint8Array }): string {
  return Buffer.from(message.body).toString('utf8');
}

/** The EddyError code a promise (or function) fails with; undefined when it succeeds. */
export async function codeOf(action: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    return EddyError.is(error) ? error.code : `not an EddyError: ${String(error)}`;
  }
  return undefined;
}

/** The error a promise fails with. */
export async function errorOf(action: Promise<unknown>): Promise<EddyError> {
  try {
    await action;
  } catch (error) {
    if (EddyError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}
