import { expect } from 'chai';
import { describeOnBeds } from '../../helpers/bed-suites.ts';
import { IsomorphicFetchHttpLibrary } from '@kubernetes/client-node';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.ts';
import { KubeJsonClient } from '../../../src/controller/kube-json-client.ts';
import type { Pod, Workload } from '../../../src/kube/types.ts';
import { eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { deployment, isoSecondsAgo, issueRxHooks, restoredLabels } from '../../helpers/restore-fixtures.ts';

const RECORD = 'restore-hooks.dev/exec-hooks';

/** The issue's Restore `velero/rx`: it restored namespace app only; its hook entry names no namespace. */
const rx = {
  apiVersion: 'velero.io/v1',
  kind: 'Restore',
  metadata: { name: 'rx', namespace: 'velero' },
  spec: {
    backupName: 'b2',
    includedNamespaces: ['app'],
    hooks: issueRxHooks(['sh', '-c', 'echo admin']),
  },
  status: { phase: 'InProgress', startTimestamp: isoSecondsAgo(60) },
};

/** Annotation hooks a tenant would use to fail the Restore. */
const FAILING_HOOKS = {
  'post.hook.restore.velero.io/command': '["sh", "-c", "exit 3"]',
  'post.hook.restore.velero.io/on-error': 'Fail',
};

/** Waits on the cluster's own controllers and kubelet (the real bed's take seconds on a loaded machine). */
const SETTLE_MS = 45_000;

describeOnBeds(
  'controller: a Restore reaches only the namespaces it restored (issue 17, finding 1; RBAC of manifests/ enforced)',
  function (bed) {
    this.timeout(120_000);
    let env: ControllerEnv;
    let tenant: KubeJsonClient;

    beforeEach(async () => {
      env = await startControllerEnv({ bed: bed.kind, rbac: true, simulation: {}, namespaces: ['team'] });
      // A tenant who may only manage Deployments in namespace team: no Restores, no pods/exec. A ServiceAccount, so
      // that both beds authenticate it (a real API server knows no user of the devcluster's token kubeconfigs).
      await env.client.request({
        method: 'POST',
        path: '/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles',
        body: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'deployer', namespace: 'team' },
          rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['create', 'get', 'list'] }],
        },
      });
      await env.client.request({
        method: 'POST',
        path: '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings',
        body: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'deployer', namespace: 'team' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' },
          subjects: [{ kind: 'ServiceAccount', name: 'tenant', namespace: 'team' }],
        },
      });
      tenant = new KubeJsonClient(
        await env.bed.serviceAccountKubeConfig('team', 'tenant'),
        new IsomorphicFetchHttpLibrary(),
        'tenant',
      );
    });
    afterEach(async function () {
      if (this.currentTest?.state === 'failed' && process.env.DEBUG_LOGS)
        for (const l of env.logs) console.log(JSON.stringify(l));
      await env.stop();
    });

    const getDeployment = (name: string, ns: string) =>
      env.client.request<Workload>({
        method: 'GET',
        path: `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
      });
    const podsOf = async (app: string, ns: string) =>
      (
        await env.client.request<{ items: Pod[] }>({
          method: 'GET',
          path: `/api/v1/namespaces/${ns}/pods`,
          query: { labelSelector: `app=${app}` },
        })
      ).items;
    const restore = () =>
      env.client.request<{
        status: {
          phase?: string;
          errors?: number;
          hookStatus?: { hooksAttempted?: number; hooksFailed?: number };
        };
      }>({ method: 'GET', path: '/apis/velero.io/v1/namespaces/velero/restores/rx' });

    it("a tenant's labelled Deployment in another namespace gets nothing, and leaves the Restore's outcome alone", async () => {
      await env.velero.request({
        method: 'POST',
        path: '/apis/velero.io/v1/namespaces/velero/restores',
        body: rx,
      });
      await env.startController({ exec: { ...DEFAULT_SETTINGS.exec, veleroRestoredPods: 'Run' } });
      // startController returns before the workers run: a Deployment created earlier could have its pod started first.
      await eventually(
        () => env.logs.some((l) => l.msg === 'controllers started'),
        'the controller to start',
      );
      await tenant.request({
        method: 'POST',
        path: '/apis/apps/v1/namespaces/team/deployments',
        body: deployment('sneaky2', 'team', { labels: restoredLabels('rx'), annotations: FAILING_HOOKS }),
      });
      const sneakyPods = await eventually(
        async () => {
          const pods = await podsOf('sneaky2', 'team');
          return pods.length > 0 ? pods : undefined;
        },
        'the tenant Deployment to create its pod',
        SETTLE_MS,
      );
      // The positive control: a Deployment the Restore did restore, in app, gets the same Restore's hooks.
      await env.velero.request({
        method: 'POST',
        path: '/apis/apps/v1/namespaces/app/deployments',
        body: deployment('legit', 'app', { labels: restoredLabels('rx') }),
      });
      await eventually(
        async () =>
          (await getDeployment('legit', 'app')).spec.template.spec.initContainers?.some(
            (c) => c.name === 'admin-init',
          ),
        'the restored Deployment to get the init hook',
        SETTLE_MS,
      );
      await eventually(
        async () => {
          const pods = await podsOf('legit', 'app');
          return pods.some((p) => p.metadata.annotations?.[RECORD]?.includes('Succeeded'));
        },
        'the exec hook to run in the restored Deployment’s pod',
        SETTLE_MS,
      );
      await eventually(
        () =>
          env.logs.some(
            (l) =>
              l.msg === 'not a member of the restore its label names; left alone' &&
              l.namespace === 'team' &&
              l.why === 'OutsideRestoreNamespaces',
          ),
        'the controller to look at the tenant Deployment and turn it down',
        SETTLE_MS,
      );

      // The Restore finishes; its counts are the restored Deployment's hooks that ran, and nothing of the tenant's.
      // How many ran depends on the kubelet's speed, not on the bed: a pod the Deployment controller created before
      // the template patch either started at once and runs only the exec hook (the devcluster's kubelet, no start
      // delay), or was still pending, was replaced, and its replacement runs the init hook and then the exec hook
      // (the real bed's kubelet, about 1 s). So the expected count is read from what ran: the kubelet's run log and
      // the exec history.
      const ranInApp = async () =>
        (await env.bed.runs({ namespace: 'app' })).filter(
          (r) => r.init && r.container === 'admin-init' && r.exitCode !== undefined,
        ).length + (await env.bed.execHistory('app')).length;
      await env.velero.request({
        method: 'PATCH',
        path: '/apis/velero.io/v1/namespaces/velero/restores/rx',
        contentType: 'application/merge-patch+json',
        body: { status: { phase: 'Completed', completionTimestamp: isoSecondsAgo(0) } },
      });
      const status = await eventually(
        async () => {
          const s = (await restore()).status;
          return s.hookStatus?.hooksAttempted === (await ranInApp()) ? s : undefined;
        },
        'the Restore status to count the restored Deployment’s hooks that ran',
        SETTLE_MS,
      );
      // Each pod runs the exec hook once. Which pods run it depends on the kubelet's speed too: a pod that started
      // before the template patch landed runs it, and so does the pod that replaced it, if one did.
      const execPods = (await env.bed.execHistory('app')).map((e) => e.pod);
      expect(execPods.length, 'pods of the restored Deployment that ran the exec hook').to.be.within(1, 2);
      expect(new Set(execPods).size, 'no pod ran it twice').to.equal(execPods.length);
      // At most its init hook and its exec hook per pod; the status counts what ran (above).
      expect(status.hookStatus?.hooksAttempted).to.be.within(execPods.length, 2 * execPods.length);
      expect(status.phase).to.equal('Completed');
      expect(status.errors ?? 0).to.equal(0);
      expect(status.hookStatus?.hooksFailed ?? 0).to.equal(0);

      const sneaky = await getDeployment('sneaky2', 'team');
      expect(sneaky.spec.template.spec.initContainers ?? []).to.deep.equal([]);
      expect((sneaky.spec as { paused?: boolean }).paused ?? false).to.equal(false);
      expect(
        Object.keys(sneaky.metadata.annotations ?? {}).filter((k) => k.includes('restore-hooks')),
      ).to.deep.equal([]);
      const podsNow = await podsOf('sneaky2', 'team');
      expect(podsNow.map((p) => p.metadata.uid)).to.include(sneakyPods[0]!.metadata.uid);
      for (const p of podsNow) {
        expect(p.metadata.annotations?.[RECORD]).to.equal(undefined);
        expect((p.spec.initContainers ?? []).map((c) => c.name)).to.deep.equal([]);
      }
      expect(await env.bed.execHistory('team')).to.deep.equal([]);
    });
  },
);
