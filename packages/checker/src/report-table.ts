import { ANOMALY_KINDS, type CheckReport } from './history.js';

const EXAMPLE_WIDTH = 90;

/**
 * A plain-text summary for the terminal: one row per checker (count, result, first example), the send and
 * receive totals, and a verdict line. Duplicates that were counted but not listed read `allowed`: the report
 * came from an at-least-once check.
 */
export function formatReportTable(report: CheckReport): string {
  const rows: string[][] = [['check', 'count', 'result', 'first example']];
  for (const kind of ANOMALY_KINDS) {
    const count = report.counts[kind];
    const first = report.anomalies.find((anomaly) => anomaly.kind === kind);
    const result = count === 0 ? 'ok' : first === undefined ? 'allowed' : 'FAIL';
    const example =
      first === undefined
        ? ''
        : truncate(first.id === undefined ? first.detail : `${first.id}: ${first.detail}`, EXAMPLE_WIDTH);
    rows.push([kind, String(count), result, example]);
  }
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) =>
    [row[0]!.padEnd(widths[0]!), row[1]!.padStart(widths[1]!), row[2]!.padEnd(widths[2]!), row[3]!]
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, `${widths.map((width) => '-'.repeat(width)).join('  ')}  -------------`);
  const { sent, acked, failed, unknown, received, uniqueReceived } = report.stats;
  lines.push(
    '',
    `sent ${sent} (acked ${acked}, failed ${failed}, unknown ${unknown}) · received ${received} (${uniqueReceived} unique ids)`,
  );
  const failing = ANOMALY_KINDS.filter((kind) => report.counts[kind] > 0 && rowFails(report, kind));
  lines.push(report.ok ? 'verdict: PASS' : `verdict: FAIL (${failing.join(', ')})`);
  return lines.join('\n');
}

function rowFails(report: CheckReport, kind: (typeof ANOMALY_KINDS)[number]): boolean {
  return report.anomalies.some((anomaly) => anomaly.kind === kind);
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
