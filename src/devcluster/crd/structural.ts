/**
 * Structural-schema handling of a custom resource, in kube-apiserver's order: prune unknown fields, apply `default`s,
 * then validate against the OpenAPI v3 schema of the served version. Causes carry the field paths, reasons and
 * messages that apiextensions-apiserver produces from kube-openapi's validation errors
 * (`spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`).
 *
 * Supported: type, properties, additionalProperties, items, required, enum, nullable, minItems/maxItems,
 * minLength/maxLength, minimum/maximum (and their exclusive forms), pattern, format date-time/date (loosely),
 * x-kubernetes-preserve-unknown-fields, x-kubernetes-embedded-resource, x-kubernetes-int-or-string; null values of
 * non-nullable fields are dropped (or defaulted), as upstream does before validation.
 * Not supported (document in docs/devcluster.md): allOf/anyOf/oneOf/not, multipleOf, uniqueItems, min/maxProperties,
 * x-kubernetes-validations (CEL), x-kubernetes-list-type/map-keys uniqueness, formats other than date-time/date.
 * The input is never mutated; no input makes it throw.
 */
import type { StatusCause } from '../api/types.ts';
import { fieldError, root } from '../builtin/field-errors.ts';
import type { FieldPath } from '../builtin/field-errors.ts';
import { getOwn, isJsonObject, setOwn } from '../util/json.ts';
import type { JsonObject } from '../util/json.ts';

type Schema = JsonObject;

const schemaAt = (schema: Schema, key: string): Schema | undefined => {
  const value = getOwn(schema, key);
  return isJsonObject(value) ? value : undefined;
};
const propertiesOf = (schema: Schema): JsonObject => {
  const value = getOwn(schema, 'properties');
  return isJsonObject(value) ? value : {};
};
const flag = (schema: Schema, key: string): boolean => getOwn(schema, key) === true;
const preservesUnknown = (schema: Schema) =>
  flag(schema, 'x-kubernetes-preserve-unknown-fields') || getOwn(schema, 'additionalProperties') === true;
const ROOT_KEEP = ['apiVersion', 'kind', 'metadata'];

export interface PruneAndValidateResult {
  object: unknown;
  causes: StatusCause[];
}

export function pruneAndValidate(schema: unknown, object: unknown): PruneAndValidateResult {
  const s: Schema = isJsonObject(schema) ? schema : {};
  const pruned = pruneAndDefault(s, structuredClone(object), true);
  const causes: StatusCause[] = [];
  validate(s, pruned, root(), causes, true);
  return { object: pruned, causes };
}

// ---------------------------------------------------------------------------------------------------------------
// Pruning and defaulting (on a private copy)

