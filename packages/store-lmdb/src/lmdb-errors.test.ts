import { EddyError } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { toStoreError } from './lmdb-errors.js';

function lmdbError(message: string, code: number): Error {
  return Object.assign(new Error(message), { code });
}

describe('toStoreError', () => {
  it('makes a full disk or a map that cannot grow a retriable DISK_FULL', () => {
    for (const error of [
      lmdbError('No space left on device', 28),
      lmdbError('MDB_MAP_FULL: Environment mapsize limit reached', -30792),
      lmdbError('Disk quota exceeded', 122),
    ]) {
      const mapped = toStoreError(error, 'append to t/0');
      expect(mapped).toMatchObject({ code: 'DISK_FULL', retriable: true });
      expect(mapped.message).toContain('append to t/0');
      expect(mapped.cause).toBe(error);
    }
  });

  it('makes a damaged file CORRUPT_DATA and anything else IO_ERROR, and passes EddyErrors through', () => {
    expect(toStoreError(lmdbError('MDB_CORRUPTED', -30796), 'read').code).toBe('CORRUPT_DATA');
    expect(toStoreError(lmdbError('MDB_PAGE_NOTFOUND', -30797), 'read').code).toBe('CORRUPT_DATA');
    expect(toStoreError(lmdbError('Permission denied', 13), 'open')).toMatchObject({
      code: 'IO_ERROR',
      retriable: false,
    });
    const original = new EddyError('STORE_CLOSED', 'closed');
    expect(toStoreError(original, 'read')).toBe(original);
  });
});
