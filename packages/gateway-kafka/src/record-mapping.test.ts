import { createMessage, type Message, type StoredMessage } from '@eddy/message';
import { decodeControlRecord, decodeRecordBatches, encodeRecordBatch, type RecordBatch } from '@eddy/protocol-kafka';
import { describe, expect, it } from 'vitest';
import {
  controlMessage,
  KafkaProperty,
  messagesToRecordBatches,
  recordToMessage,
  TAG_HEADER,
} from './record-mapping.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const NOT_UTF8 = new Uint8Array([0xff, 0xfe, 0x00, 0xc3]);

function stored(messages: readonly Message[], baseOffset = 0): StoredMessage[] {
  return messages.map((message, index) => ({
    ...message,
    queueId: 0,
    queueOffset: baseOffset + index,
    storeTimestamp: 1_700_000_009_000,
  }));
}

function batchOf(init: Parameters<typeof encodeRecordBatch>[0]): RecordBatch {
  return decodeRecordBatches(encodeRecordBatch(init))[0] as RecordBatch;
}

function mapped(batch: RecordBatch): Message[] {
  return batch.records.map((record, index) => recordToMessage('t', batch, record, index));
}

describe('record mapping', () => {
  it('round-trips keys, values, headers and timestamps, including bytes that are not UTF-8', () => {
    const batch = batchOf({
      baseTimestamp: 1_700_000_000_000n,
      records: [
        { key: bytes('k1'), value: bytes('v1'), headers: [{ key: 'h', value: bytes('x') }] },
        { timestampDelta: 5n, key: NOT_UTF8, value: NOT_UTF8, headers: [{ key: 'bin', value: NOT_UTF8 }] },
        { key: null, value: null, headers: [] },
        { key: bytes('\uFEFFbom'), value: new Uint8Array(0), headers: [] },
      ],
    });
    const messages = mapped(batch);
    expect(messages[0]).toMatchObject({ keys: ['k1'], properties: { h: 'x' }, bornTimestamp: 1_700_000_000_000 });
    expect(messages[1]?.keys).toEqual([]);
    expect(messages[1]?.properties[KafkaProperty.KEY_B64]).toBe(Buffer.from(NOT_UTF8).toString('base64'));
    expect(messages[2]?.properties[KafkaProperty.NULL_VALUE]).toBe('1');
    expect(messages[2]?.body.length).toBe(0);

    const back = decodeRecordBatches(messagesToRecordBatches(stored(messages, 10)));
    expect(back).toHaveLength(1);
    const [again] = back as [RecordBatch];
    expect(again.baseOffset).toBe(10n);
    expect(again.producerId).toBe(-1n);
    const records = again.records.map((record) => ({
      offset: Number(again.baseOffset) + record.offsetDelta,
      timestamp: again.baseTimestamp + record.timestampDelta,
      key: record.key === null ? null : Buffer.from(record.key).toString('hex'),
      value: record.value === null ? null : Buffer.from(record.value).toString('hex'),
      headers: record.headers.map(({ key, value }) => [
        key,
        value === null ? null : Buffer.from(value).toString('hex'),
      ]),
    }));
    const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex');
    expect(records).toEqual([
      {
        offset: 10,
        timestamp: 1_700_000_000_000n,
        key: hex(bytes('k1')),
        value: hex(bytes('v1')),
        headers: [['h', '78']],
      },
      {
        offset: 11,
        timestamp: 1_700_000_000_005n,
        key: hex(NOT_UTF8),
        value: hex(NOT_UTF8),
        headers: [['bin', hex(NOT_UTF8)]],
      },
      { offset: 12, timestamp: 1_700_000_000_000n, key: null, value: null, headers: [] },
      { offset: 13, timestamp: 1_700_000_000_000n, key: hex(bytes('\uFEFFbom')), value: '', headers: [] },
    ]);
  });

  it('keeps repeated and null-valued headers in order', () => {
    const headers = [
      { key: 'a', value: bytes('1') },
      { key: 'a', value: bytes('2') },
      { key: 'n', value: null },
    ];
    const [message] = mapped(batchOf({ records: [{ value: bytes('v'), headers }] })) as [Message];
    const [batch] = decodeRecordBatches(messagesToRecordBatches(stored([message]))) as [RecordBatch];
    expect(batch.records[0]?.headers).toEqual(headers);
  });

  it('maps the rocketmq.tag header to the tag and back', () => {
    const [message] = mapped(
      batchOf({ records: [{ value: bytes('v'), headers: [{ key: TAG_HEADER, value: bytes('TagA') }] }] }),
    ) as [Message];
    expect(message.tag).toBe('TagA');
    expect(message.properties[TAG_HEADER]).toBeUndefined();
    const [batch] = decodeRecordBatches(messagesToRecordBatches(stored([message]))) as [RecordBatch];
    expect(batch.records[0]?.headers).toEqual([{ key: TAG_HEADER, value: bytes('TagA') }]);
  });

  it('maps a RocketMQ message: first key, tag and properties; the born time as timestamp', () => {
    const message = createMessage({
      topic: 't',
      body: 'hello',
      keys: ['order-1', 'second'],
      tag: 'created',
      properties: { region: 'eu' },
      bornTimestamp: 1_700_000_000_123,
    });
    const [batch] = decodeRecordBatches(messagesToRecordBatches(stored([message], 7))) as [RecordBatch];
    const record = batch.records[0];
    expect(Buffer.from(record?.key ?? []).toString()).toBe('order-1');
    expect(Buffer.from(record?.value ?? []).toString()).toBe('hello');
    expect(batch.baseTimestamp).toBe(1_700_000_000_123n);
    expect(record?.headers).toEqual([
      { key: TAG_HEADER, value: bytes('created') },
      { key: 'region', value: bytes('eu') },
    ]);
  });

  it('keeps producer id, epoch, sequences and the transactional flag; batches split where they change', () => {
    const idempotent = batchOf({
      producerId: 42n,
      producerEpoch: 3,
      baseSequence: 2 ** 31 - 1,
      isTransactional: true,
      records: [{ value: bytes('a') }, { value: bytes('b') }],
    });
    const messages = mapped(idempotent);
    expect(messages.map((message) => message.properties[KafkaProperty.SEQUENCE])).toEqual([String(2 ** 31 - 1), '0']);
    expect(messages[0]?.properties).toMatchObject({
      [KafkaProperty.PRODUCER_ID]: '42',
      [KafkaProperty.PRODUCER_EPOCH]: '3',
      [KafkaProperty.TRANSACTIONAL]: '1',
    });
    const plain = mapped(batchOf({ records: [{ value: bytes('c') }] }));
    const marker = controlMessage('t', 42n, 3, 'commit', 1_700_000_000_000);
    const batches = decodeRecordBatches(messagesToRecordBatches(stored([...messages, marker, ...plain])));
    expect(
      batches.map((batch) => [
        batch.baseOffset,
        batch.records.length,
        batch.producerId,
        batch.producerEpoch,
        batch.baseSequence,
        batch.isTransactional,
        batch.isControl,
      ]),
    ).toEqual([
      [0n, 2, 42n, 3, 2 ** 31 - 1, true, false],
      [2n, 1, 42n, 3, -1, true, true],
      [3n, 1, -1n, -1, -1, false, false],
    ]);
    expect(decodeControlRecord(batches[1]?.records[0] as RecordBatch['records'][number])?.kind).toBe('commit');
  });

  it('encodes consecutive control messages as one batch each (abort too)', () => {
    const markers = [controlMessage('t', 1n, 0, 'abort', 5), controlMessage('t', 1n, 0, 'abort', 6)];
    const batches = decodeRecordBatches(messagesToRecordBatches(stored(markers)));
    expect(batches.map((batch) => [batch.baseOffset, batch.isControl])).toEqual([
      [0n, true],
      [1n, true],
    ]);
    expect(decodeControlRecord(batches[0]?.records[0] as RecordBatch['records'][number])?.kind).toBe('abort');
  });
});
