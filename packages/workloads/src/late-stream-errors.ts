import type { EventEmitter } from 'node:events';

type StreamFactory = { createTelemetryStream(endpoints: unknown): EventEmitter };

/**
 * Returns `client` (a rocketmq-client-nodejs 1.0.8 Producer or SimpleConsumer) with its Telemetry streams
 * kept from crashing the process. The client removes every listener of a stream when it releases it, so a
 * reset that arrives afterwards (the broker stopped or was killed) is an 'error' event nobody handles: an
 * uncaught exception. Each stream keeps a listener that drops such late errors; the client's own handling
 * while it runs (renewing the stream) is unchanged.
 */
export function tolerateLateStreamErrors<Client>(client: Client): Client {
  const factory = client as unknown as StreamFactory;
  const create = factory.createTelemetryStream.bind(factory);
  factory.createTelemetryStream = (endpoints) => {
    const stream = create(endpoints);
    const removeAll = stream.removeAllListeners.bind(stream);
    stream.removeAllListeners = (...events) => removeAll(...events).on('error', () => {});
    return stream;
  };
  return client;
}
