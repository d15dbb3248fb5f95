/**
 * The conformance suite of Eddy's storage contract (`@eddy/store`). An engine proves itself by calling
 * {@link describeMessageStore} from one of its own vitest files; every scenario is written here once and
 * runs against every engine, with the memory engine as the reference.
 *
 * What it checks: appends (offsets, store time, round-trips of every message field, invalid input,
 * concurrency, 1,000 queues), reads (limits, ranges, statuses, tag filters and `maxScan`), the look-ups,
 * topic deletion, `deleteRecordsBefore`, retention, the metadata key-value store, `flush` and `close`,
 * persistence across close and reopen for durable engines, and a randomized comparison with a model.
 *
 * What it does not: crash consistency (`kill -9`, torn writes), corrupt files, I/O failures, or
 * performance. Those need an engine's own tests or the harness app.
 *
 * It registers vitest tests (vitest is a peer dependency), so it must be imported from a test file. Each
 * test gets a fresh temporary directory, removed afterwards, and a manual clock it drives itself.
 *
 * @packageDocumentation
 */
import { describe } from 'vitest';
import { describeAppend } from './append.js';
import { describeDeletion } from './deletion.js';
import { describeDurability } from './durability.js';
import { describeEncodedBatches } from './encoded-batches.js';
import type { StoreHarness } from './harness.js';
import { describeLifecycle } from './lifecycle.js';
import { describeLookups } from './lookups.js';
import { describeMetadata } from './metadata.js';
import { describeModelBased } from './model-based.js';
import { describeRead } from './read.js';

export { CONFORMANCE_BATCH_FORMAT, conformanceBatchDecoder, jsonBatch } from './encoded-batches.js';
export type { StoreHarness } from './harness.js';

/**
 * Registers the whole conformance suite for one engine as a vitest `describe` block.
 *
 * @param name what the engine is called in test names, e.g. `'memory'`.
 * @param harness how to open the engine; see {@link StoreHarness}.
 *
 * @example
 * ```ts
 * // packages/store-memory/test/conformance.test.ts
 * import { describeMessageStore } from '@eddy/store-conformance';
 * import { openMemoryStore } from '../src/index.js';
 *
 * describeMessageStore('memory', { open: ({ clock }) => openMemoryStore({ clock }), durable: false });
 * ```
 */
export function describeMessageStore(name: string, harness: StoreHarness): void {
  describe(`MessageStore conformance: ${name}`, () => {
    describeLifecycle(harness);
    describeAppend(harness);
    describeRead(harness);
    describeLookups(harness);
    describeDeletion(harness);
    describeMetadata(harness);
    describeDurability(harness);
    describeModelBased(harness);
    describeEncodedBatches(harness);
  });
}
