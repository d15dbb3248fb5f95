import { describe, expect, it } from 'vitest';
import { TransactionProgress } from './transaction-progress.js';

describe('TransactionProgress', () => {
  it('moves both watermarks to the ends when nothing is live', () => {
    const progress = new TransactionProgress({ halfEnd: 10, opEnd: 7, opFloor: 3 });
    expect(progress.watermarks()).toEqual({ halfOffset: 10, opOffset: 7 });
  });

  it('holds the watermarks at the oldest live half and its op floor', () => {
    const progress = new TransactionProgress({ halfEnd: 10, opEnd: 7, opFloor: 3 });
    progress.addRecovered(4);
    progress.addRecovered(8);
    expect(progress.watermarks()).toEqual({ halfOffset: 4, opOffset: 3 });
    progress.release(4);
    expect(progress.watermarks()).toEqual({ halfOffset: 8, opOffset: 3 });
    progress.release(8);
    expect(progress.watermarks()).toEqual({ halfOffset: 10, opOffset: 7 });
    expect(progress.live).toBe(0);
  });

  it('notes the op end at each prepare, so op records written meanwhile stay above the op watermark', () => {
    const progress = new TransactionProgress({ halfEnd: 0, opEnd: 0, opFloor: 0 });
    const a = progress.beginPrepare();
    progress.endPrepare(a, 0);
    progress.opAppended(0);
    progress.opAppended(1);
    const b = progress.beginPrepare();
    progress.endPrepare(b, 1);
    progress.opAppended(2);
    // Half 0 is live: op records of halves ≥ 0 may be anywhere from op 0 on.
    expect(progress.watermarks()).toEqual({ halfOffset: 0, opOffset: 0 });
    progress.release(0);
    // Half 1 was prepared when the op queue ended at 2: its op record comes later.
    expect(progress.watermarks()).toEqual({ halfOffset: 1, opOffset: 2 });
    progress.release(1);
    expect(progress.watermarks()).toEqual({ halfOffset: 2, opOffset: 3 });
  });

  it('is held down by a prepare whose append has not answered, whatever order the answers come in', () => {
    const progress = new TransactionProgress({ halfEnd: 5, opEnd: 2, opFloor: 2 });
    const first = progress.beginPrepare();
    progress.opAppended(2);
    const second = progress.beginPrepare();
    // The second answers first, at 6; the first will be at 5.
    progress.endPrepare(second, 6);
    progress.release(6);
    expect(progress.watermarks()).toEqual({ halfOffset: 5, opOffset: 2 });
    progress.endPrepare(first, 5);
    expect(progress.watermarks()).toEqual({ halfOffset: 5, opOffset: 2 });
    progress.release(5);
    expect(progress.watermarks()).toEqual({ halfOffset: 7, opOffset: 3 });
  });

  it('lets a failed prepare go', () => {
    const progress = new TransactionProgress({ halfEnd: 3, opEnd: 1, opFloor: 1 });
    const ticket = progress.beginPrepare();
    progress.endPrepare(ticket, undefined);
    expect(progress.watermarks()).toEqual({ halfOffset: 3, opOffset: 1 });
    expect(progress.live).toBe(0);
  });
});
