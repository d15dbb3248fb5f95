import type { BenchmarkReport, SystemResult } from '../src/benchmark-runner.js';
import { DEFAULT_WORKLOAD } from '../src/workload-spec.js';

/** A result as the runner would give it, with round numbers. */
export function fixtureResult(
  system: SystemResult['system'],
  label: string,
  eddy: boolean,
  messageSize: number,
  producedPerSecond: number,
  p99Ms: number,
): SystemResult {
  const seconds = 10;
  const messages = producedPerSecond * seconds;
  const counts = { messages, bytes: messages * messageSize };
  return {
    system,
    label,
    broker: `${label} broker`,
    client: `${label} client`,
    eddy,
    clientRuntime: system === 'eddy-kafka' ? 'native' : 'node',
    messageSize,
    throughput: {
      rate: 'max',
      seconds,
      produced: counts,
      consumed: counts,
      producedPerSecond,
      producedMBps: (producedPerSecond * messageSize) / 1e6,
      consumedPerSecond: producedPerSecond,
      consumedMBps: (producedPerSecond * messageSize) / 1e6,
      brokerCpuSeconds: 5,
      clientCpuSeconds: 2.5,
      errors: 0,
    },
    latency: {
      samples: 8000,
      p50Ms: p99Ms / 4,
      p99Ms,
      p999Ms: p99Ms * 2,
      maxMs: p99Ms * 3,
      rate: 1000,
      seconds: 8,
      sent: 8000,
      received: 8000,
      brokerCpuSeconds: 1,
      errors: 0,
    },
  };
}

/** Eddy (librdkafka at both sizes, kafkajs at 1 KiB) and two peers at 1 KiB and 100 B, RabbitMQ failed to start. */
export function fixtureReport(): BenchmarkReport {
  return {
    startedAt: '2026-11-25T01:00:00.000Z',
    seconds: 312,
    machine: { cpuModel: 'AMD EPYC 7B13', cores: 2, node: 'v20.20.2', loadAverage: [1.5, 1.25, 1] },
    command: 'eddy-harness bench --quick',
    workload: DEFAULT_WORKLOAD,
    sizes: [1024, 100],
    latencyRates: {},
    diskWriteMBps: 456.7,
    results: [
      fixtureResult('eddy-kafka', 'Eddy · Kafka · librdkafka', true, 1024, 150_000, 4),
      fixtureResult('eddy-kafka', 'Eddy · Kafka · librdkafka', true, 100, 250_000, 3),
      fixtureResult('eddy-kafkajs', 'Eddy · Kafka · kafkajs', true, 1024, 25_000, 1),
      fixtureResult('nats', 'NATS JetStream · nats.js', false, 1024, 50_000, 2),
      fixtureResult('nats', 'NATS JetStream · nats.js', false, 100, 100_000, 6),
      {
        system: 'rabbitmq',
        label: 'RabbitMQ stream · amqplib',
        broker: 'rabbitmq',
        client: 'amqplib',
        eddy: false,
        clientRuntime: 'node',
        messageSize: 1024,
        failure: 'start: rabbitmq-server did not serve within 120000 ms:\nboot log',
      },
      {
        system: 'rabbitmq',
        label: 'RabbitMQ stream · amqplib',
        broker: 'rabbitmq',
        client: 'amqplib',
        eddy: false,
        clientRuntime: 'node',
        messageSize: 100,
        failure: 'start: rabbitmq-server did not serve within 120000 ms:\nboot log',
      },
    ],
  };
}
