import { eventually } from './eventually.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { KubeConfig } from '@kubernetes/client-node';
import { startSimulatedCluster } from '../../src/devcluster/simulated.ts';
import type { SimulatedCluster, SimulatedClusterOptions } from '../../src/devcluster/simulated.ts';

export interface TestCluster {
  cluster: SimulatedCluster;
  kc: KubeConfig;
  /** Runs kubectl against the cluster; resolves with its exit status and output. */
  kubectl(args: string[], stdin?: string): Promise<{ status: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export async function startTestCluster(options: SimulatedClusterOptions = {}): Promise<TestCluster> {
  const cluster = await startSimulatedCluster({ crdDirectory: undefined, ...options });
  const kc = new KubeConfig();
  kc.loadFromString(cluster.kubeconfig());
  const dir = await mkdtemp(join(tmpdir(), 'devcluster-test-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, cluster.kubeconfig());
  return {
    cluster,
    kc,
    kubectl: (args, stdin) =>
      new Promise((resolve) => {
        const child = execFile(
          'kubectl',
          args,
          {
            env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache') },
            timeout: 30_000,
          },
          (error, stdout, stderr) =>
            resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        if (stdin !== undefined) child.stdin?.end(stdin);
      }),
    stop: async () => {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `eventually` with the subject first, as the simulation tests call it. */
export function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  return eventually(probe, what, timeoutMs);
}
