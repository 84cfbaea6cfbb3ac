/**
 * Content identity of hook containers: a stable hash that ignores the container's name and the fields the API
 * server fills in, so a hook is recognised in a pod or template however it got there (by us, by Velero, by a
 * second pass), and deterministic default names derived from it.
 */
import { createHash } from 'node:crypto';
import type { Container } from './restore-types.ts';
import { isRecord } from '../kube/json.ts';

/** Prefix of the names we give nameless annotation init hooks. */
export const DEFAULT_INIT_NAME_PREFIX = 'restore-hook-init-';

/** Velero names a nameless annotation init hook `velero-restore-init-` + the first 8 hex digits of a random UUID. */
const VELERO_GENERATED_NAME = /^velero-restore-init-[0-9a-f]{8}$/;

export function isVeleroGeneratedInitName(name: string): boolean {
  return VELERO_GENERATED_NAME.test(name);
}

const isEmpty = (v: unknown): boolean =>
  v === undefined ||
  v === null ||
  (Array.isArray(v) && v.length === 0) ||
  (isRecord(v) && Object.keys(v).length === 0);

/** JSON with object keys sorted at every level, so equal content always hashes equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Where ServiceAccount admission mounts the API token (the kube-api-access-* projected volume). */
const SERVICE_ACCOUNT_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The part of a container that decides what a hook does: everything but its name, empty fields and what the API
 * server adds (defaulting: imagePullPolicy, the default termination message settings, empty resources, port
 * protocol TCP; admission: the service-account token mount).
 */
export function hookContent(container: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const content: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(container)) {
    if (key === 'name' || key === 'imagePullPolicy' || isEmpty(value)) continue;
    if (key === 'terminationMessagePath' && value === '/dev/termination-log') continue;
    if (key === 'terminationMessagePolicy' && value === 'File') continue;
    if (key === 'volumeMounts' && Array.isArray(value)) {
      // ServiceAccount admission mounts the API token into every container, init containers included.
      const own = value.filter((m: unknown) => !(isRecord(m) && m.mountPath === SERVICE_ACCOUNT_TOKEN_PATH));
      if (own.length > 0) content[key] = own;
      continue;
    }
    if (key === 'ports' && Array.isArray(value)) {
      content[key] = value.map((p: unknown) => {
        if (!isRecord(p) || p.protocol !== 'TCP') return p;
        const { protocol: _protocol, ...rest } = p;
        return rest;
      });
      continue;
    }
    content[key] = value;
  }
  return content;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** 16 hex digits of the SHA-256 of the container's hook content. Same content, same hash, whatever the name. */
export function hookContentHash(container: Readonly<Record<string, unknown>>): string {
  return sha256Hex(canonicalJson(hookContent(container))).slice(0, 16);
}

/** True when two containers run the same hook, ignoring names and API server defaults. */
export function sameHookContent(
  a: Readonly<Record<string, unknown>>,
  b: Readonly<Record<string, unknown>>,
): boolean {
  return canonicalJson(hookContent(a)) === canonicalJson(hookContent(b));
}

/** The deterministic name of a nameless annotation init hook: a second pass over the same pod finds it again. */
export function defaultInitHookName(container: Omit<Container, 'name'>): string {
  return `${DEFAULT_INIT_NAME_PREFIX}${hookContentHash({ ...container, name: '' }).slice(0, 10)}`;
}

/** A short stable hash of any JSON value, for identities of exec hooks. */
export function shortHash(value: unknown): string {
  return sha256Hex(canonicalJson(value)).slice(0, 12);
}
