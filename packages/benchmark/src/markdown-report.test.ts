import { describe, expect, it } from 'vitest';
import { fixtureReport } from '../test/report-fixture.js';
import { replaceDocsSection } from './docs-section.js';
import {
  formatSize,
  renderLatencyTable,
  renderMarkdownSection,
  renderRatioTable,
  renderThroughputTable,
  SECTION_HEADING,
} from './markdown-report.js';

const cells = (row: string): number => row.split(/(?<!\\)\|/).length - 2;

describe('the markdown report', () => {
  const report = fixtureReport();

  it('has a throughput row per system and size, with rates, MB/s and CPU', () => {
    const table = renderThroughputTable(report.results).split('\n');
    expect(table).toHaveLength(2 + 7);
    expect(table[2]).toBe(
      '| Eddy · Kafka · librdkafka | 1 KiB | max | 150,000 | 153.6 | 150,000 | 153.6 | 5.00 s (50 % of a core) | 2.50 s (25 % of a core) | 0 |',
    );
    expect(table[6]).toContain('| NATS JetStream · nats.js | 100 B | max | 100,000 | 10.0 |');
    // A failed system keeps the table's shape, with the first line of why.
    expect(table[7]).toContain('failed: start: rabbitmq-server did not serve within 120000 ms:');
    expect(table[7]).not.toContain('boot log');
    for (const row of table) expect(cells(row)).toBe(10);
  });

  it('has the latency percentiles at the fixed rate', () => {
    const table = renderLatencyTable(report.results).split('\n');
    expect(table[2]).toBe(
      '| Eddy · Kafka · librdkafka | 1 KiB | 1,000/s | 1.00 | 4.00 | 8.00 | 12.00 | 8,000 · 8,000 | 13 % of a core |',
    );
    for (const row of table) expect(cells(row)).toBe(9);
  });

  it('puts Eddy over each peer, and a failed peer has no ratio', () => {
    const table = renderRatioTable(report.results).split('\n');
    // 1 KiB: best Eddy is librdkafka for throughput and kafkajs for p99; same client is kafkajs.
    expect(table[2]).toBe(
      '| Eddy ÷ NATS JetStream · nats.js | 1 KiB | 3.00× | 0.50× | 3.00× | 0.50× | 0.50× | 0.50× |',
    );
    expect(table[3]).toBe('| Eddy ÷ RabbitMQ stream · amqplib | 1 KiB | — | — | — | — | — | — |');
    expect(table[4]).toBe('| Eddy ÷ NATS JetStream · nats.js | 100 B | 2.50× | — | 2.50× | — | 0.50× | — |');
  });

  it('opens the section with its heading and names the machine, the command, the disk and the chart', () => {
    const section = renderMarkdownSection(report, { chartLink: 'benchmarks-side-by-side.svg' });
    expect(section.startsWith(`${SECTION_HEADING}\n`)).toBe(true);
    expect(section).toContain('`eddy-harness bench --quick`');
    expect(section).toContain('AMD EPYC 7B13, 2 cores · Node v20.20.2 · load average 1.50, 1.25, 1.00');
    expect(section).toContain('**457 MB/s**');
    expect(section).toContain('![Side by side: throughput and latency](benchmarks-side-by-side.svg)');
    expect(section).toContain('- RabbitMQ stream · amqplib, 1 KiB: start: rabbitmq-server did not serve');
    expect(section.endsWith('\n')).toBe(true);
  });

  it('formats sizes as the tables show them', () => {
    expect(formatSize(1024)).toBe('1 KiB');
    expect(formatSize(100)).toBe('100 B');
    expect(formatSize(1500)).toBe('1500 B');
  });
});

describe('replaceDocsSection', () => {
  const docs = '# Benchmarks\n\nintro\n\n## First\n\none\n\n## Side by side with peers\n\nold\n\n## Last\n\nthree\n';

  it('replaces only its own section, up to the next heading', () => {
    const updated = replaceDocsSection(docs, SECTION_HEADING, `${SECTION_HEADING}\n\nnew\n`);
    expect(updated).toBe(
      '# Benchmarks\n\nintro\n\n## First\n\none\n\n## Side by side with peers\n\nnew\n\n## Last\n\nthree\n',
    );
  });

  it('appends the section when there is none, and a second write replaces the first', () => {
    const once = replaceDocsSection('# Benchmarks\n\nintro\n', SECTION_HEADING, `${SECTION_HEADING}\n\nA\n`);
    expect(once).toBe('# Benchmarks\n\nintro\n\n## Side by side with peers\n\nA\n');
    expect(replaceDocsSection(once, SECTION_HEADING, `${SECTION_HEADING}\n\nB\n`)).toBe(
      '# Benchmarks\n\nintro\n\n## Side by side with peers\n\nB\n',
    );
  });
});
