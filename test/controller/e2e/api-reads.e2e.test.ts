/**
 * What the controller asks of the API server besides its writes, counted by the devcluster (requests by client,
 * verb and resource) while a restore of Deployments is hooked. Every read costs the API server CPU: the caches
 * serve what they hold, and the reads left are the ones correctness needs.
 */
import { expect } from 'chai';
import type { RequestCount } from '../../../src/devcluster/requests/request-counter.ts';
import { eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { ClusterReads, initNames } from '../../helpers/cluster-reads.ts';
import { R2_HOOK_NAMES, deployment, restoreR2, restoredLabels } from '../../helpers/restore-fixtures.ts';
import { STAYS_PENDING } from '../../helpers/restored-targets.ts';

const DEPLOYMENTS = 4;
const REPLICAS = 3;

describe('controller e2e: API reads while a restore of Deployments is hooked (simulated devcluster)', function () {
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

  it('init hooks only: one pod list per Deployment before its patch, at most one read per ReplicaSet, no pod reads', async () => {
    await env.client.request({
      method: 'POST',
      path: '/apis/velero.io/v1/namespaces/velero/restores',
      body: restoreR2({ name: 'r-reads' }),
    });
    env.cluster.requests.reset();
    const names = Array.from({ length: DEPLOYMENTS }, (_, i) => `reads-${i}`);
    for (const name of names) {
      const d = deployment(name, 'app', { labels: restoredLabels('r-reads'), annotations: STAYS_PENDING });
      await env.client.request({
        method: 'POST',
        path: '/apis/apps/v1/namespaces/app/deployments',
        // Recreate: a rolling update over pods that never become available would stop at maxUnavailable.
        body: { ...d, spec: { ...d.spec, replicas: REPLICAS, strategy: { type: 'Recreate' } } },
      });
    }
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

    // The live list right before the patch that rolls the Deployment out: running pods are not cached.
    expect(controllerRequests('list', 'pods'), 'pod lists').to.be.at.most(DEPLOYMENTS);
    // The proof that listed pods are the Deployment's own, once per ReplicaSet (old template, and at most the new).
    expect(controllerRequests('get', 'replicasets'), 'ReplicaSet reads').to.be.at.most(2 * DEPLOYMENTS);
    // No exec hook can apply (the Restore declares init hooks only): pods are not looked up for them.
    expect(controllerRequests('get', 'pods'), 'pod reads').to.equal(0);
  });
});
