import { EddyError } from '@eddy/message';

/** Label names and values of one sample, in the order they are written. */
export type MetricLabels = Readonly<Record<string, string>>;

/** One value of a counter, gauge or untyped family. */
export interface MetricSample {
  readonly labels?: MetricLabels;
  readonly value: number;
}

/** One bucket of a histogram: how many observations were at most `le` (cumulative). */
export interface HistogramBucket {
  /** The upper bound, inclusive; the renderer adds the `+Inf` bucket itself. */
  readonly le: number;
  readonly count: number;
}

/** One labelled histogram: cumulative buckets in ascending `le`, the sum and the count of observations. */
export interface HistogramSeries {
  readonly labels?: MetricLabels;
  readonly buckets: readonly HistogramBucket[];
  readonly sum: number;
  readonly count: number;
}

/**
 * A metric family: every sample of one metric name, with its help text and type. A family with no
 * samples is still written (HELP and TYPE only), so that the metric is known before its first value.
 */
export type MetricFamily =
  | {
      readonly name: string;
      readonly help: string;
      readonly type: 'counter' | 'gauge' | 'untyped';
      readonly samples: readonly MetricSample[];
    }
  | {
      readonly name: string;
      readonly help: string;
      readonly type: 'histogram';
      readonly series: readonly HistogramSeries[];
    };

/** The `Content-Type` of {@link renderPrometheusText}'s output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Writes metric families in the Prometheus text exposition format 0.0.4: `# HELP` and `# TYPE` lines,
 * then one line per sample; histograms as `_bucket{le="…"}` (cumulative, ending with `+Inf`), `_sum`
 * and `_count`. Label values and help text are escaped, so any string is safe to pass.
 *
 * @throws `INVALID_ARGUMENT` for a metric or label name Prometheus cannot parse, a family name given
 * twice, or a histogram series that uses the reserved `le` label: these are programming errors.
 */
export function renderPrometheusText(families: readonly MetricFamily[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const family of families) {
    if (!METRIC_NAME.test(family.name)) {
      throw new EddyError('INVALID_ARGUMENT', `metric name '${family.name}' is not a valid Prometheus name`);
    }
    if (seen.has(family.name)) throw new EddyError('INVALID_ARGUMENT', `metric '${family.name}' is given twice`);
    seen.add(family.name);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    if (family.type === 'histogram') {
      for (const series of family.series) lines.push(...histogramLines(family.name, series));
    } else {
      for (const sample of family.samples) lines.push(sampleLine(family.name, sample.labels, sample.value));
    }
  }
  // The format wants a line feed after the last line.
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function histogramLines(name: string, series: HistogramSeries): string[] {
  if (series.labels !== undefined && 'le' in series.labels) {
    throw new EddyError('INVALID_ARGUMENT', `histogram '${name}' uses the label 'le', which Prometheus reserves`);
  }
  const labels = series.labels ?? {};
  const lines = series.buckets.map((bucket) =>
    sampleLine(`${name}_bucket`, { ...labels, le: formatValue(bucket.le) }, bucket.count),
  );
  lines.push(
    sampleLine(`${name}_bucket`, { ...labels, le: '+Inf' }, series.count),
    sampleLine(`${name}_sum`, labels, series.sum),
    sampleLine(`${name}_count`, labels, series.count),
  );
  return lines;
}

function sampleLine(name: string, labels: MetricLabels | undefined, value: number): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return `${name} ${formatValue(value)}`;
  const text = entries.map(([label, labelValue]) => {
    if (!LABEL_NAME.test(label) || label.startsWith('__')) {
      throw new EddyError(
        'INVALID_ARGUMENT',
        `label name '${label}' of metric '${name}' is not a valid Prometheus name`,
      );
    }
    return `${label}="${escapeLabelValue(labelValue)}"`;
  });
  return `${name}{${text.join(',')}} ${formatValue(value)}`;
}

/** A sample value or bucket bound as the format spells it: `+Inf`, `-Inf`, `NaN`, or the number. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (character) => (character === '\n' ? '\\n' : `\\${character}`));
}

/** Escapes help text: backslash and line feed (quotes are literal in HELP lines). */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (character) => (character === '\n' ? '\\n' : '\\\\'));
}
