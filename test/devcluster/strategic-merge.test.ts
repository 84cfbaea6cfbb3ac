import { expect } from 'chai';
import fc from 'fast-check';
import { ApiError } from '../../src/devcluster/api/errors.ts';
import { applyMergePatch } from '../../src/devcluster/patch/merge-patch.ts';
import { applyStrategicMergePatch } from '../../src/devcluster/patch/strategic-merge.ts';

const POD = { group: '', kind: 'Pod' };
const DEPLOY = { group: 'apps', kind: 'Deployment' };
const CRON = { group: 'batch', kind: 'CronJob' };
const SVC = { group: '', kind: 'Service' };
const CM = { group: '', kind: 'ConfigMap' };

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'p',
    finalizers: ['a/x'],
    ownerReferences: [{ uid: 'u1', name: 'rs', kind: 'ReplicaSet', apiVersion: 'apps/v1' }],
  },
  spec: {
    initContainers: [
      { name: 'a', image: 'alpine', command: ['sh', '-c', 'true'] },
      { name: 'b', image: 'alpine' },
    ],
    containers: [
      {
        name: 'app',
        image: 'nginx',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        volumeMounts: [{ name: 'v', mountPath: '/data' }],
      },
    ],
    volumes: [{ name: 'v', emptyDir: {} }],
    tolerations: [{ key: 'k', operator: 'Exists' }],
  },
  status: { conditions: [{ type: 'Ready', status: 'False' }] },
};

