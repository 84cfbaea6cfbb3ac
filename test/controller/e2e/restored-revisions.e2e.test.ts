/**
 * A StatefulSet and a DaemonSet restored the way Velero restores them: the pods first (with the init hooks Velero
 * injects itself), then the ControllerRevisions, then the workloads, all as Velero's ServiceAccount. The controller
 * serves its webhooks (url mode) under the manifest RBAC, so the workloads' templates are marked at admission.
 *
 * A workload controller keeps the pods of its current revision and rolls the others. The real ones compare a
 * revision's bytes with the template they serialise, so a template marked without its restored revision would make
 * a new revision and roll every pod Velero restored. The revisions here come from a "backup" of workloads the bed's
 * own controllers created in another namespace, so their bytes are what a real backup holds. From the API and the
 * write audit: the pods Velero restored are never deleted, and each workload keeps its one restored revision; from
 * the kubelet's run log, every pod that started ran the hooks before its application container.
 */
import { expect } from 'chai';
import type { Settings } from '../../../src/config/settings.ts';
import { APPLIED_INIT_HOOKS_ANNOTATION } from '../../../src/hooks/applied-record.ts';
import type { Pod } from '../../../src/kube/types.ts';
import { describeOnBeds } from '../../helpers/bed-suites.ts';
import { eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { ClusterReads } from '../../helpers/cluster-reads.ts';
import {
  R2_HOOK_NAMES,
  podSpec,
  r2HookContainers,
  restoreR2,
  restoredLabels,
} from '../../helpers/restore-fixtures.ts';
import { installUrlWebhooks, startServingWebhooks } from '../../helpers/webhook-serving.ts';

const SETTLE_MS = 90_000;
const SOURCE = 'backup-src';
const RESTORE = 'r-revisions';

interface Revision {
  metadata: { name: string; labels?: Record<string, string>; ownerReferences?: unknown[] };
  data: unknown;
  revision: number;
}
interface StoredWorkload {
  metadata: { name: string; generation?: number; labels?: Record<string, string> };
  spec: {
    template: { metadata?: { labels?: Record<string, string> }; spec: Record<string, unknown> };
  } & Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    currentRevision?: string;
    updateRevision?: string;
    desiredNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
  };
}

