import { expect } from 'chai';
import fc from 'fast-check';
import {
  ALL_MARKED,
  NOTHING,
  desiredPodSelector,
  mayCreatePods,
  sameSelector,
  selectorMayChange,
  selectorValues,
} from '../../../src/controller/admission/pod-selector.ts';
import type { SelectorRestore } from '../../../src/controller/admission/pod-selector.ts';
import { webhookConfiguration } from '../../../src/controller/admission/webhook-configuration.ts';
import { RESTORE_LABEL } from '../../../src/controller/marks.ts';
import type { RestoreTiming } from '../../../src/controller/restore-activity.ts';
import type { KubeObject } from '../../../src/devcluster/api/types.ts';
import { selectorMatches, validateCreate } from '../../../src/devcluster/builtin/validation.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const HOUR = 3_600_000;
const restore = (name: string, status?: RestoreTiming): SelectorRestore => ({
  metadata: { name },
  ...(status ? { status } : {}),
});

describe('pod selector: which Restores may still create pods', () => {
  const cases: Array<[string, RestoreTiming | undefined, boolean]> = [
    ['no status yet (just created: before Velero creates anything)', undefined, true],
    ['New', { phase: 'New' }, true],
    ['InProgress', { phase: 'InProgress' }, true],
    ['WaitingForPluginOperations', { phase: 'WaitingForPluginOperations' }, true],
    ['Finalizing', { phase: 'Finalizing' }, true],
    ['Completed a minute ago', { phase: 'Completed', completionTimestamp: '2026-01-01T11:59:00Z' }, true],
    [
      'PartiallyFailed a minute ago',
      { phase: 'PartiallyFailed', completionTimestamp: '2026-01-01T11:59:00Z' },
      true,
    ],
    ['Completed two hours ago', { phase: 'Completed', completionTimestamp: '2026-01-01T10:00:00Z' }, false],
    [
      'Completed exactly one window ago',
      { phase: 'Completed', completionTimestamp: '2026-01-01T11:00:00Z' },
      false,
    ],
    ['Completed without completionTimestamp', { phase: 'Completed' }, false],
    ['FailedValidation (Velero restores nothing)', { phase: 'FailedValidation' }, false],
    ['a phase this version does not know', { phase: 'Paused' }, false],
  ];
  for (const [name, status, expected] of cases)
    it(`${name}: ${expected ? 'selected' : 'not selected'}`, () => {
      expect(mayCreatePods(status, NOW, HOUR)).to.equal(expected);
    });

  it('values: the marks of the selected Restores, sorted, once each; the next change when the first window closes', () => {
    const long = 'a'.repeat(70);
    const result = selectorValues(
      [
        restore('r3', { phase: 'InProgress' }),
        restore('r1', { phase: 'Completed', completionTimestamp: '2026-01-01T11:30:00Z' }),
        restore('r2', { phase: 'Completed', completionTimestamp: '2026-01-01T11:10:00Z' }),
        restore('old', { phase: 'Completed', completionTimestamp: '2026-01-01T09:00:00Z' }),
        restore('new'),
        restore(long, { phase: 'New' }),
      ],
      NOW,
      HOUR,
    );
    // Velero's label value for a name over 63 characters: 57 characters and 6 hex digits of its hash.
    expect(result.values).to.have.length(5);
    expect(result.values[0]).to.match(/^a{57}[0-9a-f]{6}$/);
    expect(result.values.slice(1)).to.deep.equal(['new', 'r1', 'r2', 'r3']);
    expect(result.nextChangeMs, 'r2 leaves its window in 10 minutes').to.equal(10 * 60_000);
  });

  it('values: nothing selected, no change ahead', () => {
    expect(
      selectorValues(
        [restore('old', { phase: 'Completed', completionTimestamp: '2026-01-01T09:00:00Z' })],
        NOW,
        HOUR,
      ),
    ).to.deep.equal({ values: [], nextChangeMs: undefined });
  });

  it('two Restores of one name in two Velero namespaces: one value', () => {
    const r = restore('same', { phase: 'InProgress' });
    expect(selectorValues([r, { ...r }], NOW, HOUR).values).to.deep.equal(['same']);
  });
});

