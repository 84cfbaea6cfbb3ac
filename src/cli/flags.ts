import { parseArgs } from 'node:util';

/** A command-line mistake: the CLI prints it with the command's usage line and exits with status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type FlagType = 'string' | 'boolean' | 'number';

export interface FlagSpec {
  /** Long name without dashes, e.g. `metrics-bind-address`. */
  readonly name: string;
  readonly type: FlagType;
  readonly description: string;
  /** Placeholder shown in help, e.g. `HOST:PORT`. */
  readonly valueName?: string;
  readonly short?: string;
  readonly repeatable?: boolean;
  readonly required?: boolean;
  /** Read from `RESTORE_HOOKS_<NAME>` when the flag is absent. Off for flags that only make sense per call. */
  readonly env?: boolean;
  /** Returns a message describing what is wrong with the value, or undefined when it is acceptable. */
  readonly validate?: (value: FlagValue) => string | undefined;
}

export type FlagValue = string | boolean | number | string[];

export interface ParsedArgs {
  /** Values given explicitly, by flag or by environment; absent flags are absent here. */
  readonly values: Readonly<Record<string, FlagValue>>;
  /** Where each value came from, for error messages and precedence decisions. */
  readonly sources: Readonly<Record<string, 'flag' | 'env'>>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

export function envVarName(flag: string): string {
  return `RESTORE_HOOKS_${flag.replace(/-/g, '_').toUpperCase()}`;
}

function convert(spec: FlagSpec, raw: string | boolean, origin: string): FlagValue {
  if (spec.type === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    const parsed = parseBooleanWord(raw);
    if (parsed === undefined)
      throw new UsageError(`${origin}: expected true or false, got ${JSON.stringify(raw)}`);
    return parsed;
  }
  if (typeof raw === 'boolean') throw new UsageError(`${origin}: a value is required`);
  if (spec.type === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) {
      throw new UsageError(`${origin}: expected a number, got ${JSON.stringify(raw)}`);
    }
    return n;
  }
  return raw;
}

function parseBooleanWord(raw: string): boolean | undefined {
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  return undefined;
}

/**
 * Parses argv against the command's flags. Unknown flags, missing values and invalid values raise UsageError
 * naming the flag (or the environment variable the value came from).
 */
export function parseFlags(
  specs: readonly FlagSpec[],
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  allowPositionals: boolean,
): ParsedArgs {
  type ParseArgsOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  const options: ParseArgsOptions = { help: { type: 'boolean', short: 'h' } };
  for (const spec of specs) {
    options[spec.name] = {
      type: spec.type === 'boolean' ? 'boolean' : 'string',
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.repeatable ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals, allowNegative: true });
  } catch (err) {
    throw new UsageError(describeParseError(err));
  }
  const values: Record<string, FlagValue> = {};
  const sources: Record<string, 'flag' | 'env'> = {};
  for (const spec of specs) {
    const raw = parsed.values[spec.name];
    let value: FlagValue | undefined;
    if (raw !== undefined) {
      const origin = `--${spec.name}`;
      value = Array.isArray(raw)
        ? raw.map((r) => String(convert(spec, r, origin)))
        : convert(spec, raw as string | boolean, origin);
      sources[spec.name] = 'flag';
    } else if (spec.env) {
      const name = envVarName(spec.name);
      const fromEnv = env[name];
      if (fromEnv !== undefined && fromEnv !== '') {
        value = spec.repeatable ? fromEnv.split(',') : convert(spec, fromEnv, name);
        sources[spec.name] = 'env';
      }
    }
    if (value === undefined) {
      if (spec.required && parsed.values.help !== true) throw new UsageError(`--${spec.name} is required`);
      continue;
    }
    const problem = spec.validate?.(value);
    if (problem) {
      const origin = sources[spec.name] === 'env' ? envVarName(spec.name) : `--${spec.name}`;
      throw new UsageError(`${origin}: ${problem}`);
    }
    values[spec.name] = value;
  }
  return { values, sources, positionals: parsed.positionals, help: parsed.values.help === true };
}

function describeParseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // Node's messages name the flag already; drop its advice about '--' which does not apply to our commands.
  return message.replace(/\. To specify a positional argument starting with a '-'.*$/s, '').trim();
}

export const validators = {
  hostPort(value: FlagValue): string | undefined {
    if (typeof value !== 'string') return 'expected HOST:PORT';
    if (value === '0') return undefined; // disables the server, as in controller-runtime
    const m = /^(.*):(\d{1,5})$/.exec(value);
    if (!m || Number(m[2]) > 65535)
      return `expected HOST:PORT (e.g. ":8080" or "127.0.0.1:8080"), got ${JSON.stringify(value)}`;
    return undefined;
  },
  port(value: FlagValue): string | undefined {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
      return `expected a port between 0 and 65535, got ${JSON.stringify(value)}`;
    }
    return undefined;
  },
  oneOf(allowed: readonly string[]) {
    return (value: FlagValue): string | undefined =>
      typeof value === 'string' && allowed.includes(value)
        ? undefined
        : `expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`;
  },
  nonEmpty(value: FlagValue): string | undefined {
    return typeof value === 'string' && value.trim() === '' ? 'must not be empty' : undefined;
  },
};
