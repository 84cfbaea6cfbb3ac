import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatusReport } from '../../src/cli/status/report.ts';
import { runCli } from '../helpers/cli.ts';
import { startControllerEnv } from '../helpers/controller-env.ts';
import type { ControllerEnv } from '../helpers/controller-env.ts';
import { deployment, restoredLabels } from '../helpers/restore-fixtures.ts';

/**
 * Who may run `restore-hooks status`: it lists the controller's Events cluster-wide in one request when RBAC allows,
 * and in each namespace involved when the user may list Events only there; either way the report is the same.
 */
describe('restore-hooks status: the same report whether Events may be listed cluster-wide or per namespace (devcluster, RBAC enforced)', function () {
  this.timeout(120_000);
  let env: ControllerEnv;
  let dir: string;

  const event = (namespace: string, name: string, object: string, message: string) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace },
    involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: object },
    type: 'Warning',
    reason: 'HookSkipped',
    message,
    count: 1,
    firstTimestamp: '2026-12-06T10:00:00Z',
    lastTimestamp: '2026-12-06T10:00:00Z',
    source: { component: 'restore-hooks.dev/controller' },
    reportingComponent: 'restore-hooks.dev/controller',
    reportingInstance: 'test',
  });
  const create = (path: string, body: unknown) => env.client.request({ method: 'POST', path, body });
  const rbac = (kind: string, namespace: string | undefined, body: Record<string, unknown>) =>
    create(`/apis/rbac.authorization.k8s.io/v1/${namespace ? `namespaces/${namespace}/` : ''}${kind}`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      ...body,
    });
  const kubeconfigOf = async (name: string): Promise<string> => {
    const file = join(dir, `kubeconfig-${name}`);
    await writeFile(file, (await env.bed.serviceAccountKubeConfig('team', name)).exportConfig());
    return file;
  };
  const bind = async (user: string, role: string, namespace?: string) =>
    rbac(namespace ? 'rolebindings' : 'clusterrolebindings', namespace, {
      kind: namespace ? 'RoleBinding' : 'ClusterRoleBinding',
      metadata: { name: `${user}-${role}`, ...(namespace ? { namespace } : {}) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'ServiceAccount', name: user, namespace: 'team' }],
    });
  const status = (kubeconfig: string) =>
    runCli(['status', '-n', 'velero', 'rv', '-o', 'json', '--kubeconfig', kubeconfig], {}, 60_000);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restore-hooks-status-rbac-'));
    env = await startControllerEnv({ rbac: true, namespaces: ['team'] });
    await create('/apis/velero.io/v1/namespaces/velero/restores', {
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { name: 'rv', namespace: 'velero' },
      spec: { backupName: 'b2' },
      status: { phase: 'InProgress' },
    });
    await create(
      '/apis/apps/v1/namespaces/app/deployments',
      deployment('web', 'app', { labels: restoredLabels('rv') }),
    );
    await create(
      '/api/v1/namespaces/app/events',
      event('app', 'web.1', 'web', 'spec.replicas: skipped in app'),
    );
    // Another namespace's Event of the controller: not part of this restore's story.
    await create('/api/v1/namespaces/team/events', event('team', 'other.1', 'other', 'skipped in team'));
    // Reads everything status reads but Events, cluster-wide; Events in the namespaces of the restore's objects.
    await rbac('clusterroles', undefined, {
      kind: 'ClusterRole',
      metadata: { name: 'status-reader' },
      rules: [
        { apiGroups: ['velero.io'], resources: ['restores'], verbs: ['get'] },
        {
          apiGroups: ['apps'],
          resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'],
          verbs: ['list'],
        },
        { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      ],
    });
    await rbac('clusterroles', undefined, {
      kind: 'ClusterRole',
      metadata: { name: 'event-reader' },
      rules: [{ apiGroups: [''], resources: ['events'], verbs: ['list'] }],
    });
    for (const user of ['cluster-wide', 'per-namespace', 'missing-one']) {
      await kubeconfigOf(user);
      await bind(user, 'status-reader');
    }
    await bind('cluster-wide', 'event-reader');
    await bind('per-namespace', 'event-reader', 'velero');
    await bind('per-namespace', 'event-reader', 'app');
    await bind('missing-one', 'event-reader', 'velero');
  });
  after(async () => {
    await env.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports the Events of the namespaces involved only, the same for both users', async () => {
    const admin = join(dir, 'kubeconfig-admin');
    await env.cluster.writeKubeconfig(admin);
    const reports: StatusReport[] = [];
    for (const kubeconfig of [
      admin,
      join(dir, 'kubeconfig-cluster-wide'),
      join(dir, 'kubeconfig-per-namespace'),
    ]) {
      const r = await status(kubeconfig);
      expect(r.stderr).to.equal('');
      expect(r.status).to.equal(0);
      reports.push(JSON.parse(r.stdout) as StatusReport);
    }
    expect(reports[0]!.skipped).to.deep.equal([
      {
        object: 'Deployment/app/web',
        reason: 'HookSkipped',
        field: 'spec.replicas',
        message: 'spec.replicas: skipped in app',
      },
    ]);
    expect(reports[1]).to.deep.equal(reports[0]);
    expect(reports[2]).to.deep.equal(reports[0]);
  });

  it('fails as before, naming the refusal, when Events of a namespace involved may not be listed', async () => {
    const r = await status(join(dir, 'kubeconfig-missing-one'));
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/^restore-hooks status: .*403/);
    expect(r.stderr).to.contain('events');
  });
});
