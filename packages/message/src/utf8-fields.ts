/**
 * Fast paths for the short strings of a record (topic, id, tag, host, keys). Crossing into native code
 * costs more than the work for a few dozen ASCII characters, so those are handled in JavaScript and
 * everything else falls back to Buffer's UTF-8 codec, which defines the bytes.
 */

const SHORT = 64;
const CACHE_ENTRIES = 4;

/** UTF-8 length of `value`, as `Buffer.byteLength` computes it (a lone surrogate counts as U+FFFD, 3 bytes). */
export function utf8Length(value: string): number {
  const length = value.length;
  if (length > SHORT) return Buffer.byteLength(value);
  let bytes = 0;
  for (let i = 0; i < length; i++) {
    const unit = value.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit < 0xdc00 && i + 1 < length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Writes `value` as UTF-8 at `position`; returns the bytes written. `target` must have room. */
export function writeUtf8(target: Buffer, position: number, value: string): number {
  const length = value.length;
  if (length > SHORT) return target.write(value, position, 'utf8');
  for (let i = 0; i < length; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0x80) return target.write(value, position, 'utf8');
    target[position + i] = unit;
  }
  return length;
}

/**
 * Remembers the last string decoded for each of a few low-variety fields (topic, tag, born host,
 * producer group), so that a run of records of one topic reuses one string instead of decoding it
 * again: comparing a few bytes is cheaper than making a string. A hit is a byte-for-byte match, so it
 * never returns a wrong string. Give each reader its own (see `decodeRecord`'s `cache` option).
 */
export class RecordFieldCache {
  // Per slot, a few recent (bytes, string) pairs: a queue with a handful of alternating tags or hosts
  // still hits, and a slot of unique values costs one failed comparison per entry (lengths first).
  #bytes: Buffer[][] = [];
  #strings: string[][] = [];
  #next: number[] = [];

  /** The string of `buffer[start, end)` in slot `slot`, from the cache when the bytes are the same. */
  decode(slot: number, buffer: Buffer, start: number, end: number): string {
    const length = end - start;
    let bytes = this.#bytes[slot];
    if (bytes === undefined) {
      bytes = [];
      this.#bytes[slot] = bytes;
      this.#strings[slot] = [];
      this.#next[slot] = 0;
    }
    for (let entry = 0; entry < bytes.length; entry++) {
      const cached = bytes[entry] as Buffer;
      if (cached.length !== length) continue;
      let same = true;
      for (let i = 0; i < length; i++) {
        if (cached[i] !== buffer[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return (this.#strings[slot] as string[])[entry] as string;
    }
    const value = buffer.toString('utf8', start, end);
    if (length <= SHORT) {
      const at = this.#next[slot] as number;
      bytes[at] = Buffer.from(buffer.subarray(start, end));
      (this.#strings[slot] as string[])[at] = value;
      this.#next[slot] = (at + 1) % CACHE_ENTRIES;
    }
    return value;
  }
}
