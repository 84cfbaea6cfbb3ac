import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_CONTROLLER_NAMESPACE } from '../config/settings.ts';
import type { Settings } from '../config/settings.ts';
import { runController } from '../controller/run-controller.ts';
import { demoVeleroOptions, loadDemo } from '../devcluster/demo.ts';
import { startSimulatedCluster } from '../devcluster/simulated.ts';
import type { CommandIO } from './command.ts';

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
 * .devcluster/kubeconfig exists only while the demo serves: it is written once the controller is ready and
 * removed when the demo stops, so it never points at a dead server.
 */
export async function startDemo(settings: Settings, io: CommandIO, signal: AbortSignal): Promise<number> {
  const cluster = await startSimulatedCluster({
    port: 0,
    simulation: { velero: demoVeleroOptions() },
  });
  const kubeconfigPath = join(resolve('.devcluster'), 'kubeconfig');
  // The devcluster is not the pod's cluster: its own namespace is the setting, else the shipped default.
  const namespace = settings.namespace || DEFAULT_CONTROLLER_NAMESPACE;
  let wroteKubeconfig = false;
  try {
    cluster.api.create({ group: '', version: 'v1', resource: 'namespaces' }, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(cluster.kubeconfig());
    let addresses: { metrics?: string; health?: string } | undefined;
    const controller = runController({
      // Retain: the restored workloads keep their hooks for as long as the demo runs, so that what the README's
      // commands show is what happened (RemoveAfterRestore would roll the hooks out seconds after the restore).
      settings: demoWebhook({ ...settings, namespace, templateCleanup: 'Retain' }),
      env: { ...io.env, POD_NAMESPACE: namespace },
      signal,
      kubeConfig,
      onListening: (bound) => (addresses = bound),
    });
    // A bind failure rejects before the controller is ready: nothing is written then.
    const ready = await Promise.race([
      waitForListening(() => addresses !== undefined, controller).then(() =>
        waitForReady(addresses?.health, signal),
      ),
      controller.then(() => 'stopped' as const),
    ]);
    if (ready !== 'stopped' && !signal.aborted) {
      await mkdir(resolve('.devcluster'), { recursive: true });
      await cluster.writeKubeconfig(kubeconfigPath);
      wroteKubeconfig = true;
      loadDemo(cluster.api);
      const k = `kubectl --kubeconfig ${kubeconfigPath}`;
      io.stderr.write(
        [
          `kubeconfig: ${kubeconfigPath}`,
          ...served(addresses ?? {}),
          'The demo Restore velero/r2 is restoring backup b2 into namespace app (the demo keeps the hooks: templateCleanup Retain).',
          'The story of the restore, per workload, pod and hook:',
          `  ${statusCommandLine(kubeconfigPath)}`,
          'Watch the hooks being applied:',
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
    if (wroteKubeconfig) await rm(kubeconfigPath, { force: true });
    await cluster.stop();
  }
}

/** Resolves once runController has bound its servers (onListening ran), or when it ends first. */
async function waitForListening(listening: () => boolean, controller: Promise<number>): Promise<void> {
  let ended = false;
  void controller.then(
    () => (ended = true),
    () => (ended = true),
  );
  while (!ended && !listening()) await new Promise((r) => setTimeout(r, 20));
}

/** The status command for the demo Restore, as the user can type it in the project after `npm ci`. */
function statusCommandLine(kubeconfigPath: string): string {
  return `npm run status -- -n velero r2 --kubeconfig ${kubeconfigPath}`;
}

function served(addresses: { metrics?: string; health?: string }): string[] {
  return [
    addresses.metrics ? `metrics: ${addresses.metrics}/metrics` : 'metrics: disabled',
    addresses.health
      ? `health: ${addresses.health}/healthz, readiness: ${addresses.health}/readyz`
      : 'health probes: disabled',
  ];
}
