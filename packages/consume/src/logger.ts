/** Where the consume engines report what happened; inject the application's logger. */
export interface Logger {
  info(message: string, details?: object): void;
  warn(message: string, details?: object): void;
  error(message: string, details?: object): void;
}

/** A logger that drops everything: the default (the state it would report is queryable). */
export const silentLogger: Logger = Object.freeze({
  info() {},
  warn() {},
  error() {},
});
