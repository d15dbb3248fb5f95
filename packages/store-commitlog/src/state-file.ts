import { EddyError } from '@eddy/message';
import { z } from 'zod';
import type { FileSystem } from './file-layer.js';

/**
 * The engine's own durable state beside the checkpoint: what cannot be derived from the CommitLog and
 * ConsumeQueue files. Small, rewritten whole and atomically when it changes (topic deletion,
 * `deleteRecordsBefore`, retention), never on the append path.
 */
export interface EngineState {
  /** Deleted topics, with the CommitLog position at deletion: records of the topic below it are dead. */
  readonly tombstones: Map<string, number>;
  /** Minimum offsets raised above a queue's first ConsumeQueue entry, by topic then queue id. */
  readonly minOffsets: Map<string, Map<number, number>>;
  /** The file geometry the store was made with: reopening with another would misread its files. */
  geometry: { readonly segmentSize: number; readonly consumeQueueEntriesPerFile: number } | undefined;
}

const position = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const StateFileSchema = z.object({
  version: z.literal(1),
  tombstones: z.array(z.tuple([z.string().min(1), position])),
  minOffsets: z.array(z.tuple([z.string().min(1), z.number().int().min(0).max(65535), position])),
  geometry: z
    .object({ segmentSize: z.number().int().positive(), consumeQueueEntriesPerFile: z.number().int().positive() })
    .optional(),
});

/** An empty state, for a new store. */
export function emptyState(): EngineState {
  return { tombstones: new Map(), minOffsets: new Map(), geometry: undefined };
}

/**
 * Reads `state.json`, or an empty state when there is none.
 *
 * @throws `CORRUPT_DATA` naming the file when it is not valid state.
 */
export function readState(fileSystem: FileSystem, path: string): EngineState {
  const bytes = fileSystem.readFile(path);
  if (bytes === undefined) return emptyState();
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new EddyError('CORRUPT_DATA', `${path} is not valid JSON: ${(cause as Error).message}`, {
      cause,
      details: { path },
    });
  }
  const result = StateFileSchema.safeParse(parsed);
  if (!result.success) {
    throw new EddyError(
      'CORRUPT_DATA',
      `${path} is not valid engine state: ${result.error.issues[0]?.message ?? 'invalid'}`,
      {
        details: { path },
      },
    );
  }
  const state = emptyState();
  state.geometry = result.data.geometry;
  for (const [topic, at] of result.data.tombstones) state.tombstones.set(topic, at);
  for (const [topic, queueId, offset] of result.data.minOffsets) {
    let queues = state.minOffsets.get(topic);
    if (queues === undefined) {
      queues = new Map();
      state.minOffsets.set(topic, queues);
    }
    queues.set(queueId, offset);
  }
  return state;
}

/** Writes `state.json` atomically and durably. */
export async function writeState(fileSystem: FileSystem, path: string, state: EngineState): Promise<void> {
  const file: z.infer<typeof StateFileSchema> = {
    version: 1,
    tombstones: [...state.tombstones],
    minOffsets: [...state.minOffsets].flatMap(([topic, queues]) =>
      [...queues].map(([queueId, offset]) => [topic, queueId, offset] as [string, number, number]),
    ),
    ...(state.geometry === undefined ? {} : { geometry: state.geometry }),
  };
  await fileSystem.writeFileAtomic(path, Buffer.from(JSON.stringify(file)));
}
