import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { parseFlags } from '../../src/cli/flags.ts';
import { runFlags } from '../../src/cli/commands/run.ts';
import { resolveSettings } from '../../src/config/resolve.ts';
import { ensureHelm, runHelm } from '../helpers/helm.ts';
import { kustomize } from '../helpers/kustomize.ts';
import type { Obj } from '../helpers/kustomize.ts';

const path = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const CHART = path('manifests/helm/restore-hooks');
const NAMESPACE = 'restore-hooks';

/**
 * The documented differences between the chart and the kustomize base (docs/operations.md, "Helm"):
 *  - Helm's own labels on every object and pod template;
 *  - the settings ConfigMap is restore-hooks-config, without kustomize's name hash; the pod template's
 *    checksum/config annotation rolls the Deployment instead;
 *  - the Namespace is rendered only with namespace.create=true (Helm keeps its release record in it).
 */
const HELM_LABELS = [
  'app.kubernetes.io/instance',
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/version',
  'helm.sh/chart',
];

function normalize(o: Obj): Obj {
  const copy = structuredClone(o);
  const strip = (meta: Obj | undefined) => {
    if (!meta?.labels) return;
    for (const l of HELM_LABELS) delete meta.labels[l];
  };
  strip(copy.metadata);
  strip(copy.spec?.template?.metadata);
  if (copy.kind === 'ConfigMap')
    copy.metadata.name = String(copy.metadata.name).replace(/-[a-z0-9]{10}$/, '');
  delete copy.spec?.template?.metadata?.annotations?.['checksum/config'];
  for (const v of copy.spec?.template?.spec?.volumes ?? [])
    if (v.configMap) v.configMap.name = String(v.configMap.name).replace(/-[a-z0-9]{10}$/, '');
  return copy;
}

