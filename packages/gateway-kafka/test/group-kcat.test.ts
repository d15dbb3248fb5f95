import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaFixture, kafkaFixture } from './fixture.js';

const KCAT = '/usr/bin/kcat';

/** Runs kcat with `input` on stdin; resolves with stdout and stderr. */
function kcat(args: readonly string[], input = ''): Promise<{ out: string; err: string }> {
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
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ out, err });
      else reject(new Error(`kcat ${args.join(' ')} exited with ${code}: ${err.slice(-4000)}`));
    });
    child.stdin.end(input);
  });
}

// librdkafka 2.0.2 picks the highest common version of each group API (OffsetFetch 7 and ListGroups 4 are
// flexible there) and enables the balanced consumer only when JoinGroup/SyncGroup/Heartbeat/LeaveGroup/
// OffsetCommit/OffsetFetch/FindCoordinator are all advertised.
describe.skipIf(!existsSync(KCAT))('kcat balanced consumer (librdkafka 2.0.2)', () => {
  let fixture: KafkaFixture;
  let kafka: Kafka;

  beforeAll(async () => {
    fixture = await kafkaFixture();
    kafka = new Kafka({ clientId: 'kcg-kafkajs', brokers: [fixture.bootstrap], logLevel: logLevel.NOTHING });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('consumes a produced topic with -G until the end, then the commits are visible via OffsetFetch', async () => {
    await fixture.broker.topics.create({ name: 'kcg', queueCount: 3 });
    const producer = kafka.producer();
    await producer.connect();
    const values = Array.from({ length: 12 }, (_, i) => `v${i}`);
    await producer.send({ topic: 'kcg', messages: values.map((value, i) => ({ value, partition: i % 3 })) });
    await producer.disconnect();

    const { out, err } = await kcat([
      '-b',
      fixture.bootstrap,
      '-G',
      'kcg-group',
      'kcg',
      '-e',
      '-f',
      '%s\\n',
      '-X',
      'auto.offset.reset=earliest',
      '-X',
      'debug=feature,protocol',
    ]);
    expect(out.trim().split('\n').sort()).toEqual([...values].sort());
    // -X debug=feature: the balanced consumer is enabled (never disabled) on every broker connection.
    expect(err).toContain('Enabling feature BrokerBalancedConsumer');
    expect(err).not.toContain('Disabling feature BrokerBalancedConsumer');
    // debug=protocol: the highest common versions, flexible ones included.
    expect(err).toMatch(/Sent OffsetFetchRequest \(v7,/);
    expect(err).toMatch(/Sent JoinGroupRequest \(v5,/);
    expect(err).toMatch(/Sent OffsetCommitRequest \(v7,/);

    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId: 'kcg-group', topics: ['kcg'] });
      expect(offsets[0]?.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
        [0, '4'],
        [1, '4'],
        [2, '4'],
      ]);
      const groups = await admin.listGroups();
      expect(groups.groups.map((group) => group.groupId)).toContain('kcg-group');
    } finally {
      await admin.disconnect();
    }

    // A second run in the same group starts from the commits: only the new messages.
    const producer2 = kafka.producer();
    await producer2.connect();
    await producer2.send({ topic: 'kcg', messages: [{ value: 'late', partition: 1 }] });
    await producer2.disconnect();
    const again = await kcat(['-b', fixture.bootstrap, '-G', 'kcg-group', 'kcg', '-e', '-q', '-f', '%s\\n']);
    expect(again.out.trim()).toBe('late');
  }, 60_000);
});
