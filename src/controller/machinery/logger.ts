import type { LogFields, Logger } from '../../telemetry/logger.ts';

/** The controller's logger (telemetry/logger.ts); a winston Logger satisfies it too. */
export type { Logger };
/** Structured metadata attached to a log line. */
export type LogMeta = LogFields;

export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child: () => silentLogger,
  isLevelEnabled: () => false,
};
