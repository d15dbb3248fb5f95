// kcat (librdkafka 2.0.2) against a real `eddy start` process on loopback: -L, and 10,000 lines produced with
// -P and read back with -C -e for each compression codec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDDY_ARGS, hasKcat, kcat } from './kafka-clients.js';
import { type EddyProcess, startEddy } from './launch.js';

const LINES = 10_000;

describe.skipIf(!hasKcat)('kcat against eddy start', () => {
  let eddy: EddyProcess;
  let broker: string[];

  beforeAll(async () => {
    eddy = await startEddy({ args: [...EDDY_ARGS] });
    broker = ['-b', `127.0.0.1:${eddy.kafkaPort}`];
  });
  afterAll(async () => {
    if (eddy !== undefined) {
      expect(await eddy.stop()).toBe(0);
      await eddy.cleanup();
    }
  });

  it('-L lists this broker as node 0 and a topic with its 4 auto-created partitions', async () => {
    await kcat([...broker, '-P', '-t', 'kcat-meta'], 'x\n');
    const metadata = JSON.parse(await kcat([...broker, '-L', '-J'])) as {
      brokers: { id: number; name: string }[];
      topics: { topic: string; partitions: { partition: number; leader: number }[] }[];
    };
    expect(metadata.brokers).toEqual([{ id: 0, name: `127.0.0.1:${eddy.kafkaPort}` }]);
    const topic = metadata.topics.find((entry) => entry.topic === 'kcat-meta');
    expect(topic?.partitions.map(({ partition, leader }) => [partition, leader])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
    const plain = await kcat([...broker, '-L', '-t', 'kcat-meta']);
    expect(plain).toContain('topic "kcat-meta" with 4 partitions');
  });

  it.each(['gzip', 'snappy', 'lz4', 'zstd'])(
    'produces %s-compressed lines with -P -z and reads all of them back with -C -e',
    async (codec) => {
      const topic = `kcat-${codec}`;
      const lines = Array.from({ length: LINES }, (_, i) => `${codec}-line-${i}-${'x'.repeat(i % 50)}`);
      await kcat(
        [...broker, '-P', '-t', topic, '-z', codec, '-K', '\t'],
        `${lines.map((l, i) => `k${i % 7}\t${l}`).join('\n')}\n`,
        60_000,
      );
      const out = await kcat(
        [...broker, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %o %k %s\\n'],
        '',
        60_000,
      );
      const records = out
        .trim()
        .split('\n')
        .map((line) => line.split(' '));
      expect(records).toHaveLength(LINES);
      expect(records.map((record) => record[3]).sort()).toEqual([...lines].sort());
      // Per partition: offsets 0, 1, 2, … in order, and a key always lands on the same partition.
      const byPartition = new Map<string, number[]>();
      const partitionOfKey = new Map<string, string>();
      for (const [partition, offset, key] of records as [string, string, string, string][]) {
        byPartition.set(partition, [...(byPartition.get(partition) ?? []), Number(offset)]);
        expect(partitionOfKey.get(key) ?? partition).toBe(partition);
        partitionOfKey.set(key, partition);
      }
      expect(byPartition.size).toBeGreaterThan(1);
      for (const offsets of byPartition.values()) expect(offsets).toEqual(offsets.map((_, i) => i));
    },
  );
});
