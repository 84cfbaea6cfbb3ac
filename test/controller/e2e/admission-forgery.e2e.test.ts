/**
 * Issue 17's membership forgery on the admission path (issue 16, "Trust only who should be trusted"), on the
 * simulated devcluster with the manifest RBAC and the webhooks served in url mode: a tenant ServiceAccount that may
 * only manage Deployments in namespace app — a namespace the Restore restores into, during the restore — tries to
 * get the Restore's hooks into its own pods:
 *   - a Deployment without `velero.io/restore-name` whose pod template carries the mark (the workload webhook never
 *     sees it; the ReplicaSet controller, a trusted identity, creates marked pods);
 *   - a Deployment labelled `velero.io/restore-name`, with and without a mark (the reconciler fallback's membership
 *     would otherwise take it: label, created during the restore, namespace in scope);
 *   - an UPDATE that removes the untrusted-creator annotation, and one that labels and marks an older Deployment.
 * None of their pods gets a hook, no template of theirs is patched, and the Restore's own Deployment is hooked.
 */
import { describeOnDevclusterOnly } from '../../helpers/bed-suites.ts';
import { expect } from 'chai';
import { IsomorphicFetchHttpLibrary, KubeConfig } from '@kubernetes/client-node';
import { KubeJsonClient } from '../../../src/controller/kube-json-client.ts';
import { RESTORE_LABEL, UNTRUSTED_CREATOR_ANNOTATION } from '../../../src/controller/marks.ts';
import { APPLIED_INIT_HOOKS_ANNOTATION } from '../../../src/hooks/applied-record.ts';
import type { Pod, Workload } from '../../../src/kube/types.ts';
import { ClusterReads, initNames, templateInitNames } from '../../helpers/cluster-reads.ts';
import { eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { R2_HOOK_NAMES, deployment, restoreR2, restoredLabels } from '../../helpers/restore-fixtures.ts';
import { installUrlWebhooks, startServingWebhooks } from '../../helpers/webhook-serving.ts';

const SETTLE_MS = 120_000;
const RESTORE = 'rf';
const TENANT = 'system:serviceaccount:app:tenant';

describeOnDevclusterOnly(
  'controller e2e: membership a tenant cannot forge at admission (simulated devcluster with webhooks, manifest RBAC)',
  "a tenant ServiceAccount from the devcluster's token kubeconfigs and its webhook set-up in url mode, as the admission suite",
  function () {
    this.timeout(600_000);
    let env: ControllerEnv;
    let reads: ClusterReads;
    let tenant: KubeJsonClient;

    before(async () => {
      env = await startControllerEnv({ rbac: true, conditionsCrd: true, simulation: {} });
      reads = new ClusterReads(env.client);
      // The tenant: a ServiceAccount of namespace app that may manage Deployments there, and nothing else.
      await env.client.request({
        method: 'POST',
        path: '/apis/rbac.authorization.k8s.io/v1/namespaces/app/roles',
        body: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'deployer', namespace: 'app' },
          rules: [
            {
              apiGroups: ['apps'],
              resources: ['deployments'],
              verbs: ['create', 'get', 'list', 'update', 'patch'],
            },
          ],
        },
      });
      await env.client.request({
        method: 'POST',
        path: '/apis/rbac.authorization.k8s.io/v1/namespaces/app/rolebindings',
        body: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'deployer', namespace: 'app' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' },
          subjects: [{ kind: 'ServiceAccount', name: 'tenant', namespace: 'app' }],
        },
      });
      const config = new KubeConfig();
      config.loadFromString(env.cluster.kubeconfig({ serviceAccount: { namespace: 'app', name: 'tenant' } }));
      tenant = new KubeJsonClient(config, new IsomorphicFetchHttpLibrary(), 'tenant');

      const webhook = await installUrlWebhooks(env);
      await startServingWebhooks(env, webhook, SETTLE_MS);
      await env.client.request({
        method: 'POST',
        path: '/apis/velero.io/v1/namespaces/velero/restores',
        body: restoreR2({ name: RESTORE }),
      });
      // The restore's own Deployment, restored by Velero: hooked at admission (the positive control).
      await env.velero.request({
        method: 'POST',
        path: '/apis/apps/v1/namespaces/app/deployments',
        body: deployment('restored', 'app', { labels: restoredLabels(RESTORE) }),
      });
      await eventually(
        async () => {
          const pods = await reads.livePods('app', 'app=restored');
          return pods.length === 1 &&
            JSON.stringify(initNames(pods[0]!.spec.initContainers)) === JSON.stringify(R2_HOOK_NAMES)
            ? pods
            : undefined;
        },
        "the restored Deployment's pod, created with its hooks",
        SETTLE_MS,
      );
    });
    after(async function () {
      if (process.env.DEBUG_LOGS) for (const l of env.logs) console.log(JSON.stringify(l));
      await env?.stop();
    });

    /** A Deployment of the tenant, with these labels on it and on its pod template. */
    const tenantDeployment = (
      name: string,
      labels: Record<string, string>,
      templateLabels: Record<string, string>,
    ) => {
      const d = deployment(name, 'app', { labels });
      return {
        ...d,
        spec: {
          ...d.spec,
          template: { ...d.spec.template, metadata: { labels: { app: name, ...templateLabels } } },
        },
      };
    };
    const createAsTenant = (body: unknown) =>
      tenant.request<Workload>({ method: 'POST', path: '/apis/apps/v1/namespaces/app/deployments', body });
    const patchAsTenant = (name: string, body: unknown) =>
      tenant.request<Workload>({
        method: 'PATCH',
        path: `/apis/apps/v1/namespaces/app/deployments/${name}`,
        contentType: 'application/merge-patch+json',
        body,
      });
    const mark = { [RESTORE_LABEL]: RESTORE };

    /** The pods of Deployment `name` once `count` exist; none may have a hook or an applied-hooks record. */
    async function assertPodsUnhooked(name: string, count: number, selector = `app=${name}`): Promise<Pod[]> {
      const pods = await eventually(
        async () => {
          const live = await reads.livePods('app', selector);
          return live.length >= count ? live : undefined;
        },
        `${count} pods of ${name}`,
        SETTLE_MS,
      );
      for (const p of pods) {
        expect(initNames(p.spec.initContainers), `${p.metadata.name}: no hook`).to.deep.equal([]);
        // A refused mark is removed: no reconciler takes the pod for the Restore's (exec hooks, counts).
        expect(p.metadata.labels?.[RESTORE_LABEL], `${p.metadata.name}: no mark`).to.equal(undefined);
        expect(p.metadata.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION], p.metadata.name).to.equal(undefined);
      }
      return pods;
    }

    /** Waits until the workload reconciler has looked at the Deployment and refused it for `why`. */
    const refusedByReconciler = (name: string, why: string) =>
      eventually(
        () =>
          env.logs.some(
            (l) =>
              l.msg === 'not a member of the restore its label names; left alone' &&
              l.name === name &&
              l.why === why,
          ) || undefined,
        `the workload reconciler to turn ${name} down (${why})`,
        SETTLE_MS,
      );

    async function assertTemplateUntouched(name: string): Promise<Workload> {
      const d = await reads.workload('Deployment', 'app', name);
      expect(templateInitNames(d), `${name}: template not hooked`).to.deep.equal([]);
      expect((d.spec as { paused?: boolean }).paused ?? false, `${name}: not paused`).to.equal(false);
      return d;
    }

    it("a Deployment without Velero's label whose template carries the mark: its pods, created by the ReplicaSet controller, get no hook", async () => {
      await createAsTenant(tenantDeployment('sneaky-a', {}, mark));
      await assertPodsUnhooked('sneaky-a', 1);
      expect(
        env.logs.some(
          (l) =>
            l.webhook === 'pods' &&
            l.reason === 'OwnerNotRestored' &&
            l.namespace === 'app' &&
            l.result === 'bypass',
        ),
        'the pod webhook says why',
      ).to.equal(true);
      await assertTemplateUntouched('sneaky-a');
    });

    it('a Deployment labelled as restored by the tenant, with a forged mark: the mark is removed, the creator recorded, and neither path hooks it', async () => {
      const created = await createAsTenant(tenantDeployment('sneaky-b', restoredLabels(RESTORE), mark));
      expect(created.metadata.annotations?.[UNTRUSTED_CREATOR_ANNOTATION]).to.equal(TENANT);
      expect(created.spec.template.metadata?.labels?.[RESTORE_LABEL], 'the forged mark').to.equal(undefined);
      await assertPodsUnhooked('sneaky-b', 1);
      await refusedByReconciler('sneaky-b', 'UntrustedCreator');
      await assertTemplateUntouched('sneaky-b');
    });

    it('a Deployment labelled as restored by the tenant, without a mark: the reconciler fallback leaves it alone', async () => {
      const created = await createAsTenant(tenantDeployment('sneaky-c', restoredLabels(RESTORE), {}));
      expect(created.metadata.annotations?.[UNTRUSTED_CREATOR_ANNOTATION]).to.equal(TENANT);
      await refusedByReconciler('sneaky-c', 'UntrustedCreator');
      await assertPodsUnhooked('sneaky-c', 1);
      await assertTemplateUntouched('sneaky-c');
    });

    it('the tenant removes the untrusted-creator annotation by UPDATE, and adds a mark: the annotation stays, the mark goes', async () => {
      const updated = await patchAsTenant('sneaky-c', {
        metadata: { annotations: { [UNTRUSTED_CREATOR_ANNOTATION]: null } },
        spec: { template: { metadata: { labels: mark } } },
      });
      expect(updated.metadata.annotations?.[UNTRUSTED_CREATOR_ANNOTATION]).to.equal(TENANT);
      expect(updated.spec.template.metadata?.labels?.[RESTORE_LABEL]).to.equal(undefined);
      await assertTemplateUntouched('sneaky-c');
    });

    it('the tenant labels and marks an unlabelled Deployment by UPDATE: distrusted as at creation, its new pods get no hook', async () => {
      await createAsTenant(tenantDeployment('sneaky-d', {}, {}));
      await assertPodsUnhooked('sneaky-d', 1);
      const updated = await patchAsTenant('sneaky-d', {
        metadata: { labels: restoredLabels(RESTORE) },
        // A changed template: the Deployment controller rolls out a new ReplicaSet.
        spec: { template: { metadata: { labels: { ...mark, rollout: '2' } } } },
      });
      expect(updated.metadata.annotations?.[UNTRUSTED_CREATOR_ANNOTATION]).to.equal(TENANT);
      expect(updated.spec.template.metadata?.labels?.[RESTORE_LABEL]).to.equal(undefined);
      await assertPodsUnhooked('sneaky-d', 1, 'app=sneaky-d,rollout=2');
      await refusedByReconciler('sneaky-d', 'UntrustedCreator');
      await assertTemplateUntouched('sneaky-d');
    });
  },
);
