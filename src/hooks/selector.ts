/**
 * metav1.LabelSelector: validation with field paths, and matching against a pod's labels. An absent selector
 * matches everything, as in Velero; an empty one too (metav1.LabelSelectorAsSelector).
 */
import type { FieldError } from './problems.ts';
import type { LabelSelectorOperator } from './restore-types.ts';
import { labelKeyError, labelValueError } from './k8s-names.ts';

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

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const quote = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** Validates an untrusted selector value found at `path`; never throws. */
export function parseLabelSelector(value: unknown, path: string): SelectorResult {
  if (value === undefined || value === null) return { ok: true, selector: { requirements: [] } };
  if (!isRecord(value)) return { ok: false, errors: [{ field: path, message: 'must be an object' }] };
  const errors: FieldError[] = [];
  const requirements: Requirement[] = [];
  const { matchLabels, matchExpressions } = value;

  if (matchLabels !== undefined && matchLabels !== null) {
    const at = `${path}.matchLabels`;
    if (!isRecord(matchLabels)) errors.push({ field: at, message: 'must be a map of strings' });
    else {
      for (const [k, v] of Object.entries(matchLabels)) {
        const keyError = labelKeyError(k);
        if (keyError) errors.push({ field: at, message: `Invalid value: ${quote(k)}: ${keyError}` });
        if (typeof v !== 'string') {
          errors.push({ field: `${at}[${k}]`, message: 'must be a string' });
          continue;
        }
        const valueError = labelValueError(v);
        if (valueError)
          errors.push({ field: `${at}[${k}]`, message: `Invalid value: ${quote(v)}: ${valueError}` });
        requirements.push({ key: k, operator: 'In', values: [v] });
      }
    }
  }

  if (matchExpressions !== undefined && matchExpressions !== null) {
    const at = `${path}.matchExpressions`;
    if (!Array.isArray(matchExpressions)) errors.push({ field: at, message: 'must be a list' });
    else {
      matchExpressions.forEach((expr: unknown, i) => {
        const here = `${at}[${i}]`;
        if (!isRecord(expr)) {
          errors.push({ field: here, message: 'must be an object' });
          return;
        }
        const { key, operator, values } = expr;
        let ok = true;
        if (typeof key !== 'string') {
          errors.push({ field: `${here}.key`, message: 'Required value: a label key' });
          ok = false;
        } else {
          const keyError = labelKeyError(key);
          if (keyError) {
            errors.push({ field: `${here}.key`, message: `Invalid value: ${quote(key)}: ${keyError}` });
            ok = false;
          }
        }
        const vals: string[] = [];
        if (values !== undefined && values !== null) {
          if (!Array.isArray(values)) {
            errors.push({ field: `${here}.values`, message: 'must be a list of strings' });
            ok = false;
          } else {
            values.forEach((v: unknown, j) => {
              if (typeof v !== 'string') {
                errors.push({ field: `${here}.values[${j}]`, message: 'must be a string' });
                ok = false;
                return;
              }
              const valueError = labelValueError(v);
              if (valueError) {
                errors.push({
                  field: `${here}.values[${j}]`,
                  message: `Invalid value: ${quote(v)}: ${valueError}`,
                });
                ok = false;
              }
              vals.push(v);
            });
          }
        }
        if (!OPERATORS.includes(operator as LabelSelectorOperator)) {
          errors.push({
            field: `${here}.operator`,
            message: `Unsupported value: ${quote(operator)}: supported values: "In", "NotIn", "Exists", "DoesNotExist"`,
          });
          return;
        }
        const op = operator as LabelSelectorOperator;
        if ((op === 'In' || op === 'NotIn') && vals.length === 0) {
          errors.push({
            field: `${here}.values`,
            message: `Required value: must be specified when \`operator\` is '${op}'`,
          });
          ok = false;
        }
        if ((op === 'Exists' || op === 'DoesNotExist') && vals.length > 0) {
          errors.push({
            field: `${here}.values`,
            message: `Forbidden: may not be specified when \`operator\` is '${op}'`,
          });
          ok = false;
        }
        if (ok) requirements.push({ key: key as string, operator: op, values: vals });
      });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, selector: { requirements } };
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
