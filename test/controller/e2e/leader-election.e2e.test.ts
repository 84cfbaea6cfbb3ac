import { expect } from 'chai';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.ts';
import type { Settings } from '../../../src/config/settings.ts';
import type { Workload } from '../../../src/kube/types.ts';
import {
  FAST_LEADER_ELECTION,
  eventually,
  runReplica,
  startControllerEnv,
} from '../../helpers/controller-env.ts';
import type { ControllerEnv, ControllerReplica } from '../../helpers/controller-env.ts';
import { describeOnBeds } from '../../helpers/bed-suites.ts';
import { ClusterReads, templateInitNames } from '../../helpers/cluster-reads.ts';
import { R2_HOOK_NAMES, deployment, restoreR2 } from '../../helpers/restore-fixtures.ts';

const settings: Settings = {
  ...DEFAULT_SETTINGS,
  metricsBindAddress: '0',
  healthProbeBindAddress: '0',
  logLevel: 'info',
  leaderElection: FAST_LEADER_ELECTION,
};

describeOnBeds('controller: two replicas with leader election (RBAC of manifests/ enforced)', function (bed) {
  this.timeout(60_000);
  let env: ControllerEnv;
  const replicas: ControllerReplica[] = [];

  beforeEach(async () => {
    env = await startControllerEnv({ bed: bed.kind, rbac: true, conditionsCrd: true });
  });
  afterEach(async () => {
    for (const r of replicas.splice(0)) {
      r.abort.abort();
      await r.done;
    }
    await env.stop();
  });

  function startReplica(): ControllerReplica {
    const replica = runReplica(settings, env.kubeConfig);
    replicas.push(replica);
    return replica;
  }
  const leads = (r: ControllerReplica) => r.logs.some((l) => l.msg === 'controllers started');
  const injections = (r: ControllerReplica) =>
    r.logs.filter((l) => l.msg === 'injected init hooks into pod template').map((l) => l.name);
  const hooked = async (name: string) => {
    const d = await env.client.request<Workload>({
      method: 'GET',
      path: `/apis/apps/v1/namespaces/app/deployments/${name}`,
    });
    return (d.spec.template.spec.initContainers ?? []).length === 2 ? true : undefined;
  };

  it('only the leader writes; after it stops, the other replica takes over', async () => {
    const a = startReplica();
    const b = startReplica();
    const leader = await eventually(async () => [a, b].find(leads), 'a leader');
    const follower = leader === a ? b : a;
    await env.velero.request({
      method: 'POST',
      path: '/apis/velero.io/v1/namespaces/velero/restores',
      body: restoreR2(),
    });
    await env.velero.request({
      method: 'POST',
      path: '/apis/apps/v1/namespaces/app/deployments',
      body: deployment('first'),
    });
    await eventually(() => hooked('first'), 'the first Deployment to be hooked');
    // The leader logs the injection once the patch's response arrives, a little after the template changes.
    await eventually(async () => (injections(leader).length > 0 ? true : undefined), 'the leader to log it');
    expect(injections(leader)).to.deep.equal(['first']);
    expect(leads(follower)).to.equal(false);
    expect(injections(follower)).to.deep.equal([]);

    leader.abort.abort();
    expect(await leader.done).to.equal(0);
    await eventually(async () => (leads(follower) ? true : undefined), 'the follower to take over', 20_000);
    await env.velero.request({
      method: 'POST',
      path: '/apis/apps/v1/namespaces/app/deployments',
      body: deployment('second'),
    });
    await eventually(() => hooked('second'), 'the second Deployment to be hooked by the new leader');
    // The new leader re-reconciles 'first' on start and finds nothing to do.
    await eventually(
      async () => (injections(follower).length > 0 ? true : undefined),
      'the new leader to log it',
    );
    expect(injections(follower)).to.deep.equal(['second']);

    // Objects, Events and status: each template was written once, by one leader or the other.
    const reads = new ClusterReads(env.client);
    for (const name of ['first', 'second']) {
      const d = await reads.workload('Deployment', 'app', name);
      expect(d.metadata.generation, `${name} patched once`).to.equal(2);
      expect(templateInitNames(d)).to.deep.equal(R2_HOOK_NAMES);
    }
    const injected = (await reads.events('app')).filter((e) => e.reason === 'HookInjected');
    expect(injected.map((e) => e.involvedObject.name).sort()).to.deep.equal(['first', 'second']);
    const applied = await eventually(async () => {
      const c = await reads.condition('r2', 'InitHooksApplied');
      return c?.message.includes('for 2 restored workload') ? c : undefined;
    }, 'InitHooksApplied to count both Deployments');
    expect(applied).to.include({ status: 'True', reason: 'HooksInPlace' });
  });
});