type Case = [string, { group: string; kind: string }, unknown, unknown, (out: any) => unknown, unknown]; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('devcluster strategic merge patch', () => {
  const cases: Case[] = [];
  cases.push(
    [
      'kubectl apply: $setElementOrder/initContainers and a changed image',
      POD,
      pod,
      {
        spec: {
          '$setElementOrder/initContainers': [{ name: 'a' }, { name: 'b' }],
          initContainers: [{ image: 'busybox', name: 'b' }],
        },
      },
      (o) => o.spec.initContainers,
      [
        { name: 'a', image: 'alpine', command: ['sh', '-c', 'true'] },
        { name: 'b', image: 'busybox' },
      ],
    ],
    [
      '$setElementOrder reorders',
      POD,
      pod,
      { spec: { '$setElementOrder/initContainers': [{ name: 'b' }, { name: 'a' }] } },
      (o) => o.spec.initContainers.map((c: { name: string }) => c.name),
      ['b', 'a'],
    ],
    [
      'a new container is appended',
      POD,
      pod,
      { spec: { initContainers: [{ name: 'c', image: 'busybox' }] } },
      (o) => o.spec.initContainers.map((c: { name: string }) => c.name),
      ['a', 'b', 'c'],
    ],
    [
      'a new container placed by $setElementOrder',
      POD,
      pod,
      {
        spec: {
          '$setElementOrder/initContainers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }],
          initContainers: [{ name: 'c', image: 'busybox' }],
        },
      },
      (o) => o.spec.initContainers.map((c: { name: string }) => c.name),
      ['c', 'a', 'b'],
    ],
    [
      'server-only elements keep their place after $setElementOrder',
      POD,
      pod,
      { spec: { '$setElementOrder/initContainers': [{ name: 'b' }] } },
      (o) => o.spec.initContainers.map((c: { name: string }) => c.name),
      ['a', 'b'],
    ],
    [
      '$patch: delete removes a container by name',
      POD,
      pod,
      { spec: { initContainers: [{ name: 'a', $patch: 'delete' }] } },
      (o) => o.spec.initContainers,
      [{ name: 'b', image: 'alpine' }],
    ],
    [
      '$patch: replace on a list',
      POD,
      pod,
      { spec: { initContainers: [{ name: 'z', image: 'z' }, { $patch: 'replace' }] } },
      (o) => o.spec.initContainers,
      [{ name: 'z', image: 'z' }],
    ],
    [
      '$patch: replace on a map',
      POD,
      pod,
      { metadata: { labels: { $patch: 'replace', only: 'me' } } },
      (o) => o.metadata.labels,
      { only: 'me' },
    ],
    ['$patch: delete on a map', POD, pod, { status: { $patch: 'delete' } }, (o) => o.status, undefined],
    [
      'env merges by name, null deletes inside an element',
      POD,
      pod,
      {
        spec: {
          containers: [
            {
              name: 'app',
              env: [
                { name: 'B', value: '3' },
                { name: 'C', value: '4' },
              ],
            },
          ],
        },
      },
      (o) => o.spec.containers[0].env,
      [
        { name: 'A', value: '1' },
        { name: 'B', value: '3' },
        { name: 'C', value: '4' },
      ],
    ],
    [
      'volumeMounts merge by mountPath',
      POD,
      pod,
      {
        spec: {
          containers: [
            {
              name: 'app',
              volumeMounts: [
                { mountPath: '/data', readOnly: true },
                { name: 'w', mountPath: '/w' },
              ],
            },
          ],
        },
      },
      (o) => o.spec.containers[0].volumeMounts,
      [
        { name: 'v', mountPath: '/data', readOnly: true },
        { name: 'w', mountPath: '/w' },
      ],
    ],
    [
      'ports merge by containerPort',
      POD,
      pod,
      { spec: { containers: [{ name: 'app', ports: [{ containerPort: 80, name: 'http' }] }] } },
      (o) => o.spec.containers[0].ports,
      [{ containerPort: 80, protocol: 'TCP', name: 'http' }],
    ],
    [
      'command is replaced whole',
      POD,
      pod,
      { spec: { initContainers: [{ name: 'a', command: ['date'] }] } },
      (o) => o.spec.initContainers[0].command,
      ['date'],
    ],
    [
      'tolerations are replaced whole',
      POD,
      pod,
      { spec: { tolerations: [{ key: 'z', operator: 'Exists' }] } },
      (o) => o.spec.tolerations,
      [{ key: 'z', operator: 'Exists' }],
    ],
    [
      'finalizers merge as a set',
      POD,
      pod,
      { metadata: { finalizers: ['b/y', 'a/x'] } },
      (o) => o.metadata.finalizers,
      ['a/x', 'b/y'],
    ],
    [
      '$deleteFromPrimitiveList/finalizers',
      POD,
      pod,
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['a/x'] } },
      (o) => o.metadata.finalizers,
      [],
    ],
    [
      'ownerReferences merge by uid',
      POD,
      pod,
      { metadata: { ownerReferences: [{ uid: 'u1', controller: true }] } },
      (o) => o.metadata.ownerReferences,
      [{ uid: 'u1', name: 'rs', kind: 'ReplicaSet', apiVersion: 'apps/v1', controller: true }],
    ],
    [
      'status conditions merge by type',
      POD,
      pod,
      {
        status: {
          conditions: [
            { type: 'Ready', status: 'True' },
            { type: 'Initialized', status: 'True' },
          ],
        },
      },
      (o) => o.status.conditions,
      [
        { type: 'Ready', status: 'True' },
        { type: 'Initialized', status: 'True' },
      ],
    ],
    ['null deletes a key', POD, pod, { spec: { tolerations: null } }, (o) => 'tolerations' in o.spec, false],
    [
      'volumes merge by name',
      POD,
      pod,
      { spec: { volumes: [{ name: 'c', configMap: { name: 'cm' } }] } },
      (o) => o.spec.volumes.map((v: { name: string }) => v.name),
      ['v', 'c'],
    ],
    [
      '$retainKeys drops the other members (deployment strategy switch)',
      DEPLOY,
      { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } } } },
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      (o) => o.spec.strategy,
      { type: 'Recreate' },
    ],
    [
      'deployment template containers merge by name',
      DEPLOY,
      {
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'a', image: '1' },
                { name: 'b', image: '1' },
              ],
            },
          },
        },
      },
      { spec: { template: { spec: { containers: [{ name: 'b', image: '2' }] } } } },
      (o) => o.spec.template.spec.containers,
      [
        { name: 'a', image: '1' },
        { name: 'b', image: '2' },
      ],
    ],
    [
      'cronjob job template pod spec',
      CRON,
      {
        spec: {
          jobTemplate: { spec: { template: { spec: { initContainers: [{ name: 'a', image: '1' }] } } } },
        },
      },
      {
        spec: {
          jobTemplate: { spec: { template: { spec: { initContainers: [{ name: 'h', image: 'alpine' }] } } } },
        },
      },
      (o) => o.spec.jobTemplate.spec.template.spec.initContainers.map((c: { name: string }) => c.name),
      ['a', 'h'],
    ],
    [
      'service ports merge by port',
      SVC,
      { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } },
      { spec: { ports: [{ port: 80, targetPort: 9090 }] } },
      (o) => o.spec.ports,
      [{ port: 80, targetPort: 9090 }, { port: 443 }],
    ],
    [
      'kinds without list strategies replace lists',
      CM,
      { metadata: { finalizers: ['a'] }, data: { a: '1' }, list: [1, 2] },
      { metadata: { finalizers: ['b'] }, data: { b: '2' }, list: [3] },
      (o) => o,
      { metadata: { finalizers: ['a', 'b'] }, data: { a: '1', b: '2' }, list: [3] },
    ],
  );

  for (const [name, kind, target, patch, pick, want] of cases) {
    it(name, () => {
      const before = structuredClone(target);
      const patchBefore = structuredClone(patch);
      expect(pick(applyStrategicMergePatch(target, patch, kind))).to.deep.equal(want);
      expect([target, patch]).to.deep.equal([before, patchBefore]);
    });
  }

  it('an element without its merge key is a 500 as upstream', () => {
    try {
      applyStrategicMergePatch(pod, { spec: { containers: [{ image: 'x' }] } }, POD);
      expect.fail('no error');
    } catch (err) {
      expect(err).to.be.instanceOf(ApiError);
      expect((err as ApiError).code).to.equal(500);
      expect((err as ApiError).message).to.equal(
        'Internal error occurred: map: {"image":"x"} does not contain declared merge key: name',
      );
    }
  });

  it('a non-object patch is 400', () => {
    expect(() => applyStrategicMergePatch(pod, [1], POD))
      .to.throw(ApiError)
      .with.property('code', 400);
  });

  describe('properties', () => {
    const json = fc.jsonValue() as fc.Arbitrary<unknown>;
    it('without lists or directives it is a JSON merge patch', () => {
      const noLists = fc.letrec<{ value: unknown }>((tie) => ({
        value: fc.oneof(
          { depthSize: 'small' },
          fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
          fc.dictionary(
            fc.string().filter((k) => !k.startsWith('$') && k !== '__proto__'),
            tie('value'),
            { maxKeys: 4 },
          ),
        ),
      })).value;
      const objectArb = fc.dictionary(
        fc.string().filter((k) => !k.startsWith('$')),
        noLists,
      ) as fc.Arbitrary<Record<string, unknown>>;
      fc.assert(
        fc.property(objectArb, objectArb, (t, p) => {
          expect(applyStrategicMergePatch(t, p, CM)).to.deep.equal(applyMergePatch(t, p));
        }),
      );
    });
    it('throws only ApiError and never mutates, whatever the patch', () => {
      fc.assert(
        fc.property(fc.constantFrom(POD, DEPLOY, CRON, SVC, CM), json, json, (kind, t, p) => {
          const [t0, p0] = [structuredClone(t), structuredClone(p)];
          try {
            applyStrategicMergePatch(t, p, kind);
          } catch (err) {
            expect(err).to.be.instanceOf(ApiError);
          }
          expect([t, p]).to.deep.equal([t0, p0]);
        }),
      );
    });
    it('a patch of the pod against itself changes nothing', () => {
      expect(applyStrategicMergePatch(pod, pod, POD)).to.deep.equal(pod);
    });
  });
});
