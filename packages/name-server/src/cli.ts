import { parseArgs } from 'node:util';
import { createJsonLogger, EddyError, type Logger, parseWithSchema } from '@eddy/message';
import { z } from 'zod';
import { NameServerOptionsSchema, type RunningNameServer, startNameServer } from './name-server.js';

const USAGE = `usage: eddy-namesrv [--host 127.0.0.1] [--port 9876] [--broker-expiry-ms 120000]
                    [--scan-interval-ms 10000] [--max-request-bytes 4194304]

Runs an Eddy name server (HTTP/JSON). Logs JSON lines on stdout; stops on SIGTERM or SIGINT.`;

const wholeNumber = z.string().regex(/^[0-9]+$/, 'must be a whole number');
const { shape } = NameServerOptionsSchema;

/** The flags of `eddy-namesrv`, as strings from the command line; an error names the flag. */
export const NameServerFlagsSchema = z
  .object({
    '--host': z.string().min(1).optional(),
    '--port': wholeNumber.transform(Number).pipe(shape.port.unwrap()).optional(),
    '--broker-expiry-ms': wholeNumber.transform(Number).pipe(shape.brokerExpiryMs.unwrap()).optional(),
    '--scan-interval-ms': wholeNumber.transform(Number).pipe(shape.scanIntervalMs.unwrap()).optional(),
    '--max-request-bytes': wholeNumber.transform(Number).pipe(shape.maxRequestBytes.unwrap()).optional(),
  })
  .strict();

/** Where {@link main} writes and which process it listens to for signals; the real process by default. */
export interface CliEnvironment {
  /** Log lines (JSON). */
  readonly stdout: (text: string) => void;
  /** Usage errors (plain text). */
  readonly stderr: (text: string) => void;
  /** Receives SIGTERM and SIGINT. */
  readonly signals: Pick<NodeJS.Process, 'on' | 'off'>;
  /** Sets the exit code on failure. */
  readonly setExitCode: (code: number) => void;
}

const processEnvironment: CliEnvironment = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  signals: process,
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

/**
 * `eddy-namesrv`: starts a name server from flags, logs one JSON line when it listens, and closes it
 * on SIGTERM or SIGINT (the process then exits on its own). Bad flags print the problem and the usage
 * to stderr and set exit code 2; a port that cannot be bound sets exit code 1.
 *
 * @returns the running name server, or `undefined` when it did not start (or `--help` was asked).
 */
export async function main(
  argv: readonly string[],
  environment: CliEnvironment = processEnvironment,
): Promise<RunningNameServer | undefined> {
  let flags: z.output<typeof NameServerFlagsSchema>;
  try {
    const { values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'broker-expiry-ms': { type: 'string' },
        'scan-interval-ms': { type: 'string' },
        'max-request-bytes': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      environment.stdout(`${USAGE}\n`);
      return undefined;
    }
    const given = Object.entries(values).filter(([name]) => name !== 'help');
    flags = parseWithSchema(
      NameServerFlagsSchema,
      Object.fromEntries(given.map(([name, value]) => [`--${name}`, value])),
      'flags',
    );
  } catch (error) {
    environment.stderr(`eddy-namesrv: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    environment.setExitCode(2);
    return undefined;
  }

  const logger: Logger = createJsonLogger('name-server', environment.stdout);
  let nameServer: RunningNameServer;
  try {
    nameServer = await startNameServer({
      host: flags['--host'],
      port: flags['--port'],
      brokerExpiryMs: flags['--broker-expiry-ms'],
      scanIntervalMs: flags['--scan-interval-ms'],
      maxRequestBytes: flags['--max-request-bytes'],
      logger,
    });
  } catch (error) {
    logger.error(EddyError.is(error) ? error.message : String(error));
    environment.setExitCode(1);
    return undefined;
  }
  logger.info('listening', {
    url: nameServer.url,
    host: nameServer.host,
    port: nameServer.port,
    brokerExpiryMs: nameServer.core.brokerExpiryMs,
    scanIntervalMs: nameServer.core.scanIntervalMs,
  });

  const stop = (signal: NodeJS.Signals): void => {
    environment.signals.off('SIGTERM', stop);
    environment.signals.off('SIGINT', stop);
    logger.info('stopping', { signal });
    void nameServer.close().then(() => logger.info('stopped'));
  };
  environment.signals.on('SIGTERM', stop);
  environment.signals.on('SIGINT', stop);
  return nameServer;
}
