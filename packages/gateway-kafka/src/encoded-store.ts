import { type Broker, type EncodedBatchStore, supportsEncodedBatches } from '@eddy/broker';

export type { EncodedBatch, ReadEncodedResult, StoredEntry } from '@eddy/broker';

/** The part of the storage contract Fetch reads stored batches through. */
export type EncodedEntryReader = EncodedBatchStore;

/** The store as an encoded-batch store when its capabilities say it is one, else undefined. */
export function encodedBatchStoreOf(store: Broker['store']): (Broker['store'] & EncodedBatchStore) | undefined {
  return supportsEncodedBatches(store) ? store : undefined;
}
