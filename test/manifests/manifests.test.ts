import { expect } from 'chai';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags } from '../../src/cli/flags.ts';
import { runFlags } from '../../src/cli/commands/run.ts';
import { controllerNamespace, resolveSettings } from '../../src/config/resolve.ts';
import { METRIC_NAMES } from '../../src/telemetry/metrics.ts';
import { webhookConfiguration } from '../../src/controller/admission/webhook-configuration.ts';
import { kustomize } from '../helpers/kustomize.ts';
import { MACHINERY_METRICS, metricFamily, metricNamesIn } from '../helpers/metric-names.ts';
import type { Obj } from '../helpers/kustomize.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MANIFESTS = join(ROOT, 'manifests');
const NAMESPACE = 'restore-hooks';
const POD_LABELS = { 'app.kubernetes.io/name': 'restore-hooks' };

const find = (objs: Obj[], kind: string, name?: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found, `${kind} ${name ?? ''}`).to.have.length(1);
  return found[0]!;
};
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('manifests: the kustomize base', function () {
  this.timeout(60_000);
  let objs: Obj[];
  let deployment: Obj;
  let container: Obj;
  let args: string[];

  before(async () => {
    objs = await kustomize(MANIFESTS);
    deployment = find(objs, 'Deployment', 'restore-hooks');
    container = deployment.spec.template.spec.containers[0];
    args = container.args;
  });

  it('renders exactly the objects of the base, namespaced into restore-hooks', () => {
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).to.have.members([
      'Namespace/restore-hooks',
      'ServiceAccount/restore-hooks',
      'ClusterRole/restore-hooks',
      'ClusterRoleBinding/restore-hooks',
      'Role/restore-hooks-leader-election',
      'RoleBinding/restore-hooks-leader-election',
      `ConfigMap/${find(objs, 'ConfigMap').metadata.name}`,
      'Deployment/restore-hooks',
      'Service/restore-hooks-metrics',
      'Service/restore-hooks-webhook',
      'MutatingWebhookConfiguration/restore-hooks',
      'PodDisruptionBudget/restore-hooks',
      'NetworkPolicy/restore-hooks',
    ]);
    for (const o of objs.filter(
      (o) =>
        !['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration'].includes(o.kind),
    )) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).to.equal(NAMESPACE);
    }
    expect(find(objs, 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce']).to.equal(
      'restricted',
    );
  });

  it('runs 2 replicas with leader election, the config file and both servers', () => {
    expect(deployment.spec.replicas).to.equal(2);
    expect(deployment.spec.template.spec.serviceAccountName).to.equal('restore-hooks');
    expect(selects(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).to.equal(
      true,
    );
    expect(args).to.include.members([
      '--leader-elect',
      '--metrics-bind-address=:8080',
      '--health-probe-bind-address=:8081',
      '--webhook-bind-address=:9443',
    ]);
    expect(container.image).to.match(/^ghcr\.io\/restore-hooks\/restore-hooks:\d+\.\d+\.\d+$/);
    expect(container.ports).to.deep.equal([
      { name: 'metrics', containerPort: 8080, protocol: 'TCP' },
      { name: 'health', containerPort: 8081, protocol: 'TCP' },
      { name: 'webhook', containerPort: 9443, protocol: 'TCP' },
    ]);
  });

  it('configures the webhooks as the controller writes them in url mode (the contract), through the Service', () => {
    const stored = find(objs, 'MutatingWebhookConfiguration');
    const built = webhookConfiguration({
      name: 'restore-hooks',
      namespace: NAMESPACE,
      clientConfig: { service: true },
      caBundle: '',
      failurePolicy: 'Ignore',
    }) as Obj;
    const withoutCa = (webhooks: Obj[]) =>
      webhooks.map((w) => ({ ...w, clientConfig: { ...w.clientConfig, caBundle: undefined } }));
    expect(JSON.parse(JSON.stringify(withoutCa(stored.webhooks)))).to.deep.equal(
      JSON.parse(JSON.stringify(withoutCa(built.webhooks))),
    );
    expect(find(objs, 'Namespace').metadata.labels['restore-hooks.dev/webhook']).to.equal('disabled');
  });

  it('probes /healthz and /readyz on the health port', () => {
    expect(container.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 'health' });
    expect(container.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 'health' });
  });

  it('sets resource requests and limits', () => {
    expect(container.resources.requests).to.have.all.keys('cpu', 'memory');
    expect(container.resources.limits).to.have.all.keys('cpu', 'memory');
  });

  it('meets the restricted Pod Security Standard', () => {
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).to.deep.include({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext.runAsUser).to.be.a('number').above(0);
    expect(pod.hostNetwork ?? false).to.equal(false);
    for (const c of pod.containers) {
      expect(c.securityContext).to.deep.equal({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
    }
  });

  it('passes its namespace through the downward API and mounts the generated ConfigMap at --config', () => {
    const env = Object.fromEntries(container.env.map((e: Obj) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
    expect(env).to.deep.include({ POD_NAMESPACE: 'metadata.namespace' });
    const configArg = args.find((a) => a.startsWith('--config='))!.slice('--config='.length);
    const mount = container.volumeMounts.find((m: Obj) => configArg.startsWith(`${m.mountPath}/`));
    expect(mount, 'a volume mounted where --config points').to.not.equal(undefined);
    expect(mount.readOnly).to.equal(true);
    const volume = deployment.spec.template.spec.volumes.find((v: Obj) => v.name === mount.name);
    const configMap = find(objs, 'ConfigMap');
    expect(volume.configMap.name).to.equal(configMap.metadata.name);
    expect(configMap.metadata.name).to.match(/^restore-hooks-config-[a-z0-9]+$/);
    expect(Object.keys(configMap.data)).to.deep.equal([configArg.split('/').pop()]);
  });

  it('ships config/controller.yaml unchanged, and it resolves to valid settings in the pod', () => {
    const shipped = find(objs, 'ConfigMap').data['controller.yaml'];
    expect(shipped, 'manifests/base/controller.yaml must be a copy of config/controller.yaml').to.equal(
      readFileSync(join(ROOT, 'config/controller.yaml'), 'utf8'),
    );
    const configPath = args.find((a) => a.startsWith('--config='))!.slice('--config='.length);
    const env = { POD_NAMESPACE: NAMESPACE };
    const readFile = (p: string): string => {
      if (p === configPath) return shipped;
      throw new Error(`ENOENT: ${p}`);
    };
    const settings = resolveSettings(parseFlags(runFlags, args, env, false), env, readFile);
    expect(settings.leaderElection).to.deep.include({ enabled: true, leaseNamespace: '' });
    expect(controllerNamespace(settings, env, readFile), 'the Lease and ledgers namespace').to.equal(
      NAMESPACE,
    );
    const leaseRule = find(objs, 'Role').rules.find((r: Obj) => r.resourceNames);
    expect(leaseRule.resourceNames).to.deep.equal([settings.leaderElection.leaseName]);
  });

  it('grants exactly the rules the controller needs, cluster-wide, and no Secret but its certificate', () => {
    const rules = find(objs, 'ClusterRole').rules.map((r: Obj) => ({
      apiGroups: r.apiGroups,
      resources: r.resources,
      verbs: r.verbs,
    }));
    expect(rules).to.deep.equal([
      {
        apiGroups: ['velero.io'],
        resources: ['restores'],
        verbs: ['list', 'watch', 'patch'],
      },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch', 'create', 'delete'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['get', 'create'] },
      {
        apiGroups: ['apps'],
        resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'],
        verbs: ['get', 'list', 'watch', 'patch'],
      },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['mutatingwebhookconfigurations'],
        verbs: ['get', 'update'],
      },
    ]);
    expect(find(objs, 'ClusterRole').rules.at(-1).resourceNames).to.deep.equal(['restore-hooks']);
    const all = [...find(objs, 'ClusterRole').rules, ...find(objs, 'Role').rules];
    for (const r of all) {
      expect([...r.apiGroups, ...r.resources, ...r.verbs]).to.not.include('*');
      if (r.resources.includes('secrets') && r.verbs.some((v: string) => v !== 'create'))
        expect(r.resourceNames).to.deep.equal(['restore-hooks-webhook-cert']);
    }
  });

  it('limits leases, the replacement journal and the hook-count ledgers to the controller’s own namespace and binds both roles to its service account', () => {
    expect(find(objs, 'Role').rules).to.deep.equal([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['restore-hooks'],
        verbs: ['get', 'update'],
      },
      {
        apiGroups: [''],
        resources: ['configmaps'],
        verbs: ['create', 'get', 'list', 'watch', 'update', 'delete'],
      },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['restore-hooks-webhook-cert'],
        verbs: ['get', 'update'],
      },
    ]);
    for (const [binding, role] of [
      ['ClusterRoleBinding', 'ClusterRole'],
      ['RoleBinding', 'Role'],
    ] as const) {
      const b = find(objs, binding);
      expect(b.roleRef).to.deep.equal({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: role,
        name: find(objs, role).metadata.name,
      });
      expect(b.subjects).to.deep.equal([
        { kind: 'ServiceAccount', name: 'restore-hooks', namespace: NAMESPACE },
      ]);
    }
  });

  it('exposes metrics through a Service selecting the pods, and keeps one pod through disruptions', () => {
    const service = find(objs, 'Service', 'restore-hooks-metrics');
    expect(selects(service.spec.selector, deployment.spec.template.metadata.labels)).to.equal(true);
    expect(service.spec.ports).to.deep.equal([
      { name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' },
    ]);
    const webhook = find(objs, 'Service', 'restore-hooks-webhook');
    expect(selects(webhook.spec.selector, deployment.spec.template.metadata.labels)).to.equal(true);
    expect(webhook.spec.ports).to.deep.equal([
      { name: 'webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' },
    ]);
    const pdb = find(objs, 'PodDisruptionBudget');
    expect(pdb.spec.minAvailable).to.equal(1);
    expect(pdb.spec.minAvailable).to.be.below(deployment.spec.replicas);
    expect(selects(pdb.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).to.equal(true);
  });

  it('lets in only metrics, probes and the webhooks, and out only DNS and the API server', () => {
    const policy = find(objs, 'NetworkPolicy');
    expect(policy.spec.podSelector.matchLabels).to.deep.equal(POD_LABELS);
    expect(policy.spec.policyTypes).to.deep.equal(['Ingress', 'Egress']);
    expect(policy.spec.ingress).to.deep.equal([
      {
        ports: [
          { port: 8080, protocol: 'TCP' },
          { port: 8081, protocol: 'TCP' },
          { port: 9443, protocol: 'TCP' },
        ],
      },
    ]);
    const egressPorts = policy.spec.egress.map((e: Obj) =>
      e.ports.map((p: Obj) => `${p.protocol}/${p.port}`),
    );
    expect(egressPorts).to.deep.equal([
      ['UDP/53', 'TCP/53'],
      ['TCP/443', 'TCP/6443'],
    ]);
    expect(policy.spec.egress[0].to[0].namespaceSelector.matchLabels).to.deep.equal({
      'kubernetes.io/metadata.name': 'kube-system',
    });
  });
});

describe('manifests: components and overlays', function () {
  this.timeout(60_000);

  it('the prometheus-operator overlay adds a ServiceMonitor for the metrics Service', async () => {
    const objs = await kustomize(join(MANIFESTS, 'overlays/prometheus-operator'));
    const monitor = find(objs, 'ServiceMonitor');
    const service = find(objs, 'Service', 'restore-hooks-metrics');
    expect(monitor.metadata.namespace).to.equal(NAMESPACE);
    expect(selects(monitor.spec.selector.matchLabels, service.metadata.labels)).to.equal(true);
    expect(monitor.spec.endpoints).to.deep.equal([
      { port: service.spec.ports[0].name, path: '/metrics', interval: '30s', honorLabels: true },
    ]);
  });

  it('the prometheus-operator overlay adds alert rules on metrics that exist, each with a severity and advice', async () => {
    const objs = await kustomize(join(MANIFESTS, 'overlays/prometheus-operator'));
    const rule = find(objs, 'PrometheusRule');
    expect(rule.metadata.namespace).to.equal(NAMESPACE);
    const rules: Obj[] = rule.spec.groups.flatMap((g: Obj) => g.rules);
    const job = `job="${find(objs, 'Service', 'restore-hooks-metrics').metadata.name}"`;
    const known = new Set<string>([...Object.values(METRIC_NAMES), ...MACHINERY_METRICS, 'up']);
    expect(rules.map((r) => r.alert)).to.include.members([
      'RestoreHooksDown',
      'RestoreHooksNoLeader',
      'RestoreHooksFailing',
      'RestoreHooksRestoreStuck',
      'RestoreHooksReconcileErrors',
      'RestoreHooksWorkqueueBacklog',
    ]);
    for (const r of rules) {
      expect(r.labels.severity, r.alert).to.be.oneOf(['critical', 'warning', 'info']);
      expect(r.annotations, r.alert).to.have.all.keys('summary', 'description');
      const names = metricNamesIn(r.expr);
      expect(names, r.alert).to.have.length.greaterThan(0);
      for (const name of names) expect(known.has(metricFamily(name)), `${r.alert}: ${name}`).to.equal(true);
      // Prometheus-operator names the scrape job after the Service; every selector pins it.
      expect(r.expr.split('{').length - 1, r.alert).to.equal(r.expr.split(job).length - 1);
    }
  });

  it('the restore-conditions component adds status.conditions to the Velero Restore CRD', async () => {
    const patch = join(MANIFESTS, 'components/restore-conditions/restore-status-conditions.yaml');
    expect(
      readFileSync(patch, 'utf8'),
      'a copy of config/crd/patches/restore-status-conditions.yaml',
    ).to.equal(readFileSync(join(ROOT, 'config/crd/patches/restore-status-conditions.yaml'), 'utf8'));
    const dir = mkdtempSync(join(tmpdir(), 'restore-hooks-kustomize-'));
    try {
      cpSync(join(ROOT, 'config/crd/velero.io_restores.yaml'), join(dir, 'crd.yaml'));
      const component = relative(dir, join(MANIFESTS, 'components/restore-conditions'));
      writeFileSync(join(dir, 'kustomization.yaml'), `resources: [crd.yaml]\ncomponents: [${component}]\n`);
      const [crd] = await kustomize(dir);
      const status = crd!.spec.versions[0].schema.openAPIV3Schema.properties.status.properties;
      expect(status.conditions.type).to.equal('array');
      expect(status.conditions.items.required).to.include.members(['type', 'status']);
      expect(status.phase, 'the rest of the schema is kept').to.not.equal(undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('manifests: the cert-manager component', function () {
  this.timeout(60_000);

  it('issues the webhook Secret with cert-manager, injects its CA, and turns the controller to External', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'restore-hooks-kustomize-'));
    try {
      const base = relative(dir, join(MANIFESTS, 'base'));
      const component = relative(dir, join(MANIFESTS, 'components/cert-manager'));
      writeFileSync(join(dir, 'kustomization.yaml'), `resources: [${base}]\ncomponents: [${component}]\n`);
      const objs = await kustomize(dir);
      const certificate = find(objs, 'Certificate');
      expect(certificate.metadata.namespace).to.equal(NAMESPACE);
      expect(certificate.spec.secretName).to.equal('restore-hooks-webhook-cert');
      expect(certificate.spec.dnsNames).to.include(`restore-hooks-webhook.${NAMESPACE}.svc`);
      expect(find(objs, 'MutatingWebhookConfiguration').metadata.annotations).to.deep.equal({
        'cert-manager.io/inject-ca-from': `${NAMESPACE}/restore-hooks-webhook`,
      });
      const env = find(objs, 'Deployment').spec.template.spec.containers[0].env as Obj[];
      const mode = env.find((e) => e.name === 'RESTORE_HOOKS_WEBHOOK_CERTIFICATES_MODE');
      expect(mode?.value).to.equal('External');
      const args = find(objs, 'Deployment').spec.template.spec.containers[0].args as string[];
      const settings = resolveSettings(
        parseFlags(
          runFlags,
          args.filter((a) => !a.startsWith('--config')),
          {},
          false,
        ),
        { RESTORE_HOOKS_WEBHOOK_CERTIFICATES_MODE: 'External', POD_NAMESPACE: NAMESPACE },
        () => '',
      );
      expect(settings.webhook.certificates.mode).to.equal('External');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
