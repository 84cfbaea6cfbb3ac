import { expect } from 'chai';
import fc from 'fast-check';
import type { KubeObject } from '../../src/devcluster/api/types.ts';
import {
  addServiceAccountTokenVolume,
  applyDefaults,
  applyJobSelectorDefaults,
  podQOSClass,
  quantityValue,
} from '../../src/devcluster/builtin/defaults.ts';

const obj = (apiVersion: string, kind: string, rest: Record<string, unknown> = {}): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: 'x', namespace: 'ns' },
  ...rest,
});
const get = (root: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => {
    if (node === undefined || node === null) return undefined;
    return (node as Record<string, unknown>)[/^\d+$/.test(key) ? Number(key) : key];
  }, root);

describe('devcluster defaults', () => {
  describe('pods', () => {
    const pod = applyDefaults(
      { group: '', kind: 'Pod' },
      obj('v1', 'Pod', {
        spec: {
          initContainers: [{ name: 'init', image: 'busybox' }],
          containers: [
            { name: 'app', image: 'nginx:1.27', resources: { limits: { cpu: '1', memory: '1Gi' } } },
          ],
          volumes: [
            { name: 'cm', configMap: { name: 'c' } },
            { name: 'sec', secret: { secretName: 's' } },
            { name: 'plain' },
            { name: 'hp', hostPath: { path: '/x' } },
            {
              name: 'dapi',
              downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] },
            },
            { name: 'proj', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } },
          ],
        },
        status: { phase: 'Running' },
      }),
    );
    const cases: Array<[string, unknown]> = [
      ['spec.restartPolicy', 'Always'],
      ['spec.dnsPolicy', 'ClusterFirst'],
      ['spec.schedulerName', 'default-scheduler'],
      ['spec.securityContext', {}],
      ['spec.terminationGracePeriodSeconds', 30],
      ['spec.serviceAccountName', 'default'],
      ['spec.serviceAccount', 'default'],
      ['spec.enableServiceLinks', true],
      ['spec.priority', 0],
      ['spec.preemptionPolicy', 'PreemptLowerPriority'],
      [
        'spec.tolerations',
        [
          {
            key: 'node.kubernetes.io/not-ready',
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: 300,
          },
          {
            key: 'node.kubernetes.io/unreachable',
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: 300,
          },
        ],
      ],
      ['spec.initContainers.0.imagePullPolicy', 'Always'],
      ['spec.initContainers.0.terminationMessagePath', '/dev/termination-log'],
      ['spec.containers.0.imagePullPolicy', 'IfNotPresent'],
      ['spec.containers.0.terminationMessagePolicy', 'File'],
      ['spec.containers.0.resources.requests', { cpu: '1', memory: '1Gi' }],
      ['spec.volumes.0.configMap.defaultMode', 420],
      ['spec.volumes.1.secret.defaultMode', 420],
      ['spec.volumes.2', { name: 'plain', emptyDir: {} }],
      ['spec.volumes.3.hostPath.type', ''],
      ['spec.volumes.4.downwardAPI.defaultMode', 420],
      ['spec.volumes.4.downwardAPI.items.0.fieldRef.apiVersion', 'v1'],
      ['spec.volumes.5.projected.defaultMode', 420],
      ['spec.volumes.5.projected.sources.0.serviceAccountToken.expirationSeconds', 3600],
      ['status', { phase: 'Pending', qosClass: 'Burstable' }],
    ];
    for (const [path, want] of cases) {
      it(`${path} = ${JSON.stringify(want)}`, () => expect(get(pod, path)).to.deep.equal(want));
    }

    const variants: Array<[string, Record<string, unknown>, string, unknown]> = [
      ['keeps an explicit service account', { serviceAccountName: 'sa' }, 'spec.serviceAccount', 'sa'],
      [
        'takes the deprecated serviceAccount alias',
        { serviceAccount: 'old' },
        'spec.serviceAccountName',
        'old',
      ],
      [
        'system-node-critical priority',
        { priorityClassName: 'system-node-critical' },
        'spec.priority',
        2000001000,
      ],
      [
        'system-cluster-critical priority',
        { priorityClassName: 'system-cluster-critical' },
        'spec.priority',
        2000000000,
      ],
      [
        'unknown priority class leaves priority unset',
        { priorityClassName: 'gold' },
        'spec.priority',
        undefined,
      ],
      [
        'an existing not-ready toleration is kept and only unreachable is added',
        { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }] },
        'spec.tolerations.1.key',
        'node.kubernetes.io/unreachable',
      ],
      [
        'a tolerate-everything toleration prevents both',
        { tolerations: [{ operator: 'Exists' }] },
        'spec.tolerations',
        [{ operator: 'Exists' }],
      ],
      [
        'hostNetwork copies containerPort to hostPort',
        { hostNetwork: true, containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 9 }] }] },
        'spec.containers.0.ports.0.hostPort',
        9,
      ],
      ['explicit enableServiceLinks false', { enableServiceLinks: false }, 'spec.enableServiceLinks', false],
      [
        'scheduling gates give the SchedulingGated condition',
        { schedulingGates: [{ name: 'g' }] },
        'status.conditions.0.reason',
        'SchedulingGated',
      ],
    ];
    for (const [name, spec, path, want] of variants) {
      it(name, () => {
        const out = applyDefaults(
          { group: '', kind: 'Pod' },
          obj('v1', 'Pod', { spec: { containers: [], ...spec } }),
        );
        expect(get(out, path)).to.deep.equal(want);
      });
    }

    it('on update only scheme defaults apply (no admission, status kept)', () => {
      const out = applyDefaults(
        { group: '', kind: 'Pod' },
        obj('v1', 'Pod', { spec: { containers: [{ name: 'c', image: 'i' }] }, status: { phase: 'Running' } }),
        { operation: 'update' },
      );
      expect(get(out, 'spec.serviceAccountName')).to.equal(undefined);
      expect(get(out, 'spec.tolerations')).to.equal(undefined);
      expect(get(out, 'status')).to.deep.equal({ phase: 'Running' });
      expect(get(out, 'spec.restartPolicy')).to.equal('Always');
    });
  });

  describe('service account token volume (ServiceAccount admission)', () => {
    const pod = (spec: Record<string, unknown>): KubeObject => obj('v1', 'Pod', { spec });
    const mount = {
      name: 'kube-api-access-abcde',
      readOnly: true,
      mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
    };
    it('mounts a projected token volume into every init and app container', () => {
      const out = addServiceAccountTokenVolume(
        pod({
          initContainers: [{ name: 'i', image: 'x' }],
          containers: [{ name: 'c', image: 'x', volumeMounts: [{ name: 'd', mountPath: '/d' }] }],
          volumes: [{ name: 'd', emptyDir: {} }],
        }),
        'abcde',
      );
      expect(get(out, 'spec.initContainers.0.volumeMounts')).to.deep.equal([mount]);
      expect(get(out, 'spec.containers.0.volumeMounts')).to.deep.equal([
        { name: 'd', mountPath: '/d' },
        mount,
      ]);
      expect(get(out, 'spec.volumes.1')).to.deep.equal({
        name: 'kube-api-access-abcde',
        projected: {
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [
                  { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                ],
              },
            },
          ],
          defaultMode: 420,
        },
      });
    });
    const untouched: Array<[string, Record<string, unknown>, { automount?: boolean }]> = [
      [
        'automountServiceAccountToken: false',
        { automountServiceAccountToken: false, containers: [{ name: 'c' }] },
        {},
      ],
      ['the service account opts out', { containers: [{ name: 'c' }] }, { automount: false }],
      [
        'every container already mounts the path',
        {
          containers: [
            {
              name: 'c',
              volumeMounts: [{ name: 'own', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
            },
          ],
        },
        {},
      ],
    ];
    for (const [name, spec, options] of untouched) {
      it(`leaves the pod alone when ${name}`, () => {
        expect(addServiceAccountTokenVolume(pod(spec), 'abcde', options)).to.deep.equal(pod(spec));
      });
    }
    it('reuses an existing kube-api-access volume', () => {
      const out = addServiceAccountTokenVolume(
        pod({ containers: [{ name: 'c' }], volumes: [{ name: 'kube-api-access-zzzzz', emptyDir: {} }] }),
        'abcde',
      );
      expect(get(out, 'spec.containers.0.volumeMounts.0.name')).to.equal('kube-api-access-zzzzz');
      expect((get(out, 'spec.volumes') as unknown[]).length).to.equal(1);
    });
  });

  describe('QoS class', () => {
    const c = (requests?: object, limits?: object) => ({ name: 'c', resources: { requests, limits } });
    const cases: Array<[string, unknown[], string]> = [
      ['no resources', [{ name: 'c' }], 'BestEffort'],
      ['zero requests', [c({ cpu: '0' })], 'BestEffort'],
      ['requests only', [c({ cpu: '100m' })], 'Burstable'],
      [
        'equal requests and limits',
        [c({ cpu: '1', memory: '1Gi' }, { cpu: '1000m', memory: '1024Mi' })],
        'Guaranteed',
      ],
      ['limits without memory', [c({ cpu: '1' }, { cpu: '1' })], 'Burstable'],
      [
        'requests below limits',
        [c({ cpu: '500m', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })],
        'Burstable',
      ],
      [
        'one guaranteed, one best effort',
        [c({ cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' }), { name: 'd' }],
        'Burstable',
      ],
    ];
    for (const [name, containers, want] of cases) {
      it(`${name} -> ${want}`, () => expect(podQOSClass({ containers })).to.equal(want));
    }
    it('parses quantities', () => {
      expect(quantityValue('1Ki')).to.equal(1024);
      expect(quantityValue('250m')).to.equal(0.25);
      expect(quantityValue('1e3')).to.equal(1000);
      expect(Number.isNaN(quantityValue('x'))).to.equal(true);
    });
  });

  describe('workloads', () => {
    const template = {
      metadata: { labels: { app: 'a' } },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    };
    const cases: Array<[string, string, string, Record<string, unknown>, Record<string, unknown>]> = [
      [
        'apps',
        'Deployment',
        'apps/v1',
        { template },
        {
          'spec.replicas': 1,
          'spec.strategy': {
            type: 'RollingUpdate',
            rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
          },
          'spec.revisionHistoryLimit': 10,
          'spec.progressDeadlineSeconds': 600,
          'spec.template.spec.containers.0.imagePullPolicy': 'Always',
          'spec.template.spec.restartPolicy': 'Always',
          'spec.template.spec.serviceAccountName': undefined,
          'spec.template.spec.enableServiceLinks': undefined,
        },
      ],
      [
        'apps',
        'Deployment',
        'apps/v1',
        { template, strategy: { type: 'Recreate' } },
        { 'spec.strategy': { type: 'Recreate' } },
      ],
      [
        'apps',
        'ReplicaSet',
        'apps/v1',
        { template },
        { 'spec.replicas': 1, 'spec.template.spec.dnsPolicy': 'ClusterFirst' },
      ],
      [
        'apps',
        'StatefulSet',
        'apps/v1',
        {
          template,
          volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }],
        },
        {
          'spec.replicas': 1,
          'spec.podManagementPolicy': 'OrderedReady',
          'spec.updateStrategy': { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
          'spec.revisionHistoryLimit': 10,
          'spec.persistentVolumeClaimRetentionPolicy': { whenDeleted: 'Retain', whenScaled: 'Retain' },
          'spec.minReadySeconds': undefined,
          'spec.volumeClaimTemplates.0.apiVersion': 'v1',
          'spec.volumeClaimTemplates.0.kind': 'PersistentVolumeClaim',
          'spec.volumeClaimTemplates.0.spec.volumeMode': 'Filesystem',
          'spec.volumeClaimTemplates.0.status': { phase: 'Pending' },
          'spec.template.spec.terminationGracePeriodSeconds': 30,
        },
      ],
      [
        'apps',
        'StatefulSet',
        'apps/v1',
        { template, updateStrategy: { type: 'OnDelete' } },
        { 'spec.updateStrategy': { type: 'OnDelete' } },
      ],
      [
        'apps',
        'DaemonSet',
        'apps/v1',
        { template },
        {
          'spec.updateStrategy': { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
          'spec.revisionHistoryLimit': 10,
          'spec.template.spec.schedulerName': 'default-scheduler',
        },
      ],
      [
        'batch',
        'Job',
        'batch/v1',
        { template: { ...template, spec: { ...template.spec, restartPolicy: 'Never' } } },
        {
          'spec.parallelism': 1,
          'spec.completions': 1,
          'spec.backoffLimit': 6,
          'spec.completionMode': 'NonIndexed',
          'spec.suspend': false,
          'spec.podReplacementPolicy': 'TerminatingOrFailed',
          'spec.manualSelector': false,
          'metadata.labels': { app: 'a' },
          'spec.template.spec.restartPolicy': 'Never',
        },
      ],
      [
        'batch',
        'Job',
        'batch/v1',
        {
          template,
          parallelism: 3,
          podFailurePolicy: {
            rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }],
          },
        },
        {
          'spec.parallelism': 3,
          'spec.completions': undefined,
          'spec.podReplacementPolicy': 'Failed',
          'spec.podFailurePolicy.rules.0.onPodConditions.0.status': 'True',
        },
      ],
      [
        'batch',
        'Job',
        'batch/v1',
        { template, backoffLimitPerIndex: 1, completionMode: 'Indexed', completions: 2 },
        { 'spec.backoffLimit': 2147483647, 'spec.completionMode': 'Indexed' },
      ],
      [
        'batch',
        'CronJob',
        'batch/v1',
        { schedule: '* * * * *', jobTemplate: { spec: { template } } },
        {
          'spec.concurrencyPolicy': 'Allow',
          'spec.suspend': false,
          'spec.successfulJobsHistoryLimit': 3,
          'spec.failedJobsHistoryLimit': 1,
          'spec.jobTemplate.spec.template.spec.containers.0.terminationMessagePolicy': 'File',
          'spec.jobTemplate.spec.backoffLimit': undefined,
        },
      ],
    ];
    for (const [group, kind, apiVersion, spec, want] of cases) {
      for (const [path, value] of Object.entries(want)) {
        it(`${kind} ${JSON.stringify(spec).slice(0, 40)}…: ${path} = ${JSON.stringify(value)}`, () => {
          expect(get(applyDefaults({ group, kind }, obj(apiVersion, kind, { spec })), path)).to.deep.equal(
            value,
          );
        });
      }
    }

    describe('applyJobSelectorDefaults', () => {
      const job = (extra: Record<string, unknown>, labels?: Record<string, string>) =>
        applyDefaults(
          { group: 'batch', kind: 'Job' },
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            metadata: { name: 'j', namespace: 'ns', uid: 'u-1', ...(labels ? { labels } : {}) },
            spec: { template: { metadata: { labels: { app: 'a' } }, spec: { containers: [] } }, ...extra },
          },
        );
      const generated = {
        app: 'a',
        'batch.kubernetes.io/controller-uid': 'u-1',
        'batch.kubernetes.io/job-name': 'j',
        'controller-uid': 'u-1',
        'job-name': 'j',
      };
      it('adds the template labels, the selector and mirrors them on a Job that copied its template labels', () => {
        const out = applyJobSelectorDefaults(job({}));
        expect(get(out, 'spec.template.metadata.labels')).to.deep.equal(generated);
        expect(get(out, 'spec.selector')).to.deep.equal({
          matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' },
        });
        expect(out.metadata.labels).to.deep.equal(generated);
      });
      it('keeps the Job’s own labels', () => {
        expect(applyJobSelectorDefaults(job({}, { team: 't' })).metadata.labels).to.deep.equal({ team: 't' });
      });
      it('does nothing with manualSelector: true', () => {
        const input = job({ manualSelector: true, selector: { matchLabels: { app: 'a' } } });
        expect(applyJobSelectorDefaults(input)).to.deep.equal(input);
      });
      it('does not mutate its input', () => {
        const input = job({});
        const before = structuredClone(input);
        applyJobSelectorDefaults(input);
        expect(input).to.deep.equal(before);
      });
    });
  });

  describe('core kinds', () => {
    const cases: Array<[string, KubeObject, Record<string, unknown>]> = [
      [
        'Service',
        obj('v1', 'Service', {
          spec: { ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] },
        }),
        {
          'spec.type': 'ClusterIP',
          'spec.sessionAffinity': 'None',
          'spec.internalTrafficPolicy': 'Cluster',
          'spec.externalTrafficPolicy': undefined,
          'spec.ports.0.protocol': 'TCP',
          'spec.ports.0.targetPort': 80,
          'spec.ports.1.protocol': 'UDP',
          'spec.ports.1.targetPort': 'dns',
          'status.loadBalancer': {},
        },
      ],
      [
        'Service',
        obj('v1', 'Service', {
          spec: { type: 'LoadBalancer', sessionAffinity: 'ClientIP', ports: [{ port: 1 }] },
        }),
        {
          'spec.externalTrafficPolicy': 'Cluster',
          'spec.allocateLoadBalancerNodePorts': true,
          'spec.sessionAffinityConfig.clientIP.timeoutSeconds': 10800,
        },
      ],
      [
        'Service',
        obj('v1', 'Service', { spec: { type: 'ExternalName', externalName: 'e.com' } }),
        { 'spec.internalTrafficPolicy': undefined },
      ],
      [
        'Namespace',
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: { a: 'b' } } },
        {
          'metadata.labels': { a: 'b', 'kubernetes.io/metadata.name': 'team' },
          'spec.finalizers': ['kubernetes'],
          'status.phase': 'Active',
        },
      ],
      ['Secret', obj('v1', 'Secret'), { type: 'Opaque' }],
      ['Secret', obj('v1', 'Secret', { type: 'kubernetes.io/tls' }), { type: 'kubernetes.io/tls' }],
      [
        'PersistentVolumeClaim',
        obj('v1', 'PersistentVolumeClaim', { spec: {} }),
        { 'spec.volumeMode': 'Filesystem', 'status.phase': 'Pending' },
      ],
      [
        'ConfigMap',
        obj('v1', 'ConfigMap', { data: { a: 'b' } }),
        { data: { a: 'b' }, metadata: { name: 'x', namespace: 'ns' } },
      ],
      [
        'ServiceAccount',
        obj('v1', 'ServiceAccount'),
        { metadata: { name: 'x', namespace: 'ns' }, secrets: undefined },
      ],
    ];
    for (const [kind, input, want] of cases) {
      for (const [path, value] of Object.entries(want)) {
        it(`${kind}: ${path} = ${JSON.stringify(value)}`, () => {
          expect(get(applyDefaults({ group: '', kind }, input), path)).to.deep.equal(value);
        });
      }
    }
    it('namespace spec.finalizers are only set at create', () => {
      const ns: KubeObject = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'n' },
        spec: { finalizers: [] },
      };
      expect(
        get(applyDefaults({ group: '', kind: 'Namespace' }, ns, { operation: 'update' }), 'spec.finalizers'),
      ).to.deep.equal([]);
    });
  });

  describe('properties', () => {
    const kinds = [
      { group: '', kind: 'Pod' },
      { group: 'apps', kind: 'Deployment' },
      { group: 'apps', kind: 'StatefulSet' },
      { group: 'batch', kind: 'Job' },
      { group: 'batch', kind: 'CronJob' },
      { group: '', kind: 'Service' },
      { group: '', kind: 'Namespace' },
    ];
    const arbitraryObject = fc.record({
      apiVersion: fc.constant('v1'),
      kind: fc.constant('X'),
      metadata: fc.record({ name: fc.string() }),
      spec: fc.anything(),
      status: fc.anything(),
    }) as fc.Arbitrary<KubeObject>;

    it('never mutates the input and never throws, whatever the shape', () => {
      fc.assert(
        fc.property(fc.constantFrom(...kinds), arbitraryObject, (kind, input) => {
          const before = structuredClone(input);
          applyDefaults(kind, input);
          expect(input).to.deep.equal(before);
        }),
      );
    });
    it('is idempotent on an update', () => {
      fc.assert(
        fc.property(fc.constantFrom(...kinds), arbitraryObject, (kind, input) => {
          const once = applyDefaults(kind, input);
          expect(applyDefaults(kind, once, { operation: 'update' })).to.deep.equal(once);
        }),
      );
    });
  });
});
