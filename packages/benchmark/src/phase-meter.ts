/** Microseconds since the epoch, sub-millisecond: what a payload carries and a consumer subtracts. */
export function nowMicros(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

/** A message of `size` bytes whose first 8 hold the send time (µs since the epoch, big-endian double). */
export function stampedPayload(size: number, filler: Buffer): Buffer {
  const payload = Buffer.allocUnsafe(size);
  filler.copy(payload, 8, 0, size - 8);
  payload.writeDoubleBE(nowMicros(), 0);
  return payload;
}

/** The send time a {@link stampedPayload} carries, or NaN for a message too short to carry one. */
export function sentAtMicros(payload: Uint8Array): number {
  if (payload.length < 8) return Number.NaN;
  return Buffer.from(payload.buffer, payload.byteOffset, 8).readDoubleBE(0);
}

/** Counts of one side of a phase. */
export interface Counts {
  messages: number;
  bytes: number;
}

/**
 * What the clients of one phase report to the runner: messages sent (acknowledged) and received, errors,
 * and, in a latency phase, end-to-end latencies. Totals count from the start, for the progress line;
 * the window counts only what happened between {@link PhaseMeter.startMeasuring} and
 * {@link PhaseMeter.stopMeasuring}, which is what the report shows.
 */
export class PhaseMeter {
  readonly total = { sent: { messages: 0, bytes: 0 } as Counts, received: { messages: 0, bytes: 0 } as Counts };
  readonly window = { sent: { messages: 0, bytes: 0 } as Counts, received: { messages: 0, bytes: 0 } as Counts };
  /** End-to-end latencies (µs) of messages received in the window; only in a latency phase. */
  readonly latenciesMicros: number[] = [];
  /** Client processes other than this one (the Python clients, redis-benchmark), whose CPU the runner reads. */
  readonly clientPids: number[] = [];
  /** Whether clients also run in this process, so its CPU counts as the client's too. */
  inProcessClients = true;
  errors = 0;
  firstError: string | undefined;
  #measuring = false;
  #markStarted: () => void = () => {};
  /** Resolves once the driver has its consumers ready and its producers sending. */
  readonly started = new Promise<void>((resolve) => {
    this.#markStarted = resolve;
  });

  constructor(readonly recordLatency: boolean) {}

  get measuring(): boolean {
    return this.#measuring;
  }

  /** Called by a driver once its producers are sending: the warm-up starts then. */
  markStarted(): void {
    this.#markStarted();
  }

  startMeasuring(): void {
    this.#measuring = true;
  }

  stopMeasuring(): void {
    this.#measuring = false;
  }

  /** `messages` acknowledged by the broker, `bytes` of payload in all. */
  sent(messages: number, bytes: number): void {
    add(this.total.sent, messages, bytes);
    if (this.#measuring) add(this.window.sent, messages, bytes);
  }

  /** `messages` received, `bytes` of payload in all (without latencies). */
  received(messages: number, bytes: number): void {
    add(this.total.received, messages, bytes);
    if (this.#measuring) add(this.window.received, messages, bytes);
  }

  /** One message received at `receivedAtMicros`; its latency counts when the phase records latencies. */
  receivedPayload(payload: Uint8Array, receivedAtMicros: number): void {
    this.received(1, payload.length);
    if (this.recordLatency && this.#measuring) {
      const latency = receivedAtMicros - sentAtMicros(payload);
      if (Number.isFinite(latency)) this.latenciesMicros.push(latency);
    }
  }

  /** Latencies measured elsewhere (a Python client), µs. */
  latencies(micros: readonly number[]): void {
    if (this.recordLatency && this.#measuring) for (const value of micros) this.latenciesMicros.push(value);
  }

  failed(error: unknown): void {
    this.errors++;
    this.firstError ??= error instanceof Error ? error.message : String(error);
  }
}

function add(counts: Counts, messages: number, bytes: number): void {
  counts.messages += messages;
  counts.bytes += bytes;
}
