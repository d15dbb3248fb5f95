const utf8 = new TextEncoder();

/**
 * Java's `String.hashCode()`: `h = 31·h + c` over UTF-16 code units, in 32-bit two's complement.
 * RocketMQ's `SelectMessageQueueByHash` uses it, so a key picks the same queue index here as in a Java
 * producer. Fast and stable forever, but weak at spreading similar strings; see {@link murmurHash3}.
 *
 * @returns a signed 32-bit integer.
 */
export function stringHashCode(text: string): number {
  let hash = 0;
  for (let index = 0; index < text.length; index++) {
    hash = (Math.imul(hash, 31) + text.charCodeAt(index)) | 0;
  }
  return hash;
}

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixBlock(block: number): number {
  const k = Math.imul(block, C1);
  return Math.imul((k << 15) | (k >>> 17), C2);
}

/**
 * MurmurHash3, x86 32-bit variant, over the UTF-8 bytes of `text`. Well spread and stable (a published
 * algorithm with published test vectors), so every process places the same key at the same point of a
 * consistent-hash ring.
 *
 * @returns an unsigned 32-bit integer.
 */
export function murmurHash3(text: string, seed = 0): number {
  const bytes = utf8.encode(text);
  const length = bytes.length;
  const tail = length - (length & 3);
  let hash = seed | 0;
  for (let index = 0; index < tail; index += 4) {
    const block =
      (bytes[index] as number) |
      ((bytes[index + 1] as number) << 8) |
      ((bytes[index + 2] as number) << 16) |
      ((bytes[index + 3] as number) << 24);
    hash ^= mixBlock(block);
    hash = (hash << 13) | (hash >>> 19);
    hash = (Math.imul(hash, 5) + 0xe6546b64) | 0;
  }
  let rest = 0;
  if ((length & 3) >= 3) rest ^= (bytes[tail + 2] as number) << 16;
  if ((length & 3) >= 2) rest ^= (bytes[tail + 1] as number) << 8;
  if ((length & 3) >= 1) {
    rest ^= bytes[tail] as number;
    hash ^= mixBlock(rest);
  }
  hash ^= length;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
