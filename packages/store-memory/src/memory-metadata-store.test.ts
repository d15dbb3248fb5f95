import { EddyError } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { MemoryMetadataStore } from './memory-metadata-store.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined) => (value === undefined ? undefined : new TextDecoder().decode(value));

function openStore() {
  return new MemoryMetadataStore(() => {});
}

describe('MemoryMetadataStore', () => {
  it('scans in UTF-8 byte order, not UTF-16 order', async () => {
    const store = openStore();
    // U+FFFF sorts after U+10000 in UTF-16 code units (0xFFFF > 0xD800) but before it in UTF-8 (EF… < F0…).
    const keys = ['\u{10000}', '\uFFFF', 'b', 'a', 'ab', 'é'];
    for (const key of keys) await store.put(key, bytes(key));
    expect((await store.scan('')).map((entry) => entry.key)).toEqual(['a', 'ab', 'b', 'é', '\uFFFF', '\u{10000}']);
  });

  it('scans by prefix, with a limit', async () => {
    const store = openStore();
    for (const key of ['offset/g1/t/0', 'offset/g1/t/1', 'offset/g2/t/0', 'offsets', 'group/g1']) {
      await store.put(key, bytes(key));
    }
    expect((await store.scan('offset/g1/')).map((entry) => entry.key)).toEqual(['offset/g1/t/0', 'offset/g1/t/1']);
    expect((await store.scan('offset/', { limit: 2 })).map((entry) => entry.key)).toEqual([
      'offset/g1/t/0',
      'offset/g1/t/1',
    ]);
    expect(await store.scan('zzz')).toEqual([]);
    await expect(store.scan('', { limit: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('copies values in and out', async () => {
    const store = openStore();
    const value = bytes('abc');
    await store.put('k', value);
    value.fill(0);
    const read = await store.get('k');
    read?.fill(0);
    const [scanned] = await store.scan('k');
    scanned?.value.fill(0);
    expect(text(await store.get('k'))).toBe('abc');
  });

  it('applies a batch in order, all or nothing', async () => {
    const store = openStore();
    await store.put('keep', bytes('1'));
    await store.batch([
      { type: 'put', key: 'a', value: bytes('1') },
      { type: 'delete', key: 'a' },
      { type: 'put', key: 'b', value: bytes('1') },
      { type: 'put', key: 'b', value: bytes('2') },
      { type: 'delete', key: 'keep' },
    ]);
    expect((await store.scan('')).map((entry) => [entry.key, text(entry.value)])).toEqual([['b', '2']]);
    const rejected = store.batch([
      { type: 'put', key: 'c', value: bytes('1') },
      { type: 'put', key: '', value: bytes('1') },
    ]);
    await expect(rejected).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await store.get('c')).toBeUndefined();
  });

  it('deletes and reports whether the key was there', async () => {
    const store = openStore();
    await store.put('k', bytes('v'));
    expect(await store.delete('k')).toBe(true);
    expect(await store.delete('k')).toBe(false);
    expect(await store.scan('')).toEqual([]);
  });

  it('refuses empty keys and keys with no UTF-8 form', async () => {
    const store = openStore();
    for (const key of ['', '\uD800', 'a\uDC00b']) {
      const error = await store.put(key, bytes('v')).catch((rejection: unknown) => rejection);
      expect(EddyError.is(error, 'INVALID_ARGUMENT')).toBe(true);
    }
    await expect(store.put('k', 'text' as unknown as Uint8Array)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
