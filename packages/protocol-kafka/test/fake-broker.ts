import { createServer, type Server, type Socket } from 'node:net';
import type { ApiCodec } from '../src/api.js';
import { apiVersionsCodec } from '../src/apis/api-versions.js';
import { fetchCodec } from '../src/apis/fetch.js';
import { listOffsetsCodec } from '../src/apis/list-offsets.js';
import { metadataCodec } from '../src/apis/metadata.js';
import { produceCodec } from '../src/apis/produce.js';
import { KafkaErrorCode } from '../src/errors.js';
import { decodeRequestHeader, encodeResponseHeader } from '../src/header.js';
import { KafkaReader } from '../src/reader.js';
import { KafkaWriter } from '../src/writer.js';

/** A request frame as a client sent it. */
export interface CapturedFrame {
  apiKey: number;
  apiVersion: number;
  clientId: string | null;
  /** The body (after the request header). */
  body: Uint8Array;
}

// biome-ignore lint/suspicious/noExplicitAny: a table of codecs of different types
type AnyCodec = ApiCodec<any, any>;
const CODECS: AnyCodec[] = [apiVersionsCodec, metadataCodec, produceCodec, fetchCodec, listOffsetsCodec];
// Other APIs the clients check for at connect time; advertised, never answered.
const EXTRA_RANGES = [
  [10, 0, 2],
  [22, 0, 4],
  [8, 0, 7],
  [9, 0, 5],
  [11, 0, 5],
  [12, 0, 3],
  [13, 0, 3],
  [14, 0, 3],
];

/** Answers a request body, or returns undefined for no response. */
// biome-ignore lint/suspicious/noExplicitAny: per-API request and response
export type Answer = (apiKey: number, version: number, request: any, port: number) => any;

/**
 * A tiny Kafka listener for golden-byte tests: records every request frame and answers ApiVersions with the
 * ranges of our codecs, everything else through `answer` encoded with our own codecs.
 */
export async function startFakeBroker(
  answer: Answer,
): Promise<{ port: number; frames: CapturedFrame[]; close(): Promise<void> }> {
  const frames: CapturedFrame[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (data) => {
      pending = Buffer.concat([pending, data]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = new Uint8Array(pending.subarray(4, 4 + pending.readInt32BE(0)));
        pending = pending.subarray(4 + frame.length);
        const reader = new KafkaReader(frame);
        const header = decodeRequestHeader(reader, (key, version) => {
          const codec = CODECS.find((c) => c.apiKey === key);
          return codec !== undefined && version >= codec.flexibleVersion;
        });
        frames.push({
          apiKey: header.apiKey,
          apiVersion: header.apiVersion,
          clientId: header.clientId,
          body: frame.subarray(reader.position),
        });
        const codec = CODECS.find((c) => c.apiKey === header.apiKey);
        if (codec === undefined) {
          socket.destroy();
          return;
        }
        const writer = new KafkaWriter();
        writer.int32(0);
        if (codec === apiVersionsCodec) {
          const tooHigh = header.apiVersion > apiVersionsCodec.maxVersion;
          encodeResponseHeader(writer, header.correlationId, false);
          apiVersionsCodec.encodeResponse(writer, tooHigh ? 0 : header.apiVersion, {
            errorCode: tooHigh ? KafkaErrorCode.UNSUPPORTED_VERSION : 0,
            apiKeys: [
              ...CODECS.map((c) => ({ apiKey: c.apiKey, minVersion: c.minVersion, maxVersion: c.maxVersion })),
              ...EXTRA_RANGES.map(([apiKey, minVersion, maxVersion]) => ({ apiKey, minVersion, maxVersion }) as never),
            ],
            throttleTimeMs: 0,
          });
        } else {
          const request = codec.decodeRequest(reader, header.apiVersion);
          const response = answer(
            header.apiKey,
            header.apiVersion,
            request,
            (server.address() as { port: number }).port,
          );
          if (response === undefined) continue;
          encodeResponseHeader(writer, header.correlationId, header.apiVersion >= codec.flexibleVersion);
          codec.encodeResponse(writer, header.apiVersion, response);
        }
        writer.patchInt32(0, writer.length - 4);
        socket.write(writer.finish());
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    frames,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A Metadata response: one broker (the fake), the given topics with one partition each, led by node 0. */
export function oneBrokerMetadata(port: number, topics: readonly string[]) {
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: 0, host: '127.0.0.1', port, rack: null }],
    clusterId: 'fake',
    controllerId: 0,
    topics: topics.map((name) => ({
      errorCode: 0,
      name,
      isInternal: false,
      partitions: [
        { errorCode: 0, partitionIndex: 0, leaderId: 0, replicaNodes: [0], isrNodes: [0], offlineReplicas: [] },
      ],
    })),
  };
}
