import { parseDocument } from 'yaml';
import type { ParsedArgs } from '../cli/flags.ts';
import { envVarName } from '../cli/flags.ts';
import { formatGoDuration } from '../hooks/duration.ts';
import { editDistance } from '../hooks/suggest.ts';
import { ConfigError } from './errors.ts';
import { FIELDS, settingEnvVar } from './schema.ts';
import type { FieldSpec } from './schema.ts';
import { DEFAULT_CONTROLLER_NAMESPACE, DEFAULT_SETTINGS } from './settings.ts';
import type { Settings } from './settings.ts';

/** Reads a whole file as UTF-8; throws (e.g. ENOENT) when it cannot. */
export type ReadFile = (path: string) => string;

/** Where the in-cluster service account's namespace is mounted. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

const FIELD_BY_PATH = new Map(FIELDS.map((f) => [f.path, f]));
const SECTIONS = new Set(
  FIELDS.flatMap((f) => {
    const parts = f.path.split('.');
    return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('.'));
  }),
);

/**
 * Resolves `run`'s settings: built-in defaults < the config file (--config / RESTORE_HOOKS_CONFIG) <
 * RESTORE_HOOKS_* variables < flags. `args` is `parseFlags` output for `run`, which has already read and
 * validated the flags and their variables. Throws ConfigError listing every problem, each naming its field.
 */
export function resolveSettings(args: ParsedArgs, env: NodeJS.ProcessEnv, readFile: ReadFile): Settings {
  const values = new Map<string, unknown>(FIELDS.map((f) => [f.path, getPath(DEFAULT_SETTINGS, f.path)]));
  const origins = new Map<string, string>(FIELDS.map((f) => [f.path, 'default']));
  const problems: string[] = [];

  const configPath = args.values.config;
  if (typeof configPath === 'string') {
    const origin = args.sources.config === 'env' ? envVarName('config') : '--config';
    let text: string | undefined;
    try {
      text = readFile(configPath);
    } catch (err) {
      problems.push(`${origin}: cannot read ${JSON.stringify(configPath)}: ${readProblem(err)}`);
    }
    if (text !== undefined) readConfigFile(configPath, text, values, origins, problems);
  }

  for (const field of FIELDS) {
    if (field.flag) continue; // parseFlags read the flag's own variable
    const name = settingEnvVar(field.path);
    const text = env[name];
    if (text === undefined || text === '') continue;
    const parsed = field.kind.fromEnv(text);
    if ('problem' in parsed) problems.push(`${name} (${field.path}): ${parsed.problem}`);
    else {
      values.set(field.path, parsed.value);
      origins.set(field.path, name);
    }
  }

  for (const field of FIELDS) {
    if (!field.flag || args.values[field.flag] === undefined) continue;
    values.set(field.path, args.values[field.flag]);
    origins.set(field.path, args.sources[field.flag] === 'env' ? envVarName(field.flag) : `--${field.flag}`);
  }

  problems.push(...crossFieldProblems(values, origins));
  if (typeof args.values.kubeconfig === 'string') {
    const file = args.values.kubeconfig;
    const origin = args.sources.kubeconfig === 'env' ? envVarName('kubeconfig') : '--kubeconfig';
    try {
      readFile(file);
    } catch (err) {
      problems.push(`${origin}: cannot read ${JSON.stringify(file)}: ${readProblem(err)}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const settings: Record<string, unknown> = structuredClone(DEFAULT_SETTINGS) as unknown as Record<
    string,
    unknown
  >;
  for (const [path, value] of values) setPath(settings, path, value);
  const kubeconfig = args.values.kubeconfig;
  settings.kubeconfig = typeof kubeconfig === 'string' ? kubeconfig : undefined;
  return settings as unknown as Settings;
}

function readConfigFile(
  file: string,
  text: string,
  values: Map<string, unknown>,
  origins: Map<string, string>,
  problems: string[],
): void {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    // The YAML parser can report the same error twice (once per enclosing collection); say it once.
    const messages = new Set(
      doc.errors.map((e) => `${file}: ${e.message.split('\n')[0]!.replace(/:$/, '')}`),
    );
    problems.push(...messages);
    return;
  }
  const content: unknown = doc.toJS();
  if (content === null || content === undefined) return; // an empty file keeps the defaults
  const visit = (node: unknown, prefix: string): void => {
    if (!isMapping(node)) {
      problems.push(
        `${file}: ${prefix || '(top level)'}: expected a mapping of settings, got ${JSON.stringify(node)}`,
      );
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${key}` : key;
      const field: FieldSpec | undefined = FIELD_BY_PATH.get(path);
      if (field) {
        const parsed = field.kind.fromYaml(value);
        if ('problem' in parsed) problems.push(`${file}: ${path}: ${parsed.problem}`);
        else {
          values.set(path, parsed.value);
          origins.set(path, file);
        }
      } else if (SECTIONS.has(path)) {
        visit(value, path);
      } else {
        problems.push(`${file}: ${path}: unknown setting${suggestion(prefix, key)}`);
      }
    }
  };
  visit(content, '');
}

function crossFieldProblems(values: Map<string, unknown>, origins: Map<string, string>): string[] {
  const problems: string[] = [];
  const ms = (path: string) => values.get(path) as number;
  const describe = (path: string) =>
    `${path} (${formatDuration(ms(path))}, ${origins.get(path) === 'default' ? 'the default' : `from ${origins.get(path)}`})`;
  const mustExceed = (longer: string, shorter: string, factor = 1) => {
    if (!(ms(longer) > factor * ms(shorter))) {
      problems.push(
        `${describe(longer)} must be longer than ${factor === 1 ? '' : `${factor} × `}${describe(shorter)}`,
      );
    }
  };
  // client-go's rule: LeaseDuration > RenewDeadline > 1.2 × RetryPeriod.
  mustExceed('leaderElection.leaseDuration', 'leaderElection.renewDeadline');
  mustExceed('leaderElection.renewDeadline', 'leaderElection.retryPeriod', 1.2);
  if (ms('exec.retries.backoffMax') < ms('exec.retries.backoffBase')) {
    problems.push(
      `${describe('exec.retries.backoffMax')} must not be shorter than ${describe('exec.retries.backoffBase')}`,
    );
  }
  return problems;
}

/** Why a file could not be read, without the path the message repeats: "ENOENT (no such file)". */
function readProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'ENOENT (no such file)';
  if (code === 'EACCES') return 'EACCES (permission denied)';
  if (code === 'EISDIR') return 'EISDIR (a directory)';
  return (err as Error).message;
}

