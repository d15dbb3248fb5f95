/**
 * The `eddy` command (`dist/main.js`): `eddy start` runs a broker — a storage engine chosen by name,
 * the broker kernel, the RocketMQ 5 gRPC gateway, HTTP health, metrics and admin, and registration
 * with name servers (an embedded one when none is given); `eddy namesrv` runs a name server.
 *
 * This module exports the pieces the command is made of, for embedding and tests: the configuration
 * schemas and loader (flags > env > file > defaults, one zod schema), the composition, and the pino
 * logger adapter. It does not parse `process.argv` or install signal handlers; `main.js` does.
 *
 * @packageDocumentation
 */
export {
  type Loaded,
  loadConfig,
  type NameServerConfig,
  NameServerConfigSchema,
  type ServerConfig,
  ServerConfigSchema,
} from './config.js';
export { createServerLogger, type ServerLogger } from './logger.js';
export { type RunningServer, startServer } from './server.js';
