import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { parse } from '@marcbachmann/cel-js';
import { kustomize } from '../helpers/kustomize.ts';

/**
 * The optional ValidatingAdmissionPolicy of manifests/components/restore-label-admission. The devcluster does not
 * evaluate CEL (it has no admission policies), so these tests parse every expression with a CEL implementation
 * and evaluate the policy the way the API server does: variables in order, then each validation, per request.
 */
const DIR = new URL('../../manifests/components/restore-label-admission/', import.meta.url);
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const docs = parseAllDocuments(readFileSync(new URL('restore-label-policy.yaml', DIR), 'utf8')).map(
  (d) => d.toJS() as Obj,
);
const policy = docs.find((d) => d.kind === 'ValidatingAdmissionPolicy')!;
const binding = docs.find((d) => d.kind === 'ValidatingAdmissionPolicyBinding')!;

const VELERO = 'system:serviceaccount:velero:velero';
const TENANT = 'tenant';
const RS_CONTROLLER = 'system:serviceaccount:kube-system:replicaset-controller';

/** What the API server does with one request: undefined when admitted, else the first failing message. */
function admit(username: string, object: Obj, oldObject: Obj | null = null): string | undefined {
  const activation: Obj = {
    object,
    oldObject,
    request: { userInfo: { username }, operation: oldObject ? 'UPDATE' : 'CREATE' },
    variables: {},
  };
  for (const v of policy.spec.variables as { name: string; expression: string }[])
    activation.variables[v.name] = parse(v.expression)(activation);
  for (const v of policy.spec.validations as { expression: string; messageExpression: string }[])
    if (parse(v.expression)(activation) !== true) return String(parse(v.messageExpression)(activation));
  return undefined;
}

const labelled = (value = 'rx') => ({ 'velero.io/restore-name': value });
const deployment = (labels: Obj = {}, templateLabels: Obj = { app: 'x' }): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'sneaky2', namespace: 'team', labels },
  spec: { template: { metadata: { labels: templateLabels }, spec: { containers: [] } } },
});
const pod = (labels?: Obj): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'team', ...(labels ? { labels } : {}) },
  spec: { containers: [] },
});
const cronJob = (templateLabels: Obj): Obj => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'c' },
  spec: { jobTemplate: { spec: { template: { metadata: { labels: templateLabels }, spec: {} } } } },
});

describe('manifests: the optional ValidatingAdmissionPolicy refusing velero.io/restore-name from anyone but Velero', () => {
  it('is a v1 policy with a Deny binding, matching pods and the workload kinds on create and update', async () => {
    expect(policy.apiVersion).to.equal('admissionregistration.k8s.io/v1');
    expect(binding.apiVersion).to.equal('admissionregistration.k8s.io/v1');
    expect(binding.spec).to.deep.equal({ policyName: policy.metadata.name, validationActions: ['Deny'] });
    expect(policy.spec.failurePolicy).to.equal('Fail');
    const rules = policy.spec.matchConstraints.resourceRules as Obj[];
    expect(rules.flatMap((r) => r.resources)).to.have.members([
      'pods',
      'deployments',
      'statefulsets',
      'daemonsets',
      'replicasets',
      'jobs',
      'cronjobs',
    ]);
    for (const r of rules) expect(r.operations).to.deep.equal(['CREATE', 'UPDATE']);
    const rendered = await kustomize(DIR.pathname);
    expect(rendered.map((o) => o.kind)).to.deep.equal([
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
  });

  it('has expressions that all parse as CEL', () => {
    const expressions = [
      ...(policy.spec.variables as Obj[]).map((v) => v.expression as string),
      ...(policy.spec.validations as Obj[]).flatMap((v) => [
        v.expression as string,
        v.messageExpression as string,
      ]),
    ];
    expect(expressions).to.have.length(9);
    for (const e of expressions) expect(() => parse(e), e).not.to.throw();
  });

  const cases: Array<[string, string, Obj, Obj | null, 'admit' | RegExp]> = [
    [
      "the issue's tenant creating team/sneaky2 with the label",
      TENANT,
      deployment(labelled()),
      null,
      /only Velero may set the label velero.io\/restore-name: .*\(tenant set it to "rx"\)/,
    ],
    ['Velero restoring the same Deployment', VELERO, deployment(labelled()), null, 'admit'],
    ['a tenant creating an unlabelled Deployment', TENANT, deployment({ app: 'x' }), null, 'admit'],
    [
      'a tenant scaling a restored Deployment (label unchanged)',
      TENANT,
      deployment(labelled()),
      deployment(labelled()),
      'admit',
    ],
    [
      'a tenant adding the label on update',
      TENANT,
      deployment(labelled()),
      deployment(),
      /only Velero may set the label/,
    ],
    [
      'a tenant changing the label to another Restore',
      TENANT,
      deployment(labelled('ry')),
      deployment(labelled()),
      /set it to "ry"/,
    ],
    ['a tenant removing the label', TENANT, deployment(), deployment(labelled()), 'admit'],
    [
      'a tenant creating a bare pod with the label',
      TENANT,
      pod(labelled()),
      null,
      /only Velero may set the label/,
    ],
    ['a tenant creating a pod without labels at all', TENANT, pod(), null, 'admit'],
    [
      'a tenant putting the label in a pod template',
      TENANT,
      deployment({}, labelled()),
      null,
      /only Velero may put the label velero.io\/restore-name in a pod template/,
    ],
    [
      'a tenant putting it in a CronJob’s job template',
      TENANT,
      cronJob(labelled()),
      null,
      /in a pod template/,
    ],
    [
      'the ReplicaSet controller creating a pod from a template Velero restored',
      RS_CONTROLLER,
      pod(labelled()),
      null,
      'admit',
    ],
  ];
  for (const [title, user, object, oldObject, want] of cases) {
    it(`${title}: ${want === 'admit' ? 'admitted' : 'denied'}`, () => {
      const result = admit(user, object, oldObject);
      if (want === 'admit') expect(result).to.equal(undefined);
      else expect(result).to.match(want);
    });
  }
});
