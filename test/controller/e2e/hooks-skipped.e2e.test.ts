import { expect } from 'chai';
import { describeOnBeds } from '../../helpers/bed-suites.ts';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.ts';
import type { Workload } from '../../../src/kube/types.ts';
import { eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { deployment, restoreR2 } from '../../helpers/restore-fixtures.ts';
import { STAYS_PENDING } from '../../helpers/restored-targets.ts';

interface EventObject {
  reason: string;
  message: string;
  type: string;
  involvedObject: { kind: string; name: string; namespace?: string };
}

/** A Restore whose spec declares no hooks: the workloads' own annotation hooks are the only ones. */
const annotationOnly = () => restoreR2({ hooks: { resources: [] } });

describeOnBeds(
  'controller: policy.securityContext refuses a privileged hook container (issue 17, finding 2; RBAC of manifests/ enforced)',
  function (bed) {
    this.timeout(60_000);
    let env: ControllerEnv;

    beforeEach(async () => {
      env = await startControllerEnv({ bed: bed.kind, rbac: true, conditionsCrd: true });
    });
    afterEach(async () => {
      await env.stop();
    });

    it('the Restore is invalid, naming the field, with an InvalidHook Event; no template is touched', async () => {
      const field = 'spec.hooks.resources[0].postHooks[0].init.initContainers[0].securityContext';
      await env.velero.request({
        method: 'POST',
        path: '/apis/velero.io/v1/namespaces/velero/restores',
        body: restoreR2({
          hooks: {
            resources: [
              {
                name: 'root',
                postHooks: [
                  {
                    init: {
                      initContainers: [
                        {
                          name: 'root-hook',
                          image: 'alpine:3.20',
                          command: ['true'],
                          securityContext: {
                            privileged: true,
                            runAsUser: 0,
                            capabilities: { add: ['SYS_ADMIN'] },
                          },
                        },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        }),
      });
      await env.velero.request({
        method: 'POST',
        path: '/apis/apps/v1/namespaces/app/deployments',
        body: deployment('web'),
      });
      await env.startController();
      const condition = await eventually(async () => {
        const status = await env.client.request<{
          status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
        }>({ method: 'GET', path: '/apis/velero.io/v1/namespaces/velero/restores/r2' });
        return status.status?.conditions?.find((c) => c.type === 'HooksValid');
      }, 'the HooksValid condition');
      expect(condition).to.include({ status: 'False', reason: 'InvalidHookSpec' });
      expect(condition.message).to.contain(`${field}.privileged: Forbidden: privileged hook containers`);
      expect(condition.message).to.contain(
        `${field}.capabilities.add[0]: Forbidden: adding capability "SYS_ADMIN"`,
      );
      const events = await eventually(async () => {
        const list = await env.client.request<{ items: EventObject[] }>({
          method: 'GET',
          path: '/api/v1/namespaces/velero/events',
        });
        const found = list.items.filter((e) => e.reason === 'InvalidHook');
        return found.length >= 2 ? found : undefined;
      }, 'InvalidHook events on the Restore');
      expect(events.map((e) => e.message).join('\n')).to.contain(`${field}.privileged`);
      const web = await env.client.request<Workload>({
        method: 'GET',
        path: '/apis/apps/v1/namespaces/app/deployments/web',
      });
      expect(web.spec.template.spec.initContainers ?? []).to.deep.equal([]);
    });
  },
);

describeOnBeds(
  'controller: invalid annotation init hooks on a workload template are reported, never dropped in silence (issue 17, finding 4; RBAC of manifests/ enforced)',
  function (bed) {
    this.timeout(60_000);
    let env: ControllerEnv;

    beforeEach(async () => {
      env = await startControllerEnv({ bed: bed.kind, rbac: true, conditionsCrd: true });
    });
    afterEach(async function () {
      if (this.currentTest?.state === 'failed' && process.env.DEBUG_LOGS)
        for (const l of env.logs) console.log(JSON.stringify(l));
      await env.stop();
    });

    /** Velero creates the Restore and what it brings back. */
    const create = (path: string, body: unknown) => env.velero.request({ method: 'POST', path, body });
    const getDeployment = (name: string) =>
      env.client.request<Workload>({
        method: 'GET',
        path: `/apis/apps/v1/namespaces/app/deployments/${name}`,
      });
    const events = async (): Promise<EventObject[]> =>
      (
        await env.client.request<{ items: EventObject[] }>({
          method: 'GET',
          path: '/api/v1/namespaces/app/events',
        })
      ).items;
    const initHooksApplied = async () =>
      (
        await env.client.request<{
          status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
        }>({
          method: 'GET',
          path: '/apis/velero.io/v1/namespaces/velero/restores/r2',
        })
      ).status?.conditions?.find((c) => c.type === 'InitHooksApplied');

    const cases: Array<[string, Record<string, string>, string, string, Partial<typeof DEFAULT_SETTINGS>]> = [
      [
        'a container-name that is not a DNS-1123 label',
        {
          'init.hook.restore.velero.io/container-name': 'init-名前',
          'init.hook.restore.velero.io/container-image': 'alpine:3.20',
        },
        'invalid-hook',
        'spec.template.metadata.annotations[init.hook.restore.velero.io/container-name]: Invalid value: "init-名前"',
        {},
      ],
      [
        'an image outside policy.allowedImages',
        { 'init.hook.restore.velero.io/container-image': 'evil.example.com/miner:1' },
        'image-not-allowed',
        'spec.template.metadata.annotations[init.hook.restore.velero.io/container-image]: image "evil.example.com/miner:1" is not allowed by policy',
        { policy: { ...DEFAULT_SETTINGS.policy, allowedImages: ['registry.example.com/*'] } },
      ],
    ];
    for (const [title, annotations, reason, message, settings] of cases) {
      it(`${title}: HookSkipped Event (${reason}), the metric, a log line, and InitHooksApplied=False`, async () => {
        await create('/apis/velero.io/v1/namespaces/velero/restores', annotationOnly());
        await create('/apis/apps/v1/namespaces/app/deployments', deployment('web', 'app', { annotations }));
        await env.startController(settings);
        const skipped = await eventually(
          async () => (await events()).find((e) => e.reason === 'HookSkipped'),
          'a HookSkipped event',
        );
        expect(skipped.type).to.equal('Warning');
        expect(skipped.involvedObject).to.include({ kind: 'Deployment', name: 'web' });
        expect(skipped.message).to.contain(`(${reason}): ${message}`);
        const condition = await eventually(async () => {
          const c = await initHooksApplied();
          return c?.reason === 'HooksSkipped' ? c : undefined;
        }, 'InitHooksApplied to say the hooks are skipped');
        expect(condition.status).to.equal('False');
        expect(condition.message).to.contain(`Deployment app/web (${reason}): ${message}`);
        expect(await env.scrapeMetrics()).to.match(
          new RegExp(
            `^restore_hooks_hooks_skipped_total\\{restore="r2",namespace="app",kind="Deployment",reason="${reason}"\\} 1$`,
            'm',
          ),
        );
        const line = env.logs.find((l) => l.msg === 'init hooks of the pod template not applied');
        expect(line).to.deep.include({ level: 'warn', reason, namespace: 'app', name: 'web' });
        expect((await getDeployment('web')).spec.template.spec.initContainers ?? []).to.deep.equal([]);
      });
    }
  },
);

describeOnBeds(
  'controller: a template patch the API server refuses (422) is terminal for that workload (issue 17, finding 7; RBAC of manifests/ enforced)',
  function (bed) {
    this.timeout(60_000);
    let env: ControllerEnv;

    beforeEach(async () => {
      env = await startControllerEnv({ bed: bed.kind, rbac: true, conditionsCrd: true });
    });
    afterEach(async function () {
      if (this.currentTest?.state === 'failed' && process.env.DEBUG_LOGS)
        for (const l of env.logs) console.log(JSON.stringify(l));
      await env.stop();
    });

    it('says so on the workload, in the metric, the log and InitHooksApplied, and never retries it', async () => {
      // The engine takes spec init containers as free-form; the API server refuses this pull policy.
      await env.velero.request({
        method: 'POST',
        path: '/apis/velero.io/v1/namespaces/velero/restores',
        body: restoreR2({
          hooks: {
            resources: [
              {
                name: 'odd',
                postHooks: [
                  {
                    init: {
                      initContainers: [
                        {
                          name: 'odd-hook',
                          image: 'alpine:3.20',
                          command: ['true'],
                          imagePullPolicy: 'Sometimes',
                        },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        }),
      });
      // Where a kubelet runs (the real bed), its pod stays pending, so the hooks are still worth a template patch: a
      // pod that had started would make the controller keep the template (RolloutWouldDisturbRunningPods).
      await env.velero.request({
        method: 'POST',
        path: '/apis/apps/v1/namespaces/app/deployments',
        body: deployment('web', 'app', { annotations: STAYS_PENDING }),
      });
      await env.startController();
      const condition = await eventually(async () => {
        const status = await env.client.request<{
          status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
        }>({ method: 'GET', path: '/apis/velero.io/v1/namespaces/velero/restores/r2' });
        const c = status.status?.conditions?.find((x) => x.type === 'InitHooksApplied');
        return c?.reason === 'HooksSkipped' ? c : undefined;
      }, 'InitHooksApplied to report the refused patch');
      expect(condition.status).to.equal('False');
      expect(condition.message).to.contain('Deployment app/web (rejected-by-api-server): 422 Invalid');
      expect(condition.message).to.contain('imagePullPolicy');
      const events = await env.client.request<{ items: EventObject[] }>({
        method: 'GET',
        path: '/api/v1/namespaces/app/events',
      });
      const skipped = events.items.filter((e) => e.reason === 'HookSkipped');
      expect(skipped).to.have.length(1);
      expect(skipped[0]!.message).to.contain('the API server refused the patch (422 Invalid');
      expect(await env.scrapeMetrics()).to.match(
        /^restore_hooks_hooks_skipped_total\{restore="r2",namespace="app",kind="Deployment",reason="rejected-by-api-server"\} 1$/m,
      );
      // The Restore's own status writes enqueue the workload again; the refused patch is never sent again.
      await env.velero.request({
        method: 'PATCH',
        path: '/apis/velero.io/v1/namespaces/velero/restores/r2',
        contentType: 'application/merge-patch+json',
        body: { metadata: { annotations: { poke: '1' } } },
      });
      await eventually(
        () =>
          env.logs.filter((l) => l.msg === 'workload decision' && l.name === 'web').length >= 2
            ? true
            : undefined,
        'the workload to be reconciled again',
      );
      const refusals = env.logs.filter(
        (l) => l.msg === 'the API server refused the pod template patch; not retried for this generation',
      );
      expect(refusals).to.have.length(1);
      expect(refusals[0]).to.deep.include({ level: 'warn' });
      expect(String(refusals[0]!.error)).not.to.contain('Headers');
      expect(env.logs.filter((l) => l.msg === 'Reconciler error')).to.deep.equal([]);
    });
  },
);
