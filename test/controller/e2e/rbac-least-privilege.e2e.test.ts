import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.ts';
import { samplesDirectory } from '../../../src/devcluster/demo.ts';
import type { Pod, Workload } from '../../../src/kube/types.ts';
import { CONTROLLER_NAMESPACE, eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { describeOnDevclusterOnly } from '../../helpers/bed-suites.ts';
import { podSpec, restoredLabels } from '../../helpers/restore-fixtures.ts';
import { formatGrant, manifestRules, unusedGrants } from '../../helpers/rbac-usage.ts';

const RBAC_MANIFEST = new URL('../../../manifests/base/rbac.yaml', import.meta.url);
const WEBHOOK_MANIFEST = new URL('../../../manifests/base/webhook.yaml', import.meta.url);

/** The demo Restore r2 (config/samples/demo/restore-r2.yaml) without the Namespace the environment already has. */
function demoRestore(): Record<string, unknown> {
  const docs = parseAllDocuments(readFileSync(join(samplesDirectory(), 'demo', 'restore-r2.yaml'), 'utf8'));
  const restore = docs.map((d) => d.toJSON() as { kind?: string }).find((o) => o.kind === 'Restore');
  if (!restore) throw new Error('restore-r2.yaml has no Restore');
  return restore as Record<string, unknown>;
}

describeOnDevclusterOnly(
  'RBAC of manifests/ grants nothing the controller does not use (RBAC enforced)',
  "needs the devcluster's simulated Velero server, its fault injector (a 409 on each first patch) and its authorizer's record of every allowed request; the real bed has no Velero server or injector, and its audit log gives writes only (every real-bed suite runs the controller under the manifest RBAC, so the grants are shown sufficient there)",
  function () {
    this.timeout(120_000);
    let env: ControllerEnv;

    before(async () => {
      env = await startControllerEnv({
        rbac: true,
        conditionsCrd: true,
        simulation: { velero: { fixturesDir: join(samplesDirectory(), 'backups') } },
      });
    });
    after(async () => {
      await env.stop();
    });

    it('uses every verb of every rule while it hooks, replaces, reports and cleans up a whole restore', async () => {
      const get = <T>(path: string) => env.client.request<T>({ method: 'GET', path });
      // The first template patch of each kind conflicts: the controller re-reads the workload (get) and retries.
      for (const resource of ['deployments', 'statefulsets', 'daemonsets', 'replicasets'])
        env.cluster.faults.addRule({
          id: `conflict-${resource}`,
          verbs: ['patch'],
          resources: [`${resource}.apps`],
          error: { code: 409, rate: 1 },
          times: 1,
        });
      // The manifests' webhook configuration (its Service has no endpoints here: every call fails, and under
      // failurePolicy Ignore the restore takes the reconcilers' path, whose verbs this test is about). The controller
      // creates its certificate Secret, writes the CA into the caBundle, and, with a 3 s lifetime, renews the Secret.
      const webhookDocs = parseAllDocuments(readFileSync(WEBHOOK_MANIFEST, 'utf8')).map((d) => d.toJSON());
      await env.client.request({
        method: 'POST',
        path: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
        body: webhookDocs.find((d: { kind: string }) => d.kind === 'MutatingWebhookConfiguration'),
      });
      await env.startController({
        leaderElection: {
          ...DEFAULT_SETTINGS.leaderElection,
          enabled: true,
          leaseNamespace: CONTROLLER_NAMESPACE,
        },
        webhook: {
          ...DEFAULT_SETTINGS.webhook,
          bindAddress: '127.0.0.1:0',
          certificates: { ...DEFAULT_SETTINGS.webhook.certificates, validity: 3_000, refreshInterval: 500 },
        },
      });
      await env.client.request({
        method: 'POST',
        path: '/apis/velero.io/v1/namespaces/velero/restores',
        body: demoRestore(),
      });
      await eventually(
        async () =>
          (
            await get<{ status?: { startTimestamp?: string } }>(
              '/apis/velero.io/v1/namespaces/velero/restores/r2',
            )
          ).status?.startTimestamp,
        'Restore r2 to start',
      );
      // A restored Job: its pod can only be reported (Job templates are immutable).
      await env.client.request({
        method: 'POST',
        path: '/apis/batch/v1/namespaces/app/jobs',
        body: {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name: 'migrate', namespace: 'app', labels: restoredLabels() },
          spec: {
            template: {
              // Slow to start, as with a real image pull, so that it is seen pending.
              metadata: {
                labels: { job: 'migrate' },
                annotations: { 'devcluster.restore-hooks.io/start-seconds': '3' },
              },
              spec: podSpec({ restartPolicy: 'Never' }),
            },
          },
        },
      });

      // A restored ReplicaSet that no Deployment owns: its own template is patched.
      await env.client.request({
        method: 'POST',
        path: '/apis/apps/v1/namespaces/app/replicasets',
        body: {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: { name: 'cache', namespace: 'app', labels: restoredLabels() },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'cache' } },
            template: {
              metadata: {
                labels: { app: 'cache' },
                annotations: {
                  'devcluster.restore-hooks.io/start-seconds': '5',
                  // An exec hook: its pods are claimed (patch) and the command runs through pods/exec.
                  'post.hook.restore.velero.io/command': '["sh", "-c", "echo warmed"]',
                },
              },
              spec: podSpec(),
            },
          },
        },
      });
      await eventually(
        async () => {
          const restore = await get<{ status?: { phase?: string } }>(
            '/apis/velero.io/v1/namespaces/velero/restores/r2',
          );
          return restore.status?.phase === 'Completed';
        },
        'Restore r2 to complete',
        60_000,
      );
      // RemoveAfterRestore: every hooked template is cleaned up once its pods are past their init containers.
      for (const path of [
        '/apis/apps/v1/namespaces/app/deployments/web',
        '/apis/apps/v1/namespaces/app/statefulsets/db',
        '/apis/apps/v1/namespaces/app/daemonsets/agent',
        '/apis/apps/v1/namespaces/app/replicasets/cache',
      ]) {
        await eventually(
          async () => (await get<Workload>(path)).metadata.annotations?.['restore-hooks.dev/cleaned-up'],
          `the cleanup of ${path}`,
          60_000,
        );
      }
      const cachePod = await eventually(async () => {
        const pods = await get<{ items: Pod[] }>('/api/v1/namespaces/app/pods?labelSelector=app%3Dcache');
        return pods.items.find((p) =>
          p.metadata.annotations?.['restore-hooks.dev/exec-hooks']?.includes('Succeeded'),
        );
      }, 'the exec hook to succeed in a pod of ReplicaSet cache');
      expect(cachePod.metadata.annotations?.['restore-hooks.dev/exec-hooks']).to.contain('warmed');
      const standalone = await get<Pod>('/api/v1/namespaces/app/pods/standalone');
      expect((standalone.spec.initContainers ?? []).map((c) => c.name)).to.include('restore-hook-init1');
      await eventually(
        async () =>
          (
            await get<{ items: { reason: string; involvedObject: { kind: string; name: string } }[] }>(
              '/api/v1/namespaces/app/events',
            )
          ).items.some(
            (e) =>
              e.reason === 'HookSkipped' &&
              e.involvedObject.kind === 'Pod' &&
              e.involvedObject.name.startsWith('migrate-'),
          ),
        'the HookSkipped Event for the Job’s pod',
      );
      // Every workload is hooked; the Job's pod (and any bare pod that started before it could be replaced) is
      // reported as skipped.
      await eventually(async () => {
        const restore = await get<{ status?: { conditions?: { type: string; reason: string }[] } }>(
          '/apis/velero.io/v1/namespaces/velero/restores/r2',
        );
        const applied = restore.status?.conditions?.find((c) => c.type === 'InitHooksApplied');
        return applied?.reason === 'PodsSkipped';
      }, 'InitHooksApplied=False/PodsSkipped on Restore r2');
      // Deleting the Restore deletes its hook-count ledger.
      const ledgers = async () =>
        (
          await get<{ items: { metadata: { name: string } }[] }>(
            `/api/v1/namespaces/${CONTROLLER_NAMESPACE}/configmaps`,
          )
        ).items.filter((c) => c.metadata.name.startsWith('restore-hooks-outcomes-'));
      expect(await ledgers()).to.have.lengthOf(1);
      await env.client.request({
        method: 'DELETE',
        path: '/apis/velero.io/v1/namespaces/velero/restores/r2',
      });
      await eventually(async () => (await ledgers()).length === 0, 'the ledger of Restore r2 to be deleted');
      await eventually(
        async () =>
          env.authorizedRequests.some((r) => r.verb === 'update' && r.resource === 'secrets') || undefined,
        'the webhook certificate to be renewed',
      );
      // A graceful stop releases the lease (an update of it).
      expect(await env.stopController()).to.equal(0);

      const unused = unusedGrants(manifestRules(RBAC_MANIFEST, CONTROLLER_NAMESPACE), env.authorizedRequests);
      expect(unused.map(formatGrant), 'granted but never used').to.deep.equal([]);
    });
  },
);
