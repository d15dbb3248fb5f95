#!/usr/bin/env node
import { EddyError } from '@eddy/message';
import pino from 'pino';
import { loadKafkaServerConfig } from './config.js';
import { startKafkaServer } from './server.js';

const USAGE = `usage: eddy-kafka [options]     a broker that speaks only Kafka (flags, or env EDDY_KAFKA_<NAME>)
  --data-dir DIR ./data-kafka  --host 127.0.0.1  --advertised-host HOST  --port 9092
  --store commitlog|lmdb|memory  --flush async|sync  --auto-create-topics true  --num-partitions 1
  --message-max-bytes 1048576  --cluster-id eddy-kafka  --log-level info
SIGTERM or SIGINT stops cleanly. Invalid settings exit with code 2.`;

async function main(argv: readonly string[]): Promise<number | undefined> {
  let config: ReturnType<typeof loadKafkaServerConfig>;
  try {
    config = loadKafkaServerConfig(argv, process.env);
  } catch (error) {
    if (!EddyError.is(error, 'INVALID_CONFIG')) throw error;
    process.stderr.write(`eddy-kafka: ${error.message}\n`);
    return 2;
  }
  if (config === undefined) {
    console.log(USAGE);
    return 0;
  }
  const root = pino({ level: config.logLevel, messageKey: 'message', base: { pid: process.pid } });
  const log = (level: 'info' | 'warn' | 'error') => (message: string, fields?: object) =>
    root[level](fields ?? {}, message);
  const logger = { info: log('info'), warn: log('warn'), error: log('error') };
  process.on('uncaughtException', (error) => logger.error('uncaught exception', { error }));
  process.on('unhandledRejection', (error) => logger.error('unhandled rejection', { error }));
  const failed = (error: unknown) => void logger.error('start failed', { error });
  const server = await startKafkaServer(config, logger).catch(failed);
  if (server === undefined) return 1;
  logger.info('ready', { port: server.port, store: config.store, dataDir: config.dataDir });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    setTimeout(() => process.exit(1), 10_000).unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('stopping failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop).on('SIGINT', stop);
  return undefined;
}

const code = await main(process.argv.slice(2));
if (code !== undefined) process.exit(code);
