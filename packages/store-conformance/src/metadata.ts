import { compareKeys } from '@eddy/store';
import { describe, expect, it } from 'vitest';
import { expectBytes } from './assertions.js';
import { type StoreHarness, useStore } from './harness.js';

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);

/** Registers the tests of the metadata key-value store: get, put, delete, scan order and limits, batch. */
export function describeMetadata(harness: StoreHarness): void {
  describe('metadata', () => {
    const context = useStore(harness);

    it('gets what was put, replaces on put, and gives undefined for a missing key', async () => {
      const { metadata } = context.store;
      expect(await metadata.get('config/topic/orders')).toBeUndefined();
      await metadata.put('config/topic/orders', bytes('{"queues":8}'));
      expectBytes((await metadata.get('config/topic/orders')) as Uint8Array, bytes('{"queues":8}'), 'value');
      await metadata.put('config/topic/orders', bytes('{"queues":16}'));
      expectBytes((await metadata.get('config/topic/orders')) as Uint8Array, bytes('{"queues":16}'), 'value');
      expect(await metadata.get('config/topic/order')).toBeUndefined();
      expect(await metadata.get('config/topic/orders/')).toBeUndefined();
    });

    it('keeps values byte-exact, empty and binary ones too, whatever the caller does with its buffer later', async () => {
      const { metadata } = context.store;
      const binary = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
      const original = binary.slice();
      await metadata.put('binary', binary);
      binary.fill(0);
      await metadata.put('empty', new Uint8Array(0));
      await metadata.put('ключ/🔑', bytes('unicode key'));
      expectBytes((await metadata.get('binary')) as Uint8Array, original, 'value');
      expectBytes((await metadata.get('empty')) as Uint8Array, new Uint8Array(0), 'value');
      expectBytes((await metadata.get('ключ/🔑')) as Uint8Array, bytes('unicode key'), 'value');
    });

    it('deletes a key and says whether it was there', async () => {
      const { metadata } = context.store;
      await metadata.put('offsets/g/orders/0', bytes('42'));
      expect(await metadata.delete('offsets/g/orders/0')).toBe(true);
      expect(await metadata.get('offsets/g/orders/0')).toBeUndefined();
      expect(await metadata.delete('offsets/g/orders/0')).toBe(false);
      expect(await metadata.delete('never/there')).toBe(false);
      await metadata.put('offsets/g/orders/0', bytes('43'));
      expectBytes((await metadata.get('offsets/g/orders/0')) as Uint8Array, bytes('43'), 'value');
    });

    it('scans a prefix in UTF-8 byte order, with values, up to a limit', async () => {
      const { metadata } = context.store;
      const keys = ['a/10', 'a/2', 'a/1', 'a', 'a0', 'a/', 'b/1', 'A/1', 'a/1/x'];
      for (const key of keys) await metadata.put(key, bytes(`value of ${key}`));

      const scanned = await metadata.scan('a/');
      expect(scanned.map((entry) => entry.key)).toEqual(['a/', 'a/1', 'a/1/x', 'a/10', 'a/2']);
      for (const entry of scanned) expectBytes(entry.value, bytes(`value of ${entry.key}`), `value of ${entry.key}`);
      expect((await metadata.scan('a/', { limit: 2 })).map((entry) => entry.key)).toEqual(['a/', 'a/1']);
      expect((await metadata.scan('a/1')).map((entry) => entry.key)).toEqual(['a/1', 'a/1/x', 'a/10']);
      expect(await metadata.scan('c')).toEqual([]);
      expect(await metadata.scan('a/10/')).toEqual([]);
    });

    it('orders by UTF-8 bytes where UTF-16 order differs', async () => {
      const { metadata } = context.store;
      // U+FF61 is EF BD A1 in UTF-8 and U+1F600 is F0 9F 98 80, but in UTF-16 the emoji's surrogate
      // D83D sorts before FF61: a store that compares JS strings gets this backwards.
      const keys = ['u/\u{1F600}', 'u/\uFF61', 'u/\u00e9', 'u/z', 'u/\uE000', 'u/\u{10000}', 'u/\uFFFF'];
      for (const key of keys) await metadata.put(key, bytes(key));
      const expected = ['u/z', 'u/\u00e9', 'u/\uE000', 'u/\uFF61', 'u/\uFFFF', 'u/\u{10000}', 'u/\u{1F600}'];
      expect([...keys].sort(compareKeys)).toEqual(expected);
      expect((await metadata.scan('u/')).map((entry) => entry.key)).toEqual(expected);
      expect((await metadata.scan('u/', { limit: 4 })).map((entry) => entry.key)).toEqual(expected.slice(0, 4));
      expect((await metadata.scan('u/\uFF61')).map((entry) => entry.key)).toEqual(['u/\uFF61']);
      expect((await metadata.scan('u/\u{1F600}')).map((entry) => entry.key)).toEqual(['u/\u{1F600}']);
    });

    it('scans everything for an empty prefix', async () => {
      const { metadata } = context.store;
      expect(await metadata.scan('')).toEqual([]);
      const keys = ['z', 'a', '\u{1F600}', '\uFF61', 'm/1', 'M'];
      for (const key of keys) await metadata.put(key, bytes(key));
      await metadata.delete('m/1');
      const remaining = keys.filter((key) => key !== 'm/1').sort(compareKeys);
      expect((await metadata.scan('')).map((entry) => entry.key)).toEqual(remaining);
      expect((await metadata.scan('', { limit: 3 })).map((entry) => entry.key)).toEqual(remaining.slice(0, 3));
    });

    it('applies a batch in order, a later operation on the same key winning', async () => {
      const { metadata } = context.store;
      await metadata.put('keep', bytes('kept'));
      await metadata.put('gone', bytes('soon gone'));
      await metadata.batch([
        { type: 'put', key: 'k1', value: bytes('first') },
        { type: 'put', key: 'k2', value: bytes('two') },
        { type: 'delete', key: 'k1' },
        { type: 'put', key: 'k3', value: bytes('a') },
        { type: 'put', key: 'k3', value: bytes('b') },
        { type: 'delete', key: 'gone' },
        { type: 'delete', key: 'k4' },
        { type: 'put', key: 'k4', value: bytes('back') },
        { type: 'delete', key: 'never-there' },
      ]);
      expect(await metadata.get('k1')).toBeUndefined();
      expect(await metadata.get('gone')).toBeUndefined();
      expectBytes((await metadata.get('k2')) as Uint8Array, bytes('two'), 'k2');
      expectBytes((await metadata.get('k3')) as Uint8Array, bytes('b'), 'k3');
      expectBytes((await metadata.get('k4')) as Uint8Array, bytes('back'), 'k4');
      expect((await metadata.scan('')).map((entry) => entry.key)).toEqual(['k2', 'k3', 'k4', 'keep']);
    });

    it('keeps the metadata apart from messages and topics', async () => {
      const { store } = context;
      await store.metadata.put('topic/orders', bytes('config'));
      expect(await store.listTopics()).toEqual([]);
      await store.append('orders', 0, [context.message('orders')]);
      expect(await store.metadata.scan('')).toHaveLength(1);
    });
  });
}
