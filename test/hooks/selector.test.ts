import { expect } from 'chai';
import fc from 'fast-check';
import { matchesLabelSelector, parseLabelSelector } from '../../src/hooks/selector.ts';

const P = 'spec.hooks.resources[0].labelSelector';

function compile(value: unknown) {
  const r = parseLabelSelector(value, P);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.selector;
}

describe('hooks/selector: metav1.LabelSelector', () => {
  describe('matching', () => {
    const labels = { app: 'web', tier: 'front', 'example.com/team': 'a' };
    const cases: [string, unknown, boolean][] = [
      ['absent selector', undefined, true],
      ['empty selector', {}, true],
      ['matchLabels hit', { matchLabels: { app: 'web' } }, true],
      ['matchLabels miss', { matchLabels: { app: 'db' } }, false],
      ['matchLabels all must hold', { matchLabels: { app: 'web', tier: 'back' } }, false],
      ['In hit', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, true],
      ['In miss', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }, false],
      ['In on a missing key', { matchExpressions: [{ key: 'x', operator: 'In', values: ['a'] }] }, false],
      ['NotIn hit', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['back'] }] }, true],
      ['NotIn miss', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, false],
      [
        'NotIn on a missing key',
        { matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['a'] }] },
        true,
      ],
      ['Exists hit', { matchExpressions: [{ key: 'example.com/team', operator: 'Exists' }] }, true],
      ['Exists miss', { matchExpressions: [{ key: 'x', operator: 'Exists' }] }, false],
      ['DoesNotExist hit', { matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, true],
      ['DoesNotExist miss', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
      [
        'labels and expressions together',
        {
          matchLabels: { app: 'web' },
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }],
        },
        true,
      ],
    ];
    for (const [name, selector, expected] of cases)
      it(`${name}: ${expected}`, () => {
        expect(matchesLabelSelector(compile(selector), labels)).to.equal(expected);
      });

    it('matches a pod without labels only when no requirement needs a label', () => {
      expect(
        matchesLabelSelector(
          compile({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }),
          undefined,
        ),
      ).to.equal(true);
      expect(matchesLabelSelector(compile({ matchLabels: { a: 'b' } }), undefined)).to.equal(false);
    });
  });

  describe('validation with field paths', () => {
    const cases: [string, unknown, string, string][] = [
      [
        'unknown operator',
        { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] },
        `${P}.matchExpressions[0].operator`,
        'Unsupported value: "Equals"',
      ],
      [
        'In without values',
        { matchExpressions: [{ key: 'a', operator: 'In' }] },
        `${P}.matchExpressions[0].values`,
        'Required value',
      ],
      [
        'NotIn with empty values',
        { matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] },
        `${P}.matchExpressions[0].values`,
        'Required value',
      ],
      [
        'Exists with values',
        { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
        `${P}.matchExpressions[0].values`,
        'Forbidden',
      ],
      [
        'bad key',
        { matchExpressions: [{ key: 'bad key', operator: 'Exists' }] },
        `${P}.matchExpressions[0].key`,
        'Invalid value: "bad key"',
      ],
      [
        'missing key',
        { matchExpressions: [{ operator: 'Exists' }] },
        `${P}.matchExpressions[0].key`,
        'Required value',
      ],
      [
        'bad value',
        { matchExpressions: [{ key: 'a', operator: 'In', values: ['-x-'] }] },
        `${P}.matchExpressions[0].values[0]`,
        'Invalid value: "-x-"',
      ],
      ['bad matchLabels value', { matchLabels: { a: 'no spaces' } }, `${P}.matchLabels[a]`, 'Invalid value'],
      [
        'bad matchLabels key',
        { matchLabels: { '/a': 'b' } },
        `${P}.matchLabels`,
        'prefix part must be non-empty',
      ],
      ['non-string matchLabels value', { matchLabels: { a: 1 } }, `${P}.matchLabels[a]`, 'must be a string'],
      ['selector not an object', 'app=web', P, 'must be an object'],
      ['matchExpressions not a list', { matchExpressions: {} }, `${P}.matchExpressions`, 'must be a list'],
      [
        'expression not an object',
        { matchExpressions: ['a'] },
        `${P}.matchExpressions[0]`,
        'must be an object',
      ],
    ];
    for (const [name, selector, field, message] of cases)
      it(`${name}: ${field}`, () => {
        const r = parseLabelSelector(selector, P);
        expect(r.ok).to.equal(false);
        if (!r.ok) {
          const hit = r.errors.find((e) => e.field === field);
          expect(hit, JSON.stringify(r.errors)).to.not.equal(undefined);
          expect(hit!.message).to.contain(message);
        }
      });
  });

  describe('properties', () => {
    it('never throws on any JSON value', () => {
      fc.assert(
        fc.property(fc.jsonValue(), fc.dictionary(fc.string(), fc.string()), (v, labels) => {
          const r = parseLabelSelector(v, P);
          if (r.ok) expect(typeof matchesLabelSelector(r.selector, labels)).to.equal('boolean');
        }),
        { numRuns: 2000 },
      );
    });

    it('never throws on selector-shaped values', () => {
      const expr = fc.record(
        {
          key: fc.oneof(fc.string(), fc.constantFrom('app', 'a/b', 'x.io/y')),
          operator: fc.oneof(fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist'), fc.string()),
          values: fc.array(fc.oneof(fc.string(), fc.constantFrom('web', 'db'))),
        },
        { requiredKeys: [] },
      );
      fc.assert(
        fc.property(
          fc.record(
            { matchLabels: fc.dictionary(fc.string(), fc.string()), matchExpressions: fc.array(expr) },
            { requiredKeys: [] },
          ),
          fc.dictionary(fc.constantFrom('app', 'a/b', 'x.io/y'), fc.constantFrom('web', 'db', '')),
          (sel, labels) => {
            const r = parseLabelSelector(sel, P);
            if (r.ok) matchesLabelSelector(r.selector, labels);
          },
        ),
        { numRuns: 2000 },
      );
    });

    const labelName = fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,10}[a-z0-9])?$/);
    const labelSet = fc.dictionary(labelName, fc.oneof(labelName, fc.constant('')), { maxKeys: 6 });

    it('a matchLabels selector made of a subset of a pod labels matches the pod (oracle)', () => {
      fc.assert(
        fc.property(labelSet, fc.func(fc.boolean()), (labels, keep) => {
          const subset = Object.fromEntries(Object.entries(labels).filter((e) => keep(e[0])));
          expect(matchesLabelSelector(compile({ matchLabels: subset }), labels)).to.equal(true);
        }),
      );
    });

    it('In and NotIn with the same values are complements; Exists and DoesNotExist too', () => {
      fc.assert(
        fc.property(
          labelSet,
          labelName,
          fc.array(labelName, { minLength: 1, maxLength: 3 }),
          (labels, key, values) => {
            const m = (operator: string, vs?: string[]) =>
              matchesLabelSelector(
                compile({ matchExpressions: [{ key, operator, ...(vs ? { values: vs } : {}) }] }),
                labels,
              );
            expect(m('In', values)).to.equal(!m('NotIn', values));
            expect(m('Exists')).to.equal(!m('DoesNotExist'));
          },
        ),
      );
    });
  });
});
