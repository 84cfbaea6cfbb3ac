import { expect } from 'chai';
import Mocha from 'mocha';
import {
  KnownFailureLedger,
  applyKnownFailures,
  formatSummary,
  parseKnownFailures,
  summarize,
} from './known-failures.ts';

/** Runs a suite tree with mocha's own runner, no reporter; resolves to the number of failures. */
function run(root: Mocha.Suite, errors: string[] = []): Promise<number> {
  return new Promise((resolve) => {
    const runner = new Mocha.Runner(root);
    runner.on('fail', (_test, err: Error) => errors.push(err.message));
    runner.run(resolve);
  });
}

function tree(cases: Record<string, Mocha.Func | Mocha.AsyncFunc>): Mocha.Suite {
  const root = Object.assign(new Mocha.Suite('', new Mocha.Context()), { root: true });
  const suite = Mocha.Suite.create(root, 'e2e [real]');
  for (const [title, fn] of Object.entries(cases)) suite.addTest(new Mocha.Test(title, fn));
  return root;
}

const fails = async () => {
  throw new Error('no app container starts before its hooks\nmore detail');
};
const passes = async () => {};

describe('known failures on the real bed (known-failures.ts)', () => {
  describe('parseKnownFailures', () => {
    const cases: { text: string; error?: RegExp; titles?: string[] }[] = [
      { text: '[]', titles: [] },
      { text: '', titles: [] },
      { text: '- title: a b\n  reason: issue 16\n- title: c\n  reason: r\n', titles: ['a b', 'c'] },
      { text: 'title: a', error: /^k\.yaml: expected a list/ },
      { text: '- just a string', error: /^k\.yaml\[0\]: expected a mapping/ },
      { text: '- reason: r', error: /^k\.yaml\[0\]\.title: / },
      { text: '- title: a\n  reason: "  "', error: /^k\.yaml\[0\]\.reason: / },
      { text: '- title: a\n  reason: r\n  issue: 16', error: /^k\.yaml\[0\]\.issue: unknown field/ },
      {
        text: '- title: a\n  reason: r\n  unstable: true',
        error: /^k\.yaml\[0\]\.unstable: unknown field \(expected title and reason\)/,
      },
      {
        text: '- {title: a, reason: r}\n- {title: a, reason: s}',
        error: /^k\.yaml\[1\]\.title: listed twice/,
      },
    ];
    for (const c of cases)
      it(`${JSON.stringify(c.text)} → ${c.error ? c.error.source : JSON.stringify(c.titles)}`, () => {
        if (c.error) expect(() => parseKnownFailures(c.text, 'k.yaml')).to.throw(c.error);
        else expect(parseKnownFailures(c.text, 'k.yaml').map((k) => k.title)).to.deep.equal(c.titles);
      });
  });

  describe('a run with listed and unlisted cases', () => {
    it('a listed case that fails is a known failure and does not fail the run; unlisted cases count as usual', async () => {
      const root = tree({ 'race at 1 s': fails, 'seed scenario': passes });
      const ledger = new KnownFailureLedger();
      const stale = applyKnownFailures(
        root,
        [{ title: 'e2e [real] race at 1 s', reason: 'issue 16: admission race' }],
        ledger,
      );
      expect(stale).to.deep.equal([]);
      expect(await run(root)).to.equal(0);
      expect(ledger.failedAsExpected).to.deep.equal([
        {
          title: 'e2e [real] race at 1 s',
          reason: 'issue 16: admission race',
          error: 'no app container starts before its hooks',
        },
      ]);
      const summary = summarize(
        root,
        ledger,
        [{ title: 'x [real] injector', reason: 'devcluster faults' }],
        stale,
      );
      expect(summary).to.include({ passed: 1, failed: 0, notRun: 0 });
      const text = formatSummary('real', summary);
      expect(text).to.contain('1 passed, 0 failed, 1 known failures, 1 not applicable');
      expect(text).to.contain('  - e2e [real] race at 1 s\n      reason: issue 16: admission race');
      expect(text).to.contain('  - x [real] injector\n      reason: devcluster faults');
    });

    it('a listed case that passes fails the run, saying to remove it from the list', async () => {
      const root = tree({ fixed: passes });
      const ledger = new KnownFailureLedger();
      applyKnownFailures(root, [{ title: 'e2e [real] fixed', reason: 'issue 16' }], ledger);
      const errors: string[] = [];
      expect(await run(root, errors)).to.equal(1);
      expect(root.suites[0]!.tests[0]!.state).to.equal('failed');
      expect(errors).to.have.length(1);
      expect(errors[0]).to.match(/listed as a known failure \(issue 16\) but it passed: remove it/);
      expect(ledger.passedUnexpectedly.map((k) => k.title)).to.deep.equal(['e2e [real] fixed']);
      expect(summarize(root, ledger, [], [])).to.include({ passed: 0, failed: 1 });
    });

    it('an unlisted failure fails the run; a listed title no case has is returned as stale', async () => {
      const root = tree({ broken: fails });
      const ledger = new KnownFailureLedger();
      const stale = applyKnownFailures(root, [{ title: 'e2e [real] renamed', reason: 'r' }], ledger);
      expect(stale.map((k) => k.title)).to.deep.equal(['e2e [real] renamed']);
      expect(await run(root)).to.equal(1);
      expect(ledger.failedAsExpected).to.deep.equal([]);
      expect(formatSummary('real', summarize(root, ledger, [], stale))).to.contain(
        'listed in known-failures.yaml but no such case (1):\n  - e2e [real] renamed',
      );
    });

    it('a listed callback-style case is wrapped too: its failure is known, not a timeout', async () => {
      const root = tree({
        callback: (done: Mocha.Done) => setImmediate(() => done(new Error('hooks after the app'))),
      });
      const ledger = new KnownFailureLedger();
      applyKnownFailures(root, [{ title: 'e2e [real] callback', reason: 'r' }], ledger);
      expect(await run(root)).to.equal(0);
      expect(ledger.failedAsExpected.map((k) => k.error)).to.deep.equal(['hooks after the app']);
    });
  });
});
