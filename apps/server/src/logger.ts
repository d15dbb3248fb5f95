import type { Logger } from '@eddy/message';
import pino from 'pino';

/** The `Logger` of `@eddy/message` plus `debug`, and a way to name the component a line comes from. */
export interface ServerLogger extends Logger {
  debug(message: string, fields?: object): void;
  /** A logger whose lines say `component` instead of this one's. */
  child(component: string): ServerLogger;
}

function adapt(root: pino.Logger, component: string): ServerLogger {
  const base = root.child({ component });
  return {
    debug: (message, fields) => base.debug(fields ?? {}, message),
    info: (message, fields) => base.info(fields ?? {}, message),
    warn: (message, fields) => base.warn(fields ?? {}, message),
    error: (message, fields) => base.error(fields ?? {}, message),
    // From the root, so that a line carries one `component`.
    child: (name) => adapt(root, name),
  };
}

/**
 * JSON lines on stdout through pino: `{ level, time, pid, component, message, …fields }`. Writes are
 * synchronous, so the last lines before an exit are not lost.
 */
export function createServerLogger(level: string, component = 'server'): ServerLogger {
  const errorSerializer = pino.stdSerializers.err;
  const root = pino({
    level,
    base: { pid: process.pid },
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Packages log failures under `error` or `err`; without this an Error prints as `{}`.
    serializers: { err: errorSerializer, error: errorSerializer, cause: errorSerializer },
  });
  return adapt(root, component);
}
