/**
 * The everyday kubectl commands (test/devcluster/kubectl-everyday.ts) against the real control plane
 * (hack/real-cluster/control-plane.ts: kube-apiserver, kube-controller-manager and kube-scheduler 1.20 with the
 * node agent as kubelet), under `npm run test:real`. Together with the devcluster suite it compares the two: the
 * same list, the same expected exit codes and key outputs, and the documented exceptions on each side.
 */
import { KubectlEnv } from '../helpers/kubectl.ts';
import { EVERYDAY, outcomeOn, runStep } from '../devcluster/kubectl-everyday.ts';

interface RealControlPlane {
  readonly kubeconfig: string;
  stop(): Promise<void>;
}
type Start = (options: { nodes?: number; startDelayMs?: number }) => Promise<RealControlPlane>;

/** The real test bed's module; RESTORE_HOOKS_CONTROL_PLANE_MODULE points at another checkout's copy. */
const controlPlaneModule =
  process.env['RESTORE_HOOKS_CONTROL_PLANE_MODULE'] ??
  new URL('../../hack/real-cluster/control-plane.ts', import.meta.url).href;

describe('real control plane: the everyday kubectl commands', function () {
  this.timeout(300_000);
  let cp: RealControlPlane | undefined;
  let kubectl: KubectlEnv;

  before(async () => {
    const { startRealControlPlane } = (await import(controlPlaneModule)) as { startRealControlPlane: Start };
    cp = await startRealControlPlane({ nodes: 2, startDelayMs: 1000 });
    kubectl = new KubectlEnv(cp.kubeconfig);
  });
  after(async () => {
    kubectl?.dispose();
    await cp?.stop();
  });

  for (const step of EVERYDAY)
    it(`kubectl ${step.name}`, async () => {
      await runStep(kubectl, step, outcomeOn(step, 'real'));
    });
});
