/** Structured metadata attached to a log line. */
export type LogMeta = Record<string, unknown>;

/** The logging surface the machinery needs; a winston Logger satisfies it. */
export interface Logger {
  error(message: string, meta?: LogMeta): unknown;
  warn(message: string, meta?: LogMeta): unknown;
  info(message: string, meta?: LogMeta): unknown;
  debug(message: string, meta?: LogMeta): unknown;
  child(meta: LogMeta): Logger;
}

export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child: () => silentLogger,
};