describeOnBeds(
  'controller e2e: StatefulSets and DaemonSets restored with their ControllerRevisions and pods (admission, manifest RBAC)',
  function (bed) {
    this.timeout(300_000);
    let env: ControllerEnv;
    let reads: ClusterReads;
    let webhook: Settings['webhook'];

    before(async () => {
      env = await startControllerEnv({ bed: bed.kind, rbac: true, conditionsCrd: true, simulation: {} });
      reads = new ClusterReads(env.client);
      await env.client.request({
        method: 'POST',
        path: '/api/v1/namespaces',
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SOURCE } },
      });
      webhook = await installUrlWebhooks(env);
      await startServingWebhooks(env, webhook, SETTLE_MS);
      await env.velero.request({
        method: 'POST',
        path: '/apis/velero.io/v1/namespaces/velero/restores',
        body: restoreR2({ name: RESTORE }),
      });
    });
    after(async () => {
      await env?.stop();
    });

    const workloadPath = (namespace: string, resource: string, name = '') =>
      `/apis/apps/v1/namespaces/${namespace}/${resource}${name ? `/${name}` : ''}`;
    const revisionsOf = async (namespace: string, app: string) =>
      (
        await env.client.request<{ items: Revision[] }>({
          method: 'GET',
          path: `${workloadPath(namespace, 'controllerrevisions')}?labelSelector=${encodeURIComponent(`app=${app}`)}`,
        })
      ).items;

    /**
     * "Backs up" a workload: creates it in the source namespace through the bed's own workload controller, waits for
     * its ControllerRevision, and returns both as stored; then deletes it (its pods go with it).
     */
    async function backUp(
      resource: 'statefulsets' | 'daemonsets',
      body: Record<string, unknown>,
    ): Promise<{ workload: StoredWorkload; revision: Revision }> {
      const name = (body.metadata as { name: string }).name;
      await env.client.request({ method: 'POST', path: workloadPath(SOURCE, resource), body });
      const revision = await eventually(
        async () => (await revisionsOf(SOURCE, name))[0],
        `the ControllerRevision of ${resource} ${SOURCE}/${name}`,
        SETTLE_MS,
      );
      const workload = await env.client.request<StoredWorkload>({
        method: 'GET',
        path: workloadPath(SOURCE, resource, name),
      });
      await env.client.request({
        method: 'DELETE',
        path: workloadPath(SOURCE, resource, name),
        body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' },
      });
      return { workload, revision };
    }

    /** What Velero creates from a backed-up object: its labels plus the restore's, no owner, no status. */
    const restoredRevision = (revision: Revision) => ({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: revision.metadata.name,
        namespace: 'app',
        labels: { ...revision.metadata.labels, ...restoredLabels(RESTORE) },
      },
      data: revision.data,
      revision: revision.revision,
    });
    const restoredWorkload = (
      kind: string,
      workload: StoredWorkload,
      spec: Record<string, unknown> = {},
    ) => ({
      apiVersion: 'apps/v1',
      kind,
      metadata: {
        name: workload.metadata.name,
        namespace: 'app',
        labels: { ...workload.metadata.labels, ...restoredLabels(RESTORE) },
      },
      spec: { ...workload.spec, ...spec },
    });
    /** A pod Velero restores: the template's pod with the controller's labels, and Velero's own init hooks. */
    const restoredPod = (
      name: string,
      template: StoredWorkload['spec']['template'],
      labels: Record<string, string>,
      spec: Record<string, unknown> = {},
    ) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: 'app',
        labels: { ...template.metadata?.labels, ...labels, ...restoredLabels(RESTORE) },
      },
      spec: { ...template.spec, initContainers: r2HookContainers(), ...spec },
    });
    const create = (path: string, body: unknown) => env.velero.request<Pod>({ method: 'POST', path, body });

    /** Every run of the workload's pods put the hooks before the application container. */
    async function assertHooksBeforeApp(prefix: string): Promise<void> {
      const runs = (await env.bed.runs({ namespace: 'app' })).filter((r) => r.pod.startsWith(prefix));
      const uids = [...new Set(runs.filter((r) => !r.init).map((r) => r.uid))];
      expect(uids.length, `pods of ${prefix}* that started`).to.be.greaterThan(0);
      for (const uid of uids) {
        const mine = runs.filter((r) => r.uid === uid);
        const app = mine.find((r) => !r.init)!;
        const hooks = mine.filter((r) => r.init && R2_HOOK_NAMES.includes(r.container));
        expect(
          hooks.map((r) => r.container),
          `${app.pod}: the hooks ran once each, before its app container`,
        ).to.deep.equal(R2_HOOK_NAMES);
        for (const h of hooks) expect(h.seq).to.be.lessThan(app.seq);
      }
    }
    const podDeletions = async (names: readonly string[]) =>
      (await env.bed.writes()).filter(
        (w) => w.resource === 'pods' && w.verb === 'delete' && names.includes(w.name),
      );

    it('a StatefulSet keeps the pod Velero restored, at its restored revision: nothing is rolled', async () => {
      const template = { metadata: { labels: { app: 'db' } }, spec: podSpec() };
      const { workload, revision } = await backUp('statefulsets', {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: SOURCE },
        spec: { replicas: 0, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template },
      });
      const pod = await create(
        '/api/v1/namespaces/app/pods',
        restoredPod(
          'db-0',
          workload.spec.template,
          {
            'controller-revision-hash': revision.metadata.name,
            'statefulset.kubernetes.io/pod-name': 'db-0',
          },
          { hostname: 'db-0', subdomain: 'db' },
        ),
      );
      await create(workloadPath('app', 'controllerrevisions'), restoredRevision(revision));
      await create(
        workloadPath('app', 'statefulsets'),
        restoredWorkload('StatefulSet', workload, { replicas: 1 }),
      );

      const settled = await eventually(
        async () => {
          const set = await env.client.request<StoredWorkload>({
            method: 'GET',
            path: workloadPath('app', 'statefulsets', 'db'),
          });
          const live = await reads.livePods('app', 'app=db');
          const running = live.length === 1 && live[0]!.status?.phase === 'Running';
          return set.status?.updateRevision &&
            set.status.observedGeneration === set.metadata.generation &&
            running
            ? { set, live }
            : undefined;
        },
        'StatefulSet db to settle with one Running pod',
        SETTLE_MS,
      );
      expect(settled.set.spec.template.metadata?.labels?.['restore-hooks.dev/restore'], 'marked').to.equal(
        RESTORE,
      );
      expect(settled.set.status?.updateRevision, 'the update revision is the restored one').to.equal(
        revision.metadata.name,
      );
      expect((await revisionsOf('app', 'db')).map((r) => r.metadata.name)).to.deep.equal([
        revision.metadata.name,
      ]);
      expect(settled.live[0]!.metadata.uid, 'db-0 is the pod Velero restored').to.equal(pod.metadata.uid);
      expect(await podDeletions(['db-0'])).to.deep.equal([]);
      await assertHooksBeforeApp('db-');
    });

    it("a DaemonSet keeps the pod Velero restored (a template updated once before the backup, so only the revision's hash tells), and its new pods get the hooks at admission", async () => {
      const template = { metadata: { labels: { app: 'agent' } }, spec: podSpec() };
      const { workload, revision } = await backUp('daemonsets', {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agent', namespace: SOURCE },
        spec: { selector: { matchLabels: { app: 'agent' } }, template },
      });
      const hash = revision.metadata.labels?.['controller-revision-hash'];
      expect(hash, "the revision's hash label").to.be.a('string');
      const nodes = (
        await env.client.request<{ items: { metadata: { name: string } }[] }>({
          method: 'GET',
          path: '/api/v1/nodes',
        })
      ).items.map((n) => n.metadata.name);
      // As the DaemonSet controller pins its pods; pod-template-generation 2: the source's template was updated once,
      // while the restored DaemonSet starts at 1, so the hash alone says whether this pod is current.
      const pod = await create(
        '/api/v1/namespaces/app/pods',
        restoredPod(
          'agent-restored',
          workload.spec.template,
          { 'controller-revision-hash': hash!, 'pod-template-generation': '2' },
          {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodes[0]!] }] },
                  ],
                },
              },
            },
          },
        ),
      );
      await create(workloadPath('app', 'controllerrevisions'), restoredRevision(revision));
      await create(workloadPath('app', 'daemonsets'), restoredWorkload('DaemonSet', workload));

      const live = await eventually(
        async () => {
          const set = await env.client.request<StoredWorkload>({
            method: 'GET',
            path: workloadPath('app', 'daemonsets', 'agent'),
          });
          const pods = await reads.livePods('app', 'app=agent');
          const done =
            set.status?.observedGeneration === set.metadata.generation &&
            set.status?.desiredNumberScheduled === nodes.length &&
            set.status?.numberAvailable === nodes.length &&
            pods.length === nodes.length &&
            pods.every((p) => p.status?.phase === 'Running');
          return done ? pods : undefined;
        },
        `DaemonSet agent to run one pod on each of ${nodes.length} nodes`,
        SETTLE_MS,
      );
      expect((await revisionsOf('app', 'agent')).map((r) => r.metadata.name)).to.deep.equal([
        revision.metadata.name,
      ]);
      const events = (
        await env.client.request<{ items: { reason: string; message: string }[] }>({
          method: 'GET',
          path: '/api/v1/namespaces/app/events',
        })
      ).items.map((e) => `${e.reason}: ${e.message}`);
      expect(
        live.map((p) => p.metadata.uid),
        `the pod Velero restored is still there (Events: ${events.join('; ')})`,
      ).to.include(pod.metadata.uid);
      expect(await podDeletions(['agent-restored'])).to.deep.equal([]);
      const created = live.filter((p) => p.metadata.uid !== pod.metadata.uid);
      for (const p of created)
        expect(
          p.metadata.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION],
          `${p.metadata.name}: hooked at admission`,
        ).to.be.a('string');
      await assertHooksBeforeApp('agent-');
    });
  },
);
