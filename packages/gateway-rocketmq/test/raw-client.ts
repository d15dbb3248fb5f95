import { type Client, credentials, Metadata, makeClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { loadMessagingService } from '../src/proto/load-messaging-service.js';

// biome-ignore lint/suspicious/noExplicitAny: responses are decoded protobuf objects, checked by the assertions
export type Decoded = any;

/** A plain gRPC client of the MessagingService, for what the official client never sends. */
export function rawClient(endpoint: string): Client & Record<string, unknown> {
  const Constructor = makeClientConstructor(loadMessagingService(), 'MessagingService');
  return new Constructor(endpoint, credentials.createInsecure()) as Client & Record<string, unknown>;
}

// An empty client id sends no x-mq-client-id header.
function metadataFor(clientId: string): Metadata {
  const metadata = new Metadata();
  if (clientId !== '') metadata.set('x-mq-client-id', clientId);
  return metadata;
}

/** One unary call; resolves with the decoded response. */
export function unary(
  client: Client & Record<string, unknown>,
  method: string,
  request: object,
  clientId = 'raw-client@1',
): Promise<Decoded> {
  const call = client[method] as (
    request: object,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: Decoded) => void,
  ) => void;
  return new Promise((resolve, reject) => {
    call.call(client, request, metadataFor(clientId), (error, response) => (error ? reject(error) : resolve(response)));
  });
}

/** One server-streaming call; resolves with every response once the server ends the stream. */
export async function serverStream(
  client: Client & Record<string, unknown>,
  method: string,
  request: object,
  clientId = 'raw-client@1',
): Promise<Decoded[]> {
  const open = client[method] as (request: object, metadata: Metadata) => AsyncIterable<Decoded>;
  const responses: Decoded[] = [];
  for await (const response of open.call(client, request, metadataFor(clientId))) responses.push(response);
  return responses;
}

/** Opens a Telemetry stream, writes `command`, and resolves with the first command the server sends. */
export function telemetryOnce(
  client: Client & Record<string, unknown>,
  command: object,
  clientId = 'raw-client@1',
): Promise<Decoded> {
  const open = client.Telemetry as (metadata: Metadata) => {
    write(command: object): void;
    end(): void;
    cancel(): void;
    on(event: string, listener: (value: Decoded) => void): void;
  };
  const stream = open.call(client, metadataFor(clientId));
  return new Promise((resolve, reject) => {
    stream.on('data', (reply) => {
      resolve(reply);
      stream.cancel();
    });
    stream.on('error', (error) => {
      if ((error as ServiceError).code !== 1) reject(error);
    });
    stream.write(command);
  });
}
