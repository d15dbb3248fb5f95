import { ANOMALY_KINDS, type Anomaly, type AnomalyKind } from './history.js';

/** Counts every anomaly and lists the first few of each kind, so a broken run cannot exhaust memory. */
export class AnomalyLog {
  readonly counts = Object.fromEntries(ANOMALY_KINDS.map((kind) => [kind, 0])) as Record<AnomalyKind, number>;
  readonly anomalies: Anomaly[] = [];
  private readonly cap: number;

  constructor(maxPerKind: number) {
    this.cap = Math.max(1, Math.floor(maxPerKind));
  }

  add(kind: AnomalyKind, id: string | undefined, detail: string | (() => string), listed = true): void {
    const count = ++this.counts[kind];
    if (!listed || count > this.cap) return;
    const text = typeof detail === 'string' ? detail : detail();
    this.anomalies.push(id === undefined ? { kind, detail: text } : { kind, id, detail: text });
  }
}

export function where(topic: string, queue: number | undefined): string {
  return queue === undefined ? topic : `${topic}/${queue}`;
}
