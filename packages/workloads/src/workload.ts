// The pieces every workload shares: the topic, the payload format, the send/receive loops and their stop.
import type { Recorder } from './recorder.js';

/** The topic every workload uses; both protocols read and write it. */
export const TOPIC = 'harness';

/** Resolves after `ms` (at once when `ms` ≤ 0). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** A running client; `stop` ends its loop and closes it. */
export interface Workload {
  readonly name: string;
  stop(): Promise<void>;
}

/** Runs `step` until stopped; `stop` resolves once the step in flight has finished. */
export function loop(name: string, step: () => Promise<void>): Workload {
  let running = true;
  const done = (async () => {
    while (running) await step();
  })();
  return {
    name,
    stop: () => {
      running = false;
      return done;
    },
  };
}

/** `workload` whose stop also closes its client; a failing close is swallowed (the process may be gone). */
export function closing(workload: Workload, close: () => Promise<void>): Workload {
  const stop = (): Promise<void> => workload.stop().then(close);
  return { name: workload.name, stop: () => stop().catch(() => {}) };
}

/** What each produced message carries: a unique id, the producer's name and its sequence number. */
export type Payload = { id: string; producer: string; seq: number };

/** Decodes a {@link Payload}; a body that is not one gets a `raw:` id, which the checker reports as unexpected. */
export function parsePayload(body: Buffer | null): Payload {
  const text = body?.toString('utf8') ?? '';
  try {
    const { id, producer, seq } = JSON.parse(text) as Payload;
    if (typeof id === 'string' && typeof producer === 'string' && typeof seq === 'number') return { id, producer, seq };
  } catch {}
  return { id: `raw:${text.slice(0, 64)}`, producer: '?', seq: -1 };
}

/** Sends one payload; resolves with where it was written when the client says so. */
export type Send = (value: string, key: string | undefined) => Promise<{ queue?: number; offset?: number }>;

// A definite refusal (the broker answered with a non-retriable error); anything else may have been written,
// including whatever the RocketMQ client still fails after its own retries.
function outcomeOf(error: unknown): 'fail' | 'unknown' {
  const { name, retriable } = error as { name?: string; retriable?: boolean };
  return name === 'KafkaJSProtocolError' && retriable === false ? 'fail' : 'unknown';
}

/** Sends one payload per step (then waits `pauseMs`) until stopped; `keyed` sends with a message group. */
export function producerLoop(recorder: Recorder, name: string, pauseMs: number, keyed: boolean, send: Send): Workload {
  let seq = 0;
  return loop(name, async () => {
    seq++;
    const id = `${name}-${seq}`;
    const group = keyed ? `key-${seq % 4}` : undefined;
    const who = { client: name, id, producer: name, seq };
    const base = { type: 'send', time: Date.now(), ...who, topic: TOPIC, group } as const;
    try {
      recorder.add({ ...base, outcome: 'ack', ...(await send(JSON.stringify({ id, producer: name, seq }), group)) });
    } catch (error) {
      recorder.add({ ...base, outcome: outcomeOf(error) });
      await sleep(200);
    }
    await sleep(pauseMs);
  });
}
