/**
 * Known failures on a bed (mostly the real control plane): cases, by mocha full title, that are expected to fail until an issue is
 * fixed. A listed case that fails is reported as a known failure and does not fail the run; a listed case that passes
 * fails the run (so it leaves the list as soon as it is fixed); an unlisted failure fails the run as always.
 */
import { parse } from 'yaml';
import type { NotApplicable } from '../helpers/bed-suites.ts';

export interface KnownFailure {
  readonly title: string;
  readonly reason: string;
}

export interface KnownFailureOutcome extends KnownFailure {
  /** The first line of the error the case failed with. */
  readonly error: string;
}

/** What the listed cases did in this run. */
export class KnownFailureLedger {
  readonly failedAsExpected: KnownFailureOutcome[] = [];
  readonly passedUnexpectedly: KnownFailure[] = [];
}

/** Parses known-failures.yaml: a list of {title, reason}; errors name the file and the field. */
export function parseKnownFailures(text: string, file = 'known-failures.yaml'): KnownFailure[] {
  const doc = parse(text) as unknown;
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new Error(`${file}: expected a list of {title, reason}`);
  const seen = new Set<string>();
  return doc.map((entry: unknown, i) => {
    const at = `${file}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw new Error(`${at}: expected a mapping with title and reason`);
    const { title, reason, ...rest } = entry as Record<string, unknown>;
    const unknownKeys = Object.keys(rest);
    if (unknownKeys.length > 0)
      throw new Error(`${at}.${unknownKeys[0]}: unknown field (expected title and reason)`);
    if (typeof title !== 'string' || title.trim() === '')
      throw new Error(`${at}.title: expected the case's full title`);
    if (typeof reason !== 'string' || reason.trim() === '')
      throw new Error(`${at}.reason: expected why the case fails (and the issue that fixes it)`);
    if (seen.has(title)) throw new Error(`${at}.title: listed twice: ${title}`);
    seen.add(title);
    return { title, reason: reason.trim() };
  });
}

/** Every test under the suite, depth first. */
export function allTests(suite: Mocha.Suite): Mocha.Test[] {
  return [...suite.tests, ...suite.suites.flatMap(allTests)];
}

/**
 * Wraps every listed test under `root` so that its failure is recorded in the ledger instead of failing, and its
 * success fails. Returns the listed titles that no loaded test has.
 */
export function applyKnownFailures(
  root: Mocha.Suite,
  known: readonly KnownFailure[],
  ledger: KnownFailureLedger,
): KnownFailure[] {
  const byTitle = new Map(known.map((k) => [k.title, k]));
  const found = new Set<string>();
  for (const test of allTests(root)) {
    const entry = byTitle.get(test.fullTitle());
    if (!entry || !test.fn) continue;
    found.add(entry.title);
    const original = test.fn;
    const wrapped = async function (this: Mocha.Context): Promise<void> {
      try {
        await runCase(original, this);
      } catch (e) {
        const error = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
        ledger.failedAsExpected.push({ ...entry, error });
        return;
      }
      ledger.passedUnexpectedly.push(entry);
      throw new Error(
        `listed as a known failure (${entry.reason}) but it passed: remove it from test/real/known-failures.yaml`,
      );
    };
    test.fn = wrapped;
    // Mocha decided from the original function's arity whether it takes a callback; the wrapper never does.
    Object.assign(test, { async: 0, sync: true });
  }
  return known.filter((k) => !found.has(k.title));
}

function runCase(fn: Mocha.Func | Mocha.AsyncFunc, context: Mocha.Context): Promise<unknown> {
  if (fn.length === 0) return Promise.resolve((fn as Mocha.AsyncFunc).call(context));
  return new Promise((resolve, reject) =>
    (fn as Mocha.Func).call(context, (err?: unknown) => (err ? reject(err as Error) : resolve(undefined))),
  );
}

export interface RunSummary {
  readonly passed: number;
  readonly failed: number;
  /** Registered but never run: a before-all hook failed. */
  readonly notRun: number;
  readonly knownFailures: readonly KnownFailureOutcome[];
  readonly notApplicable: readonly NotApplicable[];
  /** Listed in known-failures.yaml but no loaded case has the title. */
  readonly staleEntries: readonly KnownFailure[];
}

/** Counts the tests under `root` after the run; a known failure counts as such, not as passed. */
export function summarize(
  root: Mocha.Suite,
  ledger: KnownFailureLedger,
  notApplicable: readonly NotApplicable[],
  staleEntries: readonly KnownFailure[],
): RunSummary {
  const tests = allTests(root);
  const state = (s: string | undefined) => tests.filter((t) => t.state === s).length;
  return {
    passed: state('passed') - ledger.failedAsExpected.length,
    failed: state('failed'),
    notRun: tests.filter((t) => t.state === undefined && !t.isPending()).length,
    knownFailures: ledger.failedAsExpected,
    notApplicable,
    staleEntries,
  };
}

export function formatSummary(bed: string, s: RunSummary): string {
  const lines = [
    '',
    `bed ${bed}: ${s.passed} passed, ${s.failed} failed, ${s.knownFailures.length} known failures, ` +
      `${s.notApplicable.length} not applicable${s.notRun > 0 ? `, ${s.notRun} not run (a hook failed)` : ''}`,
  ];
  if (s.knownFailures.length > 0) {
    lines.push(`known failures (${s.knownFailures.length}), from test/real/known-failures.yaml:`);
    for (const k of s.knownFailures)
      lines.push(`  - ${k.title}`, `      reason: ${k.reason}`, `      failed: ${k.error}`);
  }
  if (s.notApplicable.length > 0) {
    lines.push(`not applicable on real Kubernetes (${s.notApplicable.length}):`);
    for (const n of s.notApplicable) lines.push(`  - ${n.title}`, `      reason: ${n.reason}`);
  }
  if (s.staleEntries.length > 0) {
    lines.push(`listed in known-failures.yaml but no such case (${s.staleEntries.length}):`);
    for (const k of s.staleEntries) lines.push(`  - ${k.title}`);
  }
  return `${lines.join('\n')}\n`;
}
