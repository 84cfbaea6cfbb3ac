import { expect } from 'chai';
import { Registry } from 'prom-client';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.ts';
import { silentLogger } from '../../../src/controller/machinery/logger.ts';
import { wiringContext } from '../../../src/controller/manager.ts';
import { buildRestoreController } from '../../../src/controller/wiring/restore-controller.ts';
import type { Workload } from '../../../src/kube/types.ts';
import { HookMetrics } from '../../../src/telemetry/metrics.ts';
import { CONTROLLER_NAMESPACE, eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { describeOnBeds } from '../../helpers/bed-suites.ts';
import { barePod, deployment, restoreR2 } from '../../helpers/restore-fixtures.ts';
import { STAYS_PENDING } from '../../helpers/restored-targets.ts';

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

describeOnBeds(
  'controller: the Restore status is built from observed cluster state (issue 19)',
  function (bed) {
    this.timeout(120_000);
    let env: ControllerEnv;
    beforeEach(async () => {
      env = await startControllerEnv({ bed: bed.kind, conditionsCrd: true });
    });
    afterEach(() => env.stop());

    const restorePath = '/apis/velero.io/v1/namespaces/velero/restores/r2';
    const initHooksApplied = async () =>
      (
        await env.client.request<{ status?: { conditions?: Condition[] } }>({
          method: 'GET',
          path: restorePath,
        })
      ).status?.conditions?.find((c) => c.type === 'InitHooksApplied');
    const workload = (name: string) =>
      env.client.request<Workload>({
        method: 'GET',
        path: `/apis/apps/v1/namespaces/app/deployments/${name}`,
      });

    /** Velero creates Restore r2 and brings back Deployments web and api, whose pods stay pending. */
    const restoreTwoDeployments = async () => {
      await env.velero.request({
        method: 'POST',
        path: '/apis/velero.io/v1/namespaces/velero/restores',
        body: restoreR2(),
      });
      for (const name of ['web', 'api'])
        await env.velero.request({
          method: 'POST',
          path: '/apis/apps/v1/namespaces/app/deployments',
          body: deployment(name, 'app', { annotations: STAYS_PENDING }),
        });
    };

    it('a restore controller that reconciled no workload and saw no other reconciler writes the same InitHooksApplied', async () => {
      await restoreTwoDeployments();
      // A bare pod in Velero's file-system restore: never replaced, so it will not run its init hooks.
      await env.velero.request({
        method: 'POST',
        path: '/api/v1/namespaces/app/pods',
        body: barePod('fsr', 'app', {
          initContainers: [{ name: 'restore-wait', image: 'velero/velero-restore-helper:v1.15.0' }],
          annotations: { 'devcluster.restore-hooks.io/init-seconds.restore-wait': '3600' },
        }),
      });
      await env.startController();
      const hooked = async (name: string) =>
        ((await workload(name)).spec.template.spec.initContainers ?? []).length > 0 || undefined;
      await eventually(() => hooked('web'), 'web hooked');
      await eventually(() => hooked('api'), 'api hooked');
      const first = await eventually(async () => {
        const c = await initHooksApplied();
        return c?.reason === 'PodsSkipped' ? c : undefined;
      }, 'InitHooksApplied to count the skipped pod');
      expect(first).to.include({
        status: 'False',
        message: '1 pod(s) will not run their init hooks; see HookSkipped events.',
      });
      await env.stopController();

      // The condition is taken away; the workloads are not touched again.
      const before = await Promise.all(['web', 'api'].map(async (n) => (await workload(n)).metadata));
      await env.client.request({
        method: 'PATCH',
        path: restorePath,
        contentType: 'application/merge-patch+json',
        body: { status: { conditions: null } },
      });
      expect(await initHooksApplied()).to.equal(undefined);

      // Only the restore controller, on its own caches: no workload or pod reconciler runs, nothing reports to it.
      const registry = new Registry();
      const ctx = wiringContext(
        {
          kubeConfig: env.kubeConfig,
          settings: DEFAULT_SETTINGS,
          logger: silentLogger,
          registry,
          metrics: new HookMetrics(registry),
          namespace: CONTROLLER_NAMESPACE,
        },
        'lone-restore-controller',
        () => false,
      );
      const { controller } = buildRestoreController(ctx);
      const stop = new AbortController();
      try {
        ctx.caches.start();
        expect(await ctx.caches.waitForSync(stop.signal)).to.equal(true);
        controller.start();
        const again = await eventually(initHooksApplied, 'InitHooksApplied written again');
        expect({ ...again, lastTransitionTime: undefined, observedGeneration: undefined }).to.deep.equal({
          ...first,
          lastTransitionTime: undefined,
          observedGeneration: undefined,
        });
      } finally {
        stop.abort();
        await controller.stop();
        await ctx.caches.stop();
      }
      const after = await Promise.all(['web', 'api'].map(async (n) => (await workload(n)).metadata));
      // Nothing wrote them (their own controller's status writes aside): same generation, same annotations.
      const written = (m: Workload['metadata']) => [m.generation, m.annotations];
      expect(after.map(written)).to.deep.equal(before.map(written));
    });

    it('a restarted controller counts the workloads the previous one hooked', async () => {
      await restoreTwoDeployments();
      await env.startController();
      const first = await eventually(async () => {
        const c = await initHooksApplied();
        return c?.reason === 'HooksInPlace' ? c : undefined;
      }, 'InitHooksApplied=True');
      expect(first.message).to.equal('Init hooks are in place for 2 restored workload(s).');
      await env.stopController();
      await env.client.request({
        method: 'PATCH',
        path: restorePath,
        contentType: 'application/merge-patch+json',
        body: { status: { conditions: null } },
      });
      await env.startController();
      const again = await eventually(initHooksApplied, 'InitHooksApplied written again');
      expect(again).to.include({ status: 'True', reason: 'HooksInPlace', message: first.message });
    });
  },
);
