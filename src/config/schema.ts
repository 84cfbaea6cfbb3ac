import { validators } from '../cli/flags.ts';
import { LOG_LEVELS } from '../telemetry/log-levels.ts';
import { parseGoDuration, toMilliseconds } from '../hooks/duration.ts';
import { compileGlob } from '../hooks/glob.ts';
import { capabilityError } from '../hooks/policy.ts';
import {
  TEMPLATE_CLEANUP_POLICIES,
  VELERO_RESTORED_POD_POLICIES,
  WEBHOOK_CERTIFICATE_MODES,
  WEBHOOK_FAILURE_POLICIES,
  WEBHOOK_POD_SELECTORS,
} from './settings.ts';

/** The parsed value, or a problem phrased to follow the setting's name ("invalid duration \"5x\""). */
export type Parsed = { readonly value: unknown } | { readonly problem: string };

/** How one kind of setting is read from YAML and from an environment variable. */
export interface FieldKind {
  fromYaml(value: unknown): Parsed;
  fromEnv(text: string): Parsed;
}

export interface FieldSpec {
  /** Dotted path in config/controller.yaml and in Settings, e.g. `exec.defaultExecTimeout`. */
  readonly path: string;
  readonly kind: FieldKind;
  /** The `run` flag that overrides this setting; its RESTORE_HOOKS_* variable is the flag's. */
  readonly flag?: string;
}

const show = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value));

function duration(opts: { positive: boolean }): FieldKind {
  const fromString = (text: string): Parsed => {
    const parsed = parseGoDuration(text);
    if (!parsed.ok) return { problem: `invalid duration ${show(text)}` };
    const ms = toMilliseconds(parsed.nanoseconds);
    if (ms < 0) return { problem: `must not be negative, got ${show(text)}` };
    if (opts.positive && ms === 0) return { problem: `must be longer than 0, got ${show(text)}` };
    return { value: ms };
  };
  return {
    fromYaml: (v) =>
      typeof v === 'string'
        ? fromString(v)
        : { problem: `invalid duration ${show(v)} (write it with a unit, e.g. "30s", "10m", "1h30m")` },
    fromEnv: fromString,
  };
}

function integer(min: number): FieldKind {
  const check = (n: unknown, shown: string): Parsed =>
    typeof n === 'number' && Number.isInteger(n) && n >= min
      ? { value: n }
      : { problem: `expected an integer of at least ${min}, got ${shown}` };
  return {
    fromYaml: (v) => check(v, show(v)),
    fromEnv: (t) => check(t.trim() === '' ? NaN : Number(t), show(t)),
  };
}

function positiveNumber(): FieldKind {
  const check = (n: unknown, shown: string): Parsed =>
    typeof n === 'number' && Number.isFinite(n) && n > 0
      ? { value: n }
      : { problem: `expected a number greater than 0, got ${shown}` };
  return {
    fromYaml: (v) => check(v, show(v)),
    fromEnv: (t) => check(t.trim() === '' ? NaN : Number(t), show(t)),
  };
}

function boolean(): FieldKind {
  const problem = (v: unknown): Parsed => ({ problem: `expected true or false, got ${show(v)}` });
  return {
    fromYaml: (v) => (typeof v === 'boolean' ? { value: v } : problem(v)),
    fromEnv: (t) => {
      const v = t.trim().toLowerCase();
      if (v === 'true') return { value: true };
      if (v === 'false') return { value: false };
      return problem(t);
    },
  };
}

function pattern(re: RegExp, what: string): FieldKind {
  const check = (v: unknown): Parsed =>
    typeof v === 'string' && re.test(v) ? { value: v } : { problem: `expected ${what}, got ${show(v)}` };
  return { fromYaml: check, fromEnv: check };
}

/** An image pattern in the hook engine's glob syntax (src/hooks/glob.ts), which policy matching uses. */
function imageGlob(): FieldKind {
  const check = (v: unknown): Parsed => {
    if (typeof v !== 'string' || v.trim() === '')
      return { problem: `expected an image pattern such as "registry.example.com/*", got ${show(v)}` };
    const glob = compileGlob(v);
    return glob.ok ? { value: v } : { problem: glob.error };
  };
  return { fromYaml: check, fromEnv: check };
}

function capability(): FieldKind {
  const check = (v: unknown): Parsed => {
    if (typeof v !== 'string') return { problem: `expected a capability name, got ${show(v)}` };
    const problem = capabilityError(v);
    return problem ? { problem } : { value: v };
  };
  return { fromYaml: check, fromEnv: check };
}

function oneOf(values: readonly string[]): FieldKind {
  return pattern(new RegExp(`^(${values.join('|')})$`), `one of ${values.join(', ')}`);
}

function fromFlagValidator(validate: (v: string) => string | undefined): FieldKind {
  const check = (v: unknown): Parsed => {
    if (typeof v !== 'string') return { problem: `expected a string, got ${show(v)}` };
    const problem = validate(v);
    return problem ? { problem } : { value: v };
  };
  return { fromYaml: check, fromEnv: check };
}

