import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BenchmarkError } from '../benchmark-error.js';
import type { PhaseMeter } from '../phase-meter.js';
import { createKafkaTopic, EDDY_BROKER, startEddy } from './eddy-server.js';
import { PYTHON_KAFKA_CLIENT } from './python-kafka-client.js';
import { aborted, partitionsOf, type SystemDriver } from './system-driver.js';

/** A Python client process and what it reports. */
class PythonClient {
  readonly #child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly started: Promise<void>;
  #stderr = '';

  constructor(python: string, script: string, args: string[], meter: PhaseMeter, size: number) {
    this.#child = spawn(python, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    if (this.#child.pid !== undefined) meter.clientPids.push(this.#child.pid);
    this.#child.stdin?.on('error', () => {});
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-8192);
    });
    let sent = 0;
    let failed = 0;
    let received = { messages: 0, bytes: 0 };
    let markStarted: () => void = () => {};
    this.started = new Promise((resolve) => {
      markStarted = resolve;
    });
    const lines = createInterface({ input: this.#child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const [kind, ...fields] = line.split(' ');
      if (kind === 'started') markStarted();
      else if (kind === 's') {
        const ok = Number(fields[0]);
        const errors = Number(fields[1]);
        meter.sent(ok - sent, (ok - sent) * size);
        for (; failed < errors; failed++) meter.failed(new Error(fields.slice(2).join(' ') || 'delivery failed'));
        sent = ok;
      } else if (kind === 'r') {
        const messages = Number(fields[0]);
        const bytes = Number(fields[1]);
        meter.received(messages - received.messages, bytes - received.bytes);
        received = { messages, bytes };
      } else if (kind === 'l') meter.latencies(fields.map(Number));
    });
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code) => resolve(code));
      this.#child.once('error', () => resolve(-1));
    });
  }

  /** Rejects when the process exits before it says `started`. */
  async waitStarted(name: string): Promise<void> {
    const exited = this.exited.then((code) => {
      throw new BenchmarkError('DRIVER_FAILED', `${name} exited with ${code} before it started:\n${this.#stderr}`);
    });
    await Promise.race([this.started, exited]);
  }

  /** Closes stdin (the client's signal to flush and stop), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    this.#child.stdin?.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Eddy over Kafka with librdkafka (confluent-kafka for Python), one process per producer and consumer. */
export const eddyLibrdkafkaDriver: SystemDriver = {
  system: 'eddy-kafka',
  label: 'Eddy · Kafka · librdkafka',
  broker: EDDY_BROKER,
  client:
    'librdkafka via confluent-kafka (Python), acks=all, linger.ms 5 (1 in the latency phase), batches ≤ 1 MB; consumers assign() their partitions',
  eddy: true,
  clientRuntime: 'native',
  requirements: [
    {
      executable: '/usr/bin/python3',
      pythonModule: 'confluent_kafka',
      aptPackage: 'python3-confluent-kafka',
      neededBy: 'the Eddy librdkafka driver (eddy-kafka)',
    },
  ],
  async start(context) {
    const script = join(context.workDir, 'kafka-client.py');
    writeFileSync(script, PYTHON_KAFKA_CLIENT);
    const eddy = await startEddy(context.serverMain, join(context.workDir, 'eddy'), context.partitions);
    return {
      brokerPids: () => (eddy.pid() === undefined ? [] : [eddy.pid() as number]),
      async run(request, meter, stop) {
        const clients: PythonClient[] = [];
        // Every client is a Python process: the runner's own CPU is not the client's.
        meter.inProcessClients = false;
        const latency = request.rate !== 'max' ? '1' : '0';
        try {
          await createKafkaTopic(eddy.kafkaBootstrap, request.topic, request.partitions);
          for (let index = 0; index < request.consumers; index++) {
            const partitions = partitionsOf(index, request.consumers, request.partitions);
            if (partitions.length === 0) continue;
            const args = [
              'consume',
              eddy.kafkaBootstrap,
              request.topic,
              `${request.topic}-group`,
              partitions.join(','),
            ];
            const client = new PythonClient(context.python, script, [...args, latency], meter, request.messageSize);
            clients.push(client);
            await client.waitStarted(`librdkafka consumer ${index}`);
          }
          const rate = request.rate === 'max' ? 0 : request.rate / request.producers;
          const linger = request.rate === 'max' ? '5' : '1';
          const producers = Array.from({ length: request.producers }, () => {
            const args = ['produce', eddy.kafkaBootstrap, request.topic, String(request.messageSize), String(rate)];
            return new PythonClient(context.python, script, [...args, linger], meter, request.messageSize);
          });
          clients.push(...producers);
          await Promise.all(producers.map((client, index) => client.waitStarted(`librdkafka producer ${index}`)));
          meter.markStarted();
          await aborted(stop);
        } finally {
          await Promise.all(clients.map((client) => client.stop()));
        }
      },
      close: () => eddy.close(),
    };
  },
};
