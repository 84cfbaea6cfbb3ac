/** Who may declare hooks, and which images hook containers may use: the operator's policy from the config file. */
import type { FieldError } from './problems.ts';
import { compileGlob } from './glob.ts';

export interface HookPolicy {
  /** When false, hook annotations on pods and templates are ignored (reported as warnings). Default true. */
  readonly annotationHooks: boolean;
  /** Glob patterns (`registry.example.com/*`, `alpine:3.*`); a hook container's image must match one. Empty: any. */
  readonly allowedImages: readonly string[];
}

export const DEFAULT_HOOK_POLICY: HookPolicy = { annotationHooks: true, allowedImages: [] };

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
 * Reads the policy from an untrusted config value at `path` (e.g. the `hooks` section of the config file):
 * `{ annotationHooks?: boolean, allowedImages?: string[] }`. Unknown keys are errors, so typos don't pass silently.
 */
export function parseHookPolicy(value: unknown, path: string): { policy: HookPolicy; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (value === undefined || value === null) return { policy: DEFAULT_HOOK_POLICY, errors };
  if (typeof value !== 'object' || Array.isArray(value))
    return { policy: DEFAULT_HOOK_POLICY, errors: [{ field: path, message: 'must be an object' }] };
  const v = value as Record<string, unknown>;
  let annotationHooks = DEFAULT_HOOK_POLICY.annotationHooks;
  const allowedImages: string[] = [];
  for (const key of Object.keys(v)) {
    if (key !== 'annotationHooks' && key !== 'allowedImages')
      errors.push({
        field: `${path}.${key}`,
        message: 'unknown field (expected annotationHooks, allowedImages)',
      });
  }
  if (v.annotationHooks !== undefined) {
    if (typeof v.annotationHooks === 'boolean') annotationHooks = v.annotationHooks;
    else errors.push({ field: `${path}.annotationHooks`, message: 'must be true or false' });
  }
  if (v.allowedImages !== undefined) {
    if (!Array.isArray(v.allowedImages))
      errors.push({ field: `${path}.allowedImages`, message: 'must be a list' });
    else
      v.allowedImages.forEach((p: unknown, i) => {
        const at = `${path}.allowedImages[${i}]`;
        if (typeof p !== 'string' || p === '')
          return errors.push({ field: at, message: 'must be a non-empty string' });
        const g = compileGlob(p);
        if (!g.ok) errors.push({ field: at, message: g.error });
        allowedImages.push(p); // kept even when invalid: it matches nothing, so a typo never allows every image
      });
  }
  return { policy: { annotationHooks, allowedImages }, errors };
}