const keyOf = (o: Obj) =>
  `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

/** Object for object: what the chart lacks, what it adds, and the first differing fields of the rest. */
function compare(chart: Obj[], base: Obj[]): string[] {
  const chartByKey = new Map(chart.map(normalize).map((o) => [keyOf(o), o]));
  const baseByKey = new Map(base.map(normalize).map((o) => [keyOf(o), o]));
  const out: string[] = [];
  for (const k of baseByKey.keys()) if (!chartByKey.has(k)) out.push(`the chart lacks ${k}`);
  for (const k of chartByKey.keys()) if (!baseByKey.has(k)) out.push(`the chart adds ${k}`);
  for (const [k, b] of baseByKey) {
    const c = chartByKey.get(k);
    if (c) for (const d of diff(c, b, '')) out.push(`${k}: ${d}`);
  }
  return out;
}

function diff(chart: unknown, base: unknown, at: string): string[] {
  if (JSON.stringify(chart) === JSON.stringify(base)) return [];
  if (
    typeof chart === 'object' &&
    chart &&
    typeof base === 'object' &&
    base &&
    Array.isArray(chart) === Array.isArray(base)
  ) {
    const keys = new Set([...Object.keys(chart), ...Object.keys(base)]);
    return [...keys].flatMap((k) =>
      diff((chart as Obj)[k], (base as Obj)[k], Array.isArray(base) ? `${at}[${k}]` : `${at}.${k}`),
    );
  }
  return [`${at || '(object)'}: chart ${JSON.stringify(chart)}, kustomize ${JSON.stringify(base)}`];
}

describe('Helm chart manifests/helm/restore-hooks (real Helm 4)', function () {
  this.timeout(600_000);
  let helm: string;
  before(async () => (helm = await ensureHelm()));

  const template = async (...args: string[]): Promise<Obj[]> => {
    const r = await runHelm(helm, ['template', 'restore-hooks', CHART, '--namespace', NAMESPACE, ...args]);
    expect(r.stderr, 'helm template').to.equal('');
    expect(r.status).to.equal(0);
    return parseAllDocuments(r.stdout)
      .map((d) => d.toJS() as Obj)
      .filter((o) => o !== null);
  };

  it('passes helm lint, also with every option on', async () => {
    for (const args of [
      [],
      [
        '--set',
        'webhook.enabled=true,webhook.certificates.mode=cert-manager,serviceMonitor.enabled=true,prometheusRule.enabled=true,restoreCrdStatusPatch.enabled=true,namespace.create=true',
      ],
    ]) {
      const r = await runHelm(helm, ['lint', '--strict', CHART, ...args]);
      expect(r.stdout, r.stderr).to.contain('1 chart(s) linted, 0 chart(s) failed');
      expect(r.status).to.equal(0);
    }
  });

  it('renders what `kubectl kustomize manifests` renders, object for object, minus the documented differences', async () => {
    const base = await kustomize(path('manifests'));
    const chart = await template();
    // The Namespace only with namespace.create (documented); everything else must match.
    const problems = compare(
      chart,
      base.filter((o) => o.kind !== 'Namespace'),
    );
    expect(problems, 'chart vs kustomize').to.deep.equal([]);
    const withNamespace = await template('--set', 'namespace.create=true');
    expect(compare(withNamespace, base)).to.deep.equal([]);
  });

  it('with the prometheus-operator toggles, renders what the overlay adds', async () => {
    const overlay = (await kustomize(path('manifests/overlays/prometheus-operator'))).filter((o) =>
      ['ServiceMonitor', 'PrometheusRule'].includes(o.kind),
    );
    expect(overlay).to.have.length(2);
    const chart = (await template('--set', 'serviceMonitor.enabled=true,prometheusRule.enabled=true')).filter(
      (o) => ['ServiceMonitor', 'PrometheusRule'].includes(o.kind),
    );
    // kustomize's components carry no labels of their own beyond the overlay's namespace.
    const unlabel = (o: Obj) => ({ ...normalize(o), metadata: { ...o.metadata, labels: undefined } });
    expect(chart.map(unlabel)).to.deep.equal(
      overlay.map((o) => unlabel({ ...o, metadata: { ...o.metadata, namespace: NAMESPACE } })),
    );
  });

  it('ships copies of config/controller.yaml, the CRD status patch and the alert rules, unchanged', () => {
    for (const [copy, original] of [
      ['files/controller.yaml', 'config/controller.yaml'],
      ['files/restore-status-conditions.yaml', 'config/crd/patches/restore-status-conditions.yaml'],
      ['files/prometheus-rule.yaml', 'manifests/components/prometheus-rules/prometheus-rule.yaml'],
    ])
      expect(readFileSync(`${CHART}/${copy}`, 'utf8'), copy).to.equal(readFileSync(path(original!), 'utf8'));
  });

  it('writes config.settings as the settings file, which the controller resolves, and rolls the pods on a change', async () => {
    const [a, b] = await Promise.all([
      template('--set', 'config.settings.templateCleanup=Retain,config.settings.exec.retries.attempts=3'),
      template(),
    ]);
    const configMap = a.find((o) => o.kind === 'ConfigMap')!;
    const text = configMap.data['controller.yaml'] as string;
    const settings = resolveSettings(parseFlags(runFlags, ['--config', 'c.yaml'], {}, false), {}, () => text);
    expect(settings.templateCleanup).to.equal('Retain');
    expect(settings.exec.retries.attempts).to.equal(3);
    const checksum = (objs: Obj[]) =>
      objs.find((o) => o.kind === 'Deployment')!.spec.template.metadata.annotations['checksum/config'];
    expect(checksum(a)).to.match(/^[0-9a-f]{64}$/);
    expect(checksum(a)).to.not.equal(checksum(b));
  });

  it('runs restricted by default, with image, replicas, resources and extra labels and annotations from values', async () => {
    const objs = await template(
      '--set',
      'image.repository=registry.example.com/rh,image.tag=1.2.3,replicas=3,resources.limits.memory=1Gi,extraLabels.team=storage,extraAnnotations.owner=ops',
    );
    const deploy = objs.find((o) => o.kind === 'Deployment')!;
    const pod = deploy.spec.template.spec;
    expect(deploy.spec.replicas).to.equal(3);
    expect(pod.containers[0].image).to.equal('registry.example.com/rh:1.2.3');
    expect(pod.containers[0].resources.limits.memory).to.equal('1Gi');
    expect(pod.securityContext).to.deep.equal({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.containers[0].securityContext).to.deep.equal({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const o of objs) {
      expect(o.metadata.labels?.team, keyOf(o)).to.equal('storage');
      expect(o.metadata.annotations?.owner, keyOf(o)).to.equal('ops');
    }
    expect(deploy.spec.template.metadata.labels.team).to.equal('storage');
    expect(deploy.spec.selector.matchLabels).to.deep.equal({ 'app.kubernetes.io/name': 'restore-hooks' });
  });

  it('renders the webhook with self-managed or cert-manager certificates', async () => {
    const self = await template('--set', 'webhook.enabled=true');
    const mwc = self.find((o) => o.kind === 'MutatingWebhookConfiguration')!;
    expect(
      mwc.webhooks.map((w: Obj) => [w.name, w.clientConfig.service.path, w.failurePolicy]),
    ).to.deep.equal([
      ['workloads.restore-hooks.dev', '/mutate-workloads', 'Ignore'],
      ['pods.restore-hooks.dev', '/mutate-pods', 'Ignore'],
    ]);
    expect(mwc.metadata.annotations).to.equal(undefined);
    expect(
      self.find((o) => o.kind === 'Service' && o.metadata.name === 'restore-hooks-webhook'),
    ).to.not.equal(undefined);
    const container = self.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
    expect(container.args).to.include('--webhook-bind-address=:9443');
    expect(container.ports.map((p: Obj) => p.name)).to.include('webhook');
    const role = self.find((o) => o.kind === 'Role')!;
    expect(role.rules.some((r: Obj) => r.resourceNames?.includes('restore-hooks-webhook-cert'))).to.equal(
      true,
    );
    expect(self.some((o) => o.kind === 'Certificate')).to.equal(false);

    const cm = await template('--set', 'webhook.enabled=true,webhook.certificates.mode=cert-manager');
    expect(cm.find((o) => o.kind === 'MutatingWebhookConfiguration')!.metadata.annotations).to.deep.equal({
      'cert-manager.io/inject-ca-from': 'restore-hooks/restore-hooks-webhook',
    });
    const cert = cm.find((o) => o.kind === 'Certificate')!;
    expect(cert.spec).to.deep.include({
      secretName: 'restore-hooks-webhook-cert',
      dnsNames: [
        'restore-hooks-webhook.restore-hooks.svc',
        'restore-hooks-webhook.restore-hooks.svc.cluster.local',
      ],
      issuerRef: { kind: 'Issuer', name: 'restore-hooks-selfsigned' },
    });
    expect(cm.some((o) => o.kind === 'Issuer')).to.equal(true);
    expect(cm.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0].env).to.deep.include({
      name: 'RESTORE_HOOKS_WEBHOOK_CERTIFICATES_MODE',
      value: 'External',
    });
    const issued = await template(
      '--set',
      'webhook.enabled=true,webhook.certificates.mode=cert-manager,webhook.certificates.certManager.issuerRef.kind=ClusterIssuer,webhook.certificates.certManager.issuerRef.name=corp-ca',
    );
    expect(issued.some((o) => o.kind === 'Issuer')).to.equal(false);
    expect(issued.find((o) => o.kind === 'Certificate')!.spec.issuerRef).to.deep.equal({
      kind: 'ClusterIssuer',
      name: 'corp-ca',
    });

    // Off: nothing of the webhook is rendered, and the controller is told not to serve it (its default is on).
    const off = await template('--set', 'webhook.enabled=false');
    expect(off.some((o) => o.kind === 'MutatingWebhookConfiguration')).to.equal(false);
    expect(off.some((o) => o.metadata.name === 'restore-hooks-webhook')).to.equal(false);
    const offArgs = off.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0].args;
    expect(offArgs).to.include('--no-webhook');
    expect(offArgs.some((a: string) => a.startsWith('--webhook-bind-address'))).to.equal(false);
  });

  it('patches the Restore CRD from a hook Job with the shipped patch, allowed only that CRD', async () => {
    const objs = await template('--set', 'restoreCrdStatusPatch.enabled=true');
    const job = objs.find((o) => o.kind === 'Job')!;
    expect(job.metadata.annotations['helm.sh/hook']).to.equal('post-install,post-upgrade');
    expect(job.spec.template.spec.containers[0].args).to.deep.equal([
      'patch',
      'crd',
      'restores.velero.io',
      '--type=json',
      '--patch-file=/patch/restore-status-conditions.yaml',
    ]);
    const patch = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'restore-hooks-crd-patch')!;
    expect(patch.data['restore-status-conditions.yaml']).to.equal(
      readFileSync(path('config/crd/patches/restore-status-conditions.yaml'), 'utf8'),
    );
    const role = objs.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'restore-hooks-crd-patch')!;
    expect(role.rules).to.deep.equal([
      {
        apiGroups: ['apiextensions.k8s.io'],
        resources: ['customresourcedefinitions'],
        resourceNames: ['restores.velero.io'],
        verbs: ['get', 'patch'],
      },
    ]);
  });

  it('uses policy/v1beta1 for the PodDisruptionBudget before Kubernetes 1.21', async () => {
    const old = await template('--kube-version', '1.20.2');
    expect(old.find((o) => o.kind === 'PodDisruptionBudget')!.apiVersion).to.equal('policy/v1beta1');
    const current = await template('--kube-version', '1.21.0');
    expect(current.find((o) => o.kind === 'PodDisruptionBudget')!.apiVersion).to.equal('policy/v1');
  });

  const bad: [string, string][] = [
    ['replicas=-1', "at '/replicas': minimum: got -1, want 0"],
    ['image.pullPolicy=Sometimes', "at '/image/pullPolicy': value must be one of"],
    ['webhook.certificates.mode=vault', "at '/webhook/certificates/mode': value must be one of"],
    ['webhook.port=70000', "at '/webhook/port': maximum"],
    ['resources.limits.memory=lots', "at '/resources/limits/memory'"],
    [
      'config.settings.hooks.annotationHooks=false',
      "at '/config/settings': additional properties 'hooks' not allowed",
    ],
    ['config.settings.templateCleanup=Never', "at '/config/settings/templateCleanup': value must be one of"],
    ['serviceMonitor.interval=often', "at '/serviceMonitor/interval'"],
    ['replica=3', "additional properties 'replica' not allowed"],
  ];
  for (const [value, message] of bad)
    it(`rejects --set ${value}, naming the field`, async () => {
      const r = await runHelm(helm, [
        'template',
        'restore-hooks',
        CHART,
        '--namespace',
        NAMESPACE,
        '--set',
        value,
      ]);
      expect(r.status).to.not.equal(0);
      expect(r.stderr).to.contain("values don't meet the specifications of the schema(s)");
      expect(r.stderr).to.contain(message);
    });
});
