/**
 * Field errors as k8s.io/apimachinery/pkg/util/validation/field builds them, turned into the StatusCauses of a
 * 422 Invalid: `reason` is the error type (FieldValueInvalid ...), `message` the ErrorBody (`Invalid value: "x":
 * detail`), `field` the path (`spec.containers[0].image`).
 */
import type { StatusCause } from '../api/types.ts';

/** A field path: `spec.containers[0].name`, map keys as `metadata.annotations[key]`. */
export class FieldPath {
  readonly path: string;
  constructor(path = '') {
    this.path = path;
  }
  child(...names: string[]): FieldPath {
    return new FieldPath(names.reduce((p, n) => (p ? `${p}.${n}` : n), this.path));
  }
  index(i: number): FieldPath {
    return new FieldPath(`${this.path}[${i}]`);
  }
  key(k: string): FieldPath {
    return new FieldPath(`${this.path}[${k}]`);
  }
  toString(): string {
    return this.path;
  }
}

export const root = (name?: string): FieldPath => new FieldPath(name ?? '');

/**
 * How ErrorBody renders a bad value: numbers and booleans plainly, strings quoted, anything else as JSON (Go's
 * json.Marshal, which sorts map keys). null/undefined render as `null`.
 */
export function renderValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

function cause(reason: string, path: FieldPath, body: string, detail = ''): StatusCause {
  return { reason, message: detail ? `${body}: ${detail}` : body, field: path.path };
}

export const fieldError = {
  required: (path: FieldPath, detail = '') => cause('FieldValueRequired', path, 'Required value', detail),
  invalid: (path: FieldPath, value: unknown, detail = '') =>
    cause('FieldValueInvalid', path, `Invalid value: ${renderValue(value)}`, detail),
  typeInvalid: (path: FieldPath, value: unknown, detail = '') =>
    cause('FieldValueTypeInvalid', path, `Invalid value: ${renderValue(value)}`, detail),
  duplicate: (path: FieldPath, value: unknown) =>
    cause('FieldValueDuplicate', path, `Duplicate value: ${renderValue(value)}`),
  notFound: (path: FieldPath, value: unknown) =>
    cause('FieldValueNotFound', path, `Not found: ${renderValue(value)}`),
  forbidden: (path: FieldPath, detail: string) => cause('FieldValueForbidden', path, 'Forbidden', detail),
  notSupported: (path: FieldPath, value: unknown, supported: readonly string[]) =>
    cause(
      'FieldValueNotSupported',
      path,
      `Unsupported value: ${renderValue(value)}`,
      supported.length > 0 ? `supported values: ${supported.map((v) => JSON.stringify(v)).join(', ')}` : '',
    ),
  tooLong: (path: FieldPath, maxLength: number) =>
    cause(
      'FieldValueTooLong',
      path,
      'Too long',
      `may not be more than ${maxLength} ${maxLength === 1 ? 'byte' : 'bytes'}`,
    ),
  tooMany: (path: FieldPath, actual: number, max: number) =>
    cause(
      'FieldValueTooMany',
      path,
      `Too many: ${actual}`,
      `must have at most ${max} ${max === 1 ? 'item' : 'items'}`,
    ),
};

export const IMMUTABLE = 'field is immutable';
