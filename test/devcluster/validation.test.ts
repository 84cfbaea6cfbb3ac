import { expect } from 'chai';
import fc from 'fast-check';
import { errors } from '../../src/devcluster/api/errors.ts';
import type { KubeObject, StatusCause } from '../../src/devcluster/api/types.ts';
import { applyDefaults } from '../../src/devcluster/builtin/defaults.ts';
import {
  isClusterScoped,
  selectorMatches,
  validateCreate,
  validateUpdate,
} from '../../src/devcluster/builtin/validation.ts';

type Kind = { group: string; kind: string };
const POD: Kind = { group: '', kind: 'Pod' };
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const apiVersions: Record<string, string> = {
  '': 'v1',
  apps: 'apps/v1',
  batch: 'batch/v1',
  'coordination.k8s.io': 'coordination.k8s.io/v1',
  'rbac.authorization.k8s.io': 'rbac.authorization.k8s.io/v1',
  'events.k8s.io': 'events.k8s.io/v1',
};
const clusterScoped = ['Namespace', 'Node', 'ClusterRole', 'ClusterRoleBinding'];

function make(kind: Kind, body: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject {
  const object: KubeObject = {
    apiVersion: apiVersions[kind.group] ?? 'v1',
    kind: kind.kind,
    metadata: { name: 'x', ...(clusterScoped.includes(kind.kind) ? {} : { namespace: 'ns' }), ...meta },
    ...body,
  };
  return applyDefaults(kind, object);
}

const c = (field: string, reason: string, message: string): StatusCause => ({ field, reason, message });
const podSpec = (spec: Record<string, unknown>) => ({
  spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec },
});
const template = (labels: Record<string, string>, spec: Record<string, unknown> = {}) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec },
});

