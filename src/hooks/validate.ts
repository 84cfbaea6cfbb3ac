/**
 * Reads and validates `spec.hooks` of an untrusted Restore into the form the planner uses. Velero rejects a
 * Restore with any of these errors (phase FailedValidation); we report every one, with its field path.
 */
import type { Problem } from './problems.ts';
import type { Container, HookErrorMode } from './restore-types.ts';
import type { CompiledSelector } from './selector.ts';
import type { HookPolicy } from './policy.ts';
import type { ExecHookAction } from './hook-plan.ts';
import { parseLabelSelector } from './selector.ts';
import { compileGlob, matchIncludesExcludes } from './glob.ts';
import { parseGoDuration, toMilliseconds } from './duration.ts';
import { containerImageError, dns1123LabelError } from './k8s-names.ts';
import { imagePolicyError, securityContextErrors } from './policy.ts';
import { LIMITS, tooLong, tooMany, utf8Bytes } from './limits.ts';
import { isRecord } from '../kube/json.ts';

/** Velero's exec timeout when none (or 0) is given. */
export const DEFAULT_EXEC_TIMEOUT_MS = 30_000;

export interface SpecInitContainer {
  /** Where it is declared, e.g. `spec.hooks.resources[0].postHooks[0].init.initContainers[1]`. */
  readonly field: string;
  readonly container: Container;
  readonly valid: boolean;
}

export interface SpecExecHook extends ExecHookAction {
  /** e.g. `spec.hooks.resources[0].postHooks[1].exec` */
  readonly field: string;
  /** '' means the pod's first container. */
  readonly container: string;
}

export type SpecPostHook =
  | {
      readonly kind: 'init';
      readonly postHookIndex: number;
      readonly initContainers: readonly SpecInitContainer[];
    }
  | { readonly kind: 'exec'; readonly postHookIndex: number; readonly exec: SpecExecHook };

export interface HookResource {
  readonly name: string;
  readonly resourceIndex: number;
  /** `spec.hooks.resources[i]` */
  readonly field: string;
  readonly includedNamespaces: readonly string[];
  readonly excludedNamespaces: readonly string[];
  /** undefined when the selector is invalid: the resource then selects nothing. */
  readonly selector: CompiledSelector | undefined;
  /** False when its namespace patterns or selector are invalid: it selects nothing. */
  readonly selectable: boolean;
  readonly postHooks: readonly SpecPostHook[];
}

/** `spec.hooks` of a Restore, validated. Build it once per Restore generation and plan many targets with it. */
export interface RestoreHooks {
  readonly restoreName: string;
  readonly restoreNamespace: string;
  readonly namespaceMapping: Readonly<Record<string, string>>;
  /** spec.includedNamespaces / excludedNamespaces: the source namespaces the Restore restores (see restoresIntoNamespace). */
  readonly includedNamespaces: readonly string[];
  readonly excludedNamespaces: readonly string[];
  readonly resources: readonly HookResource[];
  /** Every problem of the Restore, hook-related or not. Any error: Velero would fail the Restore's validation. */
  readonly problems: readonly Problem[];
}

const quote = (v: unknown): string => JSON.stringify(v) ?? String(v);

class Collector {
  readonly problems: Problem[] = [];
  error(field: string, message: string, rule?: Problem['rule']): false {
    this.problems.push({ severity: 'error', object: 'restore', field, message, ...(rule ? { rule } : {}) });
    return false;
  }
  warning(field: string, message: string): void {
    this.problems.push({ severity: 'warning', object: 'restore', field, message });
  }
}

function stringList(c: Collector, value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    c.error(field, 'must be a list of strings');
    return undefined;
  }
  let ok = true;
  value.forEach((v: unknown, i) => {
    if (typeof v !== 'string') ok = c.error(`${field}[${i}]`, `must be a string, got ${quote(v)}`);
  });
  return ok ? (value as string[]) : undefined;
}

/** A Go duration field: returns milliseconds, undefined when absent, or null when invalid (reported). */
export function durationField(
  value: unknown,
  field: string,
  report: (field: string, message: string) => void,
): number | undefined | null {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    report(field, `must be a Go duration string such as "30s" or "1h2m3.5s", got ${quote(value)}`);
    return null;
  }
  const d = parseGoDuration(value);
  if (!d.ok) {
    report(
      field,
      `Invalid value: ${quote(value)}: ${d.error} (expected a Go duration such as "30s" or "1h2m3.5s")`,
    );
    return null;
  }
  if (d.nanoseconds < 0n) {
    report(field, `Invalid value: ${quote(value)}: must not be negative`);
    return null;
  }
  return toMilliseconds(d.nanoseconds);
}

