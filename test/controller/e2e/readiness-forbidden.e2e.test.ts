import { expect } from 'chai';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.ts';
import { eventually, runReplica, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';

describe('readiness explains a 403 (devcluster, RBAC enforced, the shipped RBAC)', function () {
  this.timeout(60_000);
  let env: ControllerEnv;
  before(async () => (env = await startControllerEnv({ rbac: true })));
  after(async () => env.stop());

  it('in the wrong namespace, /readyz and the log name the verb, the resource and the namespace', async () => {
    let health: string | undefined;
    const replica = runReplica(
      {
        ...DEFAULT_SETTINGS,
        namespace: 'default',
        metricsBindAddress: '0',
        healthProbeBindAddress: '127.0.0.1:0',
      },
      env.kubeConfig,
      { onListening: (addresses) => (health = addresses.health) },
    );
    try {
      const body = await eventually(async () => {
        if (!health) return undefined;
        const res = await fetch(`${health}/readyz`);
        const text = await res.text();
        return res.status === 500 && text.includes('forbidden') ? text : undefined;
      }, '/readyz to explain the 403');
      expect(body).to.contain('[-]informers-synced failed: informers have not completed their first list;');
      expect(body).to.contain(
        'hook-count-ledgers: 403 Forbidden: configmaps is forbidden: User "system:serviceaccount:restore-hooks:restore-hooks" cannot list resource "configmaps" in API group "" in the namespace "default"',
      );
      const logged = replica.logs.filter((l) => String(l.msg).startsWith('forbidden:'));
      expect(logged, 'one error line per failing informer').to.have.length.greaterThan(0);
      expect(logged.map((l) => l.informer)).to.include('hook-count-ledgers');
      expect(new Set(logged.map((l) => l.informer)).size).to.equal(logged.length);
      expect(logged[0]).to.include({ level: 'error', namespace: 'default' });
    } finally {
      replica.abort.abort();
      await replica.done;
    }
  });
});
