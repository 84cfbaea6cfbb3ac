import winston from 'winston';
import type { LogLevel } from './log-levels.ts';

/** Context that identifies what a log line is about; child loggers carry it on every line. */
export interface LogContext {
  readonly controller?: string;
  /** The Restore's name. */
  readonly restore?: string;
  /** Namespace and name of the object acted on (a pod, a workload, a Restore). */
  readonly namespace?: string;
  readonly name?: string;
  /** Identifies one reconcile, as controller-runtime does. */
  readonly reconcileID?: string;
  readonly [key: string]: unknown;
}

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  /** A logger adding `context` to every line (on top of this logger's own). */
  child(context: LogContext): Logger;
  isLevelEnabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Where JSON lines go; process.stdout unless given (tests pass a stream to capture them). */
  readonly stream?: NodeJS.WritableStream;
}

/** The fixed leading fields of every line, in this order; fields a caller passes cannot replace them. */
const LEADING = ['timestamp', 'level', 'msg'] as const;
const CONTEXT_ORDER = ['controller', 'restore', 'namespace', 'name', 'reconcileID'] as const;

/** Keys whose values are never logged. */
export const SECRET_KEY =
  /token|passw(or)?d|secret|authorization|credential|api[-_]?key|cookie|private[-_]?key|client[-_]?key|(cert|key)[-_]?data/i;
const SECRET_IN_TEXT = [
  /(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g,
];
export const REDACTED = '[REDACTED]';
export const LIMITS = { string: 1024, arrayItems: 20, objectKeys: 30, depth: 3 } as const;

const MESSAGE = Symbol.for('message');

/**
 * JSON lines on stdout: {"timestamp","level","msg", context..., fields...}. Values pass through `sanitize`:
 * secrets are redacted, Kubernetes objects are reduced to "Kind namespace/name", large values truncated.
 */
export function createLogger(options: LoggerOptions): Logger {
  const backend = winston.createLogger({
    level: options.level,
    levels: winston.config.npm.levels,
    format: winston.format((info) => {
      const { level, message, ...rest } = info as { level: string; message: unknown } & Record<
        string,
        unknown
      >;
      const record: Record<string, unknown> = {
        timestamp: new Date().toISOString(),
        level,
        msg: String(message),
      };
      for (const key of CONTEXT_ORDER)
        if (rest[key] !== undefined) record[key] = sanitizeField(key, rest[key]);
      for (const [key, value] of Object.entries(rest)) {
        if (!(key in record) && !(LEADING as readonly string[]).includes(key))
          record[key] = sanitizeField(key, value);
      }
      (info as unknown as Record<symbol, string>)[MESSAGE] = JSON.stringify(record);
      return info;
    })(),
    transports: [new winston.transports.Stream({ stream: options.stream ?? process.stdout })],
  });
  return new JsonLogger(backend, {});
}

class JsonLogger implements Logger {
  readonly #backend: winston.Logger;
  readonly #context: LogContext;

  constructor(backend: winston.Logger, context: LogContext) {
    this.#backend = backend;
    this.#context = context;
  }

  error(msg: string, fields?: LogFields): void {
    this.#log('error', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#log('warn', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.#log('info', msg, fields);
  }
  debug(msg: string, fields?: LogFields): void {
    this.#log('debug', msg, fields);
  }

  child(context: LogContext): Logger {
    return new JsonLogger(this.#backend, { ...this.#context, ...context });
  }

  isLevelEnabled(level: LogLevel): boolean {
    return this.#backend.isLevelEnabled(level);
  }

  #log(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (!this.#backend.isLevelEnabled(level)) return;
    this.#backend.log({ ...this.#context, ...fields, level, message: msg });
  }
}

function sanitizeField(key: string, value: unknown): unknown {
  return SECRET_KEY.test(key) ? REDACTED : sanitize(value, 0);
}

/** Makes a value safe and small enough to log. */
export function sanitize(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return truncate(redactText(value));
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value instanceof Error) return describeError(value);
  if (value instanceof Date) return value.toISOString();
  if (depth >= LIMITS.depth) return '[object]';
  if (Array.isArray(value)) {
    const items = value.slice(0, LIMITS.arrayItems).map((v) => sanitize(v, depth + 1));
    if (value.length > LIMITS.arrayItems) items.push(`…${value.length - LIMITS.arrayItems} more`);
    return items;
  }
  const ref = kubernetesObjectRef(value as Record<string, unknown>);
  if (ref) return ref;
  const out: Record<string, unknown> = {};
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [k, v] of entries.slice(0, LIMITS.objectKeys))
    out[k] = SECRET_KEY.test(k) ? REDACTED : sanitize(v, depth + 1);
  if (entries.length > LIMITS.objectKeys) out['…'] = `${entries.length - LIMITS.objectKeys} more keys`;
  return out;
}

/** A Kubernetes object (anything with metadata.name) is logged as "Kind namespace/name", never in full. */
function kubernetesObjectRef(value: Record<string, unknown>): string | undefined {
  const metadata = value.metadata as Record<string, unknown> | undefined;
  if (typeof metadata !== 'object' || metadata === null || typeof metadata.name !== 'string')
    return undefined;
  const kind = typeof value.kind === 'string' ? value.kind : 'object';
  const ns = typeof metadata.namespace === 'string' ? `${metadata.namespace}/` : '';
  return `${kind} ${ns}${metadata.name}`;
}

function describeError(err: Error): Record<string, unknown> {
  const e = err as Error & { code?: unknown; statusCode?: unknown };
  const out: Record<string, unknown> = { error: truncate(redactText(err.message)) };
  if (typeof e.code === 'number' || typeof e.code === 'string') out.code = e.code;
  if (typeof e.statusCode === 'number') out.statusCode = e.statusCode;
  return out;
}

function redactText(text: string): string {
  return SECRET_IN_TEXT.reduce(
    (t, re) => t.replace(re, (m) => (/^\w+\s/.test(m) ? `${m.split(/\s/)[0]} ${REDACTED}` : REDACTED)),
    text,
  );
}

function truncate(text: string): string {
  return text.length <= LIMITS.string
    ? text
    : `${text.slice(0, LIMITS.string)}…[${text.length - LIMITS.string} more chars]`;
}
