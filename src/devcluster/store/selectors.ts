import { errors } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';

/** A parsed label selector requirement, as in k8s.io/apimachinery/pkg/labels. */
export type LabelRequirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'in' | 'notin'; values: readonly string[] };

export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
}

export interface FieldRequirement {
  readonly field: string;
  readonly op: '=' | '!=';
  readonly value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  matches(fields: Readonly<Record<string, string>>): boolean;
}

const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function labelSelectorError(selector: string, why: string) {
  return errors.badRequest(
    `unable to parse requirement: ${why} (in label selector ${JSON.stringify(selector)})`,
  );
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts;
}

function checkKey(selector: string, key: string): string {
  if (!LABEL_KEY.test(key) || key.length > 316)
    throw labelSelectorError(selector, `invalid label key ${JSON.stringify(key)}`);
  return key;
}

function checkValue(selector: string, value: string): string {
  if (!LABEL_VALUE.test(value) || value.length > 63)
    throw labelSelectorError(selector, `invalid label value ${JSON.stringify(value)}`);
  return value;
}

const SET_REQUIREMENT = /^(\S+)\s+(in|notin)\s*\((.*)\)$/;
const EQUALITY_REQUIREMENT = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/;

function parseRequirement(selector: string, text: string): LabelRequirement {
  const t = text.trim();
  if (t === '') throw labelSelectorError(selector, 'found empty requirement');
  if (t.startsWith('!')) return { key: checkKey(selector, t.slice(1).trim()), op: 'notexists' };
  const set = SET_REQUIREMENT.exec(t);
  if (set) {
    const values = set[3]!
      .split(',')
      .map((v) => v.trim())
      .filter((v, i, all) => v !== '' || all.length > 1);
    if (values.length === 0)
      throw labelSelectorError(selector, `for 'in', 'notin' operators, values set can't be empty`);
    return {
      key: checkKey(selector, set[1]!),
      op: set[2] as 'in' | 'notin',
      values: values.map((v) => checkValue(selector, v)),
    };
  }
  const eq = EQUALITY_REQUIREMENT.exec(t);
  if (eq) {
    const values = [checkValue(selector, eq[3]!)];
    return { key: checkKey(selector, eq[1]!), op: eq[2] === '!=' ? 'notin' : 'in', values };
  }
  if (/^\S+$/.test(t)) return { key: checkKey(selector, t), op: 'exists' };
  throw labelSelectorError(selector, `unrecognized requirement ${JSON.stringify(t)}`);
}

function requirementMatches(
  r: LabelRequirement,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  switch (r.op) {
    case 'exists':
      return has;
    case 'notexists':
      return !has;
    case 'in':
      return has && r.values.includes(labels[r.key]!);
    case 'notin':
      return !has || !r.values.includes(labels[r.key]!);
  }
}

/** Parses a label selector (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`); throws a 400 ApiError when invalid. */
export function parseLabelSelector(selector: string | undefined): LabelSelector {
  const requirements =
    selector === undefined || selector.trim() === ''
      ? []
      : splitTopLevel(selector).map((p) => parseRequirement(selector, p));
  return {
    requirements,
    matches: (labels) => requirements.every((r) => requirementMatches(r, labels)),
  };
}

/** Splits on unescaped commas and unescapes `\,` `\=` `\\` like fields.ParseSelector. */
function splitFieldTerms(selector: string): string[] {
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i]!;
    if (c === '\\' && i + 1 < selector.length) {
      current += c + selector[++i];
    } else if (c === ',') {
      terms.push(current);
      current = '';
    } else current += c;
  }
  terms.push(current);
  return terms;
}

function unescapeField(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

/**
 * Parses a field selector (`f=v`, `f==v`, `f!=v`) and checks every field against the resource's supported labels;
 * throws a 400 ApiError like kube-apiserver (`field label not supported: x`).
 */
export function parseFieldSelector(
  selector: string | undefined,
  supported: ReadonlySet<string>,
): FieldSelector {
  const requirements: FieldRequirement[] = [];
  if (selector !== undefined && selector.trim() !== '') {
    for (const term of splitFieldTerms(selector)) {
      const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term.trim());
      if (!m) throw errors.badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
      const field = m[1]!.trim();
      if (!supported.has(field)) throw errors.badRequest(`field label not supported: ${field}`);
      requirements.push({ field, op: m[2] === '!=' ? '!=' : '=', value: unescapeField(m[3]!) });
    }
  }
  return {
    requirements,
    matches: (fields) => requirements.every((r) => ((fields[r.field] ?? '') === r.value) === (r.op === '=')),
  };
}

/** Both selectors of a list or watch, evaluated against a stored object. */
export interface ObjectSelector {
  readonly key: string;
  matches(object: KubeObject): boolean;
}