/** Checks one hook container declared in the spec; Velero requires name, image and command. */
function validateSpecInitContainer(
  c: Collector,
  raw: unknown,
  field: string,
  policy: HookPolicy,
): SpecInitContainer {
  if (!isRecord(raw)) {
    c.error(field, 'must be a container object');
    return { field, container: { name: '' }, valid: false };
  }
  let valid = true;
  const { name, image, command, args, volumeMounts } = raw;
  if (typeof name !== 'string' || name === '')
    valid = c.error(`${field}.name`, 'Required value: a container name');
  else {
    const e = dns1123LabelError(name);
    if (e) valid = c.error(`${field}.name`, `Invalid value: ${quote(name)}: ${e}`);
  }
  if (typeof image !== 'string' || image.trim() === '')
    valid = c.error(`${field}.image`, 'Required value: a container image');
  else {
    const formatError = containerImageError(image);
    const policyError = formatError ? undefined : imagePolicyError(policy, image);
    if (formatError) valid = c.error(`${field}.image`, `Invalid value: ${quote(image)}: ${formatError}`);
    else if (policyError) valid = c.error(`${field}.image`, policyError, 'image-not-allowed');
  }
  for (const e of securityContextErrors(policy, raw, field))
    valid = c.error(e.field, e.message, 'security-context-not-allowed');
  const cmd = stringList(c, command, `${field}.command`);
  if (cmd === undefined) valid = false;
  else if (cmd.length === 0)
    valid = c.error(`${field}.command`, 'Required value: Velero requires a command for spec init containers');
  if (stringList(c, args, `${field}.args`) === undefined) valid = false;
  const commandBytes = utf8Bytes([command ?? [], args ?? []]);
  if (commandBytes > LIMITS.commandBytes)
    valid = c.error(`${field}.command`, tooLong(commandBytes, LIMITS.commandBytes), 'limit-exceeded');
  if (volumeMounts !== undefined && volumeMounts !== null) {
    if (!Array.isArray(volumeMounts)) valid = c.error(`${field}.volumeMounts`, 'must be a list');
    else
      volumeMounts.forEach((m: unknown, i) => {
        const at = `${field}.volumeMounts[${i}]`;
        if (!isRecord(m)) valid = c.error(at, 'must be an object');
        else {
          if (typeof m.name !== 'string' || m.name === '') valid = c.error(`${at}.name`, 'Required value');
          if (typeof m.mountPath !== 'string' || m.mountPath === '')
            valid = c.error(`${at}.mountPath`, 'Required value');
        }
      });
  }
  return { field, container: raw as Container, valid };
}

function validateSpecExec(c: Collector, raw: unknown, field: string): SpecExecHook {
  const invalid: SpecExecHook = {
    field,
    container: '',
    command: [],
    onError: 'Continue',
    execTimeoutMs: DEFAULT_EXEC_TIMEOUT_MS,
    waitTimeoutMs: undefined,
    waitForReady: false,
    valid: false,
  };
  if (!isRecord(raw)) {
    c.error(field, 'must be an object');
    return invalid;
  }
  let valid = true;
  const report = (f: string, m: string): void => void c.error(f, m);
  let container = '';
  if (raw.container !== undefined && raw.container !== null) {
    if (typeof raw.container !== 'string') valid = c.error(`${field}.container`, 'must be a string');
    else container = raw.container;
  }
  const command = stringList(c, raw.command, `${field}.command`);
  if (command === undefined) valid = false;
  else if (command.length === 0) valid = c.error(`${field}.command`, 'Required value: at least one item');
  else if (utf8Bytes(command) > LIMITS.commandBytes)
    valid = c.error(`${field}.command`, tooLong(utf8Bytes(command), LIMITS.commandBytes), 'limit-exceeded');
  let onError: HookErrorMode = 'Continue';
  if (raw.onError !== undefined && raw.onError !== null && raw.onError !== '') {
    if (raw.onError === 'Continue' || raw.onError === 'Fail') onError = raw.onError;
    else
      valid = c.error(
        `${field}.onError`,
        `Unsupported value: ${quote(raw.onError)}: supported values: "Continue", "Fail"`,
      );
  }
  const execTimeout = durationField(raw.execTimeout, `${field}.execTimeout`, report);
  const waitTimeout = durationField(raw.waitTimeout, `${field}.waitTimeout`, report);
  if (execTimeout === null || waitTimeout === null) valid = false;
  let waitForReady = false;
  if (raw.waitForReady !== undefined && raw.waitForReady !== null) {
    if (typeof raw.waitForReady !== 'boolean')
      valid = c.error(`${field}.waitForReady`, 'must be true or false');
    else waitForReady = raw.waitForReady;
  }
  return {
    field,
    container,
    command: command ?? [],
    onError,
    // 0 means unset, as in Velero: the default exec timeout; no wait limit.
    execTimeoutMs: execTimeout ? execTimeout : DEFAULT_EXEC_TIMEOUT_MS,
    waitTimeoutMs: waitTimeout ? waitTimeout : undefined,
    waitForReady,
    valid,
  };
}

