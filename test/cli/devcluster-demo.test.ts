import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import type { DevCluster } from '../../src/devcluster/index.ts';
import { CLI_PATH, runCli } from '../helpers/cli.ts';
import { rawRequest } from '../helpers/devcluster.ts';
import { waitFor } from '../helpers/sim-cluster.ts';

const CRDS = fileURLToPath(new URL('../devcluster/sim/crd', import.meta.url));

/** Starts `restore-hooks devcluster` with `args`, runs `body` with a KubeConfig, then stops it with SIGTERM. */
async function withDevcluster(
  dir: string,
  args: string[],
  body: (kc: KubeConfig) => Promise<void>,
): Promise<string> {
  const kubeconfig = join(dir, 'kubeconfig');
  const child = spawn(process.execPath, [CLI_PATH, 'devcluster', '--kubeconfig', kubeconfig, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    await waitFor('the devcluster to serve', () => stdout.includes('devcluster serving'), 20_000);
    const kc = new KubeConfig();
    kc.loadFromString(readFileSync(kubeconfig, 'utf8'));
    await body(kc);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited, stderr).to.equal(0);
  return stdout;
}

describe('restore-hooks devcluster --demo and --faults', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'devcluster-demo-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('--demo restores backup b2 through Restore r2 and runs the restored workloads', async () => {
    const stdout = await withDevcluster(dir, ['--demo', '--crds', CRDS], async (kc) => {
      const custom = kc.makeApiClient(CustomObjectsApi);
      const core = kc.makeApiClient(CoreV1Api);
      await waitFor(
        'r2 Completed',
        async () => {
          const r2 = (await custom.getNamespacedCustomObject({
            group: 'velero.io',
            version: 'v1',
            namespace: 'velero',
            plural: 'restores',
            name: 'r2',
          })) as { spec: { hooks: { resources: { name: string }[] } }; status?: { phase?: string } };
          expect(r2.spec.hooks.resources.map((r) => r.name)).to.deep.equal(['restore-hook-1']);
          return r2.status?.phase === 'Completed';
        },
        20_000,
      );
      const pods = await waitFor(
        'app pods running',
        async () => {
          const list = await core.listNamespacedPod({ namespace: 'app' });
          const names = list.items.map((p) => p.metadata?.name);
          const restored = [
            'db-0',
            'agent-4t8zq',
            'standalone',
            'web-5d8f7c9b6d-q9m4w',
            'web-5d8f7c9b6d-x7k2p',
          ];
          // The DaemonSet also starts agents on the two other demo nodes.
          return (
            list.items.length === 7 &&
            restored.every((n) => names.includes(n)) &&
            list.items.every((p) => p.status?.phase === 'Running') &&
            list.items
          );
        },
        20_000,
      );
      for (const pod of pods) {
        expect(pod.spec?.volumes?.map((v) => v.name)).to.include.members(['pvc1-vm', 'pvc2-vm']);
      }
      const annotated = await core.readNamespacedPod({ namespace: 'other', name: 'annotated' });
      expect(annotated.metadata?.annotations?.['init.hook.restore.velero.io/container-name']).to.equal(
        'restore-hook',
      );
    });
    expect(stdout).to.contain('"demo":true');
  });

  it('--backups DIR runs the simulation with Velero reading DIR, and --rbac denies an unbound account', async () => {
    const backup = join(dir, 'backups', 'b1');
    mkdirSync(backup, { recursive: true });
    writeFileSync(
      join(backup, 'pods.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'p1', namespace: 'ns1' },
            spec: { containers: [{ name: 'app', image: 'nginx' }] },
          },
        ],
      }),
    );
    const stdout = await withDevcluster(
      dir,
      ['--backups', join(dir, 'backups'), '--rbac', '--crds', CRDS],
      async (kc) => {
        const custom = kc.makeApiClient(CustomObjectsApi);
        const core = kc.makeApiClient(CoreV1Api);
        await core.createNamespace({ body: { metadata: { name: 'velero' } } });
        await custom.createNamespacedCustomObject({
          group: 'velero.io',
          version: 'v1',
          namespace: 'velero',
          plural: 'restores',
          body: {
            apiVersion: 'velero.io/v1',
            kind: 'Restore',
            metadata: { name: 'r1' },
            spec: { backupName: 'b1' },
          },
        });
        await waitFor(
          'the restored pod to run',
          async () =>
            (await core.readNamespacedPod({ namespace: 'ns1', name: 'p1' })).status?.phase === 'Running',
          20_000,
        );
        const cluster = kc.getCurrentCluster()!;
        const target = {
          url: cluster.server,
          caCert: Buffer.from(cluster.caData!, 'base64').toString(),
        } as DevCluster;
        const minted = await rawRequest(target, 'GET', '/devcluster/kubeconfig?serviceAccount=ns1/nobody', {
          token: kc.getCurrentUser()!.token!,
        });
        const sa = new KubeConfig();
        sa.loadFromString(minted.text);
        const denied = await sa
          .makeApiClient(CoreV1Api)
          .listNamespacedPod({ namespace: 'ns1' })
          .catch((e: { code?: number }) => e);
        expect((denied as { code?: number }).code).to.equal(403);
      },
    );
    expect(stdout).to.contain('"simulation":true');
  });

  it("--faults starts with the file's rules, and /devcluster/faults reports and changes them", async () => {
    const file = join(dir, 'faults.json');
    writeFileSync(
      file,
      JSON.stringify({ seed: 3, rules: [{ id: 'cm', resources: ['configmaps'], error: { code: 503 } }] }),
    );
    await withDevcluster(dir, ['--faults', file], async (kc) => {
      const core = kc.makeApiClient(CoreV1Api);
      const error = await core
        .listNamespacedConfigMap({ namespace: 'default' })
        .catch((e: { code?: number }) => e);
      expect((error as { code?: number }).code).to.equal(503);
      const cluster = kc.getCurrentCluster()!;
      const target = {
        url: cluster.server,
        caCert: Buffer.from(cluster.caData!, 'base64').toString(),
      } as DevCluster;
      const token = kc.getCurrentUser()!.token!;
      const state = await rawRequest(target, 'GET', '/devcluster/faults', { token });
      expect(state.status).to.equal(200);
      expect(state.json()).to.deep.include({ seed: 3, paused: false });
      expect((state.json().counters as { errors: Record<string, number> }).errors).to.deep.equal({ 503: 1 });
      const cleared = await rawRequest(target, 'DELETE', '/devcluster/faults/rules', { token });
      expect(cleared.json().rules).to.deep.equal([]);
      await core.listNamespacedConfigMap({ namespace: 'default' });
    });
  });

  it('rejects a --faults file with an invalid rule, naming the field (exit 2)', async () => {
    const file = join(dir, 'faults.json');
    writeFileSync(file, JSON.stringify({ rules: [{ error: { code: 418 } }] }));
    const r = await runCli(['devcluster', '--kubeconfig', join(dir, 'kc'), '--faults', file]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('rules[0].error.code: must be one of 409, 429, 500, 503');
    expect(existsSync(join(dir, 'kc'))).to.equal(false);
  });
});
