import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Settings } from '../config/settings.ts';
import { runController } from '../controller/run-controller.ts';
import { loadDemo, samplesDirectory } from '../devcluster/demo.ts';
import { startSimulatedCluster } from '../devcluster/simulated.ts';
import type { CommandIO } from './command.ts';

const CONTROLLER_NAMESPACE = 'restore-hooks';

async function waitForReady(healthUrl: string | undefined, signal: AbortSignal): Promise<void> {
  if (!healthUrl) return;
  while (!signal.aborted) {
    const ok = await fetch(`${healthUrl}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The devcluster reaches the controller's webhooks on loopback: the controller writes its webhook configuration
 * with a url (unless one is configured), so that the demo takes the admission path a real cluster takes.
 */
function demoWebhook(settings: Settings): Settings {
  if (!settings.webhook.enabled || settings.webhook.url !== '') return settings;
  const port = settings.webhook.bindAddress.slice(settings.webhook.bindAddress.lastIndexOf(':') + 1);
  return {
    ...settings,
    webhook: { ...settings.webhook, bindAddress: `127.0.0.1:${port}`, url: `https://127.0.0.1:${port}` },
  };
}

/**
 * `npm start` without a cluster: the simulated devcluster and the controller in one process. The controller is
 * ready before the demo Restore is created, so the hooks are applied as they would be in a real cluster.
 */
export async function startDemo(settings: Settings, io: CommandIO, signal: AbortSignal): Promise<number> {
  const cluster = await startSimulatedCluster({
    port: 0,
    simulation: { velero: { fixturesDir: join(samplesDirectory(), 'backups') } },
  });
  try {
    const dir = resolve('.devcluster');
    await mkdir(dir, { recursive: true });
    const kubeconfigPath = join(dir, 'kubeconfig');
    await cluster.writeKubeconfig(kubeconfigPath);
    cluster.api.create({ group: '', version: 'v1', resource: 'namespaces' }, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: CONTROLLER_NAMESPACE },
    });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(cluster.kubeconfig());
    let healthUrl: string | undefined;
    const controller = runController({
      settings: demoWebhook(settings),
      env: { ...io.env, POD_NAMESPACE: CONTROLLER_NAMESPACE },
      signal,
      kubeConfig,
      onListening: (addresses) => (healthUrl = addresses.health),
    });
    await new Promise((r) => setTimeout(r, 0));
    await waitForReady(healthUrl, signal);
    if (!signal.aborted) {
      loadDemo(cluster.api);
      const k = `kubectl --kubeconfig ${kubeconfigPath}`;
      io.stderr.write(
        [
          `kubeconfig: ${kubeconfigPath}`,
          'The demo Restore velero/r2 is restoring backup b2 into namespace app. Watch the hooks being applied:',
          `  ${k} get pods -n app -w`,
          `  ${k} get pods -n app -o custom-columns=NAME:.metadata.name,INIT:.spec.initContainers[*].name,CREATED-BY-RESTORE:.metadata.labels.restore-hooks\\.dev/restore`,
          `  ${k} get deployments,statefulsets,daemonsets -n app -o custom-columns=KIND:.kind,NAME:.metadata.name,MARK:.spec.template.metadata.labels.restore-hooks\\.dev/restore,INIT:.spec.template.spec.initContainers[*].name`,
          `  ${k} get events -A`,
          `  ${k} get restore r2 -n velero -o yaml`,
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
    }
    return await controller;
  } finally {
    await cluster.stop();
  }
}
