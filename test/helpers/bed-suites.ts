/**
 * Suites that run on both beds. `describeOnBeds` registers the suite on the bed RESTORE_HOOKS_TEST_BED selects, with
 * the bed in its title. A case (or a whole suite) that cannot run on real Kubernetes is not registered there: it is
 * recorded here by name with the reason, and `npm run test:real` prints and counts the list (test/real/root-hooks.ts).
 * Nothing is skipped silently.
 */
import { selectedBed } from './bed.ts';
import type { BedKind } from './bed.ts';

export interface NotApplicable {
  /** The full title the case has on the devcluster, with the bed replaced by `real`. */
  readonly title: string;
  readonly reason: string;
}

const notApplicable: NotApplicable[] = [];

/** The cases the loaded suites did not register on the real bed, with their reasons. */
export function notApplicableOnReal(): readonly NotApplicable[] {
  return notApplicable;
}

export interface BedSuite {
  readonly kind: BedKind;
  /** Registers the case on the devcluster; on real Kubernetes it is listed as not applicable, with the reason. */
  devclusterOnly(title: string, reason: string, fn: Mocha.AsyncFunc): void;
}

/** The title suffix that names the bed, so the same case has a distinct full title on each. */
export const bedTitle = (title: string, kind: BedKind) => `${title} [${kind}]`;

export function describeOnBeds(title: string, body: (this: Mocha.Suite, bed: BedSuite) => void): Mocha.Suite {
  const kind = selectedBed();
  return describe(bedTitle(title, kind), function () {
    body.call(this, bedSuite(this, kind));
  });
}

function bedSuite(suite: Mocha.Suite, kind: BedKind): BedSuite {
  return {
    kind,
    devclusterOnly(caseTitle, reason, fn) {
      if (kind === 'devcluster') it(caseTitle, fn);
      else notApplicable.push({ title: `${suite.fullTitle()} ${caseTitle}`, reason });
    },
  };
}

/** A suite that runs on the devcluster only (fault injection, the request counter, the demo), with the reason. */
export function describeOnDevclusterOnly(
  title: string,
  reason: string,
  body: (this: Mocha.Suite) => void,
): Mocha.Suite | undefined {
  if (selectedBed() === 'devcluster') return describe(bedTitle(title, 'devcluster'), body);
  notApplicable.push({ title: `${bedTitle(title, 'real')} (the whole suite)`, reason });
  return undefined;
}
