import type { BenchmarkReport, SystemResult } from './benchmark-runner.js';
import { formatSize } from './markdown-report.js';

/** One colour per system, in report order; Eddy's drivers in blues, peers in warm colours. */
const EDDY_COLOURS = ['#1f4e9c', '#3a7bd5', '#7fb0f0'];
const PEER_COLOURS = ['#d9822b', '#c23b22', '#6a9a3a', '#8e5ba8', '#a0785a'];
const WIDTH = 960;
const PANEL_HEIGHT = 230;
const LEFT = 80;
const RIGHT = 20;
const TOP = 70;
const PANEL_GAP = 70;
/** Two columns: a label like `Redis Streams · redis-benchmark + ioredis` needs about 280 px. */
const LEGEND_COLUMNS = 2;
const LEGEND_WIDTH = 420;

const xml = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** 1.2M, 340k, 12.5k, 950, 3.4, 0.12: short labels for bars and axes. */
export function compactNumber(value: number): string {
  const abs = Math.abs(value);
  const trim = (text: string): string => text.replace(/\.0+$/, '').replace(/(\.\d*?)0+$/, '$1');
  if (abs >= 1e6) return `${trim((value / 1e6).toFixed(abs >= 1e7 ? 0 : 1))}M`;
  if (abs >= 1e4) return `${trim((value / 1e3).toFixed(0))}k`;
  if (abs >= 1e3) return `${trim((value / 1e3).toFixed(1))}k`;
  if (abs >= 10) return trim(value.toFixed(0));
  if (abs >= 1) return trim(value.toFixed(1));
  return trim(value.toFixed(2));
}

/** A round axis maximum at or above `value`: 1, 2, 2.5 or 5 times a power of ten. */
function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

interface Series {
  readonly system: string;
  readonly label: string;
  readonly colour: string;
}

function seriesOf(results: readonly SystemResult[]): Series[] {
  const seen = new Map<string, SystemResult>();
  for (const result of results) if (!seen.has(result.system)) seen.set(result.system, result);
  let eddy = 0;
  let peer = 0;
  return [...seen.values()].map((result) => ({
    system: result.system,
    label: result.label,
    colour: result.eddy
      ? (EDDY_COLOURS[eddy++ % EDDY_COLOURS.length] as string)
      : (PEER_COLOURS[peer++ % PEER_COLOURS.length] as string),
  }));
}

interface Panel {
  readonly title: string;
  readonly top: number;
  readonly sizes: readonly number[];
  readonly series: readonly Series[];
  readonly results: readonly SystemResult[];
  readonly value: (result: SystemResult) => number | undefined;
  /** Latency panels: a log axis, and p50 / p99.9 marks on each bar. */
  readonly latency?: boolean;
}

function panel(spec: Panel): string {
  const { top, sizes, series, results } = spec;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const bottom = top + PANEL_HEIGHT;
  const parts: string[] = [`<text x="${LEFT}" y="${top - 12}" class="title">${xml(spec.title)}</text>`];
  const find = (system: string, size: number): SystemResult | undefined =>
    results.find((result) => result.system === system && result.messageSize === size);
  const values = results.flatMap((result) => {
    const value = spec.value(result);
    const extra = spec.latency ? [result.latency?.p50Ms, result.latency?.p999Ms] : [];
    return [value, ...extra].filter((v): v is number => v !== undefined && Number.isFinite(v) && v > 0);
  });
  let scale: (value: number) => number;
  let ticks: number[];
  if (spec.latency) {
    const low = 10 ** Math.floor(Math.log10(Math.min(...values, 1)));
    const high = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
    const span = Math.log10(high) - Math.log10(low);
    scale = (value) => bottom - ((Math.log10(Math.max(value, low)) - Math.log10(low)) / span) * PANEL_HEIGHT;
    ticks = [];
    for (let tick = low; tick <= high * 1.0001; tick *= 10) ticks.push(tick);
  } else {
    const max = niceMax(Math.max(...values, 0));
    scale = (value) => bottom - (value / max) * PANEL_HEIGHT;
    ticks = Array.from({ length: 6 }, (_, index) => (max * index) / 5);
  }
  for (const tick of ticks) {
    const y = scale(tick).toFixed(1);
    parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${LEFT - 8}" y="${y}" class="axis" text-anchor="end" dy="4">${compactNumber(tick)}</text>`);
  }
  const groupWidth = plotWidth / Math.max(1, sizes.length);
  const barWidth = Math.min(60, (groupWidth * 0.8) / Math.max(1, series.length));
  sizes.forEach((size, group) => {
    const groupLeft = LEFT + group * groupWidth + (groupWidth - barWidth * series.length) / 2;
    parts.push(
      `<text x="${(LEFT + (group + 0.5) * groupWidth).toFixed(1)}" y="${bottom + 20}" class="group" text-anchor="middle">${xml(formatSize(size))} messages</text>`,
    );
    series.forEach((entry, index) => {
      const result = find(entry.system, size);
      const x = groupLeft + index * barWidth;
      const value = result === undefined ? undefined : spec.value(result);
      const centre = (x + barWidth / 2).toFixed(1);
      if (value === undefined || !Number.isFinite(value)) {
        parts.push(`<text x="${centre}" y="${bottom - 6}" class="value" text-anchor="middle">n/a</text>`);
        return;
      }
      const y = scale(value);
      const height = Math.max(0, bottom - y);
      parts.push(
        `<rect x="${(x + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${height.toFixed(1)}" fill="${entry.colour}"><title>${xml(`${entry.label}, ${formatSize(size)}: ${compactNumber(value)}`)}</title></rect>`,
      );
      let labelY = y - 5;
      if (spec.latency && result?.latency) {
        const p50 = scale(result.latency.p50Ms).toFixed(1);
        const p999 = scale(result.latency.p999Ms);
        parts.push(
          `<line x1="${(x + 3).toFixed(1)}" x2="${(x + barWidth - 3).toFixed(1)}" y1="${p50}" y2="${p50}" class="p50"/>`,
        );
        parts.push(
          `<line x1="${centre}" x2="${centre}" y1="${y.toFixed(1)}" y2="${p999.toFixed(1)}" class="whisker"/>`,
        );
        parts.push(
          `<line x1="${(x + barWidth / 4).toFixed(1)}" x2="${(x + (3 * barWidth) / 4).toFixed(1)}" y1="${p999.toFixed(1)}" y2="${p999.toFixed(1)}" class="whisker"/>`,
        );
        labelY = Math.min(labelY, p999 - 5);
      }
      parts.push(
        `<text x="${centre}" y="${labelY.toFixed(1)}" class="value" text-anchor="middle">${compactNumber(value)}</text>`,
      );
    });
  });
  parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${bottom}" y2="${bottom}" class="baseline"/>`);
  return parts.join('\n');
}

