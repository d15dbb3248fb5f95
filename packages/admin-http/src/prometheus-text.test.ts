import { EddyError } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  type MetricFamily,
  renderPrometheusText,
} from './prometheus-text.js';

describe('renderPrometheusText', () => {
  it('writes HELP, TYPE and one line per sample, ending with a line feed', () => {
    const text = renderPrometheusText([
      {
        name: 'eddy_messages_in_total',
        help: 'Messages stored, by topic.',
        type: 'counter',
        samples: [
          { labels: { topic: 'orders' }, value: 3 },
          { labels: { topic: 'payments' }, value: 0 },
        ],
      },
      { name: 'eddy_scheduled_pending', help: 'Not yet due.', type: 'gauge', samples: [{ value: 7 }] },
    ]);
    expect(text).toBe(
      [
        '# HELP eddy_messages_in_total Messages stored, by topic.',
        '# TYPE eddy_messages_in_total counter',
        'eddy_messages_in_total{topic="orders"} 3',
        'eddy_messages_in_total{topic="payments"} 0',
        '# HELP eddy_scheduled_pending Not yet due.',
        '# TYPE eddy_scheduled_pending gauge',
        'eddy_scheduled_pending 7',
        '',
      ].join('\n'),
    );
  });

  it('writes a histogram as cumulative _bucket lines with le, a +Inf bucket equal to the count, _sum and _count', () => {
    const text = renderPrometheusText([
      {
        name: 'eddy_rpc_duration_seconds',
        help: 'Latency.',
        type: 'histogram',
        series: [
          {
            labels: { rpc: 'SendMessage' },
            buckets: [
              { le: 0.005, count: 1 },
              { le: 0.1, count: 2 },
              { le: 1, count: 2 },
            ],
            sum: 2.105,
            count: 3,
          },
        ],
      },
    ]);
    expect(text).toBe(
      [
        '# HELP eddy_rpc_duration_seconds Latency.',
        '# TYPE eddy_rpc_duration_seconds histogram',
        'eddy_rpc_duration_seconds_bucket{rpc="SendMessage",le="0.005"} 1',
        'eddy_rpc_duration_seconds_bucket{rpc="SendMessage",le="0.1"} 2',
        'eddy_rpc_duration_seconds_bucket{rpc="SendMessage",le="1"} 2',
        'eddy_rpc_duration_seconds_bucket{rpc="SendMessage",le="+Inf"} 3',
        'eddy_rpc_duration_seconds_sum{rpc="SendMessage"} 2.105',
        'eddy_rpc_duration_seconds_count{rpc="SendMessage"} 3',
        '',
      ].join('\n'),
    );
  });

  it('writes an unlabelled histogram without braces on _sum and _count', () => {
    const text = renderPrometheusText([
      { name: 'h', help: 'h', type: 'histogram', series: [{ buckets: [{ le: 1, count: 0 }], sum: 0, count: 0 }] },
    ]);
    expect(text.split('\n')).toEqual([
      '# HELP h h',
      '# TYPE h histogram',
      'h_bucket{le="1"} 0',
      'h_bucket{le="+Inf"} 0',
      'h_sum 0',
      'h_count 0',
      '',
    ]);
  });

  it('writes a family with no samples as HELP and TYPE only, and nothing at all for no families', () => {
    expect(renderPrometheusText([{ name: 'g', help: 'g', type: 'gauge', samples: [] }])).toBe(
      '# HELP g g\n# TYPE g gauge\n',
    );
    expect(renderPrometheusText([])).toBe('');
  });

  it('escapes label values and help text, so any string is safe', () => {
    const text = renderPrometheusText([
      {
        name: 'eddy_consumer_lag',
        help: 'a \\ back\nslash "quoted"',
        type: 'gauge',
        samples: [{ labels: { group: 'g"1\\\n' }, value: 1 }],
      },
    ]);
    expect(text).toBe(
      [
        '# HELP eddy_consumer_lag a \\\\ back\\nslash "quoted"',
        '# TYPE eddy_consumer_lag gauge',
        'eddy_consumer_lag{group="g\\"1\\\\\\n"} 1',
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['a metric name', [{ name: '1bad', help: '', type: 'gauge', samples: [] }]],
    ['a label name', [{ name: 'm', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] }]],
    [
      'a reserved label name',
      [{ name: 'm', help: '', type: 'gauge', samples: [{ labels: { __name: 'x' }, value: 1 }] }],
    ],
    [
      'a repeated family',
      [
        { name: 'm', help: '', type: 'gauge', samples: [] },
        { name: 'm', help: '', type: 'counter', samples: [] },
      ],
    ],
    [
      'le on a histogram series',
      [{ name: 'h', help: '', type: 'histogram', series: [{ labels: { le: '1' }, buckets: [], sum: 0, count: 0 }] }],
    ],
  ] as [string, MetricFamily[]][])('refuses %s with INVALID_ARGUMENT', (_what, families) => {
    let thrown: unknown;
    try {
      renderPrometheusText(families);
    } catch (error) {
      thrown = error;
    }
    expect(EddyError.is(thrown, 'INVALID_ARGUMENT')).toBe(true);
  });
});

describe('formatValue', () => {
  it.each([
    [0, '0'],
    [42, '42'],
    [0.0005, '0.0005'],
    [1e-7, '1e-7'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
    [Number.NaN, 'NaN'],
  ])('writes %s as %s', (value, text) => {
    expect(formatValue(value)).toBe(text);
  });
});

describe('escaping', () => {
  it('escapes backslash, quote and line feed in label values', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  it('escapes backslash and line feed in help, leaving quotes', () => {
    expect(escapeHelp('a\\b"c\nd')).toBe('a\\\\b"c\\nd');
  });
});
