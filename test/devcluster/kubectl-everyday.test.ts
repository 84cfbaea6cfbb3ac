import { startSimulatedCluster } from '../../src/devcluster/simulated.ts';
import type { SimulatedCluster } from '../../src/devcluster/simulated.ts';
import { KubectlEnv, kubectlAvailable } from '../helpers/kubectl.ts';
import { EVERYDAY, outcomeOn, runStep } from './kubectl-everyday.ts';

if (!kubectlAvailable()) {
  console.warn('\n  *** kubectl is not on PATH: the everyday kubectl conformance suite did NOT run ***\n');
} else {
  describe('devcluster conformance: the everyday kubectl commands (simulation, RBAC)', function () {
    this.timeout(180_000);
    let cluster: SimulatedCluster;
    let kubectl: KubectlEnv;

    before(async () => {
      // As a real cluster: simulated nodes and controllers, RBAC enforced (kubectl's admin is in system:masters).
      cluster = await startSimulatedCluster({ simulation: {}, rbac: true, crdDirectory: false });
      kubectl = new KubectlEnv(cluster.kubeconfig());
    });
    after(async () => {
      await cluster.stop();
      kubectl.dispose();
    });

    // One story: each command works on what the ones before it made.
    for (const step of EVERYDAY)
      it(`kubectl ${step.name}`, async () => {
        await runStep(kubectl, step, outcomeOn(step, 'devcluster'));
      });
  });
}
