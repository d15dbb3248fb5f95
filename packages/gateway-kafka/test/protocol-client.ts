// Typed requests over a raw connection, with the codecs of @eddy/protocol-kafka: for tests of exact fields.
import {
  type ApiCodec,
  decodeResponseHeader,
  encodeRequestHeader,
  KafkaReader,
  KafkaWriter,
} from '@eddy/protocol-kafka';
import { type RawClient, rawClient } from './raw-client.js';

export interface ProtocolClient {
  readonly raw: RawClient;
  request<Req, Res>(codec: ApiCodec<Req, Res>, version: number, request: Req): Promise<Res>;
  /** Sends without reading a response (Produce acks=0). */
  send<Req, Res>(codec: ApiCodec<Req, Res>, version: number, request: Req): void;
  close(): void;
}

export async function protocolClient(port: number): Promise<ProtocolClient> {
  const raw = await rawClient(port);
  let correlationId = 0;
  const send = <Req, Res>(codec: ApiCodec<Req, Res>, version: number, request: Req): void => {
    const flexible = version >= codec.flexibleVersion;
    const writer = new KafkaWriter();
    encodeRequestHeader(
      writer,
      { apiKey: codec.apiKey, apiVersion: version, correlationId: ++correlationId, clientId: 'test' },
      flexible,
    );
    codec.encodeRequest(writer, version, request);
    const body = writer.finish();
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    raw.send(Buffer.concat([size, body]));
  };
  return {
    raw,
    send,
    async request(codec, version, request) {
      send(codec, version, request);
      const frame = await raw.next();
      const reader = new KafkaReader(frame);
      decodeResponseHeader(reader, codec.apiKey !== 18 && version >= codec.flexibleVersion);
      return codec.decodeResponse(reader, version);
    },
    close: () => raw.close(),
  };
}
