/**
 * The 32-bit hash of a tag that ConsumeQueue-style indexes store so that a tag filter can skip a
 * message without reading it. FNV-1a over the UTF-8 bytes; never 0, so 0 can mean "no tag". Equal
 * codes do not prove equal tags: a filter confirms a match on the tag itself.
 */
export function tagCode(tag: string | undefined): number {
  if (tag === undefined) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < tag.length; i++) {
    let unit = tag.charCodeAt(i);
    if (unit < 0x80) {
      hash = Math.imul(hash ^ unit, 0x01000193);
      continue;
    }
    // Hash the code point's UTF-8 bytes so that the code matches a byte-wise hash in any language.
    if (unit >= 0xd800 && unit < 0xdc00 && i + 1 < tag.length) {
      const low = tag.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    // A lone surrogate is not UTF-8; Buffer (and so the stored tag) writes it as U+FFFD.
    if (unit >= 0xd800 && unit < 0xe000) unit = 0xfffd;
    const bytes =
      unit < 0x800
        ? [0xc0 | (unit >> 6), 0x80 | (unit & 63)]
        : unit < 0x10000
          ? [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 63), 0x80 | (unit & 63)]
          : [0xf0 | (unit >> 18), 0x80 | ((unit >> 12) & 63), 0x80 | ((unit >> 6) & 63), 0x80 | (unit & 63)];
    for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
  }
  return hash >>> 0 || 1;
}
