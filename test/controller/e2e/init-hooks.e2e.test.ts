import { expect } from 'chai';
import type { Pod, Workload } from '../../../src/kube/types.ts';
import { CONTROLLER_NAMESPACE, eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { describeOnBeds, describeOnDevclusterOnly } from '../../helpers/bed-suites.ts';
import type { BedSuite } from '../../helpers/bed-suites.ts';
import {
  REPLACEMENT_JOURNAL_LABEL,
  ReplacementJournalStore,
} from '../../../src/controller/init-hooks/replacement-journal-store.ts';
import type { JournalEntry } from '../../../src/controller/init-hooks/replacement-journal.ts';
import { replacementPod } from '../../../src/controller/init-hooks/replacement.ts';
import {
  ANNOTATION_HOOK,
  R2_HOOK_NAMES,
  barePod,
  deployment,
  isoSecondsAgo,
  podSpec,
  restoreR2,
  restoredLabels,
  statefulSet,
} from '../../helpers/restore-fixtures.ts';
import { STAYS_PENDING } from '../../helpers/restored-targets.ts';

interface EventObject {
  reason: string;
  message: string;
  type: string;
  involvedObject: { kind: string; name: string; namespace?: string };
}

/** Why some cases of this suite run on the devcluster only. */
const WITHOUT_CONTROLLERS =
  'written for an API server alone (the devcluster variant runs no workload controllers or kubelet): it asserts ' +
  "generations, pods and writes that a real control plane's Deployment, StatefulSet and ReplicaSet controllers and " +
  'kubelet also change; the same behaviours run with controllers in init-hook-cases, seed-scenarios and ' +
  'deployment-rollout-race on both beds';
/** Waits on a real control plane's own controllers and kubelet, which take seconds on a loaded machine. */
const SETTLE_MS = 45_000;

for (const rbac of [false, true]) {
  const title = `controller: init hooks end to end (client-node over HTTPS${rbac ? ', RBAC of manifests/ enforced' : ''})`;
  if (rbac) describeOnBeds(title, suite);
  else
    describeOnDevclusterOnly(
      title,
      'a real API server always enforces RBAC: there the controller runs under the manifest RBAC, the variant with RBAC enforced',
      function () {
        suite.call(this, { kind: 'devcluster', devclusterOnly: (t, _reason, fn) => it(t, fn) });
      },
    );

  function suite(this: Mocha.Suite, bed: BedSuite) {
    this.timeout(60_000);
    let env: ControllerEnv;

    beforeEach(async () => {
      env = await startControllerEnv({ bed: bed.kind, conditionsCrd: true, rbac });
    });
    afterEach(async () => {
      await env.stop();
    });

    /** Restores and restored objects are created by Velero; the controller's own objects by an admin. */
    const create = (path: string, body: unknown) =>
      (path.includes(`/namespaces/${CONTROLLER_NAMESPACE}/`) ? env.client : env.velero).request<
        Record<string, unknown>
      >({ method: 'POST', path, body });
    const getDeployment = (name: string, ns = 'app') =>
      env.client.request<Workload>({
        method: 'GET',
        path: `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
      });
    const getPod = (name: string, ns = 'app') =>
      env.client.request<Pod>({ method: 'GET', path: `/api/v1/namespaces/${ns}/pods/${name}` });
    const events = async (ns: string): Promise<EventObject[]> =>
      (
        await env.client.request<{ items: EventObject[] }>({
          method: 'GET',
          path: `/api/v1/namespaces/${ns}/events`,
        })
      ).items;
    const restoreStatus = async (name = 'r2') =>
      (
        await env.client.request<{
          status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
        }>({
          method: 'GET',
          path: `/apis/velero.io/v1/namespaces/velero/restores/${name}`,
        })
      ).status;
    const initNames = (w: Workload) => (w.spec.template.spec.initContainers ?? []).map((c) => c.name);
    /**
     * A restored Deployment whose pods stay pending where a kubelet runs (the real bed's starts a pod about a second
     * after binding): pods that may still get their hooks, so its template is worth a patch. A started pod would
     * make the controller keep the template (RolloutWouldDisturbRunningPods).
     */
    const pendingDeployment = (name: string, namespace = 'app') =>
      deployment(name, namespace, { annotations: STAYS_PENDING });

    it('patches a restored Deployment template with the r2 hooks, in order, as the API server stores them', async () => {
      await create('/apis/velero.io/v1/namespaces/velero/restores', restoreR2());
      await create('/apis/apps/v1/namespaces/app/deployments', pendingDeployment('web'));
      // A real control plane's Deployment controller creates the Deployment's ReplicaSet by itself: once it has, the
      // template patch pauses the Deployment and that ReplicaSet gets the hooks too, one more template patch, which
      // the metric counts under kind="Deployment" (docs/operations.md). The devcluster variant runs no controllers.
      const replicaSets =
        bed.kind === 'real'
          ? await eventually(
              async () => {
                const found = (
                  await env.client.request<{ items: Workload[] }>({
                    method: 'GET',
                    path: '/apis/apps/v1/namespaces/app/replicasets',
                    query: { labelSelector: 'app=web' },
                  })
                ).items;
                return found.length > 0 ? found : undefined;
              },
              "the Deployment controller's ReplicaSet",
              SETTLE_MS,
            )
          : [];
      await env.startController();
      const patched = await eventually(async () => {
        const d = await getDeployment('web');
        return initNames(d).length > 0 ? d : undefined;
      }, 'the template patch');
      expect(initNames(patched)).to.deep.equal(R2_HOOK_NAMES);
      for (const [i, c] of (patched.spec.template.spec.initContainers ?? []).entries()) {
        expect(c).to.include({
          image: 'alpine:latest',
          imagePullPolicy: 'Always',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        });
        expect(c.resources).to.deep.equal({});
        expect(c.volumeMounts).to.deep.equal([
          { mountPath: `/restores/pvc${i + 1}-vm`, name: `pvc${i + 1}-vm` },
        ]);
      }
      expect(
        patched.spec.template.metadata?.annotations?.['restore-hooks.dev/applied-init-hooks'],
      ).to.contain('velero/r2');
      const injected = await eventually(
        async () => (await events('app')).find((e) => e.reason === 'HookInjected'),
        'a HookInjected event',
      );
      expect(injected.involvedObject).to.include({ kind: 'Deployment', name: 'web' });
      expect(injected.message).to.contain('restore-hook-init1, restore-hook-init2');
      const patches = 1 + replicaSets.length;
      const metrics = await eventually(async () => {
        const text = await env.scrapeMetrics();
        return new RegExp(
          `^restore_hooks_templates_patched_total\\{restore="r2",namespace="app",kind="Deployment"\\} ${patches}$`,
          'm',
        ).test(text)
          ? text
          : undefined;
      }, `restore_hooks_templates_patched_total to count ${patches} template patch(es)`);
      expect(metrics).to.match(
        /^restore_hooks_hooks_injected_total\{restore="r2",namespace="app",kind="Deployment",source="spec"\} 2$/m,
      );
    });

    bed.devclusterOnly(
      'changes nothing on a second pass, nor after a controller restart',
      WITHOUT_CONTROLLERS,
      async () => {
        await create('/apis/velero.io/v1/namespaces/velero/restores', restoreR2());
        await create('/apis/apps/v1/namespaces/app/deployments', deployment('web'));
        await env.startController();
        const patched = await eventually(async () => {
          const d = await getDeployment('web');
          return initNames(d).length > 0 ? d : undefined;
        }, 'the template patch');
        await env.stopController();
        await env.startController();
        // A new restored workload is a barrier: once it is patched, the restarted controller has seen 'web' too.
        await create('/apis/apps/v1/namespaces/app/deployments', deployment('barrier'));
        await eventually(
          async () => (initNames(await getDeployment('barrier')).length > 0 ? true : undefined),
          'the barrier patch',
        );
        const after = await getDeployment('web');
        expect(after.metadata.resourceVersion).to.equal(patched.metadata.resourceVersion);
        expect(initNames(after)).to.deep.equal(R2_HOOK_NAMES);
      },
    );

    it('leaves workloads alone that are outside the hook selector, older than the restore, or not restored', async () => {
      await create('/apis/velero.io/v1/namespaces/velero/restores', restoreR2());
      await create('/apis/apps/v1/namespaces/other/deployments', deployment('elsewhere', 'other'));
      await create(
        '/apis/apps/v1/namespaces/app/deployments',
        deployment('not-restored', 'app', { labels: { app: 'x' } }),
      );
      await env.startController();
      await create('/apis/apps/v1/namespaces/app/deployments', pendingDeployment('barrier'));
      await eventually(
        async () => (initNames(await getDeployment('barrier')).length > 0 ? true : undefined),
        'the barrier patch',
      );
      expect(initNames(await getDeployment('elsewhere', 'other'))).to.deep.equal([]);
      expect(initNames(await getDeployment('not-restored'))).to.deep.equal([]);
    });

    bed.devclusterOnly(
      'does not touch a labelled workload that existed before the restore started (existingResourcePolicy=update)',
      WITHOUT_CONTROLLERS,
      async () => {
        const old = await create('/apis/apps/v1/namespaces/app/deployments', deployment('old'));
        // The restore started after 'old' was created: start it in the future of that object.
        await new Promise((r) => setTimeout(r, 1100));
        await create(
          '/apis/velero.io/v1/namespaces/velero/restores',
          restoreR2({ startTimestamp: isoSecondsAgo(0) }),
        );
        await env.startController();
        await new Promise((r) => setTimeout(r, 1100));
        await create('/apis/apps/v1/namespaces/app/deployments', deployment('barrier'));
        await eventually(
          async () => (initNames(await getDeployment('barrier')).length > 0 ? true : undefined),
          'the barrier patch',
        );
        const after = await getDeployment('old');
        expect(initNames(after)).to.deep.equal([]);
        expect(after.metadata.resourceVersion, 'never written').to.equal(
          (old.metadata as { resourceVersion: string }).resourceVersion,
        );
        expect((await events('app')).filter((e) => e.involvedObject.name === 'old')).to.deep.equal([]);
        // 'old' carries the restore label but is not the restore's: the status does not wait for it.
        const applied = await eventually(async () => {
          const c = (await restoreStatus())?.conditions?.find((x) => x.type === 'InitHooksApplied');
          return c?.message.includes('for 1 restored workload') ? c : undefined;
        }, "InitHooksApplied to count 'barrier' alone");
        expect(applied).to.include({ status: 'True', reason: 'HooksInPlace' });
      },
    );

    bed.devclusterOnly(
      'patches a restored StatefulSet with OnDelete and replaces its pending pod',
      WITHOUT_CONTROLLERS,
      async () => {
        await create('/apis/velero.io/v1/namespaces/velero/restores', restoreR2());
        const sts = await create('/apis/apps/v1/namespaces/app/statefulsets', statefulSet('db', 'OnDelete'));
        const meta = sts.metadata as { uid: string };
        // The pod the StatefulSet had before its template got the hooks.
        const pod = barePod('db-0', 'app', { labels: { app: 'db' } });
        const ownedPod = {
          ...pod,
          metadata: {
            ...pod.metadata,
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: meta.uid, controller: true },
            ],
          },
        };
        const created = await create('/api/v1/namespaces/app/pods', ownedPod);
        await env.startController();
        await eventually(async () => {
          const s = await env.client.request<Workload>({
            method: 'GET',
            path: '/apis/apps/v1/namespaces/app/statefulsets/db',
          });
          return initNames(s).length === 2 ? true : undefined;
        }, 'the StatefulSet template patch');
        await eventually(async () => {
          try {
            const p = await getPod('db-0');
            return p.metadata.uid !== (created.metadata as { uid: string }).uid ? true : undefined;
          } catch {
            return true; // deleted; the StatefulSet controller (not simulated here) would recreate it
          }
        }, 'the pending pod to be deleted');
        const replaced = await eventually(
          async () => (await events('app')).find((e) => e.reason === 'PodReplaced'),
          'a PodReplaced event',
        );
        expect(replaced.involvedObject.name).to.equal('db-0');
      },
    );

    it('replaces a pending bare pod with one that has the annotation hook (seed scenario 1)', async () => {
      await create('/apis/velero.io/v1/namespaces/velero/restores', restoreR2({ hooks: {} }));
      // It stays pending where a kubelet runs (the real bed): a pod that started would be left alone.
      const original = await create(
        '/api/v1/namespaces/app/pods',
        barePod('annotated', 'app', { annotations: { ...ANNOTATION_HOOK, ...STAYS_PENDING } }),
      );
      await env.startController();
      const replaced = await eventually(async () => {
        const p = await getPod('annotated').catch(() => undefined);
        return p && p.metadata.uid !== (original.metadata as { uid: string }).uid ? p : undefined;
      }, 'the replacement pod');
      // Admission mounts the service-account token into every container, init containers included, as in a real cluster.
      const [hook, ...others] = replaced.spec.initContainers ?? [];
      expect(others).to.deep.equal([]);
      const { volumeMounts, ...golden } = hook!;
      expect(volumeMounts?.map((m) => m.mountPath)).to.deep.equal([
        '/var/run/secrets/kubernetes.io/serviceaccount',
      ]);
      expect([golden]).to.deep.equal([
        {
          name: 'restore-hook',
          image: 'alpine:latest',
          command: ['/bin/ash', '-c', 'date'],
          imagePullPolicy: 'Always',
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ]);
      expect(replaced.metadata.labels).to.include(restoredLabels());
      expect(replaced.metadata.annotations).to.include(ANNOTATION_HOOK);
      // The journal entry is removed right after the replacement is created.
      await eventually(async () => {
        const journal = await env.client.request<{ items: unknown[] }>({
          method: 'GET',
          path: `/api/v1/namespaces/${CONTROLLER_NAMESPACE}/configmaps`,
          query: { labelSelector: REPLACEMENT_JOURNAL_LABEL },
        });
        return journal.items.length === 0 ? true : undefined;
      }, 'the replacement journal to be empty');
      const metrics = await eventually(async () => {
        const text = await env.scrapeMetrics();
        return /^restore_hooks_pods_replaced_total\{[^}]*kind="Pod"[^}]*\} 1$/m.test(text) ? text : undefined;
      }, 'the pods-replaced metric');
      expect(metrics).to.match(
        /^restore_hooks_hooks_injected_total\{restore="r2",namespace="app",kind="Pod",source="annotation"\} 1$/m,
      );
    });

    describe('a replacement left unfinished by a controller that died', () => {
      const HOOK = {
        name: 'restore-hook',
        image: 'alpine:latest',
        command: ['/bin/ash', '-c', 'date'],
      };
      const journal = () => new ReplacementJournalStore(env.client, CONTROLLER_NAMESPACE);
      const journalObjects = async () =>
        (
          await env.client.request<{ items: { metadata: { name: string } }[] }>({
            method: 'GET',
            path: `/api/v1/namespaces/${CONTROLLER_NAMESPACE}/configmaps`,
          })
        ).items
          .map((o) => o.metadata.name)
          .filter((n) => n.startsWith('restore-hooks-replacement'));
      /**
       * What the dead controller recorded before deleting: the pending pod and its copy with the hook. The pod stays
       * pending where a kubelet runs (the real bed), unless the case lets it start.
       */
      const recorded = async (name: string, options: { starts?: boolean } = {}): Promise<JournalEntry> => {
        const annotations = options.starts ? ANNOTATION_HOOK : { ...ANNOTATION_HOOK, ...STAYS_PENDING };
        const original = (await create(
          '/api/v1/namespaces/app/pods',
          barePod(name, 'app', { annotations }),
        )) as unknown as Pod;
        return {
          namespace: 'app',
          name,
          replacedUID: original.metadata.uid ?? '',
          replacement: replacementPod(original, [HOOK], { labels: {}, annotations: {} }),
        };
      };
      /**
       * Waits until the pod's application container has started. The real bed's kubelet starts it about a second after
       * binding; the devcluster variant runs no kubelet, so the test writes the status a kubelet would (the only
       * writer of that status there, so it cannot conflict).
       */
      const appContainerStarted = async (name: string): Promise<void> => {
        const started = (p: Pod) =>
          p.status?.phase === 'Running' &&
          (p.status.containerStatuses ?? []).some((c) => c.name === 'app' && c.state?.running !== undefined);
        if (bed.kind === 'real') {
          await eventually(
            async () => started(await getPod(name)),
            `the kubelet to start pod ${name}`,
            SETTLE_MS,
          );
          return;
        }
        const pod = await getPod(name);
        await env.client.request({
          method: 'PUT',
          path: `/api/v1/namespaces/app/pods/${name}/status`,
          body: {
            ...pod,
            status: {
              phase: 'Running',
              containerStatuses: [
                {
                  name: 'app',
                  image: 'nginx:1.27',
                  imageID: '',
                  ready: true,
                  restartCount: 0,
                  started: true,
                  state: { running: { startedAt: new Date().toISOString() } },
                },
              ],
            },
          },
        });
        expect(started(await getPod(name))).to.equal(true);
      };
      const deletePod = (name: string) =>
        env.client.request({ method: 'DELETE', path: `/api/v1/namespaces/app/pods/${name}` });

      it('between delete and create: the next controller creates the copy from its journal entry', async () => {
        await create('/apis/velero.io/v1/namespaces/velero/restores', restoreR2({ hooks: {} }));
        const entry = await recorded('orphaned');
        await journal().put(entry);
        await deletePod('orphaned');
        await env.startController();
        // A pod a kubelet runs (the real bed) is gone only once the kubelet has finished it; until then the
        // original is still there, terminating, and the copy, under the same name, comes after.
        const copy = await eventually(async () => {
          const p = await getPod('orphaned').catch(() => undefined);
          return p && p.metadata.uid !== entry.replacedUID ? p : undefined;
        }, 'the copy');
        expect(copy.metadata.uid).to.not.equal(entry.replacedUID);
        expect((copy.spec.initContainers ?? []).map((c) => c.name)).to.deep.equal(['restore-hook']);
        await eventually(async () => ((await journalObjects()).length === 0 ? true : undefined), 'no entry');
      });

      it('between record and delete, in the single ConfigMap of an earlier build: delete, then create', async () => {
        await create('/apis/velero.io/v1/namespaces/velero/restores', restoreR2({ hooks: {} }));
        const entry = await recorded('recorded');
        await create(`/api/v1/namespaces/${CONTROLLER_NAMESPACE}/configmaps`, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'restore-hooks-replacements' },
          data: { 'app.recorded': JSON.stringify(entry) },
        });
        await env.startController();
        const copy = await eventually(async () => {
          const p = await getPod('recorded').catch(() => undefined);
          return p && p.metadata.uid !== entry.replacedUID ? p : undefined;
        }, 'the copy');
        expect((copy.spec.initContainers ?? []).map((c) => c.name)).to.deep.equal(['restore-hook']);
        await eventually(async () => ((await journalObjects()).length === 0 ? true : undefined), 'no entry');
      });

      it('whose pod started meanwhile: the pod is left as it is and the entry dropped', async () => {
        await create('/apis/velero.io/v1/namespaces/velero/restores', restoreR2({ hooks: {} }));
        const entry = await recorded('started', { starts: true });
        await appContainerStarted('started');
        await journal().put(entry);
        await env.startController();
        await eventually(async () => ((await journalObjects()).length === 0 ? true : undefined), 'no entry');
        const after = await getPod('started');
        expect(after.metadata.uid).to.equal(entry.replacedUID);
        expect(after.metadata.deletionTimestamp).to.equal(undefined);
        expect(after.spec.initContainers).to.equal(undefined);
      });
    });

    bed.devclusterOnly(
      'replaces a bare pod with a whole copy of it, read from the API: nothing the caches leave out is lost',
      WITHOUT_CONTROLLERS,
      async () => {
        await create('/apis/velero.io/v1/namespaces/velero/restores', restoreR2({ hooks: {} }));
        const pod = barePod('rich', 'app', {
          annotations: {
            ...ANNOTATION_HOOK,
            'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Pod"}',
          },
        });
        const rich = {
          ...pod,
          spec: {
            ...pod.spec,
            containers: [
              {
                name: 'app',
                image: 'nginx:1.27',
                env: [{ name: 'MODE', value: 'restored' }],
                ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
                resources: { requests: { cpu: '100m', memory: '64Mi' } },
                readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 },
              },
            ],
            volumes: [
              ...pod.spec.volumes,
              {
                name: 'settings',
                configMap: { name: 'web-settings', items: [{ key: 'a', path: 'a.conf' }] },
              },
            ],
            tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }],
            terminationGracePeriodSeconds: 7,
          },
        };
        const original = (await create('/api/v1/namespaces/app/pods', rich)) as unknown as Pod;
        await env.startController();
        const replaced = await eventually(async () => {
          const p = await getPod('rich').catch(() => undefined);
          return p && p.metadata.uid !== original.metadata.uid ? p : undefined;
        }, 'the replacement pod');
        const { initContainers: _hooks, ...spec } = replaced.spec;
        const { initContainers: _none, ...originalSpec } = original.spec;
        expect(spec).to.deep.equal(originalSpec);
        expect(replaced.metadata.annotations).to.include(original.metadata.annotations);
        expect(replaced.metadata.labels).to.include(original.metadata.labels);
      },
    );

    it('never replaces a pod with restore-wait, and says why', async () => {
      await create('/apis/velero.io/v1/namespaces/velero/restores', restoreR2());
      const original = await create(
        '/api/v1/namespaces/app/pods',
        barePod('fsr', 'app', {
          initContainers: [{ name: 'restore-wait', image: 'velero/velero-restore-helper:v1.15.0' }],
          // Where a kubelet runs (the real bed), Velero's file-system restore goes on while the controller looks.
          annotations: { 'devcluster.restore-hooks.io/init-seconds.restore-wait': '3600' },
        }),
      );
      await env.startController();
      const skipped = await eventually(
        async () =>
          (await events('app')).find((e) => e.reason === 'HookSkipped' && e.involvedObject.name === 'fsr'),
        'a HookSkipped event',
      );
      expect(skipped.message).to.contain('restore-wait');
      expect((await getPod('fsr')).metadata.uid).to.equal((original.metadata as { uid: string }).uid);
      const applied = await eventually(async () => {
        const c = (await restoreStatus())?.conditions?.find((x) => x.type === 'InitHooksApplied');
        return c?.reason === 'PodsSkipped' ? c : undefined;
      }, 'InitHooksApplied to count the skipped pod');
      expect(applied).to.include({
        status: 'False',
        message: '1 pod(s) will not run their init hooks; see HookSkipped events.',
      });
    });

    bed.devclusterOnly(
      'reports a restored Job’s pending pod, whose template is immutable, and leaves both alone',
      WITHOUT_CONTROLLERS,
      async () => {
        await create('/apis/velero.io/v1/namespaces/velero/restores', restoreR2());
        const job = await create('/apis/batch/v1/namespaces/app/jobs', {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name: 'migrate', namespace: 'app', labels: restoredLabels() },
          spec: { template: { spec: { ...podSpec(), restartPolicy: 'Never' } } },
        });
        const jobMeta = job.metadata as { uid: string };
        const pod = barePod('migrate-x1', 'app', { labels: { app: 'migrate' } });
        const created = await create('/api/v1/namespaces/app/pods', {
          ...pod,
          metadata: {
            ...pod.metadata,
            ownerReferences: [
              { apiVersion: 'batch/v1', kind: 'Job', name: 'migrate', uid: jobMeta.uid, controller: true },
            ],
          },
          spec: { ...pod.spec, restartPolicy: 'Never' },
        });
        await env.startController();
        const skipped = await eventually(
          async () =>
            (await events('app')).find(
              (e) => e.reason === 'HookSkipped' && e.involvedObject.name === 'migrate-x1',
            ),
          'a HookSkipped event for the Job pod',
        );
        expect(skipped.message).to.contain('immutable');
        expect(skipped.involvedObject).to.include({ kind: 'Pod', name: 'migrate-x1' });
        expect((await getPod('migrate-x1')).metadata.uid).to.equal((created.metadata as { uid: string }).uid);
        const jobAfter = await env.client.request<{
          metadata: { generation?: number; resourceVersion?: string };
        }>({
          method: 'GET',
          path: '/apis/batch/v1/namespaces/app/jobs/migrate',
        });
        expect(jobAfter.metadata.resourceVersion, 'the Job is untouched').to.equal(
          (job.metadata as { resourceVersion: string }).resourceVersion,
        );
        const applied = await eventually(async () => {
          const c = (await restoreStatus())?.conditions?.find((x) => x.type === 'InitHooksApplied');
          return c?.reason === 'PodsSkipped' ? c : undefined;
        }, 'InitHooksApplied to count the Job’s pod');
        expect(applied.status).to.equal('False');
        const metrics = await env.scrapeMetrics();
        expect(metrics).to.match(
          /^restore_hooks_hooks_skipped_total\{restore="r2",namespace="app",kind="Job",reason="job-owned"\} 1$/m,
        );
      },
    );

    bed.devclusterOnly(
      'writes no workload for an invalid hook spec, and reports the field in the status and an Event',
      WITHOUT_CONTROLLERS,
      async () => {
        await create(
          '/apis/velero.io/v1/namespaces/velero/restores',
          restoreR2({
            hooks: {
              resources: [
                {
                  name: 'bad',
                  postHooks: [
                    { init: { initContainers: [{ name: 'Bad_Name', image: 'alpine', command: ['true'] }] } },
                  ],
                },
              ],
            },
          }),
        );
        const web = await create('/apis/apps/v1/namespaces/app/deployments', deployment('web'));
        await env.startController();
        const condition = await eventually(
          async () => (await restoreStatus())?.conditions?.find((c) => c.type === 'HooksValid'),
          'the HooksValid condition',
        );
        expect(condition).to.include({ status: 'False', reason: 'InvalidHookSpec' });
        expect(condition.message).to.contain(
          'spec.hooks.resources[0].postHooks[0].init.initContainers[0].name',
        );
        const event = await eventually(
          async () => (await events('velero')).find((e) => e.reason === 'InvalidHook'),
          'an InvalidHook event',
        );
        expect(event.type).to.equal('Warning');
        const after = await getDeployment('web');
        expect(initNames(after)).to.deep.equal([]);
        expect(after.metadata.resourceVersion, 'never written').to.equal(
          (web.metadata as { resourceVersion: string }).resourceVersion,
        );
        expect((await restoreStatus())?.conditions?.find((c) => c.type === 'InitHooksApplied')).to.include({
          status: 'False',
          reason: 'InvalidHooks',
        });
      },
    );

    it('sets InitHooksApplied once the restored workloads have their hooks', async () => {
      await create('/apis/velero.io/v1/namespaces/velero/restores', restoreR2());
      await create('/apis/apps/v1/namespaces/app/deployments', pendingDeployment('web'));
      await env.startController();
      const applied = await eventually(async () => {
        const c = (await restoreStatus())?.conditions?.find((x) => x.type === 'InitHooksApplied');
        return c?.status === 'True' ? c : undefined;
      }, 'InitHooksApplied=True');
      expect(applied.reason).to.equal('HooksInPlace');
      const valid = (await restoreStatus())?.conditions?.find((x) => x.type === 'HooksValid');
      expect(valid?.status).to.equal('True');
    });
  }
}
