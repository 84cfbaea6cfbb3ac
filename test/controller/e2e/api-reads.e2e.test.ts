/**
 * What the controller asks of the API server besides its writes, counted by the devcluster (requests by client,
 * verb and resource) while a restore of Deployments is hooked. Every read costs the API server CPU: the caches
 * serve what they hold, and the reads left are the ones correctness needs.
 */
import { expect } from 'chai';
import type { RequestCount } from '../../../src/devcluster/requests/request-counter.ts';
import { eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { describeOnDevclusterOnly } from '../../helpers/bed-suites.ts';
import { ClusterReads, initNames } from '../../helpers/cluster-reads.ts';
import {
  R2_HOOK_NAMES,
  barePod,
  deployment,
  restoreR2,
  restoredLabels,
} from '../../helpers/restore-fixtures.ts';
import { STAYS_PENDING } from '../../helpers/restored-targets.ts';

const DEPLOYMENTS = 4;
const REPLICAS = 3;

describeOnDevclusterOnly(
  'controller e2e: API reads while a restore of Deployments is hooked',
  "counts the controller's reads by client, verb and resource with the devcluster's request counter; a real API server has none",
  function () {
    this.timeout(120_000);
    let env: ControllerEnv;
    let reads: ClusterReads;

    before(async () => {
      env = await startControllerEnv({ conditionsCrd: true, simulation: {} });
      reads = new ClusterReads(env.client);
      await env.startController();
    });
    after(async () => {
      await env?.stop();
    });

    const controllerRequests = (verb: string, resource: string): number =>
      env.cluster.requests
        .counts()
        .filter(
          (c: RequestCount) => c.userAgent === 'restore-hooks' && c.verb === verb && c.resource === resource,
        )
        .reduce((n, c) => n + c.count, 0);

    /** DEPLOYMENTS restored Deployments of REPLICAS pods that stay pending, named `${prefix}-i`; their names. */
    const createPendingDeployments = async (restore: string, prefix: string): Promise<string[]> => {
      const names = Array.from({ length: DEPLOYMENTS }, (_, i) => `${prefix}-${i}`);
      for (const name of names) {
        const d = deployment(name, 'app', { labels: restoredLabels(restore), annotations: STAYS_PENDING });
        await env.client.request({
          method: 'POST',
          path: '/apis/apps/v1/namespaces/app/deployments',
          // Recreate: a rolling update over pods that never become available would stop at maxUnavailable.
          body: { ...d, spec: { ...d.spec, replicas: REPLICAS, strategy: { type: 'Recreate' } } },
        });
      }
      return names;
    };

    const everyPodHooked = async (names: readonly string[]): Promise<void> => {
      for (const name of names)
        await eventually(
          async () => {
            const pods = await reads.livePods('app', `app=${name}`);
            return pods.length === REPLICAS &&
              pods.every(
                (p) => JSON.stringify(initNames(p.spec.initContainers)) === JSON.stringify(R2_HOOK_NAMES),
              )
              ? true
              : undefined;
          },
          `every pod of Deployment ${name} to run the hooks`,
          60_000,
        );
    };

    it('init hooks only: one pod list per Deployment before its patch, at most one read per ReplicaSet, no pod reads', async () => {
      await env.client.request({
        method: 'POST',
        path: '/apis/velero.io/v1/namespaces/velero/restores',
        body: restoreR2({ name: 'r-reads' }),
      });
      env.cluster.requests.reset();
      const names = await createPendingDeployments('r-reads', 'reads');
      await everyPodHooked(names);

      // The live list right before the patch that rolls the Deployment out: running pods are not cached.
      expect(controllerRequests('list', 'pods'), 'pod lists').to.be.at.most(DEPLOYMENTS);
      // The proof that listed pods are the Deployment's own, once per ReplicaSet (old template, and at most the new).
      expect(controllerRequests('get', 'replicasets'), 'ReplicaSet reads').to.be.at.most(2 * DEPLOYMENTS);
      // No exec hook can apply (the Restore declares init hooks only): pods are not looked up for them.
      expect(controllerRequests('get', 'pods'), 'pod reads').to.equal(0);
    });

    it('pods all pending before the restore starts: no pod list, the pending-pod cache holds every pod the Deployments count', async () => {
      const restorePath = '/apis/velero.io/v1/namespaces/velero/restores';
      await env.client.request({
        method: 'POST',
        path: restorePath,
        body: restoreR2({ name: 'r-cached', phase: 'New' }),
      });
      const names = await createPendingDeployments('r-cached', 'cached');
      // The restore's shape in the bench: every pod pending from the old template, each Deployment's count settled.
      for (const name of names)
        await eventually(
          async () => {
            const d = await reads.workload('Deployment', 'app', name);
            const status = d.status as {
              observedGeneration?: number;
              replicas?: number;
              updatedReplicas?: number;
            };
            const pods = await reads.livePods('app', `app=${name}`);
            return pods.length === REPLICAS &&
              status.observedGeneration === d.metadata.generation &&
              status.replicas === REPLICAS &&
              status.updatedReplicas === REPLICAS
              ? true
              : undefined;
          },
          `Deployment ${name} to count its ${REPLICAS} pending pods`,
          60_000,
        );
      // A barrier, not a sleep: the controller's pod and Deployment watches each deliver in order, so once it has
      // acted on a pod and a Deployment created now (of another, running restore), its caches hold all of the above.
      await env.client.request({ method: 'POST', path: restorePath, body: restoreR2({ name: 'r-barrier' }) });
      await reads.create(
        barePod('barrier-pod', 'app', {
          labels: restoredLabels('r-barrier', { app: 'barrier-pod' }),
          annotations: STAYS_PENDING,
        }),
      );
      const barrier = deployment('barrier', 'app', { labels: restoredLabels('r-barrier') });
      await reads.create({
        ...barrier,
        spec: { ...barrier.spec, replicas: 0, strategy: { type: 'Recreate' } },
      });
      await eventually(
        async () => {
          const copy = await reads.pod('app', 'barrier-pod').catch(() => undefined);
          const d = await reads.workload('Deployment', 'app', 'barrier');
          return JSON.stringify(initNames(copy?.spec.initContainers)) === JSON.stringify(R2_HOOK_NAMES) &&
            JSON.stringify(initNames(d.spec.template.spec.initContainers)) === JSON.stringify(R2_HOOK_NAMES)
            ? true
            : undefined;
        },
        'the controller to hook the barrier pod and Deployment',
        60_000,
      );

      env.cluster.requests.reset();
      await env.client.request({
        method: 'PATCH',
        path: `${restorePath}/r-cached`,
        body: { status: { phase: 'InProgress' } },
        contentType: 'application/merge-patch+json',
      });
      await everyPodHooked(names);

      expect(controllerRequests('list', 'pods'), 'pod lists').to.equal(0);
      expect(controllerRequests('patch', 'deployments'), 'template patches').to.equal(DEPLOYMENTS);
      expect(controllerRequests('get', 'replicasets'), 'ReplicaSet reads').to.be.at.most(DEPLOYMENTS);
    });
  },
);
