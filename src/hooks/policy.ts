/** Who may declare hooks, and what hook containers may be: the operator's policy from the config file. */
import type { FieldError } from './problems.ts';
import { compileGlob } from './glob.ts';
import { isRecord } from '../kube/json.ts';

/**
 * What a hook container may ask for in its own `securityContext`. Each field says what is allowed; the default
 * allows none of it. (Only spec init containers can carry a securityContext; annotation init hooks cannot.)
 */
export interface SecurityContextPolicy {
  /** `securityContext.privileged: true`. */
  readonly allowPrivileged: boolean;
  /** `securityContext.allowPrivilegeEscalation: true` (an unset field is not refused; see docs/operations.md). */
  readonly allowPrivilegeEscalation: boolean;
  /** Capabilities a hook container may add (`securityContext.capabilities.add`), e.g. `CHOWN`; `*` allows any. */
  readonly allowedCapabilities: readonly string[];
}

export interface HookPolicy {
  /** When false, hook annotations on pods and templates are ignored (reported as warnings). Default true. */
  readonly annotationHooks: boolean;
  /**
   * When false, the exec hook annotations (post.hook.restore.velero.io/*) are ignored while annotation init hooks
   * still apply: an annotation exec hook runs a command chosen by whoever can annotate a pod template, through the
   * controller's pods/exec right. Default true (Velero's behaviour).
   */
  readonly annotationExecHooks: boolean;
  /** Glob patterns (`registry.example.com/*`, `alpine:3.*`); a hook container's image must match one. Empty: any. */
  readonly allowedImages: readonly string[];
  readonly securityContext: SecurityContextPolicy;
}

export const DEFAULT_SECURITY_CONTEXT_POLICY: SecurityContextPolicy = {
  allowPrivileged: false,
  allowPrivilegeEscalation: false,
  allowedCapabilities: [],
};

export const DEFAULT_HOOK_POLICY: HookPolicy = {
  annotationHooks: true,
  annotationExecHooks: true,
  allowedImages: [],
  securityContext: DEFAULT_SECURITY_CONTEXT_POLICY,
};

/** Why the image is not allowed, or undefined when it is. Invalid patterns allow nothing. */
export function imagePolicyError(policy: HookPolicy, image: string): string | undefined {
  if (policy.allowedImages.length === 0) return undefined;
  const allowed = policy.allowedImages.some((p) => {
    const g = compileGlob(p);
    return g.ok && g.matches(image);
  });
  return allowed
    ? undefined
    : `image ${JSON.stringify(image)} is not allowed by policy (allowed: ${policy.allowedImages.join(', ')})`;
}

/**
 * What policy.securityContext refuses in a hook container declared at `field`: one error per refused field, with
 * its path. A securityContext that is not an object is left to the API server's validation.
 */
export function securityContextErrors(policy: HookPolicy, container: unknown, field: string): FieldError[] {
  const sc = isRecord(container) ? container.securityContext : undefined;
  if (!isRecord(sc)) return [];
  const allowed = policy.securityContext;
  const errors: FieldError[] = [];
  const at = `${field}.securityContext`;
  if (sc.privileged === true && !allowed.allowPrivileged)
    errors.push({
      field: `${at}.privileged`,
      message:
        'Forbidden: privileged hook containers are not allowed by policy (policy.securityContext.allowPrivileged)',
    });
  if (sc.allowPrivilegeEscalation === true && !allowed.allowPrivilegeEscalation)
    errors.push({
      field: `${at}.allowPrivilegeEscalation`,
      message:
        'Forbidden: privilege escalation in hook containers is not allowed by policy (policy.securityContext.allowPrivilegeEscalation)',
    });
  const add = isRecord(sc.capabilities) ? sc.capabilities.add : undefined;
  if (Array.isArray(add) && !allowed.allowedCapabilities.includes('*'))
    add.forEach((cap: unknown, i) => {
      if (typeof cap === 'string' && allowed.allowedCapabilities.includes(cap)) return;
      errors.push({
        field: `${at}.capabilities.add[${i}]`,
        message: `Forbidden: adding capability ${JSON.stringify(cap)} to a hook container is not allowed by policy (policy.securityContext.allowedCapabilities: ${allowed.allowedCapabilities.length > 0 ? allowed.allowedCapabilities.join(', ') : 'none'})`,
      });
    });
  return errors;
}

