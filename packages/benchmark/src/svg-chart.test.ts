import { describe, expect, it } from 'vitest';
import { fixtureReport } from '../test/report-fixture.js';
import { compactNumber, renderSvgChart } from './svg-chart.js';

describe('renderSvgChart', () => {
  const report = fixtureReport();
  const svg = renderSvgChart(report);

  it('is one standalone SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<svg/g)).toHaveLength(1);
    // A title, for readers that cannot see it (and biome's accessibility rule).
    expect(svg).toMatch(/<title>Side by side: [^<]+<\/title>/);
    // Every element that opens closes: no stray markup from a label.
    expect(svg).not.toMatch(/<[^>]*<[^/]/);
  });

  it('has the three panels, a legend entry per system and a group per size', () => {
    expect(svg).toContain('Produce, msgs/s');
    expect(svg).toContain('Consume, msgs/s');
    expect(svg).toContain('End-to-end latency at 1,000 msgs/s');
    for (const label of [
      'Eddy · Kafka · librdkafka',
      'Eddy · Kafka · kafkajs',
      'NATS JetStream · nats.js',
      'RabbitMQ stream · amqplib',
    ]) {
      expect(svg).toContain(`class="legend">${label}</text>`);
    }
    expect(svg.match(/>1 KiB messages</g)).toHaveLength(3);
    expect(svg.match(/>100 B messages</g)).toHaveLength(3);
  });

  it('draws a bar per system, size and panel with a result, and n/a where there is none', () => {
    // (2 systems with results × 2 sizes + kafkajs at 1 KiB) × 3 panels; legend swatches and background have no title.
    const bars = svg.match(/<rect [^>]*><title>/g) ?? [];
    expect(bars).toHaveLength(15);
    expect(svg).toContain('<title>Eddy · Kafka · librdkafka, 1 KiB: 150k</title>');
    expect(svg).toContain('<title>NATS JetStream · nats.js, 100 B: 6</title>');
    // RabbitMQ at both sizes and kafkajs at 100 B, in each of the 3 panels.
    expect(svg.match(/>n\/a</g)).toHaveLength(9);
  });

  it('escapes what it prints', () => {
    const tricky = { ...report, machine: { ...report.machine, cpuModel: 'R&D <CPU>' } };
    expect(renderSvgChart(tricky)).toContain('R&amp;D &lt;CPU&gt;');
  });
});

describe('compactNumber', () => {
  it('shortens axis and bar labels', () => {
    expect(compactNumber(1_250_000)).toBe('1.3M');
    expect(compactNumber(150_000)).toBe('150k');
    expect(compactNumber(12_345)).toBe('12k');
    expect(compactNumber(2_500)).toBe('2.5k');
    expect(compactNumber(950)).toBe('950');
    expect(compactNumber(3.25)).toBe('3.3');
    expect(compactNumber(0.125)).toBe('0.13');
    expect(compactNumber(0)).toBe('0');
  });
});
