/** The `--faults FILE` document: `{"seed": N, "rules": [...]}`, validated with messages naming the field. */
import { FaultRuleError, parseFaultRule } from './rules.ts';

export interface FaultsFile {
  seed?: number;
  rules?: unknown[];
}

/** Parses and validates a faults document; throws FaultRuleError naming the field. */
export function parseFaultsFile(text: string): FaultsFile {
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch (e) {
    throw new FaultRuleError(`not valid JSON: ${(e as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new FaultRuleError('must be a JSON object {"seed": N, "rules": [...]}');
  const { seed, rules, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new FaultRuleError(`${unknown}: unknown field (expected seed, rules)`);
  if (seed !== undefined && !Number.isInteger(seed)) throw new FaultRuleError('seed: must be an integer');
  if (rules !== undefined && !Array.isArray(rules)) throw new FaultRuleError('rules: must be a list');
  (rules ?? []).forEach((r: unknown, i: number) => parseFaultRule(r, `rules[${i}]`, `rule-${i + 1}`));
  return { ...(seed !== undefined ? { seed: seed as number } : {}), ...(rules ? { rules } : {}) };
}
