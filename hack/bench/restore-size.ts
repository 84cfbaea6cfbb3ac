/**
 * The controller's memory when a huge Restore arrives (issue 17, item 7): Velero's ServiceAccount creates a Restore
 * with `hookResources` hook resources (about 2 MB of JSON at 10,000), well over the documented limit
 * (src/hooks/limits.ts), and one restored Deployment that names it; the controller must refuse the Restore up front
 * (HooksValid=False) and stay bounded; then the Restore is deleted and the controller should give the memory back.
 *
 * Measured on one controller serving its webhooks (as the product runs): RSS at idle (steady state before), the
 * peak (scraped every second from the create to steady state after the deletion), RSS once refused, and RSS at
 * steady state after the deletion; the seconds to the refusal, and the controller's CPU in the 10 s after the
 * deletion (issue 17 saw 100% of a core for 50 s).
 */
import { deployment, isoNowSeconds } from './fixtures.ts';
import { admissionCluster } from './admission.ts';
import { cpuMs, metricValue, until } from './processes.ts';
import type { ControllerSettings } from './processes.ts';
import { PeakRss, steadyMemory } from './steady-memory.ts';

const NAMESPACE = 'big-restore';
const RESTORE = 'big';
const AFTER_DELETION_MS = 10_000;

export interface RestoreSizeRunResult {
  readonly hookResources: number;
  /** Bytes of the Restore's JSON as created. */
  readonly restoreBytes: number;
  readonly idleRssBytes: number;
  readonly refusedRssBytes: number;
  readonly peakRssBytes: number;
  readonly afterRssBytes: number;
  /** From the create to HooksValid=False on the Restore. */
  readonly refusedAfterMs: number;
  /** HooksValid's message: the refusal names the field. */
  readonly refusal: string;
  /** Controller CPU in the AFTER_DELETION_MS after the deletion, as a share of one core. */
  readonly cpuShareAfterDeletion: number;
  /** Whether the steady-state waits found the controller's queues empty (false: figures not at steady state). */
  readonly steady: boolean;
}

/** A Restore with `count` init-hook resources of about 200 bytes each, all for NAMESPACE. */
export function hugeRestore(count: number) {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name: RESTORE, namespace: 'velero' },
    spec: {
      backupName: `${RESTORE}-backup`,
      includedNamespaces: [NAMESPACE],
      hooks: {
        resources: Array.from({ length: count }, (_, i) => ({
          name: `hook-resource-${String(i).padStart(5, '0')}`,
          includedNamespaces: [NAMESPACE],
          postHooks: [
            {
              init: {
                initContainers: [
                  {
                    name: `hook-${i}`,
                    image: 'alpine:3.20',
                    command: ['/bin/sh', '-c', `echo restored by hook resource ${i} of the huge restore`],
                  },
                ],
              },
            },
          ],
        })),
      },
    },
    status: { phase: 'InProgress', startTimestamp: isoNowSeconds() },
  };
}

interface RestoreStatus {
  status?: { conditions?: { type: string; status: string; message?: string }[] };
}

export async function restoreSizeRun(
  dir: string,
  settings: ControllerSettings,
  hookResources: number,
): Promise<RestoreSizeRunResult> {
  const { devcluster, controller, velero } = await admissionCluster(dir, 'admission', settings, [NAMESPACE]);
  const { admin } = devcluster;
  try {
    if (!controller) throw new Error('restore-size: no controller');
    await new Promise((r) => setTimeout(r, 3000));
    const idle = await steadyMemory(controller);
    const peak = new PeakRss(controller);
    const body = hugeRestore(hookResources);
    const restoreBytes = Buffer.byteLength(JSON.stringify(body));
    const t0 = performance.now();
    await velero.request('POST', '/apis/velero.io/v1/namespaces/velero/restores', body);
    await new Promise((r) => setTimeout(r, 1000));
    const d = deployment(RESTORE, NAMESPACE, 'restored', true);
    await velero.request('POST', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`, {
      ...d,
      spec: { ...d.spec, replicas: 1 },
    });
    const refusal = await until(
      'the controller to refuse the huge Restore (HooksValid=False)',
      async () => {
        const r = await admin.request<RestoreStatus>(
          'GET',
          `/apis/velero.io/v1/namespaces/velero/restores/${RESTORE}`,
        );
        const valid = r.status?.conditions?.find((c) => c.type === 'HooksValid');
        return valid?.status === 'False' ? (valid.message ?? '') : undefined;
      },
      300_000,
      500,
    );
    const refusedAfterMs = performance.now() - t0;
    const refused = await steadyMemory(controller);
    await admin.request('DELETE', `/apis/velero.io/v1/namespaces/velero/restores/${RESTORE}`);
    const cpu0 = cpuMs(controller.pid) ?? 0;
    await new Promise((r) => setTimeout(r, AFTER_DELETION_MS));
    const cpuShareAfterDeletion = ((cpuMs(controller.pid) ?? 0) - cpu0) / AFTER_DELETION_MS;
    const after = await steadyMemory(controller);
    const peakRss = Math.max(
      peak.stop(),
      refused.rssBytes,
      metricValue(await controller.scrape(), 'process_resident_memory_bytes'),
    );
    return {
      hookResources,
      restoreBytes,
      idleRssBytes: idle.rssBytes,
      refusedRssBytes: refused.rssBytes,
      peakRssBytes: peakRss,
      afterRssBytes: after.rssBytes,
      refusedAfterMs,
      refusal: refusal.slice(0, 300),
      cpuShareAfterDeletion,
      steady: idle.steady && refused.steady && after.steady,
    };
  } finally {
    velero.close();
    await controller?.stop();
    await devcluster.stop();
  }
}
