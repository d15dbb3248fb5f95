import { randomBytes } from 'node:crypto';

/**
 * Makes message ids: 32 upper-case hex digits (16 bytes) laid out as
 *
 * | bytes | field |
 * |---|---|
 * | 0–5 | milliseconds since the Unix epoch (48 bits, good until the year 10889) |
 * | 6–9 | a per-process sequence number (32 bits, wraps) |
 * | 10–15 | 48 random bits drawn once when the generator is made |
 *
 * Ids sort by time as strings. Within one generator they are strictly increasing: the time never
 * goes back (a clock step back is absorbed) and the sequence breaks ties. Across processes, hosts and
 * restarts they are unique through the random part (a collision needs the same millisecond, the same
 * sequence number and the same 48 random bits). Making one costs a `Date.now()` and a few string
 * operations; the hex of the time is recomputed only when the millisecond changes.
 */
export class MessageIdGenerator {
  readonly #now: () => number;
  readonly #processPart: string;
  #lastMillis = -1;
  #timePart = '';
  #sequence: number;

  /**
   * @param options.now the time source (default `Date.now`).
   * @param options.random 6 bytes for the process part, and 4 for the first sequence (default: crypto random).
   */
  constructor(options: { now?: () => number; random?: Uint8Array } = {}) {
    this.#now = options.now ?? Date.now;
    const random = options.random ?? randomBytes(10);
    if (random.length < 10) throw new RangeError('MessageIdGenerator needs 10 random bytes');
    this.#processPart = Buffer.from(random.subarray(0, 6)).toString('hex').toUpperCase();
    this.#sequence = Buffer.from(random.subarray(6, 10)).readUInt32BE(0);
  }

  /** A new id. */
  next(): string {
    const now = this.#now();
    if (now > this.#lastMillis) {
      this.#lastMillis = now;
      this.#timePart = now.toString(16).toUpperCase().padStart(12, '0');
    }
    this.#sequence = (this.#sequence + 1) >>> 0;
    if (this.#sequence === 0) {
      // The sequence wrapped: move the time part on by one millisecond so that ids stay increasing.
      this.#lastMillis += 1;
      this.#timePart = this.#lastMillis.toString(16).toUpperCase().padStart(12, '0');
    }
    return this.#timePart + this.#sequence.toString(16).toUpperCase().padStart(8, '0') + this.#processPart;
  }

  /**
   * The first of `count` ids made at once: the others are {@link messageIdPlus}`(first, i)` for
   * `i < count`, and the generator goes on after them. Their sequence numbers do not wrap within the
   * range, so all of them share the first one's time and random parts.
   */
  nextRange(count: number): string {
    if (!Number.isInteger(count) || count < 1 || count > 0x10000000) {
      throw new RangeError(`a range of ids holds 1…2^28 ids, got ${count}`);
    }
    if (this.#sequence + count > 0xffffffff) {
      // Would wrap inside the range: start it after the wrap, one millisecond on, as next() does.
      this.#sequence = 0xffffffff;
    }
    const first = this.next();
    this.#sequence += count - 1;
    return first;
  }
}

/**
 * The id `i` places after `first` in a range made by {@link MessageIdGenerator.nextRange}: the same time
 * and random parts, the sequence number plus `i`.
 */
export function messageIdPlus(first: string, i: number): string {
  if (i === 0) return first;
  const sequence = Number.parseInt(first.slice(12, 20), 16) + i;
  return first.slice(0, 12) + sequence.toString(16).toUpperCase().padStart(8, '0') + first.slice(20);
}

/**
 * Where `messageId` sits in a range that starts at `first` (its `i`), or -1 when it is not in the first
 * `count` ids of that range.
 */
export function messageIdIndexIn(first: string, count: number, messageId: string): number {
  if (messageId.length !== 32 || first.length !== 32) return -1;
  if (messageId.slice(0, 12) !== first.slice(0, 12) || messageId.slice(20) !== first.slice(20)) return -1;
  const sequence = messageId.slice(12, 20);
  if (!/^[0-9A-F]{8}$/.test(sequence)) return -1;
  const i = Number.parseInt(sequence, 16) - Number.parseInt(first.slice(12, 20), 16);
  return i >= 0 && i < count ? i : -1;
}

const EDDY_ID = /^[0-9A-F]{32}$/;

/** The time an Eddy-made id was made, in ms since the epoch; `undefined` for ids of another format. */
export function messageIdTimestamp(messageId: string): number | undefined {
  return EDDY_ID.test(messageId) ? Number.parseInt(messageId.slice(0, 12), 16) : undefined;
}

let processGenerator: MessageIdGenerator | undefined;

/** The generator used when none is injected: made on first use, one per process. */
export function defaultMessageIdGenerator(): MessageIdGenerator {
  processGenerator ??= new MessageIdGenerator();
  return processGenerator;
}