const POLICY_KEYS = ['annotationHooks', 'annotationExecHooks', 'allowedImages', 'securityContext'];
const SECURITY_CONTEXT_KEYS = ['allowPrivileged', 'allowPrivilegeEscalation', 'allowedCapabilities'];

/**
 * Reads the policy from an untrusted config value at `path` (e.g. the `policy` section of the config file). Unknown
 * keys are errors, so typos don't pass silently.
 */
export function parseHookPolicy(value: unknown, path: string): { policy: HookPolicy; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (value === undefined || value === null) return { policy: DEFAULT_HOOK_POLICY, errors };
  if (!isRecord(value))
    return { policy: DEFAULT_HOOK_POLICY, errors: [{ field: path, message: 'must be an object' }] };
  const unknownKeys = (v: Record<string, unknown>, at: string, known: readonly string[]): void => {
    for (const key of Object.keys(v))
      if (!known.includes(key))
        errors.push({ field: `${at}.${key}`, message: `unknown field (expected ${known.join(', ')})` });
  };
  const bool = (v: Record<string, unknown>, key: string, at: string, fallback: boolean): boolean => {
    if (v[key] === undefined) return fallback;
    if (typeof v[key] === 'boolean') return v[key];
    errors.push({ field: `${at}.${key}`, message: 'must be true or false' });
    return fallback;
  };
  const strings = (v: unknown, at: string, check: (s: string) => string | undefined): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      errors.push({ field: at, message: 'must be a list' });
      return [];
    }
    return v.flatMap((p: unknown, i) => {
      if (typeof p !== 'string' || p === '') {
        errors.push({ field: `${at}[${i}]`, message: 'must be a non-empty string' });
        return [];
      }
      const problem = check(p);
      if (problem) errors.push({ field: `${at}[${i}]`, message: problem });
      return [p];
    });
  };
  unknownKeys(value, path, POLICY_KEYS);
  // An invalid image pattern is kept: it matches nothing, so a typo never allows every image.
  const allowedImages = strings(value.allowedImages, `${path}.allowedImages`, (p) => {
    const g = compileGlob(p);
    return g.ok ? undefined : g.error;
  });
  let securityContext = DEFAULT_SECURITY_CONTEXT_POLICY;
  const sc = value.securityContext;
  const scPath = `${path}.securityContext`;
  if (sc !== undefined && !isRecord(sc)) errors.push({ field: scPath, message: 'must be an object' });
  else if (isRecord(sc)) {
    unknownKeys(sc, scPath, SECURITY_CONTEXT_KEYS);
    securityContext = {
      allowPrivileged: bool(sc, 'allowPrivileged', scPath, false),
      allowPrivilegeEscalation: bool(sc, 'allowPrivilegeEscalation', scPath, false),
      allowedCapabilities: strings(sc.allowedCapabilities, `${scPath}.allowedCapabilities`, capabilityError),
    };
  }
  return {
    policy: {
      annotationHooks: bool(value, 'annotationHooks', path, DEFAULT_HOOK_POLICY.annotationHooks),
      annotationExecHooks: bool(value, 'annotationExecHooks', path, DEFAULT_HOOK_POLICY.annotationExecHooks),
      allowedImages,
      securityContext,
    },
    errors,
  };
}

/** A capability as securityContext.capabilities spells it (`NET_ADMIN`, no `CAP_` prefix), or `*`. */
export function capabilityError(name: string): string | undefined {
  if (name === '*' || /^[A-Z][A-Z0-9_]*$/.test(name)) return undefined;
  return `expected a capability name such as "CHOWN" or "NET_BIND_SERVICE" (upper case, no CAP_ prefix), or "*", got ${JSON.stringify(name)}`;
}
