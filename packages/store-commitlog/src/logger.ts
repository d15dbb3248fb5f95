/**
 * Where the engine says what it did that an operator must know: recovery truncations, repairs,
 * retention deletions. Injected, so tests can capture it and apps can route it to their own logger.
 */
export interface Logger {
  info(message: string, details?: object): void;
  warn(message: string, details?: object): void;
  error(message: string, details?: object): void;
}

/**
 * A logger that writes one JSON object per line to stderr: the default, because recovery must never
 * drop data without a trace even when nobody injected a logger.
 */
export function createStderrLogger(component = 'store-commitlog'): Logger {
  const write = (level: string, message: string, details?: object): void => {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level, component, message, ...details })}\n`,
    );
  };
  return {
    info: (message, details) => write('info', message, details),
    warn: (message, details) => write('warn', message, details),
    error: (message, details) => write('error', message, details),
  };
}

/** A logger that drops everything; for tests and benchmarks that check outcomes, not logs. */
export const silentLogger: Logger = Object.freeze({
  info: () => {},
  warn: () => {},
  error: () => {},
});
