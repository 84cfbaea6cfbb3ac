/**
 * The Helm chart against the real control plane (kube-apiserver 1.20 on etcd, hack/real-cluster): `helm install`
 * (webhook included), then `helm upgrade` with the webhook's failurePolicy, settings and extra labels, must be
 * accepted by a real API server (the pods need not run). Runs under `npm run test:real`, which has the control plane's binaries.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureHelm, runHelm } from '../helpers/helm.ts';

/** Imported at run time: hack/real-cluster/control-plane.ts comes with the real-cluster bed (branch realbed). */
const CONTROL_PLANE_MODULE = '../../hack/real-cluster/control-plane.ts';
interface RealControlPlane {
  readonly kubeconfigPath: string;
  stop(): Promise<void>;
}
type Start = (options: { nodes?: number }) => Promise<RealControlPlane>;

const CHART = fileURLToPath(new URL('../../manifests/helm/restore-hooks', import.meta.url));
const NS = 'restore-hooks';

describe('Helm chart on the real control plane: install and upgrade', function () {
  this.timeout(600_000);
  let cp: RealControlPlane;
  let helm: string;
  const kubectl = async (...args: string[]) =>
    (
      await promisify(execFile)('kubectl', args, {
        env: { ...process.env, KUBECONFIG: cp.kubeconfigPath },
        timeout: 60_000,
      })
    ).stdout;
  const helmRun = (...args: string[]) => runHelm(helm, args, { KUBECONFIG: cp.kubeconfigPath });

  before(async () => {
    helm = await ensureHelm();
    const { startRealControlPlane } = (await import(CONTROL_PLANE_MODULE)) as {
      startRealControlPlane: Start;
    };
    cp = await startRealControlPlane({ nodes: 1 });
    await kubectl('create', 'namespace', NS);
    await kubectl('label', 'namespace', NS, 'pod-security.kubernetes.io/enforce=restricted');
  });
  after(async () => cp?.stop());

  it('installs every object of the default values', async () => {
    const r = await helmRun('install', 'restore-hooks', CHART, '--namespace', NS, '--wait=false');
    expect(r.stderr).to.not.match(/error/i);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('STATUS: deployed');
    const names = (
      await kubectl('get', 'deploy,svc,cm,sa,role,rolebinding,pdb,networkpolicy', '-n', NS, '-o', 'name')
    )
      .trim()
      .split('\n');
    expect(names).to.include.members([
      'deployment.apps/restore-hooks',
      'service/restore-hooks-metrics',
      'service/restore-hooks-webhook',
      'configmap/restore-hooks-config',
      'serviceaccount/restore-hooks',
      'role.rbac.authorization.k8s.io/restore-hooks-leader-election',
      'rolebinding.rbac.authorization.k8s.io/restore-hooks-leader-election',
      'poddisruptionbudget.policy/restore-hooks',
      'networkpolicy.networking.k8s.io/restore-hooks',
    ]);
    expect(await kubectl('get', 'clusterrole', 'restore-hooks', '-o', 'name')).to.contain('restore-hooks');
    expect(await kubectl('get', 'mutatingwebhookconfiguration', 'restore-hooks', '-o', 'name')).to.contain(
      'restore-hooks',
    );
  });

  it('upgrades with the webhook failurePolicy, settings, replicas and extra labels', async () => {
    const r = await helmRun(
      'upgrade',
      'restore-hooks',
      CHART,
      '--namespace',
      NS,
      '--set',
      'webhook.failurePolicy=Fail,replicas=1,config.settings.templateCleanup=Retain,extraLabels.team=storage',
    );
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('REVISION: 2');
    expect(
      await kubectl(
        'get',
        'mutatingwebhookconfiguration',
        'restore-hooks',
        '-o',
        'jsonpath={.webhooks[*].failurePolicy}',
      ),
    ).to.equal('Fail Fail');
    expect(
      await kubectl('get', 'deploy', 'restore-hooks', '-n', NS, '-o', 'jsonpath={.spec.replicas}'),
    ).to.equal('1');
    expect(
      await kubectl(
        'get',
        'cm',
        'restore-hooks-config',
        '-n',
        NS,
        "-o=jsonpath={.data['controller\\.yaml']}",
      ),
    ).to.equal('templateCleanup: Retain\n');
    expect(
      await kubectl(
        'get',
        'svc',
        'restore-hooks-webhook',
        '-n',
        NS,
        '-o',
        'jsonpath={.metadata.labels.team}',
      ),
    ).to.equal('storage');
  });
});
