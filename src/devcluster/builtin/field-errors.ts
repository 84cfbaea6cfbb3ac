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
 * A value already spelled as Go's `%#v` prints it (ErrorBody's fallback for values that are neither numbers,
 * booleans, strings nor Stringers), e.g. `map[string]string{"app":"a"}`.
 */
export class GoLiteral {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

const goQuote = (value: unknown) => JSON.stringify(typeof value === 'string' ? value : String(value));

/** `map[string]string{"a":"1", "b":"2"}` (keys sorted, as fmt prints maps); `map[string]string(nil)` if absent. */
export function goStringMap(value: unknown): GoLiteral {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return new GoLiteral('map[string]string(nil)');
  const entries = Object.keys(value)
    .sort()
    .map((k) => `${goQuote(k)}:${goQuote((value as Record<string, unknown>)[k])}`);
  return new GoLiteral(`map[string]string{${entries.join(', ')}}`);
}

/** `[]string{"a", "b"}`; `[]string(nil)` if absent. */
export function goStringSlice(value: unknown): GoLiteral {
  if (!Array.isArray(value)) return new GoLiteral('[]string(nil)');
  return new GoLiteral(`[]string{${value.map(goQuote).join(', ')}}`);
}

/** A metav1.LabelSelector as `%#v` prints it. */
export function goLabelSelector(value: unknown): GoLiteral {
  const selector = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const expressions = Array.isArray(selector.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${selector.matchExpressions
        .map((raw) => {
          const e = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
          return `v1.LabelSelectorRequirement{Key:${goQuote(e.key ?? '')}, Operator:${goQuote(e.operator ?? '')}, Values:${goStringSlice(e.values).text}}`;
        })
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new GoLiteral(
    `v1.LabelSelector{MatchLabels:${goStringMap(selector.matchLabels).text}, MatchExpressions:${expressions}}`,
  );
}

/**
 * How ErrorBody renders a bad value: numbers and booleans plainly, strings quoted, nil as `"null"`, GoLiteral as
 * given. Other structured values fall back to JSON with sorted keys, where kube-apiserver prints Go's `%#v` of its
 * internal types (a documented divergence).
 */
export function renderValue(value: unknown): string {
  if (value === undefined || value === null) return '"null"';
  if (value instanceof GoLiteral) return value.text;
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
      // apimachinery v0.32 has no singular here (later versions print `1 byte`).
      `may not be more than ${maxLength} bytes`,
    ),
  tooMany: (path: FieldPath, actual: number, max: number) =>
    cause('FieldValueTooMany', path, `Too many: ${actual}`, `must have at most ${max} items`),
};

export const IMMUTABLE = 'field is immutable';