/** A list of distinct items; the environment spells it comma-separated. */
function list(item: FieldKind, minItems: number): FieldKind {
  const check = (items: unknown[], shown: string): Parsed => {
    if (items.length < minItems) return { problem: `expected at least ${minItems} item(s), got ${shown}` };
    const out: unknown[] = [];
    for (const [i, raw] of items.entries()) {
      const parsed = item.fromYaml(raw);
      if ('problem' in parsed) return { problem: `[${i}]: ${parsed.problem}` };
      if (out.includes(parsed.value)) return { problem: `[${i}]: duplicate ${show(parsed.value)}` };
      out.push(parsed.value);
    }
    return { value: out };
  };
  return {
    fromYaml: (v) => (Array.isArray(v) ? check(v, show(v)) : { problem: `expected a list, got ${show(v)}` }),
    fromEnv: (t) => check(t.trim() === '' ? [] : t.split(',').map((s) => s.trim()), show(t)),
  };
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Every setting of config/controller.yaml. */
export const FIELDS: readonly FieldSpec[] = [
  {
    path: 'namespace',
    kind: pattern(/^$|^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a namespace name, or "" for the pod\'s own'),
    flag: 'namespace',
  },
  { path: 'veleroNamespaces', kind: list(pattern(DNS1123_LABEL, 'a namespace name'), 1) },
  { path: 'hookWindow', kind: duration({ positive: false }) },
  { path: 'templateCleanup', kind: oneOf(TEMPLATE_CLEANUP_POLICIES) },
  { path: 'concurrency.reconciles', kind: integer(1) },
  { path: 'concurrency.execHooks', kind: integer(1) },
  { path: 'api.qps', kind: positiveNumber() },
  { path: 'api.burst', kind: integer(1) },
  { path: 'exec.defaultExecTimeout', kind: duration({ positive: true }) },
  { path: 'exec.defaultWaitTimeout', kind: duration({ positive: true }) },
  { path: 'exec.veleroRestoredPods', kind: oneOf(VELERO_RESTORED_POD_POLICIES) },
  { path: 'exec.retries.attempts', kind: integer(1) },
  { path: 'exec.retries.backoffBase', kind: duration({ positive: true }) },
  { path: 'exec.retries.backoffMax', kind: duration({ positive: true }) },
  { path: 'policy.annotationHooks', kind: boolean() },
  { path: 'policy.annotationExecHooks', kind: boolean() },
  { path: 'policy.allowedImages', kind: list(imageGlob(), 0) },
  { path: 'policy.securityContext.allowPrivileged', kind: boolean() },
  { path: 'policy.securityContext.allowPrivilegeEscalation', kind: boolean() },
  { path: 'policy.securityContext.allowedCapabilities', kind: list(capability(), 0) },
  { path: 'leaderElection.enabled', kind: boolean(), flag: 'leader-elect' },
  { path: 'leaderElection.leaseName', kind: pattern(DNS1123_SUBDOMAIN, 'a Lease name (DNS-1123 subdomain)') },
  {
    path: 'leaderElection.leaseNamespace',
    kind: pattern(/^$|^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a namespace name, or "" for the pod\'s own'),
  },
  { path: 'leaderElection.leaseDuration', kind: duration({ positive: true }) },
  { path: 'leaderElection.renewDeadline', kind: duration({ positive: true }) },
  { path: 'leaderElection.retryPeriod', kind: duration({ positive: true }) },
  { path: 'webhook.enabled', kind: boolean(), flag: 'webhook' },
  {
    path: 'webhook.bindAddress',
    kind: fromFlagValidator(validators.hostPort),
    flag: 'webhook-bind-address',
  },
  {
    path: 'webhook.configurationName',
    kind: pattern(DNS1123_SUBDOMAIN, 'a MutatingWebhookConfiguration name (DNS-1123 subdomain)'),
  },
  {
    path: 'webhook.url',
    kind: pattern(/^$|^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'an https:// base URL without query, or ""'),
    flag: 'webhook-url',
  },
  { path: 'webhook.failurePolicy', kind: oneOf(WEBHOOK_FAILURE_POLICIES) },
  { path: 'webhook.podSelector', kind: oneOf(WEBHOOK_POD_SELECTORS) },
  { path: 'webhook.certificates.mode', kind: oneOf(WEBHOOK_CERTIFICATE_MODES) },
  {
    path: 'webhook.certificates.secretName',
    kind: pattern(DNS1123_SUBDOMAIN, 'a Secret name (DNS-1123 subdomain)'),
  },
  { path: 'webhook.certificates.refreshInterval', kind: duration({ positive: true }) },
  { path: 'webhook.certificates.validity', kind: duration({ positive: true }) },
  {
    path: 'webhook.certificates.hosts',
    kind: list(pattern(/^[A-Za-z0-9.:*-]+$/, 'a DNS name or an IP address'), 0),
  },
  { path: 'webhook.veleroIdentities', kind: list(pattern(/^\S+$/, 'a user name'), 0) },
  { path: 'webhook.workloadControllerIdentities', kind: list(pattern(/^\S+$/, 'a user name'), 0) },
  { path: 'metricsBindAddress', kind: fromFlagValidator(validators.hostPort), flag: 'metrics-bind-address' },
  {
    path: 'healthProbeBindAddress',
    kind: fromFlagValidator(validators.hostPort),
    flag: 'health-probe-bind-address',
  },
  { path: 'logLevel', kind: oneOf(LOG_LEVELS), flag: 'log-level' },
];

/** `exec.retries.backoffBase` → `RESTORE_HOOKS_EXEC_RETRIES_BACKOFF_BASE`; flag-backed settings use the flag's. */
export function settingEnvVar(path: string): string {
  const snake = path
    .split('.')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2'))
    .join('_')
    .toUpperCase();
  return `RESTORE_HOOKS_${snake}`;
}
