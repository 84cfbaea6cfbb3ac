/**
 * Mocha root hooks for `npm run test:real`: before the run, the cases listed in known-failures.yaml are wrapped (see
 * known-failures.ts); after it, the summary is printed: passed, failed, known failures and the cases not applicable on
 * real Kubernetes, by name. With RESTORE_HOOKS_KNOWN_FAILURES_STRICT=1 (the whole real run), a listed case that no
 * suite has fails the run: the list names only cases that exist.
 */
import { readFileSync } from 'node:fs';
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
    stale = applyKnownFailures(
      root,
      parseKnownFailures(readFileSync(FILE, 'utf8'), 'test/real/known-failures.yaml'),
      ledger,
    );
  },
  afterAll() {
    if (!root) return;
    process.stdout.write(formatSummary(summarize(root, ledger, notApplicableOnReal(), stale)));
    if (process.env.RESTORE_HOOKS_KNOWN_FAILURES_STRICT === '1' && stale.length > 0)
      throw new Error(
        `test/real/known-failures.yaml lists ${stale.length} case(s) that no suite has: ${stale.map((k) => k.title).join('; ')}`,
      );
  },
};
