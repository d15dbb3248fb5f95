import { conformanceBatchDecoder, describeMessageStore } from '@eddy/store-conformance';
import { openCommitLogStore, silentLogger } from '../src/index.js';

// 8 MiB segments: the suite appends a 4 MiB body, and a record never spans segments.
const segmentSize = 8 * 1024 * 1024;

describeMessageStore('commitlog (async flush)', {
  open: ({ dir, clock }) =>
    openCommitLogStore({
      dir,
      clock,
      segmentSize,
      consumeQueueEntriesPerFile: 1000,
      logger: silentLogger,
      batchDecoders: [conformanceBatchDecoder],
    }),
  durable: true,
  retention: 'segment',
  encodedBatches: true,
});

describeMessageStore('commitlog (sync flush)', {
  open: ({ dir, clock }) =>
    openCommitLogStore({
      dir,
      clock,
      segmentSize,
      consumeQueueEntriesPerFile: 1000,
      flush: 'sync',
      logger: silentLogger,
      batchDecoders: [conformanceBatchDecoder],
    }),
  durable: true,
  retention: 'segment',
  encodedBatches: true,
});
