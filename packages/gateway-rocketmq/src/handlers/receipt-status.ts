import type { WireStatus } from '../proto/wire-types.js';
import { OK_STATUS, statusOf } from '../status.js';

/** The status of an ack, a change of invisible time or a dead-lettering, by the broker's outcome. */
export function receiptStatus(outcome: 'ok' | 'invalid-handle' | 'expired'): WireStatus {
  switch (outcome) {
    case 'ok':
      return OK_STATUS;
    case 'expired':
      return statusOf(
        'INVALID_RECEIPT_HANDLE',
        'receipt handle expired: the invisible time ended and the message is delivered again',
      );
    case 'invalid-handle':
      return statusOf(
        'INVALID_RECEIPT_HANDLE',
        'receipt handle is not valid: malformed, of another group, already acked, or replaced by a later one',
      );
  }
}
