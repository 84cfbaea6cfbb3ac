import { expect } from 'chai';
import { describeOnBeds } from '../../helpers/bed-suites.ts';
import type { Pod } from '../../../src/kube/types.ts';
import { eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { restoreR2, restoredLabels } from '../../helpers/restore-fixtures.ts';

const RECORD = 'restore-hooks.dev/exec-hooks';

const execRestore = (exec: Record<string, unknown>) =>
  restoreR2({ hooks: { resources: [{ name: 'exec', includedNamespaces: ['app'], postHooks: [{ exec }] }] } });

const web = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'app', labels: restoredLabels() },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] },
    },
  },
};

/** Waits on the cluster's own controllers and kubelet (the real bed's take seconds on a loaded machine). */
const SETTLE_MS = 45_000;

describeOnBeds(
  'controller: exec hooks reach pods that left Pending unseen (issue 17, findings 5 and 6; RBAC of manifests/ enforced)',
  function (bed) {
    this.timeout(120_000);
    let env: ControllerEnv;

    beforeEach(async () => {
      env = await startControllerEnv({ bed: bed.kind, rbac: true, simulation: {} });
    });
    afterEach(async function () {
      if (this.currentTest?.state === 'failed' && process.env.DEBUG_LOGS)
        for (const l of env.logs) console.log(JSON.stringify(l));
      await env.stop();
    });

    /** Velero creates the Restore and what it brings back. */
    const create = (path: string, body: unknown) => env.velero.request({ method: 'POST', path, body });
    const pods = async () =>
      (
        await env.client.request<{ items: Pod[] }>({
          method: 'GET',
          path: '/api/v1/namespaces/app/pods',
          query: { labelSelector: 'app=web' },
        })
      ).items;
    const running = () =>
      eventually(
        async () => {
          const all = await pods();
          return all.length === 2 && all.every((p) => p.status?.phase === 'Running') ? all : undefined;
        },
        'both pods of the Deployment to run',
        SETTLE_MS,
      );
    const hooksRan = () =>
      eventually(
        async () => {
          const all = await pods();
          return all.length === 2 &&
            all.every((p) => /"result":"Succeeded"/.test(p.metadata.annotations?.[RECORD] ?? ''))
            ? all
            : undefined;
        },
        'the exec hook to succeed in both pods',
        SETTLE_MS,
      );

    it('claims the running pods of a restored workload that started while no controller ran (a restart, a failover)', async () => {
      await create(
        '/apis/velero.io/v1/namespaces/velero/restores',
        execRestore({ command: ['sh', '-c', 'echo ran'] }),
      );
      await create('/apis/apps/v1/namespaces/app/deployments', web);
      const before = await running();
      await env.startController();
      const after = await hooksRan();
      expect(after.map((p) => p.metadata.uid).sort()).to.deep.equal(before.map((p) => p.metadata.uid).sort());
      for (const p of after) expect(p.metadata.labels?.['restore-hooks.dev/restore']).to.equal('r2');
    });

    it('picks up the pods created while the Restore was invalid once it is fixed', async () => {
      await create(
        '/apis/velero.io/v1/namespaces/velero/restores',
        execRestore({ command: ['sh', '-c', 'echo ran'], execTimeout: 'soon' }),
      );
      await env.startController();
      await eventually(
        () => env.logs.some((l) => l.msg === 'controllers started'),
        'the controllers to start',
      );
      await create('/apis/apps/v1/namespaces/app/deployments', web);
      const seen = await running();
      await eventually(
        () =>
          seen.every((p) =>
            env.logs.some((l) => l.msg === 'no exec hooks to run here' && l.name === p.metadata.name),
          ),
        'the exec controller to turn the pods down while the Restore is invalid',
        SETTLE_MS,
      );
      for (const p of seen)
        expect(p.metadata.annotations?.[RECORD], 'nothing runs while invalid').to.equal(undefined);
      await env.velero.request({
        method: 'PATCH',
        path: '/apis/velero.io/v1/namespaces/velero/restores/r2',
        contentType: 'application/merge-patch+json',
        body: execRestore({ command: ['sh', '-c', 'echo ran'], execTimeout: '30s' }),
      });
      const after = await hooksRan();
      expect(after.map((p) => p.metadata.uid).sort()).to.deep.equal(seen.map((p) => p.metadata.uid).sort());
    });
  },
);