/** `, eddy-rocketmq at 200` for the systems whose latency phase ran at a rate of their own. */
function exceptions(report: BenchmarkReport): string {
  const ran = new Set(report.results.map((result) => result.system as string));
  return Object.entries(report.latencyRates ?? {})
    .filter(([system]) => ran.has(system))
    .map(([system, rate]) => `, ${system} at ${rate?.toLocaleString('en-US')}`)
    .join('');
}

/**
 * The side-by-side chart as a standalone SVG: producer and consumer throughput (msgs/s) as grouped bars
 * per message size and system, and end-to-end latency at the fixed rate (bar = p99, white line = p50,
 * whisker = p99.9, log scale). A system without a result shows `n/a`.
 */
export function renderSvgChart(report: BenchmarkReport): string {
  const series = seriesOf(report.results);
  const sizes = report.sizes;
  const panels = [
    {
      title: 'Produce, msgs/s (counted window, target max)',
      value: (r: SystemResult) => r.throughput?.producedPerSecond,
    },
    {
      title: 'Consume, msgs/s (same window, producers running)',
      value: (r: SystemResult) => r.throughput?.consumedPerSecond,
    },
    {
      title: `End-to-end latency at ${report.workload.latencyRate.toLocaleString('en-US')} msgs/s${exceptions(report)}, ms (log scale; bar p99, white p50, whisker p99.9)`,
      value: (r: SystemResult) => r.latency?.p99Ms,
      latency: true,
    },
  ];
  const height = TOP + panels.length * (PANEL_HEIGHT + PANEL_GAP) + 10;
  const legend = series
    .map((entry, index) => {
      const x = LEFT + (index % LEGEND_COLUMNS) * LEGEND_WIDTH;
      const y = 34 + Math.floor(index / LEGEND_COLUMNS) * 18;
      return `<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${entry.colour}"/><text x="${x + 18}" y="${y}" class="legend">${xml(entry.label)}</text>`;
    })
    .join('\n');
  const top = TOP + Math.ceil(series.length / LEGEND_COLUMNS) * 18;
  const body = panels
    .map((entry, index) =>
      panel({ ...entry, top: top + index * (PANEL_HEIGHT + PANEL_GAP), sizes, series, results: report.results }),
    )
    .join('\n');
  const { loadAverageAtStart, loadAverage } = report.machine;
  const load =
    loadAverageAtStart === undefined
      ? `load ${loadAverage[0].toFixed(2)}`
      : `load ${loadAverageAtStart[0].toFixed(2)} → ${loadAverage[0].toFixed(2)}`;
  const machine = `${report.machine.cpuModel}, ${report.machine.cores} cores, Node ${report.machine.node}, ${load}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height + top - TOP}" viewBox="0 0 ${WIDTH} ${height + top - TOP}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" role="img">
<title>Side by side: produce and consume throughput and end-to-end latency per system and message size (${xml(machine)})</title>
<style>
.title { font-size: 14px; font-weight: 600; fill: #222; }
.heading { font-size: 16px; font-weight: 700; fill: #111; }
.axis, .legend { font-size: 12px; fill: #444; }
.group { font-size: 13px; fill: #222; }
.value { font-size: 11px; fill: #222; }
.grid { stroke: #e4e4e4; stroke-width: 1; }
.baseline { stroke: #888; stroke-width: 1; }
.p50 { stroke: #fff; stroke-width: 2; }
.whisker { stroke: #222; stroke-width: 1.5; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="${LEFT}" y="18" class="heading">Eddy side by side with peers · ${xml(machine)}</text>
${legend}
${body}
</svg>
`;
}
