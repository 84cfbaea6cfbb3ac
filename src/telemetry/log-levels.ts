/** The levels `--log-level` accepts, most severe first. Kept free of winston so the CLI can import it cheaply. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
