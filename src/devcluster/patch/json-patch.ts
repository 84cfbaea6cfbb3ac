/**
 * JSON patch (RFC 6902) as kube-apiserver applies `application/json-patch+json`. The operations are applied by
 * fast-json-patch, one at a time on a private copy (the input is never mutated); the errors are the ones
 * kube-apiserver sends, which come from gopkg.in/evanphx/json-patch.v4:
 *
 * - a body that does not decode as a list of operations: 400 BadRequest with Go's json error text
 *   (`json: cannot unmarshal object into Go value of type jsonpatch.Patch`);
 * - more than 10000 operations: 413 RequestEntityTooLarge;
 * - an operation that cannot be applied (failed `test`, missing path, bad index, unknown `op`): 422 Invalid with
 *   the message `the server rejected our request due to an error in our request` and the json-patch error as the
 *   one cause `{reason: "UnexpectedServerResponse", message}`.
 *
 * evanphx v4 behaviours kept: `replace` of an absent object member adds it; `add`/`replace`/`test` without `value`
 * use null; `null` as the whole body is an empty patch.
 * Divergences: cause messages follow evanphx v4 for failed tests, unresolvable paths and parents, nonexistent keys,
 * out-of-range indices and unknown ops; a member named `__proto__` cannot be added or replaced (fast-json-patch
 * refuses it to protect prototypes; kube-apiserver accepts it); rarer failures (a missing `path` or `from` member, a path without a leading
 * `/`, `__proto__` segments) are still 422 but carry fast-json-patch's or a simplified wording.
 */
import fastJsonPatch from 'fast-json-patch';
import { ApiError, errors } from '../api/errors.ts';

const { applyOperation, JsonPatchError } = fastJsonPatch;

export const MAX_JSON_PATCH_OPERATIONS = 10000;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's name for a JSON value's type in json.UnmarshalTypeError. */
function goJsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

function rejected(message: string): ApiError {
  return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message }],
  });
}

function decodeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The container that a path's last token addresses, as evanphx's findObject walks it; undefined if unresolvable. */
function parentOf(doc: unknown, path: string): { parent: unknown; key: string } | undefined {
  const tokens = path.split('/');
  if (tokens.length < 2) return undefined;
  let node = doc;
  for (const token of tokens.slice(1, -1).map(decodeToken)) {
    if (Array.isArray(node)) {
      if (!/^-?\d+$/.test(token)) return undefined;
      node = node[Number(token)];
    } else if (isObj(node)) {
      node = Object.hasOwn(node, token) ? node[token] : undefined;
    } else {
      return undefined;
    }
    if (node === undefined || node === null || typeof node !== 'object') return undefined;
  }
  return { parent: node, key: decodeToken(tokens[tokens.length - 1] ?? '') };
}

const isIndex = (key: string) => /^\d+$/.test(key);

/** The evanphx v4 error text for an operation that cannot apply to `doc`, or undefined when it can. */
function precheck(doc: unknown, op: Obj, kind: string, path: string): string | undefined {
  const from = typeof op.from === 'string' ? op.from : '';
  if (kind === 'move' || kind === 'copy') {
    const source = parentOf(doc, from);
    if (!source) return `${kind} operation does not apply: doc is missing from path: ${from}: missing value`;
    if (
      Array.isArray(source.parent) &&
      (!isIndex(source.key) || Number(source.key) >= source.parent.length)
    ) {
      return `error in ${kind} for ${kind === 'move' ? 'path' : 'from'}: '${kind === 'move' ? source.key : from}': Unable to access invalid index: ${source.key}: invalid index referenced`;
    }
    if (isObj(source.parent) && !Object.hasOwn(source.parent, source.key) && kind === 'move') {
      return `error in move for path: '${source.key}': Unable to remove nonexistent key: ${source.key}: missing value`;
    }
    return undefined;
  }
  if (path === '' && (kind === 'replace' || kind === 'test')) return undefined;
  const target = parentOf(doc, path);
  if (!target) {
    if (kind === 'test') return `test operation does not apply: is missing path: ${path}: missing value`;
    if (kind === 'replace')
      return `replace operation does not apply: doc is missing path: ${path}: missing value`;
    return `${kind} operation does not apply: doc is missing path: "${path}": missing value`;
  }
  const { parent, key } = target;
  if (Array.isArray(parent)) {
    const invalid = `Unable to access invalid index: ${key}: invalid index referenced`;
    if (kind === 'add' && key === '-') return undefined;
    if (!isIndex(key))
      return `error in ${kind} for path: '${path}': value was not a proper array index: '${key}'`;
    const index = Number(key);
    const limit = kind === 'add' ? parent.length + 1 : parent.length;
    if (index >= limit) {
      if (kind === 'replace')
        return `replace operation does not apply: doc is missing key: ${path}: missing value`;
      return `error in ${kind} for path: '${path}': ${invalid}`;
    }
  } else if (kind === 'remove' && isObj(parent) && !Object.hasOwn(parent, key)) {
    return `error in remove for path: '${path}': Unable to remove nonexistent key: ${key}: missing value`;
  }
  return undefined;
}

function applyOne(doc: unknown, raw: unknown): unknown {
  const op: Obj = isObj(raw) ? raw : {};
  const kind = typeof op.op === 'string' ? op.op : 'unknown';
  if (!['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(kind))
    throw rejected(`Unexpected kind: ${kind}`);
  if (typeof op.path !== 'string') throw rejected(`${kind} operation failed to decode path: missing value`);
  if ((kind === 'move' || kind === 'copy') && typeof op.from !== 'string') {
    throw rejected(`${kind} operation failed to decode from: missing value`);
  }
  const path = op.path;
  const problem = precheck(doc, op, kind, path);
  if (problem) throw rejected(problem);

  let operation: Obj = { ...op, value: op.value === undefined ? null : op.value };
  if (kind === 'replace' && path !== '') {
    const target = parentOf(doc, path);
    if (target && isObj(target.parent) && !Object.hasOwn(target.parent, target.key))
      operation = { ...operation, op: 'add' };
  }
  if (
    kind === 'replace' &&
    path === '' &&
    (typeof operation.value !== 'object' || operation.value === null)
  ) {
    throw rejected('replace operation value must be object or array');
  }
  try {
    // fast-json-patch's types want a specific operation shape; the prechecks above established it.
    return applyOperation(doc, operation as unknown as fastJsonPatch.Operation, true, true, true).newDocument;
  } catch (err) {
    if (err instanceof JsonPatchError && err.name === 'TEST_OPERATION_FAILED') {
      throw rejected(`testing value ${path} failed: test failed`);
    }
    throw rejected(err instanceof Error ? (err.message.split('\n')[0] ?? String(err)) : String(err));
  }
}

export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (operations === null) return structuredClone(target);
  if (!Array.isArray(operations)) {
    throw errors.badRequest(
      `json: cannot unmarshal ${goJsonType(operations)} into Go value of type jsonpatch.Patch`,
    );
  }
  for (const op of operations) {
    if (op !== null && !isObj(op)) {
      throw errors.badRequest(
        `json: cannot unmarshal ${goJsonType(op)} into Go value of type jsonpatch.Operation`,
      );
    }
  }
  if (operations.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new ApiError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${operations.length}`,
    );
  }
  let doc = structuredClone(target);
  for (const op of operations) doc = applyOne(doc, op);
  return doc;
}
