#!/usr/bin/env node
import { EddyError } from '@eddy/message';
import { startNameServer } from '@eddy/name-server';
import { loadConfig, NameServerConfigSchema, ServerConfigSchema } from './config.js';
import { createServerLogger, type ServerLogger } from './logger.js';
import { startServer } from './server.js';

/** A clean stop must finish within this; past it the process exits with code 1. */
const SHUTDOWN_DEADLINE_MS = 10_000;

const USAGE = `usage: eddy [start] [options]     run a broker (RocketMQ 5 gRPC, Kafka, HTTP health/metrics/admin)
       eddy namesrv [options]     run a name server

eddy start options (env EDDY_<NAME>, e.g. EDDY_GRPC_PORT; precedence: flags > env > file > defaults):
  --config FILE                   JSON or YAML file with the same settings in camelCase (env EDDY_CONFIG)
  --data-dir DIR                  ./data
  --host HOST                     127.0.0.1 (interface every listener binds)
  --advertised-host HOST          host given to clients; default --host (127.0.0.1 for 0.0.0.0)
  --grpc-port PORT                8081
  --http-port PORT                8080
  --kafka-port PORT               9092 (Kafka protocol; 4 partitions per auto-created topic)
  --store commitlog|lmdb|memory   commitlog
  --flush async|sync              async
  --flush-interval-ms MS          500
  --namesrv HOST:PORT,...         none: run an embedded name server on 127.0.0.1:--namesrv-port
  --namesrv-port PORT             9876
  --register-interval-ms MS       30000
  --log-level debug|info|warn|error   info
  broker: --broker-name broker-a, --cluster-name DefaultCluster, --auto-create-topics true,
  --default-queue-count 4, --max-message-size 4194304, --delay-levels "1s 5s …", --timer-max-delay-ms 86400000,
  --transaction-timeout-ms 6000, --transaction-check-interval-ms 60000, --transaction-max-checks 15

eddy namesrv options (env EDDY_NAMESRV_<NAME>):
  --config FILE, --host 127.0.0.1, --port 9876, --broker-expiry-ms 120000, --scan-interval-ms 10000,
  --max-request-bytes 4194304, --log-level info

Logs are JSON lines on stdout. SIGTERM or SIGINT stops cleanly (exit 0; 1 if that takes over 10 s).
Invalid settings exit with code 2.`;

function printUsage(): number {
  console.log(USAGE);
  return 0;
}

/** Closes on SIGTERM/SIGINT, then exits 0; exits 1 when closing fails or outlasts the deadline. */
function stopOnSignals(logger: ServerLogger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    // Ctrl-C under `npm start` reaches this process twice (from the terminal and from npm): a repeated
    // signal must not turn a clean stop into a kill. The deadline below bounds the stop instead.
    if (stopping) {
      logger.info('already stopping', { signal });
      return;
    }
    stopping = true;
    logger.info('stopping', { signal });
    setTimeout(() => {
      logger.error(`did not stop within ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error('stopping failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// A bug on one request's path must not take down every other client's connection and the broker with
// them: durable state is in the store, and the parts contain client errors themselves. Log and go on.
function logUncaught(logger: ServerLogger): void {
  process.on('uncaughtException', (error) => logger.error('uncaught exception', { error }));
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', { error: reason }));
}

async function start(argv: readonly string[]): Promise<number | undefined> {
  const loaded = loadConfig(ServerConfigSchema, argv, process.env, 'EDDY_');
  if (loaded.help) return printUsage();
  const { config } = loaded;
  const logger = createServerLogger(config.logLevel);
  logUncaught(logger);
  const starting = startServer(config, logger);
  stopOnSignals(logger, async () => (await starting.catch(() => undefined))?.close());
  try {
    await starting;
    return undefined;
  } catch (error) {
    logger.error('start failed', { error });
    return 1;
  }
}

async function nameServer(argv: readonly string[]): Promise<number | undefined> {
  const loaded = loadConfig(NameServerConfigSchema, argv, process.env, 'EDDY_NAMESRV_');
  if (loaded.help) return printUsage();
  const { logLevel, ...options } = loaded.config;
  const logger = createServerLogger(logLevel, 'name-server');
  logUncaught(logger);
  const starting = startNameServer({ ...options, logger });
  stopOnSignals(logger, async () => (await starting.catch(() => undefined))?.close());
  try {
    const running = await starting;
    logger.info('ready', { url: running.url, port: running.port });
    return undefined;
  } catch (error) {
    logger.error('start failed', { error });
    return 1;
  }
}

/** Runs `eddy <command> [options]`; resolves with an exit code, or `undefined` while a server runs. */
async function main(argv: readonly string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command.startsWith('-')) return await start(argv);
    if (command === 'start') return await start(rest);
    if (command === 'namesrv') return await nameServer(rest);
    if (command === 'help') return printUsage();
    throw new EddyError('INVALID_CONFIG', `unknown command '${command}'`);
  } catch (error) {
    if (!EddyError.is(error, 'INVALID_CONFIG')) throw error;
    process.stderr.write(`eddy: ${error.message}\nRun 'eddy --help' for the options.\n`);
    return 2;
  }
}

const code = await main(process.argv.slice(2));
if (code !== undefined) process.exit(code);
