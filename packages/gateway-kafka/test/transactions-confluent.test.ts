import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaFixture, kafkaFixture } from './fixture.js';

const PYTHON = '/usr/bin/python3';
const available = spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status === 0;

// A confluent-kafka (librdkafka 2.0.2) transactional producer: one transaction committed with offsets
// sent to a group, one aborted, then a read_committed consumer reads the topic to its end.
const SCRIPT = `
import json, sys
from confluent_kafka import Consumer, Producer, TopicPartition
bootstrap = sys.argv[1]
p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'py-tx', 'transaction.timeout.ms': 60000})
p.init_transactions(20)
source = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'py-group', 'enable.auto.commit': False})
p.begin_transaction()
p.produce('py-txn', value=b'c1')
p.produce('py-txn', value=b'c2')
p.send_offsets_to_transaction([TopicPartition('py-in', 0, 11)], source.consumer_group_metadata(), 20)
p.commit_transaction(20)
p.begin_transaction()
p.produce('py-txn', value=b'a1')
p.send_offsets_to_transaction([TopicPartition('py-in', 0, 99)], source.consumer_group_metadata(), 20)
p.abort_transaction(20)
p.begin_transaction()
p.produce('py-txn', value=b'end')
p.commit_transaction(20)
committed = source.committed([TopicPartition('py-in', 0)], timeout=20)[0].offset
source.close()
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'py-reader', 'auto.offset.reset': 'earliest',
              'isolation.level': 'read_committed', 'enable.auto.commit': False})
c.subscribe(['py-txn'])
values = []
while 'end' not in values:
    m = c.poll(10)
    if m is None:
        break
    if m.error():
        continue
    values.append(m.value().decode())
c.close()
print(json.dumps({'values': values, 'committed': committed}))
`;

function python(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`python exited with ${code}: ${err}`));
    });
  });
}

describe.skipIf(!available)('confluent-kafka 1.7 (librdkafka 2.0.2) transactions', () => {
  let fixture: KafkaFixture;

  beforeAll(async () => {
    fixture = await kafkaFixture();
    for (const name of ['py-txn', 'py-in']) await fixture.broker.topics.create({ name, queueCount: 1 });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('commits and aborts; read_committed sees only committed records; sent offsets commit with the transaction', async () => {
    const result = JSON.parse(await python([fixture.bootstrap])) as { values: string[]; committed: number };
    expect(result.values).toEqual(['c1', 'c2', 'end']);
    expect(result.committed).toBe(11);
    expect(await fixture.broker.offsets.committed('py-group', 'py-in', 0)).toBe(11);
  }, 120_000);
});
