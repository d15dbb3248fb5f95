import type { Message, StoredMessage } from '@eddy/message';
import type { AppendResult, MessageStore, StoreCapabilities } from './message-store.js';

/**
 * A batch of records in a front's own encoding (e.g. a Kafka record batch v2), appended as one stored
 * entry that takes `count` consecutive offsets: the store keeps `bytes` as they came, so a front that
 * speaks the same encoding can serve them back without decoding or re-encoding a record, while every
 * other reader still sees one message per offset through a registered {@link EncodedBatchDecoder}.
 */
export interface EncodedBatch {
  /** The encoding's name, e.g. `'kafka-record-batch-v2'`; a decoder of that name reads its records as messages. */
  readonly format: string;
  /** The encoded batch, stored as it is. */
  readonly bytes: Uint8Array;
  /** Records in the batch: it takes offsets `baseOffset … baseOffset + count - 1`. At least 1. */
  readonly count: number;
  /**
   * Each record's tag, in order (`undefined` for none), for tag filtering without decoding; omitted
   * when no record has one. The decoder must give the same tags.
   */
  readonly tags?: readonly (string | undefined)[];
  /** Each record's keys, in order, for `findByKey`; omitted when no record has keys. */
  readonly keys?: readonly (readonly string[] | undefined)[];
  /**
   * CRC32C of `bytes` (as `crc32c` of `@eddy/message` computes it), when the front already knows it,
   * typically derived from the encoding's own checksum it has just verified. A store that checksums
   * what it writes may combine it instead of reading the bytes again; a wrong value makes the stored
   * entry fail its checksum when read, so only give one computed from these very bytes.
   */
  readonly checksum?: number;
}

/** One record of an encoded batch as a message: everything but what the store assigns. */
export type DecodedRecord = Omit<Message, 'topic' | 'messageId'>;

/**
 * Reads the records of one encoding back as messages. Stores are given decoders when they are opened;
 * reading a batch whose format has no decoder fails with `UNSUPPORTED`.
 */
export interface EncodedBatchDecoder {
  /** The {@link EncodedBatch.format} it reads. */
  readonly format: string;
  /**
   * The batch's `count` records, in order.
   *
   * @throws `CORRUPT_DATA` when the bytes are not a valid batch of `count` records.
   */
  decode(bytes: Uint8Array, count: number): DecodedRecord[];
}

/** What {@link EncodedBatchStore.readEncoded} returns for each stored entry. */
export type StoredEntry =
  | {
      readonly kind: 'batch';
      readonly format: string;
      /** The offset of the batch's first record (it may be below the offset asked for). */
      readonly baseOffset: number;
      readonly count: number;
      readonly storeTimestamp: number;
      /** The bytes appended. A fresh copy each read: a caller may patch them in place. */
      readonly bytes: Uint8Array;
    }
  | { readonly kind: 'message'; readonly message: StoredMessage };

/** Options of {@link EncodedBatchStore.readEncoded}. */
export interface ReadEncodedOptions {
  /** Most bytes to return (whole entries; the first is returned whatever its size). Default 4 MiB. */
  readonly maxBytes?: number;
  /**
   * Where an engine that reads batches from files reads each one: called with the bytes it needs, it
   * returns a buffer of at least that many, and the batch's `bytes` become a view into it. The store
   * keeps no reference to it, so a caller may recycle the buffers it hands out once it is done with
   * the entries (a server, once the response is written), sparing a fresh allocation per read. An
   * engine that holds batches in memory may ignore it.
   */
  readonly allocate?: (size: number) => Uint8Array;
}

/** The outcome of {@link EncodedBatchStore.readEncoded}. */
export type ReadEncodedResult =
  | {
      readonly status: 'ok';
      /** In offset order; a batch covers `count` offsets. Empty at the end of the queue. */
      readonly entries: StoredEntry[];
      /** The offset after the last entry returned. */
      readonly nextOffset: number;
      readonly minOffset: number;
      readonly maxOffset: number;
    }
  | { readonly status: 'offset-out-of-range'; readonly minOffset: number; readonly maxOffset: number }
  | { readonly status: 'unknown-queue' };

/**
 * The optional part of the storage contract for engines whose {@link StoreCapabilities.encodedBatches}
 * is true: appending a front's encoded batch as one entry and reading entries back as stored.
 * Everything else in the contract treats each record of such a batch as one message: `read` returns
 * them decoded, `findById` and `findByKey` find them, `deleteRecordsBefore` may cut inside a batch.
 */
export interface EncodedBatchStore {
  /**
   * Appends `batch` as one entry taking `count` consecutive offsets, all or nothing; ordered with
   * `append` calls to the same queue. Record ids are assigned by the store, unique like any message id.
   *
   * @throws `EMPTY_BATCH` for a count below 1; `MESSAGE_TOO_LARGE` when the bytes are over the engine's
   * `maxBodySize` (a batch is kept like one body); `INVALID_ARGUMENT` for a bad queue id, count, or
   * tags / keys of another length than `count`.
   */
  appendEncoded(topic: string, queueId: number, batch: EncodedBatch): Promise<AppendResult>;

  /**
   * Reads entries from the one holding `offset` on, as stored: batches as their bytes, other messages
   * as messages. `offset === maxOffset` is a valid read of nothing.
   */
  readEncoded(topic: string, queueId: number, offset: number, options?: ReadEncodedOptions): Promise<ReadEncodedResult>;
}

/** True when `store` implements {@link EncodedBatchStore} (its capability says so). */
export function supportsEncodedBatches(store: MessageStore): store is MessageStore & EncodedBatchStore {
  const capabilities: StoreCapabilities = store.capabilities;
  return capabilities.encodedBatches === true;
}
