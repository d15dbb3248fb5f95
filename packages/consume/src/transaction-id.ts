import { randomBytes } from 'node:crypto';

/** A transaction id taken apart: where its half message is, and the random part only its owner knows. */
export interface TransactionIdParts {
  /** Offset of the half message in `RMQ_SYS_TRANS_HALF_TOPIC` queue 0. */
  readonly halfOffset: number;
  /** 16 upper-case hex digits, stored with the half message; a guessed id without them is not accepted. */
  readonly nonce: string;
}

const TRANSACTION_ID = /^([0-9A-F]{16})([0-9A-F]{16})$/;

/** Random bytes drawn from the OS at a time: a `randomBytes` call per prepare cost more than its other CPU work. */
const POOL_BYTES = 4096;

/** Random parts for transaction ids: 64 bits each, 16 upper-case hex digits. */
export class TransactionNonceSource {
  #pool: Buffer = Buffer.alloc(0);
  #offset = 0;

  /** A fresh random part. */
  next(): string {
    if (this.#offset + 8 > this.#pool.length) {
      this.#pool = randomBytes(POOL_BYTES);
      this.#offset = 0;
    }
    const nonce = this.#pool.toString('hex', this.#offset, this.#offset + 8).toUpperCase();
    this.#offset += 8;
    return nonce;
  }
}

/**
 * The transaction id of a half message: 32 upper-case hex digits, the half offset (16 digits) then the
 * nonce (16 digits). The offset makes the id resolvable after a restart without a map from ids to
 * offsets; the nonce makes ids of other transactions unguessable.
 */
export function formatTransactionId(parts: TransactionIdParts): string {
  return parts.halfOffset.toString(16).toUpperCase().padStart(16, '0') + parts.nonce;
}

/** The parts of a transaction id, or `undefined` when it is not one {@link formatTransactionId} makes. */
export function parseTransactionId(transactionId: string): TransactionIdParts | undefined {
  const match = typeof transactionId === 'string' ? TRANSACTION_ID.exec(transactionId) : null;
  if (match === null) return undefined;
  const halfOffset = Number.parseInt(match[1] as string, 16);
  if (!Number.isSafeInteger(halfOffset)) return undefined;
  return { halfOffset, nonce: match[2] as string };
}
