import { OBJECT_META_ORDER } from '../../kube/object-meta.ts';
import type { KubeObject, ObjectMeta } from './types.ts';

export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
export const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 3339 in whole seconds, as Kubernetes serializes metav1.Time. */
export function kubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** `generateName` plus 5 random characters from the alphabet kube-apiserver uses (no vowels, no look-alikes). */
export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++)
    suffix += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
  return prefix + suffix;
}

/** metadata in the order kube-apiserver serializes it, without undefined fields. */
export function orderMetadata(m: ObjectMeta): ObjectMeta {
  const out: Record<string, unknown> = {};
  const given = m as Record<string, unknown>;
  for (const k of OBJECT_META_ORDER) if (given[k] !== undefined) out[k] = given[k];
  for (const [k, v] of Object.entries(m)) if (!(k in out) && v !== undefined) out[k] = v;
  return out as ObjectMeta;
}

/** Everything but metadata (and status when it is a subresource): what bumps generation when it changes. */
export function specOf(object: KubeObject, withoutStatus: boolean): string {
  const { metadata: _m, status, ...rest } = object;
  return JSON.stringify(withoutStatus ? rest : { ...rest, status });
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (!isObj(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = canonical(v[k]);
  return out;
}

/** Equal apart from resourceVersion and managedFields: a write that changes nothing. */
export function sameObject(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => ({
    ...o,
    metadata: { ...o.metadata, resourceVersion: undefined, managedFields: undefined },
  });
  return JSON.stringify(canonical(strip(a))) === JSON.stringify(canonical(strip(b)));
}
