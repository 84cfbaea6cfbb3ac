/**
 * metav1.LabelSelector: validation with field paths, and matching against a pod's labels. An absent selector
 * matches everything, as in Velero; an empty one too (metav1.LabelSelectorAsSelector).
 */
import type { FieldError } from './problems.ts';
import type { LabelSelectorOperator } from './restore-types.ts';
import { labelKeyError, labelValueError } from './k8s-names.ts';
import { isRecord } from '../kube/json.ts';

const OPERATORS: readonly LabelSelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

interface Requirement {
  readonly key: string;
  readonly operator: LabelSelectorOperator;
  readonly values: readonly string[];
}

/** A selector that passed validation; only `parseLabelSelector` makes one. */
export interface CompiledSelector {
  readonly requirements: readonly Requirement[];
}

export type SelectorResult =
  { ok: true; selector: CompiledSelector } | { ok: false; errors: readonly FieldError[] };

const quote = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** Validates an untrusted selector value found at `path`; never throws. */
export function parseLabelSelector(value: unknown, path: string): SelectorResult {
  if (value === undefined || value === null) return { ok: true, selector: { requirements: [] } };
  if (!isRecord(value)) return { ok: false, errors: [{ field: path, message: 'must be an object' }] };
  const errors: FieldError[] = [];
  const requirements: Requirement[] = [];
  const { matchLabels, matchExpressions } = value;

  if (matchLabels !== undefined && matchLabels !== null) {
    requirements.push(...parseMatchLabels(matchLabels, `${path}.matchLabels`, errors));
  }
  if (matchExpressions !== undefined && matchExpressions !== null) {
    const at = `${path}.matchExpressions`;
    if (!Array.isArray(matchExpressions)) errors.push({ field: at, message: 'must be a list' });
    else {
      matchExpressions.forEach((expr: unknown, i) => {
        const requirement = parseMatchExpression(expr, `${at}[${i}]`, errors);
        if (requirement) requirements.push(requirement);
      });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, selector: { requirements } };
}

/** `matchLabels` at `at`: one In requirement per entry; problems are added to `errors`. */
/** A label value at `field`: false when it is no string; an invalid value is kept, and its error recorded. */
function checkLabelValue(v: unknown, field: string, errors: FieldError[]): v is string {
  if (typeof v !== 'string') {
    errors.push({ field, message: 'must be a string' });
    return false;
  }
  const valueError = labelValueError(v);
  if (valueError) errors.push({ field, message: `Invalid value: ${quote(v)}: ${valueError}` });
  return true;
}

function parseMatchLabels(matchLabels: unknown, at: string, errors: FieldError[]): Requirement[] {
  if (!isRecord(matchLabels)) {
    errors.push({ field: at, message: 'must be a map of strings' });
    return [];
  }
  const requirements: Requirement[] = [];
  for (const [k, v] of Object.entries(matchLabels)) {
    const keyError = labelKeyError(k);
    if (keyError) errors.push({ field: at, message: `Invalid value: ${quote(k)}: ${keyError}` });
    if (checkLabelValue(v, `${at}[${k}]`, errors)) requirements.push({ key: k, operator: 'In', values: [v] });
  }
  return requirements;
}

/** One of `matchExpressions`, at `here`: its requirement, or undefined with its problems added to `errors`. */
function parseMatchExpression(expr: unknown, here: string, errors: FieldError[]): Requirement | undefined {
  if (!isRecord(expr)) {
    errors.push({ field: here, message: 'must be an object' });
    return undefined;
  }
  const { key, operator, values } = expr;
  const before = errors.length;
  if (typeof key !== 'string') {
    errors.push({ field: `${here}.key`, message: 'Required value: a label key' });
  } else {
    const keyError = labelKeyError(key);
    if (keyError) errors.push({ field: `${here}.key`, message: `Invalid value: ${quote(key)}: ${keyError}` });
  }
  const vals = parseValues(values, `${here}.values`, errors);
  if (!OPERATORS.includes(operator as LabelSelectorOperator)) {
    errors.push({
      field: `${here}.operator`,
      message: `Unsupported value: ${quote(operator)}: supported values: "In", "NotIn", "Exists", "DoesNotExist"`,
    });
    return undefined;
  }
  const op = operator as LabelSelectorOperator;
  if ((op === 'In' || op === 'NotIn') && vals.length === 0) {
    errors.push({
      field: `${here}.values`,
      message: `Required value: must be specified when \`operator\` is '${op}'`,
    });
  }
  if ((op === 'Exists' || op === 'DoesNotExist') && vals.length > 0) {
    errors.push({
      field: `${here}.values`,
      message: `Forbidden: may not be specified when \`operator\` is '${op}'`,
    });
  }
  return errors.length === before ? { key: key as string, operator: op, values: vals } : undefined;
}

/** A requirement's `values` at `at`: the strings among them; problems are added to `errors`. */
function parseValues(values: unknown, at: string, errors: FieldError[]): string[] {
  if (values === undefined || values === null) return [];
  if (!Array.isArray(values)) {
    errors.push({ field: at, message: 'must be a list of strings' });
    return [];
  }
  return values.filter((v: unknown, j): v is string => checkLabelValue(v, `${at}[${j}]`, errors));
}

/** True when every requirement holds for the labels (an empty selector matches everything). */
export function matchesLabelSelector(
  selector: CompiledSelector,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const has = (k: string): boolean => labels !== undefined && Object.hasOwn(labels, k);
  return selector.requirements.every((r) => {
    switch (r.operator) {
      case 'In':
        return has(r.key) && r.values.includes(labels![r.key]!);
      case 'NotIn':
        return !has(r.key) || !r.values.includes(labels![r.key]!);
      case 'Exists':
        return has(r.key);
      case 'DoesNotExist':
        return !has(r.key);
    }
  });
}