/**
 * The controller's own namespace: the `namespace` setting (--namespace, RESTORE_HOOKS_NAMESPACE, the file), else
 * $POD_NAMESPACE (the downward API), else the in-cluster service account's namespace, else "restore-hooks".
 */
export function controllerNamespace(settings: Settings, env: NodeJS.ProcessEnv, readFile: ReadFile): string {
  if (settings.namespace) return settings.namespace;
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  try {
    return readFile(SERVICE_ACCOUNT_NAMESPACE_FILE).trim() || DEFAULT_CONTROLLER_NAMESPACE;
  } catch {
    return DEFAULT_CONTROLLER_NAMESPACE;
  }
}

/** Milliseconds as Go prints a duration: 90000 → "1m30s". */
export function formatDuration(ms: number): string {
  return formatGoDuration(BigInt(Math.round(ms * 1e6)));
}

function suggestion(prefix: string, key: string): string {
  const siblings = FIELDS.map((f) => f.path)
    .concat([...SECTIONS])
    .filter((p) => (prefix ? p.startsWith(`${prefix}.`) : true))
    .map((p) => p.slice(prefix ? prefix.length + 1 : 0).split('.')[0]!);
  const best = [...new Set(siblings)].find((s) => editDistance(s.toLowerCase(), key.toLowerCase()) <= 2);
  return best ? ` (did you mean ${JSON.stringify(best)}?)` : '';
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function getPath(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], obj);
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  const parent = keys.reduce((o, k) => o[k] as Record<string, unknown>, obj);
  parent[last] = value;
}
