import { describeMessageStore } from '@eddy/store-conformance';
import { openLmdbStore } from '../src/index.js';

describeMessageStore('lmdb (async flush)', { open: ({ dir, clock }) => openLmdbStore({ dir, clock }), durable: true });
describeMessageStore('lmdb (sync flush)', {
  open: ({ dir, clock }) => openLmdbStore({ dir, clock, flush: 'sync' }),
  durable: true,
});
