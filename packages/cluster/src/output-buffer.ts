/**
 * The last `limit` characters written to it, with a note of how much was dropped before them: a node
 * that logs for hours must not grow the harness without bound, and the end is what explains a failure.
 */
export class OutputBuffer {
  #text = '';
  #dropped = 0;

  constructor(readonly limit: number) {}

  append(text: string): void {
    this.#text += text;
    // Trimmed in steps of a quarter, not on every append, so a chatty node costs amortised O(1) per byte.
    if (this.#text.length > this.limit * 1.25) {
      const cut = this.#text.length - this.limit;
      this.#dropped += cut;
      this.#text = this.#text.slice(cut);
    }
  }

  toString(): string {
    const text = this.#text.length > this.limit ? this.#text.slice(-this.limit) : this.#text;
    const dropped = this.#dropped + this.#text.length - text.length;
    return dropped === 0 ? text : `[… ${dropped} earlier characters dropped …]\n${text}`;
  }
}
