import { expect } from 'chai';
import type { Workload } from '../../../src/kube/types.ts';
import { RequestCounter } from '../../../src/devcluster/requests/request-counter.ts';
import { eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { describeOnDevclusterOnly } from '../../helpers/bed-suites.ts';
import { deployment, restoreR2 } from '../../helpers/restore-fixtures.ts';

describeOnDevclusterOnly(
  'controller: Restore status writes (conditions CRD patch applied)',
  "counts the controller's status writes with the devcluster's request counter (a request filter in its API server); a real API server has none",
  function () {
    this.timeout(60_000);
    let env: ControllerEnv;
    let requests: RequestCounter;
    beforeEach(async () => {
      env = await startControllerEnv({ conditionsCrd: true });
      requests = new RequestCounter();
      env.cluster.http.addRequestFilter(requests.filter);
    });
    afterEach(() => env.stop());

    const restorePatches = () =>
      requests
        .counts()
        .filter((c) => c.resource === 'restores' && c.verb === 'patch' && c.userAgent === 'restore-hooks')
        .reduce((n, c) => n + c.count, 0);
    const appliedMessage = async () =>
      (
        await env.client.request<{ status?: { conditions?: { type: string; message: string }[] } }>({
          method: 'GET',
          path: '/apis/velero.io/v1/namespaces/velero/restores/r2',
        })
      ).status?.conditions?.find((c) => c.type === 'InitHooksApplied')?.message;
    const addWorkload = async (name: string) => {
      await env.client.request<Workload>({
        method: 'POST',
        path: '/apis/apps/v1/namespaces/app/deployments',
        body: deployment(name),
      });
    };

    it('writes the conditions when they change, not again because its own write bumped generation', async () => {
      await env.client.request({
        method: 'POST',
        path: '/apis/velero.io/v1/namespaces/velero/restores',
        body: restoreR2(),
      });
      await addWorkload('web-1');
      await env.startController();
      await eventually(
        async () => ((await appliedMessage())?.includes('for 1 restored') ? true : undefined),
        'InitHooksApplied for one workload',
      );
      const before = restorePatches();
      await addWorkload('web-2');
      await eventually(
        async () => ((await appliedMessage())?.includes('for 2 restored') ? true : undefined),
        'InitHooksApplied for two workloads',
      );
      await addWorkload('web-3');
      await eventually(
        async () => ((await appliedMessage())?.includes('for 3 restored') ? true : undefined),
        'InitHooksApplied for three workloads',
      );
      // Each new workload changes the message at most twice (to "1 still to be hooked", then "in place"); a write
      // that triggered the next one would have made hundreds by now.
      expect(restorePatches() - before).to.be.within(2, 4);
    });

    it('goes quiet once the workloads are hooked: its own reconciles do not schedule each other', async () => {
      await env.client.request({
        method: 'POST',
        path: '/apis/velero.io/v1/namespaces/velero/restores',
        body: restoreR2(),
      });
      await addWorkload('web-1');
      await addWorkload('web-2');
      await env.startController();
      await eventually(
        async () => ((await appliedMessage())?.includes('for 2 restored') ? true : undefined),
        'InitHooksApplied for two workloads',
      );
      const workloadAdds = async () => {
        const m = /^workqueue_adds_total\{[^}]*name="workload"[^}]*\} (\S+)$/m.exec(
          await env.scrapeMetrics(),
        );
        return Number(m?.[1]);
      };
      // A restore reconcile hands every member workload to the workload controller; when each workload reconcile
      // scheduled the restore's status again, the two kept each other running once a second for as long as the
      // Restore existed. Nothing changes here any more, so some 3 s pass without a single workload being queued.
      await eventually(
        async () => {
          const before = await workloadAdds();
          await new Promise((r) => setTimeout(r, 3000));
          return (await workloadAdds()) === before ? true : undefined;
        },
        'three seconds without a workload reconcile',
        30_000,
      );
    });
  },
);
