import { describe, expect, it } from 'vitest';
import { checkHistory } from './check-history.js';
import type { HistoryEvent } from './history.js';
import { formatReportTable } from './report-table.js';

const sent: HistoryEvent = {
  type: 'send',
  time: 0,
  client: 'c',
  id: 'm0',
  producer: 'p',
  seq: 0,
  topic: 't',
  queue: 0,
  outcome: 'ack',
  offset: 0,
};
const received: HistoryEvent = {
  type: 'receive',
  time: 1,
  client: 'k',
  id: 'm0',
  producer: 'p',
  seq: 0,
  topic: 't',
  queue: 0,
  offset: 0,
  consumerGroup: 'cg',
};

describe('formatReportTable', () => {
  it('renders one row per check, the totals and the verdict', () => {
    const table = formatReportTable(checkHistory([sent, received], { semantics: 'exactly-once' }));
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^check\s+count\s+result\s+first example$/);
    expect(lines.filter((line) => / ok$/.test(line))).toHaveLength(9);
    expect(table).toContain('sent 1 (acked 1, failed 0, unknown 0) · received 1 (1 unique ids)');
    expect(lines.at(-1)).toBe('verdict: PASS');
  });

  it('shows failures with their first example, and duplicates allowed under at-least-once', () => {
    const failing = formatReportTable(checkHistory([sent], { semantics: 'exactly-once', consumerGroups: ['cg'] }));
    expect(failing).toMatch(/lost\s+1\s+FAIL\s+m0: producer p seq 0/);
    expect(failing.split('\n').at(-1)).toBe('verdict: FAIL (lost)');
    const allowed = formatReportTable(checkHistory([sent, received, received], { semantics: 'at-least-once' }));
    expect(allowed).toMatch(/duplicate\s+1\s+allowed/);
    expect(allowed.split('\n').at(-1)).toBe('verdict: PASS');
  });
});