function validatePostHook(
  c: Collector,
  raw: unknown,
  field: string,
  postHookIndex: number,
  policy: HookPolicy,
): SpecPostHook | undefined {
  if (!isRecord(raw)) {
    c.error(field, 'must be an object with init or exec');
    return undefined;
  }
  const hasInit = raw.init !== undefined && raw.init !== null;
  const hasExec = raw.exec !== undefined && raw.exec !== null;
  if (hasInit === hasExec) {
    c.error(
      field,
      hasInit ? 'Forbidden: only one of init and exec may be set' : 'Required value: init or exec',
    );
    return undefined;
  }
  if (hasExec) return { kind: 'exec', postHookIndex, exec: validateSpecExec(c, raw.exec, `${field}.exec`) };
  const init = raw.init;
  const at = `${field}.init`;
  if (!isRecord(init)) {
    c.error(at, 'must be an object');
    return { kind: 'init', postHookIndex, initContainers: [] };
  }
  // Velero accepts init.timeout and never uses it; it must still parse, or Velero could not read the Restore.
  durationField(init.timeout, `${at}.timeout`, (f, m) => void c.error(f, m));
  const list = init.initContainers;
  if (list !== undefined && list !== null && !Array.isArray(list)) {
    c.error(`${at}.initContainers`, 'must be a list of containers');
    return { kind: 'init', postHookIndex, initContainers: [] };
  }
  if (Array.isArray(list) && list.length > LIMITS.initContainersPerHook) {
    c.error(
      `${at}.initContainers`,
      tooMany(list.length, LIMITS.initContainersPerHook, 'init containers per hook'),
      'limit-exceeded',
    );
    return { kind: 'init', postHookIndex, initContainers: [] };
  }
  const initContainers = ((list as unknown[] | undefined | null) ?? []).map((container, i) =>
    validateSpecInitContainer(c, container, `${at}.initContainers[${i}]`, policy),
  );
  return { kind: 'init', postHookIndex, initContainers };
}

function validateResource(
  c: Collector,
  raw: unknown,
  resourceIndex: number,
  policy: HookPolicy,
): HookResource {
  const field = `spec.hooks.resources[${resourceIndex}]`;
  const empty: HookResource = {
    name: '',
    resourceIndex,
    field,
    includedNamespaces: [],
    excludedNamespaces: [],
    selector: undefined,
    selectable: false,
    postHooks: [],
  };
  if (!isRecord(raw)) {
    c.error(field, 'must be an object');
    return empty;
  }
  let selectable = true;
  const name = typeof raw.name === 'string' ? raw.name : '';
  if (name === '') c.error(`${field}.name`, 'Required value: a name for this hook resource');
  const namespaces = (key: 'includedNamespaces' | 'excludedNamespaces'): string[] => {
    const list = stringList(c, raw[key], `${field}.${key}`);
    if (list === undefined) {
      selectable = false;
      return [];
    }
    list.forEach((p, i) => {
      const g = compileGlob(p);
      if (!g.ok) selectable = c.error(`${field}.${key}[${i}]`, g.error);
    });
    return list;
  };
  const includedNamespaces = namespaces('includedNamespaces');
  const excludedNamespaces = namespaces('excludedNamespaces');
  for (const key of ['includedResources', 'excludedResources'] as const) {
    const list = raw[key];
    if (Array.isArray(list) && list.length > 0)
      c.warning(
        `${field}.${key}`,
        'ignored: restore hooks always apply to pods (Velero ignores this field too); select pods with namespaces and labelSelector',
      );
  }
  const sel = parseLabelSelector(raw.labelSelector, `${field}.labelSelector`);
  if (!sel.ok) {
    for (const e of sel.errors) c.error(e.field, e.message);
    selectable = false;
  }
  const postHooksRaw = raw.postHooks;
  const postHooks: SpecPostHook[] = [];
  if (postHooksRaw !== undefined && postHooksRaw !== null) {
    if (!Array.isArray(postHooksRaw)) c.error(`${field}.postHooks`, 'must be a list');
    else if (postHooksRaw.length > LIMITS.postHooksPerResource)
      c.error(
        `${field}.postHooks`,
        tooMany(postHooksRaw.length, LIMITS.postHooksPerResource, 'post hooks per hook resource'),
        'limit-exceeded',
      );
    else
      postHooksRaw.forEach((h: unknown, i) => {
        const parsed = validatePostHook(c, h, `${field}.postHooks[${i}]`, i, policy);
        if (parsed) postHooks.push(parsed);
      });
  }
  return {
    name,
    resourceIndex,
    field,
    includedNamespaces,
    excludedNamespaces,
    selector: sel.ok ? sel.selector : undefined,
    selectable,
    postHooks,
  };
}

