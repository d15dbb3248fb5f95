import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

/** The gRPC service this gateway serves. */
export const MESSAGING_SERVICE_NAME = 'apache.rocketmq.v2.MessagingService';

/**
 * How the `.proto` files are turned into JavaScript objects. The handlers and the wire types in
 * `wire-types.ts` are written against exactly these choices:
 * - camelCase field names (`keepCase: false`);
 * - enums as their names (`'OK'`, `'READ_WRITE'`), so tables read like the protocol;
 * - 64-bit integers as numbers: queue offsets and durations stay far below 2^53;
 * - no defaults on decode, so an absent optional field is `undefined`, not a zero that looks chosen;
 * - a virtual property names the set member of each `oneof` (`command: 'settings'`).
 */
export const PROTO_LOADER_OPTIONS: Options = Object.freeze({
  keepCase: false,
  enums: String,
  longs: Number,
  defaults: false,
  oneofs: true,
});

/**
 * The directory holding `apache/rocketmq/v2/*.proto`. The protocol is not copied into Eddy: the files
 * come from the official client package, so the gateway and the client agree by construction.
 */
export function protoRoot(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('rocketmq-client-nodejs/package.json')), 'proto');
}

let cached: ServiceDefinition | undefined;

/**
 * The `apache.rocketmq.v2.MessagingService` definition for `@grpc/grpc-js`, loaded once per process
 * (parsing the protos takes tens of milliseconds; the result is immutable).
 */
export function loadMessagingService(): ServiceDefinition {
  if (cached === undefined) {
    const definition = loadSync('apache/rocketmq/v2/service.proto', {
      ...PROTO_LOADER_OPTIONS,
      includeDirs: [protoRoot()],
    });
    const service = definition[MESSAGING_SERVICE_NAME];
    if (service === undefined || !('QueryRoute' in service)) {
      throw new Error(`${MESSAGING_SERVICE_NAME} is missing from the protos under ${protoRoot()}`);
    }
    cached = service as ServiceDefinition;
  }
  return cached;
}
