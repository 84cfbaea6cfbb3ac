/**
 * JSON merge patch (RFC 7386) as kube-apiserver applies `application/merge-patch+json`, through
 * evanphx/json-patch's MergePatch. Pure: neither argument is mutated; the result shares no structure with them.
 *
 * One quirk of that implementation is kept on purpose: when the patch sets a key that the target lacks (or holds
 * null), null-valued members of objects inside the patch value are dropped, including objects nested in arrays;
 * when the key exists with a non-object value, a non-object patch value replaces it verbatim.
 */
import { errors } from '../api/errors.ts';
import { getOwn, isJsonObject as isObj, setOwn } from '../util/json.ts';
import type { JsonObject as Obj } from '../util/json.ts';

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (Array.isArray(patch)) return pruneNulls(patch);
  // MergePatch rejects a patch document that is neither an object nor an array: 400 "Invalid JSON Patch".
  if (!isObj(patch)) throw errors.badRequest('Invalid JSON Patch');
  return mergeInto(isObj(target) ? target : undefined, patch);
}

function mergeInto(target: Obj | undefined, patch: Obj): Obj {
  const out: Obj = target ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
      continue;
    }
    const current = getOwn(out, key);
    if (current === undefined || current === null) setOwn(out, key, pruneNulls(value));
    else if (isObj(value)) setOwn(out, key, mergeInto(isObj(current) ? current : undefined, value));
    else setOwn(out, key, structuredClone(value));
  }
  return out;
}

function pruneNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pruneNulls);
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const [key, member] of Object.entries(value))
    if (member !== null) setOwn(out, key, pruneNulls(member));
  return out;
}