/** Reads `spec.hooks` (and what hooks need from the rest of the Restore) from an untrusted object; never throws. */
export function parseRestoreHooks(restore: unknown, policy: HookPolicy): RestoreHooks {
  const c = new Collector();
  const r = isRecord(restore) ? restore : {};
  if (!isRecord(restore)) c.error('', 'a Restore must be an object');
  const metadata = isRecord(r.metadata) ? r.metadata : {};
  const spec = isRecord(r.spec) ? r.spec : {};
  if (r.spec !== undefined && !isRecord(r.spec)) c.error('spec', 'must be an object');
  const namespaceMapping: Record<string, string> = {};
  if (spec.namespaceMapping !== undefined && spec.namespaceMapping !== null) {
    if (!isRecord(spec.namespaceMapping))
      c.error('spec.namespaceMapping', 'must be a map of namespace names');
    else
      for (const [from, to] of Object.entries(spec.namespaceMapping)) {
        if (typeof to === 'string') namespaceMapping[from] = to;
        else c.error(`spec.namespaceMapping[${from}]`, 'must be a string');
      }
  }
  const scope = (key: 'includedNamespaces' | 'excludedNamespaces'): string[] => {
    const list = stringList(c, spec[key], `spec.${key}`) ?? [];
    list.forEach((p, i) => {
      const g = compileGlob(p);
      if (!g.ok) c.error(`spec.${key}[${i}]`, g.error);
    });
    return list;
  };
  const includedNamespaces = scope('includedNamespaces');
  const excludedNamespaces = scope('excludedNamespaces');
  const resources: HookResource[] = [];
  const hooks = spec.hooks;
  if (hooks !== undefined && hooks !== null) {
    if (!isRecord(hooks)) c.error('spec.hooks', 'must be an object');
    else if (hooks.resources !== undefined && hooks.resources !== null) {
      if (!Array.isArray(hooks.resources)) c.error('spec.hooks.resources', 'must be a list');
      // Nothing of an oversized list is read: its size alone is the problem, and reading it costs memory.
      else if (hooks.resources.length > LIMITS.hookResources)
        c.error(
          'spec.hooks.resources',
          tooMany(hooks.resources.length, LIMITS.hookResources, 'hook resources per Restore'),
          'limit-exceeded',
        );
      else hooks.resources.forEach((raw: unknown, i) => resources.push(validateResource(c, raw, i, policy)));
    }
  }
  return {
    restoreName: typeof metadata.name === 'string' ? metadata.name : '',
    restoreNamespace: typeof metadata.namespace === 'string' ? metadata.namespace : '',
    namespaceMapping,
    includedNamespaces,
    excludedNamespaces,
    resources,
    problems: c.problems,
  };
}

/**
 * Whether the Restore restores anything into `namespace` (a target namespace, after `spec.namespaceMapping`): some
 * source namespace its includedNamespaces / excludedNamespaces select lands there. Velero's own scoping, which
 * comes before any hook resource's namespace filter: a Restore's hooks never reach a namespace it did not restore.
 */
export function restoresIntoNamespace(
  hooks: Pick<RestoreHooks, 'namespaceMapping' | 'includedNamespaces' | 'excludedNamespaces'>,
  namespace: string,
): boolean {
  const restored = (source: string): boolean =>
    matchIncludesExcludes(source, hooks.includedNamespaces, hooks.excludedNamespaces).included;
  // An unmapped namespace restores into itself; a mapped one lands elsewhere.
  if (!Object.hasOwn(hooks.namespaceMapping, namespace) && restored(namespace)) return true;
  return Object.entries(hooks.namespaceMapping).some(([from, to]) => to === namespace && restored(from));
}

/** The namespace a restored object lands in: `spec.namespaceMapping` applied to its backed-up namespace. */
export function mapNamespace(hooks: Pick<RestoreHooks, 'namespaceMapping'>, sourceNamespace: string): string {
  return Object.hasOwn(hooks.namespaceMapping, sourceNamespace)
    ? hooks.namespaceMapping[sourceNamespace]!
    : sourceNamespace;
}
