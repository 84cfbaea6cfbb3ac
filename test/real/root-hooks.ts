/**
 * Mocha root hooks for `npm test` (.mocharc.json) and `npm run test:real`: before the run, the cases listed in known-failures.yaml are wrapped (see
 * known-failures.ts); after it, the summary is printed: passed, failed, known failures and the cases not applicable on
 * real Kubernetes, by name. With RESTORE_HOOKS_KNOWN_FAILURES_STRICT=1 (the whole real run), a listed case that no
 * suite has fails the run: the list names only cases that exist.
 */
import { readFileSync } from 'node:fs';
import { BED_KINDS, selectedBed } from '../helpers/bed.ts';
import { notApplicableOnReal } from '../helpers/bed-suites.ts';
import {
  KnownFailureLedger,
  applyKnownFailures,
  formatSummary,
  parseKnownFailures,
  summarize,
} from './known-failures.ts';
import type { KnownFailure } from './known-failures.ts';

const FILE = new URL('./known-failures.yaml', import.meta.url);
const ledger = new KnownFailureLedger();
let root: Mocha.Suite | undefined;
let stale: KnownFailure[] = [];

export const mochaHooks = {
  beforeAll(this: Mocha.Context) {
    root = this.test?.parent;
    while (root?.parent) root = root.parent;
    if (!root) throw new Error('root-hooks: no root suite');
    const bed = selectedBed();
    const known = parseKnownFailures(readFileSync(FILE, 'utf8'), 'test/real/known-failures.yaml');
    // Titles name their bed ([devcluster] or [real]); only this bed's entries apply.
    const other = BED_KINDS.filter((k) => k !== bed).map((k) => `[${k}]`);
    stale = applyKnownFailures(
      root,
      known.filter((k) => !other.some((marker) => k.title.includes(marker))),
      ledger,
    );
  },
  afterAll() {
    if (!root) return;
    process.stdout.write(formatSummary(selectedBed(), summarize(root, ledger, notApplicableOnReal(), stale)));
    if (process.env.RESTORE_HOOKS_KNOWN_FAILURES_STRICT === '1' && stale.length > 0)
      throw new Error(
        `test/real/known-failures.yaml lists ${stale.length} case(s) that no suite has: ${stale.map((k) => k.title).join('; ')}`,
      );
  },
};