describe('devcluster validation', () => {
  describe('validateCreate', () => {
    const cases: Array<[string, Kind, KubeObject, StatusCause[]]> = [
      ['a valid pod', POD, make(POD, podSpec({})), []],
      [
        'pod name must be a DNS subdomain',
        POD,
        make(POD, podSpec({}), { name: 'Bad_Name' }),
        [c('metadata.name', 'FieldValueInvalid', `Invalid value: "Bad_Name": ${SUBDOMAIN_MSG}`)],
      ],
      [
        'name or generateName required',
        POD,
        make(POD, podSpec({}), { name: undefined }),
        [c('metadata.name', 'FieldValueRequired', 'Required value: name or generateName is required')],
      ],
      [
        'container names are DNS labels',
        POD,
        make(POD, { spec: { containers: [{ name: 'App', image: 'i' }] } }),
        [c('spec.containers[0].name', 'FieldValueInvalid', `Invalid value: "App": ${LABEL_MSG}`)],
      ],
      [
        'container names unique across init and app containers',
        POD,
        make(POD, {
          spec: { initContainers: [{ name: 'x', image: 'i' }], containers: [{ name: 'x', image: 'i' }] },
        }),
        [c('spec.containers[0].name', 'FieldValueDuplicate', 'Duplicate value: "x"')],
      ],
      [
        'image required',
        POD,
        make(POD, { spec: { containers: [{ name: 'a' }] } }),
        [c('spec.containers[0].image', 'FieldValueRequired', 'Required value')],
      ],
      [
        'containers required',
        POD,
        make(POD, { spec: { containers: [] } }),
        [c('spec.containers', 'FieldValueRequired', 'Required value')],
      ],
      [
        'volumeMounts must name a volume',
        POD,
        make(POD, {
          spec: { containers: [{ name: 'a', image: 'i', volumeMounts: [{ name: 'v', mountPath: '/d' }] }] },
        }),
        [c('spec.containers[0].volumeMounts[0].name', 'FieldValueNotFound', 'Not found: "v"')],
      ],
      [
        'mountPath unique per container',
        POD,
        make(POD, {
          spec: {
            volumes: [{ name: 'v' }, { name: 'w' }],
            containers: [
              {
                name: 'a',
                image: 'i',
                volumeMounts: [
                  { name: 'v', mountPath: '/d' },
                  { name: 'w', mountPath: '/d' },
                ],
              },
            ],
          },
        }),
        [
          c(
            'spec.containers[0].volumeMounts[1].mountPath',
            'FieldValueInvalid',
            'Invalid value: "/d": must be unique',
          ),
        ],
      ],
      [
        'the same mountPath in two containers is fine',
        POD,
        make(POD, {
          spec: {
            volumes: [{ name: 'v' }],
            initContainers: [{ name: 'i', image: 'i', volumeMounts: [{ name: 'v', mountPath: '/d' }] }],
            containers: [{ name: 'a', image: 'i', volumeMounts: [{ name: 'v', mountPath: '/d' }] }],
          },
        }),
        [],
      ],
      [
        'volume names unique',
        POD,
        make(POD, podSpec({ volumes: [{ name: 'v' }, { name: 'v' }] })),
        [c('spec.volumes[1].name', 'FieldValueDuplicate', 'Duplicate value: "v"')],
      ],
      [
        'volume with two sources',
        POD,
        make(POD, podSpec({ volumes: [{ name: 'v', emptyDir: {}, configMap: { name: 'c' } }] })),
        [
          c(
            'spec.volumes[0].configMap',
            'FieldValueForbidden',
            'Forbidden: may not specify more than 1 volume type',
          ),
        ],
      ],
      [
        'unsupported imagePullPolicy and restartPolicy',
        POD,
        make(POD, {
          spec: {
            restartPolicy: 'Sometimes',
            containers: [{ name: 'a', image: 'i', imagePullPolicy: 'Maybe' }],
          },
        }),
        [
          c(
            'spec.containers[0].imagePullPolicy',
            'FieldValueNotSupported',
            'Unsupported value: "Maybe": supported values: "Always", "IfNotPresent", "Never"',
          ),
          c(
            'spec.restartPolicy',
            'FieldValueNotSupported',
            'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
          ),
        ],
      ],
      [
        'container port range and protocol',
        POD,
        make(POD, {
          spec: {
            containers: [{ name: 'a', image: 'i', ports: [{ containerPort: 70000, protocol: 'ICMP' }] }],
          },
        }),
        [
          c(
            'spec.containers[0].ports[0].containerPort',
            'FieldValueInvalid',
            'Invalid value: 70000: must be between 1 and 65535, inclusive',
          ),
          c(
            'spec.containers[0].ports[0].protocol',
            'FieldValueNotSupported',
            'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
          ),
        ],
      ],
      [
        'requests above limits',
        POD,
        make(POD, {
          spec: {
            containers: [
              { name: 'a', image: 'i', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } },
            ],
          },
        }),
        [
          c(
            'spec.containers[0].resources.requests[cpu]',
            'FieldValueInvalid',
            'Invalid value: "2": must be less than or equal to cpu limit of 1',
          ),
        ],
      ],
      [
        'env name required',
        POD,
        make(POD, { spec: { containers: [{ name: 'a', image: 'i', env: [{ value: 'v' }] }] } }),
        [c('spec.containers[0].env[0].name', 'FieldValueRequired', 'Required value')],
      ],
      [
        'restartPolicy on an app container',
        POD,
        make(POD, { spec: { containers: [{ name: 'a', image: 'i', restartPolicy: 'Always' }] } }),
        [
          c(
            'spec.containers[0].restartPolicy',
            'FieldValueForbidden',
            'Forbidden: may not be set for non-init containers',
          ),
        ],
      ],
      [
        'label keys and values',
        POD,
        make(POD, podSpec({}), { labels: { 'bad key!': 'ok', good: 'bad value' } }),
        [
          c(
            'metadata.labels',
            'FieldValueInvalid',
            `Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
          ),
          c(
            'metadata.labels',
            'FieldValueInvalid',
            `Invalid value: "bad value": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
          ),
        ],
      ],
      [
        'annotations too large',
        POD,
        make(POD, podSpec({}), { annotations: { a: 'x'.repeat(256 * 1024) } }),
        [c('metadata.annotations', 'FieldValueTooLong', 'Too long: may not be more than 262144 bytes')],
      ],
      [
        'namespace required for namespaced kinds',
        POD,
        make(POD, podSpec({}), { namespace: undefined }),
        [c('metadata.namespace', 'FieldValueRequired', 'Required value')],
      ],
      [
        'tolerations',
        POD,
        make(POD, podSpec({ tolerations: [{ operator: 'Equal', value: 'x' }] })),
        [
          c(
            'spec.tolerations[0].operator',
            'FieldValueInvalid',
            'Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
          ),
        ],
      ],
    ];

    const DEPLOY: Kind = { group: 'apps', kind: 'Deployment' };
    const RS: Kind = { group: 'apps', kind: 'ReplicaSet' };
    const STS: Kind = { group: 'apps', kind: 'StatefulSet' };
    const DS: Kind = { group: 'apps', kind: 'DaemonSet' };
    const JOB: Kind = { group: 'batch', kind: 'Job' };
    const CRON: Kind = { group: 'batch', kind: 'CronJob' };
    const sel = { matchLabels: { app: 'a' } };
    cases.push(
      [
        'a valid deployment',
        DEPLOY,
        make(DEPLOY, { spec: { selector: sel, template: template({ app: 'a' }) } }),
        [],
      ],
      [
        'deployment selector does not match template labels',
        DEPLOY,
        make(DEPLOY, { spec: { selector: sel, template: template({ app: 'b' }) } }),
        [
          c(
            'spec.template.metadata.labels',
            'FieldValueInvalid',
            'Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`',
          ),
        ],
      ],
      [
        'deployment selector required',
        DEPLOY,
        make(DEPLOY, { spec: { template: template({ app: 'a' }) } }),
        [c('spec.selector', 'FieldValueRequired', 'Required value')],
      ],
      [
        'empty deployment selector',
        DEPLOY,
        make(DEPLOY, { spec: { selector: {}, template: template({ app: 'a' }) } }),
        [
          c(
            'spec.selector',
            'FieldValueInvalid',
            'Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
          ),
        ],
      ],
      [
        'template containers validated at template paths',
        DEPLOY,
        make(DEPLOY, {
          spec: {
            selector: sel,
            template: {
              metadata: { labels: { app: 'a' } },
              spec: { containers: [{ name: 'a', volumeMounts: [{ name: 'v', mountPath: '/x' }] }] },
            },
          },
        }),
        [
          c('spec.template.spec.containers[0].image', 'FieldValueRequired', 'Required value'),
          c('spec.template.spec.containers[0].volumeMounts[0].name', 'FieldValueNotFound', 'Not found: "v"'),
        ],
      ],
      [
        'deployment template restartPolicy must be Always',
        DEPLOY,
        make(DEPLOY, {
          spec: { selector: sel, template: template({ app: 'a' }, { restartPolicy: 'Never' }) },
        }),
        [
          c(
            'spec.template.spec.restartPolicy',
            'FieldValueNotSupported',
            'Unsupported value: "Never": supported values: "Always"',
          ),
        ],
      ],
      [
        'maxUnavailable and maxSurge both 0',
        DEPLOY,
        make(DEPLOY, {
          spec: {
            selector: sel,
            template: template({ app: 'a' }),
            strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } },
          },
        }),
        [
          c(
            'spec.strategy.rollingUpdate.maxUnavailable',
            'FieldValueInvalid',
            'Invalid value: 0: may not be 0 when `maxSurge` is 0',
          ),
        ],
      ],
      [
        'negative replicas',
        RS,
        make(RS, { spec: { replicas: -1, selector: sel, template: template({ app: 'a' }) } }),
        [c('spec.replicas', 'FieldValueInvalid', 'Invalid value: -1: must be greater than or equal to 0')],
      ],
      [
        'matchExpressions selectors',
        RS,
        make(RS, {
          spec: {
            selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['z'] }] },
            template: template({ app: 'a' }),
          },
        }),
        [
          c(
            'spec.template.metadata.labels',
            'FieldValueInvalid',
            'Invalid value: map[string]string{"app":"a"}: `selector` does not match template `labels`',
          ),
        ],
      ],
      [
        'a valid statefulset',
        STS,
        make(STS, { spec: { selector: sel, template: template({ app: 'a' }) } }),
        [],
      ],
      [
        'statefulset podManagementPolicy',
        STS,
        make(STS, {
          spec: { selector: sel, podManagementPolicy: 'Random', template: template({ app: 'a' }) },
        }),
        [
          c(
            'spec.podManagementPolicy',
            'FieldValueNotSupported',
            'Unsupported value: "Random": supported values: "OrderedReady", "Parallel"',
          ),
        ],
      ],
      [
        'daemonset selector mismatch',
        DS,
        make(DS, { spec: { selector: sel, template: template({}) } }),
        [
          c(
            'spec.template.metadata.labels',
            'FieldValueInvalid',
            'Invalid value: map[string]string{}: `selector` does not match template `labels`',
          ),
        ],
      ],
      [
        'a valid job (selector generated later)',
        JOB,
        make(JOB, { spec: { template: template({}, { restartPolicy: 'Never' }) } }),
        [],
      ],
      [
        'job restartPolicy Always',
        JOB,
        make(JOB, { spec: { template: template({}) } }),
        [
          c(
            'spec.template.spec.restartPolicy',
            'FieldValueNotSupported',
            'Unsupported value: "Always": supported values: "OnFailure", "Never"',
          ),
        ],
      ],
      [
        'job with manualSelector needs a selector',
        JOB,
        make(JOB, { spec: { manualSelector: true, template: template({}, { restartPolicy: 'Never' }) } }),
        [c('spec.selector', 'FieldValueRequired', 'Required value')],
      ],
      [
        'cronjob schedule and concurrencyPolicy',
        CRON,
        make(CRON, {
          spec: {
            concurrencyPolicy: 'Sometimes',
            jobTemplate: { spec: { template: template({}, { restartPolicy: 'OnFailure' }) } },
          },
        }),
        [
          c('spec.schedule', 'FieldValueRequired', 'Required value'),
          c(
            'spec.concurrencyPolicy',
            'FieldValueNotSupported',
            'Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
          ),
        ],
      ],
      [
        'cronjob template containers',
        CRON,
        make(CRON, {
          spec: {
            schedule: '*/5 * * * *',
            jobTemplate: {
              spec: {
                template: { spec: { restartPolicy: 'Never', containers: [{ name: 'A', image: 'i' }] } },
              },
            },
          },
        }),
        [
          c(
            'spec.jobTemplate.spec.template.spec.containers[0].name',
            'FieldValueInvalid',
            `Invalid value: "A": ${LABEL_MSG}`,
          ),
        ],
      ],
    );

    const NS: Kind = { group: '', kind: 'Namespace' };
    const CM: Kind = { group: '', kind: 'ConfigMap' };
    const SECRET: Kind = { group: '', kind: 'Secret' };
    const SVC: Kind = { group: '', kind: 'Service' };
    const SA: Kind = { group: '', kind: 'ServiceAccount' };
    const LEASE: Kind = { group: 'coordination.k8s.io', kind: 'Lease' };
    const ROLE: Kind = { group: 'rbac.authorization.k8s.io', kind: 'Role' };
    const CRB: Kind = { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' };
    const EVENT: Kind = { group: 'events.k8s.io', kind: 'Event' };
    const CORE_EVENT: Kind = { group: '', kind: 'Event' };
    cases.push(
      ['a valid namespace', NS, make(NS, {}, { name: 'team-a' }), []],
      [
        'namespace names are DNS labels',
        NS,
        make(NS, {}, { name: 'a.b' }),
        [c('metadata.name', 'FieldValueInvalid', `Invalid value: "a.b": ${LABEL_MSG}`)],
      ],
      [
        'namespace on a cluster-scoped kind',
        NS,
        make(NS, {}, { name: 'n', namespace: 'x' }),
        [c('metadata.namespace', 'FieldValueForbidden', 'Forbidden: not allowed on this type')],
      ],
      [
        'configmap keys',
        CM,
        make(CM, { data: { 'bad/key': 'v', ok: 'v' }, binaryData: { ok: 'dg==' } }),
        [
          c(
            'data[bad/key]',
            'FieldValueInvalid',
            `Invalid value: "bad/key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
          ),
          c('binaryData[ok]', 'FieldValueInvalid', 'Invalid value: "ok": duplicate of key present in data'),
        ],
      ],
      [
        'tls secret needs its keys',
        SECRET,
        make(SECRET, { type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } }),
        [c('data[tls.key]', 'FieldValueRequired', 'Required value')],
      ],
      ['a valid service', SVC, make(SVC, { spec: { ports: [{ port: 80 }] } }), []],
      [
        'service names are DNS-1035 labels',
        SVC,
        make(SVC, { spec: { ports: [{ port: 80 }] } }, { name: '1svc' }),
        [
          c(
            'metadata.name',
            'FieldValueInvalid',
            `Invalid value: "1svc": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
          ),
        ],
      ],
      [
        'service ports required',
        SVC,
        make(SVC, { spec: {} }),
        [c('spec.ports', 'FieldValueRequired', 'Required value')],
      ],
      [
        'service port names required with several ports',
        SVC,
        make(SVC, { spec: { ports: [{ port: 80 }, { port: 81, name: 'b' }] } }),
        [c('spec.ports[0].name', 'FieldValueRequired', 'Required value')],
      ],
      [
        'serviceaccount name',
        SA,
        make(SA, {}, { name: 'UP' }),
        [c('metadata.name', 'FieldValueInvalid', `Invalid value: "UP": ${SUBDOMAIN_MSG}`)],
      ],
      [
        'lease duration',
        LEASE,
        make(LEASE, { spec: { leaseDurationSeconds: 0 } }),
        [c('spec.leaseDurationSeconds', 'FieldValueInvalid', 'Invalid value: 0: must be greater than 0')],
      ],
      [
        'role rules',
        ROLE,
        make(ROLE, { rules: [{ resources: ['pods'] }, { verbs: ['get'], nonResourceURLs: ['/healthz'] }] }),
        [
          c('rules[0].verbs', 'FieldValueRequired', 'Required value: verbs must contain at least one value'),
          c(
            'rules[0].apiGroups',
            'FieldValueRequired',
            'Required value: resource rules must supply at least one api group',
          ),
          c(
            'rules[1].nonResourceURLs',
            'FieldValueInvalid',
            'Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
          ),
        ],
      ],
      [
        'rbac names are path segments',
        ROLE,
        make(ROLE, { rules: [] }, { name: 'a/b' }),
        [c('metadata.name', 'FieldValueInvalid', `Invalid value: "a/b": may not contain '/'`)],
      ],
      [
        'clusterrolebinding roleRef and subjects',
        CRB,
        make(CRB, {
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
          subjects: [{ kind: 'ServiceAccount', name: 'sa' }],
        }),
        [
          c(
            'roleRef.kind',
            'FieldValueNotSupported',
            'Unsupported value: "Role": supported values: "ClusterRole"',
          ),
          c('subjects[0].namespace', 'FieldValueRequired', 'Required value'),
        ],
      ],
      [
        'events.k8s.io event required fields',
        EVENT,
        make(EVENT, {
          eventTime: '2024-01-01T00:00:00.000000Z',
          reportingController: 'c',
          reportingInstance: 'i',
          action: 'A',
          type: 'Odd',
        }),
        [
          c('reason', 'FieldValueRequired', 'Required value'),
          c(
            'type',
            'FieldValueNotSupported',
            'Unsupported value: "Odd": supported values: "Normal", "Warning"',
          ),
        ],
      ],
      [
        'core event namespace must match',
        CORE_EVENT,
        make(CORE_EVENT, { involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' } }),
        [
          c(
            'involvedObject.namespace',
            'FieldValueInvalid',
            'Invalid value: "other": does not match event.namespace',
          ),
        ],
      ],
    );

    for (const [name, kind, object, want] of cases) {
      it(`${kind.kind}: ${name}`, () => expect(validateCreate(kind, object)).to.deep.equal(want));
    }

    it('the causes make the 422 message kube-apiserver sends', () => {
      const pod = make(
        POD,
        { spec: { initContainers: [{ name: 'a', image: 'i' }], containers: [{ name: 'a' }] } },
        { name: 'p1' },
      );
      expect(errors.invalid('Pod', 'p1', validateCreate(POD, pod)).message).to.equal(
        'Pod "p1" is invalid: [spec.containers[0].name: Duplicate value: "a", spec.containers[0].image: Required value]',
      );
    });
  });

  describe('validateUpdate', () => {
    const base = make(POD, {
      spec: {
        initContainers: [{ name: 'a', image: 'busybox' }],
        containers: [{ name: 'app', image: 'nginx:1' }],
        tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }],
        schedulingGates: [{ name: 'g1' }, { name: 'g2' }],
        activeDeadlineSeconds: 100,
      },
    });
    const edit = (fn: (spec: Record<string, unknown>) => void, meta: Record<string, unknown> = {}) => {
      const next = structuredClone(base);
      fn(next.spec as Record<string, unknown>);
      Object.assign(next.metadata, meta);
      return next;
    };
    type Spec = Record<string, unknown> & {
      containers: Array<Record<string, unknown>>;
      initContainers: Array<Record<string, unknown>>;
    };
    const FORBIDDEN_PREFIX =
      'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n';
    const cases: Array<[string, KubeObject, StatusCause[]]> = [
      ['no change', structuredClone(base), []],
      [
        'images may change',
        edit((s) => {
          (s as Spec).containers[0]!.image = 'nginx:2';
          (s as Spec).initContainers[0]!.image = 'busybox:1';
        }),
        [],
      ],
      [
        'labels and annotations may change',
        edit(() => {}, { labels: { a: 'b' }, annotations: { x: 'y' } }),
        [],
      ],
      [
        'adding an init container',
        edit((s) =>
          (s as Spec).initContainers.push({
            name: 'b',
            image: 'busybox',
            imagePullPolicy: 'Always',
            terminationMessagePolicy: 'File',
          }),
        ),
        [
          c(
            'spec.initContainers',
            'FieldValueForbidden',
            'Forbidden: pod updates may not add or remove containers',
          ),
        ],
      ],
      [
        'removing a container',
        edit((s) => ((s as Spec).containers = [])),
        [
          c('spec.containers', 'FieldValueRequired', 'Required value'),
          c(
            'spec.containers',
            'FieldValueForbidden',
            'Forbidden: pod updates may not add or remove containers',
          ),
        ],
      ],
      [
        'an empty list equals an absent one (semantic equality)',
        edit((s) => ((s as Spec).containers[0]!.volumeMounts = [])),
        [],
      ],
      ['lowering activeDeadlineSeconds', edit((s) => (s.activeDeadlineSeconds = 50)), []],
      [
        'raising activeDeadlineSeconds',
        edit((s) => (s.activeDeadlineSeconds = 500)),
        [
          c(
            'spec.activeDeadlineSeconds',
            'FieldValueInvalid',
            'Invalid value: 500: must be less than or equal to previous value',
          ),
        ],
      ],
      [
        'unsetting activeDeadlineSeconds',
        edit((s) => delete s.activeDeadlineSeconds),
        [
          c(
            'spec.activeDeadlineSeconds',
            'FieldValueInvalid',
            'Invalid value: "null": must not update from a positive integer to nil value',
          ),
        ],
      ],
      [
        'adding a toleration',
        edit((s) => (s.tolerations as unknown[]).push({ key: 'z', operator: 'Exists' })),
        [],
      ],
      [
        'changing tolerationSeconds',
        edit((s) => ((s.tolerations as Array<Record<string, unknown>>)[0]!.tolerationSeconds = 5)),
        [],
      ],
      [
        'removing a toleration',
        edit((s) => (s.tolerations = (s.tolerations as unknown[]).slice(1))),
        [
          c(
            'spec.tolerations',
            'FieldValueForbidden',
            'Forbidden: existing toleration can not be modified except its tolerationSeconds',
          ),
        ],
      ],
      ['removing a scheduling gate', edit((s) => (s.schedulingGates = [{ name: 'g2' }])), []],
      [
        'adding a scheduling gate',
        edit((s) => (s.schedulingGates = [{ name: 'g1' }, { name: 'g2' }, { name: 'g3' }])),
        [
          c(
            'spec.schedulingGates[2].name',
            'FieldValueForbidden',
            "Forbidden: only deletion is allowed, but found new scheduling gate 'g3'",
          ),
        ],
      ],
      [
        'changing anything else',
        edit((s) => ((s as Spec).containers[0]!.command = ['sh'])),
        [
          c(
            'spec',
            'FieldValueForbidden',
            `${FORBIDDEN_PREFIX}- spec.containers[0].command: null\n+ spec.containers[0].command: ["sh"]`,
          ),
        ],
      ],
      [
        'renaming the pod',
        edit(() => {}, { name: 'y' }),
        [c('metadata.name', 'FieldValueInvalid', 'Invalid value: "y": field is immutable')],
      ],
    ];
    for (const [name, next, want] of cases) {
      it(`Pod: ${name}`, () => expect(validateUpdate(POD, base, next)).to.deep.equal(want));
    }

    const DEPLOY: Kind = { group: 'apps', kind: 'Deployment' };
    const STS: Kind = { group: 'apps', kind: 'StatefulSet' };
    const JOB: Kind = { group: 'batch', kind: 'Job' };
    const SECRET: Kind = { group: '', kind: 'Secret' };
    const RB: Kind = { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding' };
    const deploy = make(DEPLOY, {
      spec: { selector: { matchLabels: { app: 'a' } }, template: template({ app: 'a' }) },
    });
    const sts = make(STS, {
      spec: { serviceName: 's', selector: { matchLabels: { app: 'a' } }, template: template({ app: 'a' }) },
    });
    const job = make(JOB, {
      spec: {
        selector: { matchLabels: { j: '1' } },
        template: template({ j: '1' }, { restartPolicy: 'Never' }),
      },
    });
    const rb = make(RB, {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
      subjects: [],
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- terse edits of deeply nested test fixtures
    const with_ = (o: KubeObject, fn: (o: Record<string, any>) => void) => {
      const next = structuredClone(o);
      fn(next);
      return next;
    };
    const workloads: Array<[string, Kind, KubeObject, KubeObject, StatusCause[]]> = [
      [
        'deployment template change is fine',
        DEPLOY,
        deploy,
        with_(deploy, (o) => (o.spec.template.spec.containers[0].image = 'x')),
        [],
      ],
      [
        'deployment selector is immutable',
        DEPLOY,
        deploy,
        with_(deploy, (o) => {
          o.spec.selector = { matchLabels: { app: 'a', t: '1' } };
          o.spec.template.metadata.labels.t = '1';
        }),
        [
          c(
            'spec.selector',
            'FieldValueInvalid',
            'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"a", "t":"1"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
          ),
        ],
      ],
      ['statefulset replicas may change', STS, sts, with_(sts, (o) => (o.spec.replicas = 3)), []],
      [
        'statefulset serviceName may not',
        STS,
        sts,
        with_(sts, (o) => (o.spec.serviceName = 'other')),
        [
          c(
            'spec',
            'FieldValueForbidden',
            "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
          ),
        ],
      ],
      [
        'job template is immutable',
        JOB,
        job,
        with_(job, (o) => (o.spec.template.spec.containers[0].image = 'other')),
        [
          c(
            'spec.template',
            'FieldValueInvalid',
            `Invalid value: ${JSON.stringify({ metadata: { labels: { j: '1' } }, spec: { containers: [{ image: 'other', imagePullPolicy: 'Always', name: 'app', resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' }], dnsPolicy: 'ClusterFirst', restartPolicy: 'Never', schedulerName: 'default-scheduler', securityContext: {}, terminationGracePeriodSeconds: 30 } })}: field is immutable`,
          ),
        ],
      ],
      ['job parallelism may change', JOB, job, with_(job, (o) => (o.spec.parallelism = 4)), []],
      [
        'secret type is immutable',
        SECRET,
        make(SECRET, {}),
        with_(make(SECRET, {}), (o) => (o.type = 'x')),
        [c('type', 'FieldValueInvalid', 'Invalid value: "x": field is immutable')],
      ],
      [
        'immutable secret data',
        SECRET,
        make(SECRET, { immutable: true, data: { a: 'eA==' } }),
        make(SECRET, { immutable: true, data: { a: 'eQ==' } }),
        [c('data', 'FieldValueForbidden', 'Forbidden: field is immutable when `immutable` is set')],
      ],
      [
        'rolebinding roleRef',
        RB,
        rb,
        with_(rb, (o) => (o.roleRef.name = 'other')),
        [
          c(
            'roleRef',
            'FieldValueInvalid',
            'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"other"}: cannot change roleRef',
          ),
        ],
      ],
    ];
    for (const [name, kind, before, after, want] of workloads) {
      it(`${kind.kind}: ${name}`, () => expect(validateUpdate(kind, before, after)).to.deep.equal(want));
    }
  });

  describe('selectorMatches', () => {
    const cases: Array<[unknown, Record<string, string>, boolean]> = [
      [{ matchLabels: { a: '1' } }, { a: '1', b: '2' }, true],
      [{ matchLabels: { a: '1' } }, { a: '2' }, false],
      [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, { a: '2' }, true],
      [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, {}, true],
      [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, {}, false],
      [{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, { a: '' }, false],
      [{}, { a: '1' }, true],
    ];
    cases.forEach(([selector, labels, want], i) =>
      it(`case ${i}`, () => expect(selectorMatches(selector, labels)).to.equal(want)),
    );
  });

  describe('scope', () => {
    const cases: Array<[Kind, boolean]> = [
      [{ group: '', kind: 'PersistentVolume' }, false],
      [{ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' }, false],
      [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }, false],
      [{ group: '', kind: 'Namespace' }, false],
      [{ group: '', kind: 'ConfigMap' }, true],
      [{ group: 'example.com', kind: 'Unknown' }, true],
    ];
    for (const [kind, namespaced] of cases) {
      it(`${kind.kind} is ${namespaced ? 'namespaced' : 'cluster-scoped'}`, () => {
        const object: KubeObject = {
          apiVersion: 'v1',
          kind: kind.kind,
          metadata: { name: 'x', namespace: 'ns' },
        };
        const causes = validateCreate(kind, object).filter((c) => c.field === 'metadata.namespace');
        expect(causes).to.deep.equal(
          namespaced
            ? []
            : [c('metadata.namespace', 'FieldValueForbidden', 'Forbidden: not allowed on this type')],
        );
        expect(isClusterScoped(kind)).to.equal(!namespaced);
      });
    }
  });

  it('never throws and never mutates, whatever the object', () => {
    const kinds: Kind[] = [
      POD,
      { group: 'apps', kind: 'Deployment' },
      { group: 'batch', kind: 'CronJob' },
      { group: '', kind: 'Service' },
      { group: '', kind: 'Secret' },
      { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding' },
    ];
    const objectArb = fc.record({
      apiVersion: fc.constant('v1'),
      kind: fc.string(),
      metadata: fc.oneof(fc.record({ name: fc.string() }), fc.object()),
      spec: fc.anything(),
      data: fc.anything(),
    }) as unknown as fc.Arbitrary<KubeObject>;
    fc.assert(
      fc.property(fc.constantFrom(...kinds), objectArb, objectArb, (kind, a, b) => {
        const [a0, b0] = [structuredClone(a), structuredClone(b)];
        validateCreate(kind, a);
        validateUpdate(kind, a, b);
        expect([a, b]).to.deep.equal([a0, b0]);
      }),
    );
  });
});
