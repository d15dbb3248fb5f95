import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaFixture, kafkaFixture } from './fixture.js';

const KCAT = '/usr/bin/kcat';

/** Runs kcat with `input` on stdin; resolves with stdout. */
function kcat(args: readonly string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(KCAT, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`kcat ${args.join(' ')} exited with ${code}: ${err}`));
    });
    child.stdin.end(input);
  });
}

describe.skipIf(!existsSync(KCAT))('kcat (librdkafka 2.0.2)', () => {
  let fixture: KafkaFixture;
  let broker: string[];

  beforeAll(async () => {
    fixture = await kafkaFixture();
    broker = ['-b', fixture.bootstrap];
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('lists metadata with -L: this broker as node 0, topics with their partitions', async () => {
    await fixture.broker.topics.create({ name: 'kcat-meta', queueCount: 3 });
    const metadata = JSON.parse(await kcat([...broker, '-L', '-J'])) as {
      brokers: { id: number; name: string }[];
      topics: { topic: string; partitions: { partition: number; leader: number }[] }[];
    };
    expect(metadata.brokers).toEqual([{ id: 0, name: fixture.bootstrap }]);
    const topic = metadata.topics.find((entry) => entry.topic === 'kcat-meta');
    expect(topic?.partitions.map(({ partition, leader }) => [partition, leader])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
  });

  it('produces keyed messages with -P -K: and consumes them with -C -o beginning -e', async () => {
    await fixture.broker.topics.create({ name: 'kcat-keys', queueCount: 1 });
    await kcat([...broker, '-P', '-t', 'kcat-keys', '-K:'], 'k1:v1\nk2:v2\n');
    const out = await kcat([...broker, '-C', '-t', 'kcat-keys', '-o', 'beginning', '-e', '-f', '%k=%s@%o\\n']);
    expect(out).toBe('k1=v1@0\nk2=v2@1\n');
  });

  it.each(['snappy', 'lz4', 'zstd', 'gzip'])('reads what kcat produced with compression.codec=%s', async (codec) => {
    const topic = `kcat-${codec}`;
    await fixture.broker.topics.create({ name: topic, queueCount: 1 });
    const lines = Array.from({ length: 20 }, (_, index) => `${codec}-message-${index}`);
    await kcat([...broker, '-P', '-t', topic, '-X', `compression.codec=${codec}`], `${lines.join('\n')}\n`);
    const out = await kcat([...broker, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%s\\n']);
    expect(out.trim().split('\n')).toEqual(lines);
  });

  it('answers offsets-for-times with -Q', async () => {
    await fixture.broker.topics.create({ name: 'kcat-times', queueCount: 1 });
    await kcat([...broker, '-P', '-t', 'kcat-times'], 'a\nb\n');
    const before = Date.now() - 60_000;
    const after = Date.now() + 60_000;
    const early = await kcat([...broker, '-Q', '-t', `kcat-times:0:${before}`]);
    expect(early).toMatch(/kcat-times \[0\]\s+offset 0/);
    const late = await kcat([...broker, '-Q', '-t', `kcat-times:0:${after}`]);
    expect(late).toMatch(/kcat-times \[0\]\s+offset -1/);
  });
});
