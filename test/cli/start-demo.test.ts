import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsomorphicFetchHttpLibrary, KubeConfig } from '@kubernetes/client-node';
import { KubeJsonClient } from '../../src/controller/kube-json-client.ts';
import { CLI_PATH, runCli } from '../helpers/cli.ts';
import { occupyPort } from '../helpers/ports.ts';
import { eventually } from '../helpers/controller-env.ts';

interface EventObject {
  reason: string;
  involvedObject: { kind: string; name: string };
}

describe('npm start without a configured cluster (restore-hooks start)', function () {
  this.timeout(90_000);

  it('runs the demo restore on the devcluster and the controller applies its init hooks', async () => {
    const home = await mkdtemp(join(tmpdir(), 'restore-hooks-start-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: home,
      RESTORE_HOOKS_METRICS_BIND_ADDRESS: '127.0.0.1:0',
      RESTORE_HOOKS_HEALTH_PROBE_BIND_ADDRESS: '127.0.0.1:0',
    };
    delete env.KUBECONFIG;
    delete env.KUBERNETES_SERVICE_HOST;
    const child = spawn(process.execPath, [CLI_PATH, 'start'], {
      cwd: home,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const kubeconfigPath = await eventually(
        async () => /^kubeconfig: (.+)$/m.exec(stderr)?.[1],
        'the kubeconfig line',
        30_000,
      );
      expect(kubeconfigPath).to.equal(join(home, '.devcluster', 'kubeconfig'));
      expect(stderr).to.contain('kubectl --kubeconfig');
      expect(stderr).to.contain(`npm run status -- -n velero r2 --kubeconfig ${kubeconfigPath}`);
      expect(stderr).to.match(/^metrics: http:\/\/127\.0\.0\.1:\d+\/metrics$/m);
      const health = /^health: (http:\/\/127\.0\.0\.1:\d+)\/healthz, readiness: \1\/readyz$/m.exec(stderr);
      expect(health, stderr).to.not.equal(null);
      expect((await fetch(`${health![1]}/readyz`)).status).to.equal(200);
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigPath);
      const client = new KubeJsonClient(kc, new IsomorphicFetchHttpLibrary());
      const events = async () =>
        (
          await client.request<{ items: EventObject[] }>({
            method: 'GET',
            path: '/api/v1/namespaces/app/events',
          })
        ).items;
      // As the real Velero does, the demo's Velero injects the Restore's init hooks into the pods it restores (web's
      // two, db-0, an agent pod and the bare pod standalone); the workloads are marked as Velero restores them, and
      // the pods they create get the hooks at admission. Nothing is replaced and no template gets hooks.
      await eventually(
        async () =>
          (
            await client.request<{ status?: { phase?: string } }>({
              method: 'GET',
              path: '/apis/velero.io/v1/namespaces/velero/restores/r2',
            })
          ).status?.phase === 'Completed' || undefined,
        'Restore r2 Completed',
        45_000,
      );
      for (const [app, count] of [
        ['web', 2],
        ['db', 1],
        ['agent', 3],
      ] as const) {
        await eventually(
          async () => {
            const pods = (
              await client.request<{
                items: {
                  metadata: { deletionTimestamp?: string };
                  spec: { initContainers?: { name: string }[] };
                }[];
              }>({
                method: 'GET',
                path: `/api/v1/namespaces/app/pods?labelSelector=app%3D${app}`,
              })
            ).items.filter((p) => !p.metadata.deletionTimestamp);
            return (
              pods.length === count &&
              pods.every((p) =>
                ['restore-hook-init1', 'restore-hook-init2'].every((h) =>
                  (p.spec.initContainers ?? []).some((c) => c.name === h),
                ),
              )
            );
          },
          `${count} pod(s) of ${app} with the hooks`,
          45_000,
        );
      }
      const web = await client.request<{
        spec: { template: { metadata: { labels: Record<string, string> } } };
      }>({
        method: 'GET',
        path: '/apis/apps/v1/namespaces/app/deployments/web',
      });
      expect(web.spec.template.metadata.labels['restore-hooks.dev/restore']).to.equal('r2');
      // The DaemonSet's pods on the two nodes Velero restored none for came through admission, with our record.
      const admitted = (
        await client.request<{ items: { metadata: { annotations?: Record<string, string> } }[] }>({
          method: 'GET',
          path: '/api/v1/namespaces/app/pods?labelSelector=app%3Dagent',
        })
      ).items.filter((p) => p.metadata.annotations?.['restore-hooks.dev/applied-init-hooks'] !== undefined);
      expect(admitted).to.have.length(2);
      // Nothing rolled: no pod replaced by restore-hooks, and none deleted by a workload controller (the
      // ControllerRevisions Velero restored carry the mark too, so db-0 and agent-4t8zq stay at their revision).
      const replacedOrRolled = (await events()).filter((e) =>
        ['HookInjected', 'PodReplaced', 'SuccessfulDelete'].includes(e.reason),
      );
      expect(replacedOrRolled).to.deep.equal([]);
      const standalone = await client.request<{ spec: { initContainers?: { name: string }[] } }>({
        method: 'GET',
        path: '/api/v1/namespaces/app/pods/standalone',
      });
      expect(standalone.spec.initContainers?.map((c) => c.name).slice(0, 2)).to.deep.equal([
        'restore-hook-init1',
        'restore-hook-init2',
      ]);
    } finally {
      child.kill('SIGINT');
      expect(await exited).to.equal(0);
      expect(
        existsSync(join(home, '.devcluster', 'kubeconfig')),
        'a kubeconfig of a stopped devcluster',
      ).to.equal(false);
      await rm(home, { recursive: true, force: true });
    }
  });

  it('with the metrics port taken, exits 2 with one line naming the setting and leaves no kubeconfig', async () => {
    const home = await mkdtemp(join(tmpdir(), 'restore-hooks-start-'));
    const taken = await occupyPort();
    try {
      const env: NodeJS.ProcessEnv = {
        HOME: home,
        RESTORE_HOOKS_METRICS_BIND_ADDRESS: `127.0.0.1:${taken.port}`,
        RESTORE_HOOKS_HEALTH_PROBE_BIND_ADDRESS: '127.0.0.1:0',
        KUBECONFIG: '',
        KUBERNETES_SERVICE_HOST: '',
      };
      const r = await runCli(['start'], env, 60_000, home);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.equal(
        `restore-hooks start: metricsBindAddress (--metrics-bind-address) "127.0.0.1:${taken.port}": cannot listen: address already in use (EADDRINUSE); choose another HOST:PORT, or "0" to disable it\n`,
      );
      expect(existsSync(join(home, '.devcluster', 'kubeconfig'))).to.equal(false);
    } finally {
      await taken.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});
