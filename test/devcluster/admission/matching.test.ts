/** Which webhooks a request goes to: rules, scope, matchPolicy, object and namespace selectors (pure). */
import { expect } from 'chai';
import fc from 'fast-check';
import type {
  AdmissionAttributes,
  WebhookMatch,
  WebhookRule,
} from '../../../src/devcluster/admission/matching.ts';
import {
  isExempt,
  namespaceSelectorMatches,
  objectSelectorMatches,
  ruleMatches,
  rulesMatch,
  webhookMatches,
} from '../../../src/devcluster/admission/matching.ts';

const podCreate: AdmissionAttributes = {
  operation: 'CREATE',
  group: '',
  version: 'v1',
  resource: 'pods',
  subresource: '',
  namespace: 'ns',
  objectLabels: { app: 'web' },
};
const rule = (r: Partial<WebhookRule>): WebhookRule => ({
  operations: ['CREATE'],
  apiGroups: [''],
  apiVersions: ['v1'],
  resources: ['pods'],
  ...r,
});

describe('admission webhook matching', () => {
  describe('rules', () => {
    const cases: [string, Partial<WebhookRule>, Partial<AdmissionAttributes>, boolean][] = [
      ['exact rule', {}, {}, true],
      ['other operation', { operations: ['UPDATE'] }, {}, false],
      ['operation *', { operations: ['*'] }, { operation: 'DELETE' }, true],
      ['other group', { apiGroups: ['apps'] }, {}, false],
      ['group *', { apiGroups: ['*'] }, {}, true],
      ['resource *', { resources: ['*'] }, {}, true],
      ['resource * skips subresources', { resources: ['*'] }, { subresource: 'status' }, false],
      ['pods does not match pods/status', {}, { subresource: 'status' }, false],
      ['pods/status', { resources: ['pods/status'] }, { subresource: 'status' }, true],
      ['pods/*', { resources: ['pods/*'] }, { subresource: 'binding' }, true],
      // As kube-apiserver's matcher: the `*` subresource also matches the empty one.
      ['pods/* matches the main resource too', { resources: ['pods/*'] }, {}, true],
      ['*/*', { resources: ['*/*'] }, { subresource: 'status' }, true],
      ['*/status', { resources: ['*/status'] }, { resource: 'deployments', subresource: 'status' }, true],
      ['scope Namespaced', { scope: 'Namespaced' }, {}, true],
      ['scope Cluster on a namespaced object', { scope: 'Cluster' }, {}, false],
      [
        'scope Cluster on a Namespace',
        { scope: 'Cluster', resources: ['namespaces'] },
        { resource: 'namespaces', namespace: 'x' },
        true,
      ],
      [
        'scope Namespaced never matches a Namespace',
        { scope: 'Namespaced', resources: ['namespaces'] },
        { resource: 'namespaces', namespace: 'x' },
        false,
      ],
    ];
    for (const [what, r, a, expected] of cases)
      it(`${what}: ${expected}`, () =>
        expect(ruleMatches(rule(r), { ...podCreate, ...a })).to.equal(expected));

    it('matchPolicy Exact needs the version; Equivalent matches the resource in any version', () => {
      const hook: WebhookMatch = { rules: [rule({ apiVersions: ['v1beta1'] })] };
      expect(rulesMatch({ ...hook, matchPolicy: 'Exact' }, podCreate)).to.equal(false);
      expect(rulesMatch({ ...hook, matchPolicy: 'Equivalent' }, podCreate)).to.equal(true);
      expect(rulesMatch(hook, podCreate)).to.equal(true);
    });

    it('any of several rules matches', () => {
      const hook = { rules: [rule({ apiGroups: ['apps'] }), rule({})] };
      expect(rulesMatch(hook, podCreate)).to.equal(true);
      expect(rulesMatch({ rules: [] }, podCreate)).to.equal(false);
    });
  });

  describe('objectSelector', () => {
    const exists = { matchExpressions: [{ key: 'hooked', operator: 'Exists' }] };
    const cases: [string, unknown, Partial<AdmissionAttributes>, boolean][] = [
      ['empty selector', {}, {}, true],
      ['absent selector', undefined, {}, true],
      ['matchLabels', { matchLabels: { app: 'web' } }, {}, true],
      ['matchLabels mismatch', { matchLabels: { app: 'db' } }, {}, false],
      ['Exists on the new object', exists, { objectLabels: { hooked: '' } }, true],
      ['Exists on the old object only', exists, { objectLabels: {}, oldObjectLabels: { hooked: 'x' } }, true],
      [
        'a delete has only the old object',
        exists,
        { objectLabels: undefined, oldObjectLabels: { hooked: 'x' } },
        true,
      ],
      ['no object at all', exists, { objectLabels: undefined }, false],
      ['NotIn', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, {}, false],
    ];
    for (const [what, selector, a, expected] of cases)
      it(`${what}: ${expected}`, () =>
        expect(objectSelectorMatches({ objectSelector: selector }, { ...podCreate, ...a })).to.equal(
          expected,
        ));
  });

  describe('namespaceSelector', () => {
    const team = { matchLabels: { team: 'a' } };
    const cases: [
      string,
      unknown,
      Partial<AdmissionAttributes>,
      Record<string, string> | undefined,
      boolean,
    ][] = [
      ['empty selector', {}, {}, undefined, true],
      ['namespace labels match', team, {}, { team: 'a' }, true],
      ['namespace labels differ', team, {}, { team: 'b' }, false],
      ['namespace not found', team, {}, undefined, false],
      ['cluster-scoped objects always match', team, { resource: 'nodes', namespace: '' }, undefined, true],
      [
        'a Namespace is matched by its own labels',
        team,
        { resource: 'namespaces', namespace: '', objectLabels: { team: 'a' } },
        undefined,
        true,
      ],
      [
        'a Namespace with other labels',
        team,
        { resource: 'namespaces', namespace: '', objectLabels: { team: 'b' } },
        undefined,
        false,
      ],
      [
        'NotIn kube-system',
        {
          matchExpressions: [
            { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] },
          ],
        },
        { namespace: 'kube-system' },
        { 'kubernetes.io/metadata.name': 'kube-system' },
        false,
      ],
    ];
    for (const [what, selector, a, labels, expected] of cases)
      it(`${what}: ${expected}`, () =>
        expect(
          namespaceSelectorMatches({ namespaceSelector: selector }, { ...podCreate, ...a }, labels),
        ).to.equal(expected));
  });

  it('exempts the webhook configurations themselves', () => {
    expect(
      isExempt({ group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations' }),
    ).to.equal(true);
    expect(
      isExempt({ group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations' }),
    ).to.equal(true);
    expect(isExempt({ group: '', resource: 'pods' })).to.equal(false);
    const everything: WebhookMatch = {
      rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }],
    };
    expect(
      webhookMatches(
        everything,
        {
          ...podCreate,
          group: 'admissionregistration.k8s.io',
          resource: 'mutatingwebhookconfigurations',
          namespace: '',
        },
        undefined,
      ),
    ).to.equal(false);
  });

  it('a rule of wildcards matches every main resource and an empty rule list matches nothing (property)', () => {
    const name = fc.stringMatching(/^[a-z]{1,8}$/);
    const attributes = fc.record({
      operation: fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT' as const),
      group: fc.oneof(fc.constant(''), name),
      version: name,
      resource: name,
      subresource: fc.constant(''),
      namespace: fc.oneof(fc.constant(''), name),
    });
    fc.assert(
      fc.property(attributes, (a) => {
        const all = rule({ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] });
        return ruleMatches(all, a) && !rulesMatch({ rules: [] }, a);
      }),
    );
  });

  it('an exact rule for a request matches it, and changing any one field breaks the match (property)', () => {
    const name = fc.stringMatching(/^[a-z]{1,8}$/);
    fc.assert(
      fc.property(name, name, name, name, (group, version, resource, other) => {
        const a: AdmissionAttributes = { ...podCreate, group, version, resource };
        const exact = rule({ apiGroups: [group], apiVersions: [version], resources: [resource] });
        const changed = [
          { ...exact, apiGroups: [`${group}${other}`] },
          { ...exact, apiVersions: [`${version}${other}`] },
          { ...exact, resources: [`${resource}${other}`] },
          { ...exact, operations: ['DELETE'] },
        ];
        return ruleMatches(exact, a) && changed.every((r) => !ruleMatches(r, a));
      }),
    );
  });
});