function pruneAndDefault(schema: Schema, value: unknown, isRoot: boolean): unknown {
  if (Array.isArray(value)) {
    const items = schemaAt(schema, 'items');
    return items ? value.map((item) => pruneAndDefault(items, item, false)) : value;
  }
  if (!isJsonObject(value)) return value;
  const properties = propertiesOf(schema);
  const additional = schemaAt(schema, 'additionalProperties');
  const embedded = flag(schema, 'x-kubernetes-embedded-resource');
  const keepUnknown = preservesUnknown(schema);
  const out: JsonObject = {};
  for (const [key, member] of Object.entries(value)) {
    const propertySchema = getOwn(properties, key);
    if ((isRoot || embedded) && ROOT_KEEP.includes(key)) {
      // Never pruned by the schema; ObjectMeta's own coercion is the server's business.
      setOwn(out, key, member);
    } else if (isJsonObject(propertySchema)) {
      if (member === null && !flag(propertySchema, 'nullable')) continue; // defaulted below, or dropped
      setOwn(out, key, pruneAndDefault(propertySchema, member, false));
    } else if (additional) {
      if (member === null && !flag(additional, 'nullable')) continue;
      setOwn(out, key, pruneAndDefault(additional, member, false));
    } else if (keepUnknown) {
      setOwn(out, key, member);
    }
  }
  for (const [key, propertySchema] of Object.entries(properties)) {
    if (!isJsonObject(propertySchema) || Object.hasOwn(out, key)) continue;
    const fallback = getOwn(propertySchema, 'default');
    if (fallback !== undefined)
      setOwn(out, key, pruneAndDefault(propertySchema, structuredClone(fallback), false));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

function typeMatches(type: string, value: unknown): boolean {
  const actual = jsonType(value);
  if (type === 'number') return actual === 'number' || actual === 'integer';
  return actual === type;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const FORMATS: Readonly<Record<string, RegExp>> = { 'date-time': DATE_TIME, date: DATE };

function compilePattern(pattern: string): RegExp | undefined {
  // Go's RE2 syntax is mostly a subset of JavaScript's; try the stricter unicode mode first, then the legacy one.
  for (const flags of ['u', '']) {
    try {
      return new RegExp(pattern, flags);
    } catch {
      // try the next mode
    }
  }
  return undefined;
}

function validate(
  schema: Schema,
  value: unknown,
  path: FieldPath,
  causes: StatusCause[],
  isRoot: boolean,
): void {
  const name = path.path;
  const inBody = `${name} in body`;
  if (value === undefined) return;
  if (value === null) {
    if (flag(schema, 'nullable')) return;
    const type = getOwn(schema, 'type');
    if (typeof type === 'string')
      causes.push(fieldError.typeInvalid(path, 'null', `${inBody} must be of type ${type}: "null"`));
    return;
  }
  if (flag(schema, 'x-kubernetes-int-or-string')) {
    if (!['integer', 'string'].includes(jsonType(value))) {
      causes.push(
        fieldError.typeInvalid(
          path,
          jsonType(value),
          `${inBody} must be of type integer-or-string: "${jsonType(value)}"`,
        ),
      );
      return;
    }
  } else {
    const type = getOwn(schema, 'type');
    if (typeof type === 'string' && type !== '' && !typeMatches(type, value)) {
      causes.push(
        fieldError.typeInvalid(
          path,
          jsonType(value),
          `${inBody} must be of type ${type}: "${jsonType(value)}"`,
        ),
      );
      return;
    }
  }

  const enumValues = getOwn(schema, 'enum');
  if (Array.isArray(enumValues) && !enumValues.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    const supported = enumValues.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)));
    causes.push(fieldError.notSupported(path, value, supported));
  }

  if (typeof value === 'string') validateString(schema, value, path, inBody, causes);
  else if (typeof value === 'number') validateNumber(schema, value, path, inBody, causes);
  else if (Array.isArray(value)) {
    const minItems = getOwn(schema, 'minItems');
    const maxItems = getOwn(schema, 'maxItems');
    if (typeof maxItems === 'number' && value.length > maxItems)
      causes.push(fieldError.tooMany(path, value.length, maxItems));
    if (typeof minItems === 'number' && value.length < minItems) {
      causes.push(fieldError.invalid(path, value.length, `${inBody} should have at least ${minItems} items`));
    }
    const items = schemaAt(schema, 'items');
    if (items) value.forEach((item, i) => validate(items, item, path.index(i), causes, false));
  } else if (isJsonObject(value)) {
    const required = getOwn(schema, 'required');
    if (Array.isArray(required)) {
      for (const key of required) {
        if (typeof key === 'string' && !Object.hasOwn(value, key))
          causes.push(fieldError.required(path.child(key)));
      }
    }
    const properties = propertiesOf(schema);
    const additional = schemaAt(schema, 'additionalProperties');
    const embedded = flag(schema, 'x-kubernetes-embedded-resource');
    for (const [key, member] of Object.entries(value)) {
      if ((isRoot || embedded) && key === 'metadata') continue;
      const propertySchema = getOwn(properties, key);
      if (isJsonObject(propertySchema)) validate(propertySchema, member, path.child(key), causes, false);
      else if (additional) validate(additional, member, path.child(key), causes, false);
    }
    if (embedded) {
      for (const key of ['apiVersion', 'kind']) {
        if (typeof getOwn(value, key) !== 'string' || getOwn(value, key) === '')
          causes.push(fieldError.required(path.child(key), 'must not be empty for embedded resources'));
      }
    }
  }
}

function validateString(
  schema: Schema,
  value: string,
  path: FieldPath,
  inBody: string,
  causes: StatusCause[],
): void {
  const length = [...value].length;
  const maxLength = getOwn(schema, 'maxLength');
  const minLength = getOwn(schema, 'minLength');
  if (typeof maxLength === 'number' && length > maxLength) causes.push(fieldError.tooLong(path, maxLength));
  if (typeof minLength === 'number' && length < minLength) {
    causes.push(fieldError.invalid(path, value, `${inBody} should be at least ${minLength} chars long`));
  }
  const pattern = getOwn(schema, 'pattern');
  if (typeof pattern === 'string') {
    const regex = compilePattern(pattern);
    if (regex && !regex.test(value))
      causes.push(fieldError.invalid(path, value, `${inBody} should match '${pattern}'`));
  }
  const format = getOwn(schema, 'format');
  const formatRegex = typeof format === 'string' ? FORMATS[format] : undefined;
  if (formatRegex && !formatRegex.test(value)) {
    causes.push(
      fieldError.typeInvalid(
        path,
        value,
        `${inBody} must be of type ${String(format)}: ${JSON.stringify(value)}`,
      ),
    );
  }
}

function validateNumber(
  schema: Schema,
  value: number,
  path: FieldPath,
  inBody: string,
  causes: StatusCause[],
): void {
  const minimum = getOwn(schema, 'minimum');
  const maximum = getOwn(schema, 'maximum');
  if (typeof minimum === 'number') {
    if (flag(schema, 'exclusiveMinimum') ? value <= minimum : value < minimum) {
      const how = flag(schema, 'exclusiveMinimum') ? 'greater than' : 'greater than or equal to';
      causes.push(fieldError.invalid(path, value, `${inBody} should be ${how} ${minimum}`));
    }
  }
  if (typeof maximum === 'number') {
    if (flag(schema, 'exclusiveMaximum') ? value >= maximum : value > maximum) {
      const how = flag(schema, 'exclusiveMaximum') ? 'less than' : 'less than or equal to';
      causes.push(fieldError.invalid(path, value, `${inBody} should be ${how} ${maximum}`));
    }
  }
}
