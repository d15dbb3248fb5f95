/**
 * Where a component reports what an operator should know (recovery truncations, expiries, inconsistent
 * groups). Injected like the `Clock`, so tests capture it and apps route it to their own logger.
 */
export interface Logger {
  info(message: string, details?: object): void;
  warn(message: string, details?: object): void;
  error(message: string, details?: object): void;
}

/** A logger that drops everything: for library defaults whose state is queryable, and for tests. */
export const silentLogger: Logger = Object.freeze({
  info: () => {},
  warn: () => {},
  error: () => {},
});

/**
 * A logger that writes one JSON object per line — `{ time, level, component, message, ...details }` —
 * to `write` (stderr by default).
 */
export function createJsonLogger(
  component: string,
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const log = (level: string, message: string, details?: object): void => {
    write(`${JSON.stringify({ time: new Date().toISOString(), level, component, message, ...details })}\n`);
  };
  return {
    info: (message, details) => log('info', message, details),
    warn: (message, details) => log('warn', message, details),
    error: (message, details) => log('error', message, details),
  };
}