describe('pod selector: the objectSelector', () => {
  const cases: Array<[string, Parameters<typeof desiredPodSelector>, unknown]> = [
    ['AllMarked ignores the Restores', ['AllMarked', ['r1']], ALL_MARKED],
    ['AllMarked with none', ['AllMarked', []], ALL_MARKED],
    [
      'ActiveRestores: In the values, sorted',
      ['ActiveRestores', ['r2', 'r1']],
      { matchExpressions: [{ key: RESTORE_LABEL, operator: 'In', values: ['r1', 'r2'] }] },
    ],
    ['ActiveRestores with none: matches nothing', ['ActiveRestores', []], NOTHING],
  ];
  for (const [name, args, expected] of cases)
    it(name, () => {
      expect(desiredPodSelector(...args)).to.deep.equal(expected);
    });

  it('every selector is valid as the API server validates a webhook configuration (In [] is not)', () => {
    for (const podSelector of [ALL_MARKED, NOTHING, desiredPodSelector('ActiveRestores', ['r1', 'r2'])]) {
      const body = webhookConfiguration({
        name: 'restore-hooks',
        namespace: 'restore-hooks',
        clientConfig: { url: 'https://127.0.0.1:9443' },
        caBundle: '',
        failurePolicy: 'Ignore',
        podSelector,
      });
      expect(validate(body), JSON.stringify(podSelector)).to.deep.equal([]);
    }
    const empty = webhookConfiguration({
      name: 'restore-hooks',
      namespace: 'restore-hooks',
      clientConfig: { url: 'https://127.0.0.1:9443' },
      caBundle: '',
      failurePolicy: 'Ignore',
      podSelector: { matchExpressions: [{ key: RESTORE_LABEL, operator: 'In', values: [] }] },
    });
    expect(validate(empty).join('; ')).to.contain('must be specified');
  });

  it('NOTHING matches no label set; In matches exactly the marks of its values; ALL_MARKED every mark', () => {
    const labels = fc.dictionary(
      fc.constantFrom(RESTORE_LABEL, 'app', 'velero.io/restore-name'),
      fc.constantFrom('r1', 'r2', 'r3', ''),
    );
    fc.assert(
      fc.property(labels, fc.subarray(['r1', 'r2', 'r3'], { minLength: 1 }), (l, values) => {
        expect(selectorMatches(NOTHING, l)).to.equal(false);
        expect(selectorMatches(desiredPodSelector('ActiveRestores', values), l)).to.equal(
          l[RESTORE_LABEL] !== undefined && values.includes(l[RESTORE_LABEL]),
        );
        expect(selectorMatches(ALL_MARKED, l)).to.equal(l[RESTORE_LABEL] !== undefined);
      }),
    );
  });
});

describe('pod selector: comparing and when to look again', () => {
  const cases: Array<[string, unknown, unknown, boolean]> = [
    ['same', ALL_MARKED, { ...ALL_MARKED }, true],
    [
      'values in another order',
      { matchExpressions: [{ key: RESTORE_LABEL, operator: 'In', values: ['b', 'a'] }] },
      { matchExpressions: [{ key: RESTORE_LABEL, operator: 'In', values: ['a', 'b'] }] },
      true,
    ],
    [
      'requirements in another order',
      NOTHING,
      { matchExpressions: [...NOTHING.matchExpressions!].reverse() },
      true,
    ],
    ['empty matchLabels dropped by the API server', { ...ALL_MARKED, matchLabels: {} }, ALL_MARKED, true],
    ['Exists against In', ALL_MARKED, desiredPodSelector('ActiveRestores', ['r1']), false],
    [
      'another value',
      desiredPodSelector('ActiveRestores', ['r1']),
      desiredPodSelector('ActiveRestores', ['r1', 'r2']),
      false,
    ],
    ['absent against Exists', undefined, ALL_MARKED, false],
  ];
  for (const [name, a, b, same] of cases)
    it(`sameSelector: ${name}`, () => {
      expect(sameSelector(a, b)).to.equal(same);
      expect(sameSelector(b, a)).to.equal(same);
    });

  const events: Array<[string, SelectorRestore | undefined, SelectorRestore | undefined, boolean]> = [
    ['created', undefined, restore('r'), true],
    ['deleted', restore('r', { phase: 'InProgress' }), undefined, true],
    ['New to InProgress', restore('r', { phase: 'New' }), restore('r', { phase: 'InProgress' }), true],
    [
      'InProgress to Completed (the window starts)',
      restore('r', { phase: 'InProgress' }),
      restore('r', { phase: 'Completed', completionTimestamp: '2026-01-01T11:00:00Z' }),
      true,
    ],
    ['progress only', restore('r', { phase: 'InProgress' }), restore('r', { phase: 'InProgress' }), false],
  ];
  for (const [name, before, after, changes] of events)
    it(`selectorMayChange: ${name}`, () => {
      expect(selectorMayChange(before, after)).to.equal(changes);
    });
});

function validate(body: Record<string, unknown>): string[] {
  // The devcluster's validation, apimachinery's rules for label selectors (ValidateLabelSelectorRequirement).
  return validateCreate(
    { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration' },
    body as unknown as KubeObject,
  ).map((e) => `${e.field}: ${e.message ?? ''}`);
}
