/** What the live line shows. */
export interface ProgressState {
  readonly system: string;
  readonly phase: string;
  readonly seconds: number;
  readonly sent: number;
  readonly received: number;
  readonly sentPerSecond: number;
  readonly receivedPerSecond: number;
}

const number = (value: number): string => Math.round(value).toLocaleString('en-US');

/** One line of progress, without a line ending. */
export function formatProgress(state: ProgressState): string {
  return (
    `${state.system} · ${state.phase} · ${state.seconds.toFixed(1)} s · ` +
    `sent ${number(state.sent)} (${number(state.sentPerSecond)}/s) · ` +
    `received ${number(state.received)} (${number(state.receivedPerSecond)}/s)`
  );
}

/**
 * A live progress line on a stream: rewritten in place on a terminal, one line every few seconds
 * otherwise (a log file must not fill with carriage returns).
 */
export class ProgressLine {
  #lastPlain = 0;
  #shown = false;

  constructor(
    readonly stream: NodeJS.WriteStream = process.stderr,
    readonly plainEveryMs = 5_000,
  ) {}

  update(state: ProgressState): void {
    const text = formatProgress(state);
    if (this.stream.isTTY) {
      const width = this.stream.columns ?? 120;
      this.stream.write(`\r\x1b[K${text.slice(0, width - 1)}`);
      this.#shown = true;
    } else if (Date.now() - this.#lastPlain >= this.plainEveryMs) {
      this.#lastPlain = Date.now();
      this.stream.write(`${text}\n`);
    }
  }

  /** A line of its own (a phase's result, a warning), after clearing the live line. */
  note(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
  }

  clear(): void {
    if (this.#shown) this.stream.write('\r\x1b[K');
    this.#shown = false;
  }
}
