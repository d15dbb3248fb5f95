import { type DeadlineEntry, DeadlineHeap } from './deadline-heap.js';

/** The durable low watermarks that bound what recovery reads. */
export interface TransactionWatermarks {
  /** Every half message below this offset is resolved (or gone): recovery reads halves from here on. */
  readonly halfOffset: number;
  /** Every op record of a half at or above `halfOffset` is at or above this offset: recovery reads op records from here. */
  readonly opOffset: number;
}

/** A prepare between its append call and its result (see {@link TransactionProgress.beginPrepare}). */
export interface PrepareTicket {
  readonly token: number;
}

// A half that is not durably resolved. The heap orders by `deadline`, which here is the half offset.
interface LiveHalf extends DeadlineEntry {
  readonly deadline: number;
  readonly opFloor: number;
  heapIndex: number;
}

/**
 * Tracks which half messages are live (prepared and not durably resolved) and computes the
 * {@link TransactionWatermarks} from them, in O(log n) per change and O(1) per question.
 *
 * Why the op watermark is right: an op record of half `h` is appended after `h` was prepared, and
 * every prepare notes the op queue's end (`opFloor`) just before its append call. Appends to one queue
 * take offsets in call order, so (1) half offsets and their `opFloor`s rise together, and (2) every op
 * record of a half at or above the oldest live half `L` is at or above `L`'s `opFloor`. A prepare whose
 * append has not answered yet may land at any offset from its `halfFloor` on, so it holds both
 * watermarks down too. Resolutions that lose their half (`release` without an op record) and
 * resolutions that fail half-way (never released until a restart finishes them) keep this true.
 */
export class TransactionProgress {
  readonly #live = new Map<number, LiveHalf>();
  readonly #heap = new DeadlineHeap<LiveHalf>();
  // Insertion order is start order, so the first entry holds the lowest floors.
  readonly #preparing = new Map<number, { halfFloor: number; opFloor: number }>();
  #nextToken = 0;
  #halfEnd: number;
  #opEnd: number;
  readonly #recoveredOpFloor: number;

  /**
   * @param start.halfEnd the half queue's end after recovery.
   * @param start.opEnd the op queue's end after recovery.
   * @param start.opFloor the op watermark recovery read from: the floor of every recovered live half.
   */
  constructor(start: { halfEnd: number; opEnd: number; opFloor: number }) {
    this.#halfEnd = start.halfEnd;
    this.#opEnd = start.opEnd;
    this.#recoveredOpFloor = Math.min(start.opFloor, start.opEnd);
  }

  /** Half messages live now (recovered or prepared, not released). */
  get live(): number {
    return this.#live.size;
  }

  /** Registers a half found unresolved by recovery. */
  addRecovered(halfOffset: number): void {
    this.#add(halfOffset, this.#recoveredOpFloor);
  }

  /** Notes the floors of a prepare. Call synchronously right before its append call (no `await` between). */
  beginPrepare(): PrepareTicket {
    const token = this.#nextToken++;
    this.#preparing.set(token, { halfFloor: this.#halfEnd, opFloor: this.#opEnd });
    return { token };
  }

  /** Ends a prepare: its half is live at `halfOffset`, or nothing was appended (`undefined`). */
  endPrepare(ticket: PrepareTicket, halfOffset: number | undefined): void {
    const floors = this.#preparing.get(ticket.token);
    this.#preparing.delete(ticket.token);
    if (halfOffset === undefined || floors === undefined) return;
    this.#halfEnd = Math.max(this.#halfEnd, halfOffset + 1);
    this.#add(halfOffset, floors.opFloor);
  }

  /** Notes an op record appended at `opOffset`. */
  opAppended(opOffset: number): void {
    this.#opEnd = Math.max(this.#opEnd, opOffset + 1);
  }

  /** The half is durably resolved (its op record is appended and noted) or gone. */
  release(halfOffset: number): void {
    const entry = this.#live.get(halfOffset);
    if (entry === undefined) return;
    this.#live.delete(halfOffset);
    this.#heap.remove(entry);
  }

  /** The watermarks as of now; they never go down. */
  watermarks(): TransactionWatermarks {
    let halfOffset = this.#halfEnd;
    let opOffset = this.#opEnd;
    const oldest = this.#heap.peek();
    if (oldest !== undefined) {
      halfOffset = Math.min(halfOffset, oldest.deadline);
      opOffset = Math.min(opOffset, oldest.opFloor);
    }
    for (const floors of this.#preparing.values()) {
      halfOffset = Math.min(halfOffset, floors.halfFloor);
      opOffset = Math.min(opOffset, floors.opFloor);
      break;
    }
    return { halfOffset, opOffset };
  }

  #add(halfOffset: number, opFloor: number): void {
    if (this.#live.has(halfOffset)) return;
    const entry: LiveHalf = { deadline: halfOffset, opFloor, heapIndex: -1 };
    this.#live.set(halfOffset, entry);
    this.#heap.push(entry);
  }
}
