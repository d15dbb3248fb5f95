// Runs the BUILT `eddy-kafka` (apps/kafka/dist/main.js; build with `npx tsc -b apps/kafka` first) as a child process.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, makeTempDir, type TempDir } from '@eddy/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN_JS = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Starts eddy-kafka and resolves once it logged `ready`. */
async function startEddyKafka(args: readonly string[]): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [MAIN_JS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes('"message":"ready"')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`eddy-kafka exited with ${code}:\n${log}`)));
  });
  return { child, output: () => log };
}

describe('eddy-kafka', () => {
  let child: ChildProcess | undefined;
  let temp: TempDir | undefined;
  afterEach(async () => {
    child?.kill('SIGKILL');
    await temp?.remove();
  });

  it('serves kafkajs with Kafka defaults (1 partition per auto-created topic) and stops cleanly on SIGTERM', async () => {
    temp = await makeTempDir('eddy-kafka');
    const port = await freePort();
    const started = await startEddyKafka(['--port', String(port), '--data-dir', temp.path]);
    child = started.child;
    const kafka = new Kafka({ clientId: 'app-test', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic: 'app-topic', acks: -1, messages: [{ key: 'k', value: 'v' }] });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: ['app-topic'] });
    expect(metadata.topics[0]?.partitions).toHaveLength(1);
    expect(await admin.fetchTopicOffsets('app-topic')).toMatchObject([{ partition: 0, high: '1', low: '0' }]);
    await admin.disconnect();
    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);
  });

  it('exits with code 2 on an invalid setting', async () => {
    child = spawn(process.execPath, [MAIN_JS, '--port', 'not-a-port'], { stdio: 'ignore' });
    expect(await exitOf(child)).toBe(2);
  });
});
