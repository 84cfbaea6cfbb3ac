/** The objects a benchmark restore consists of, built the way a Velero restore leaves them. */
import { RESTORE_LABEL } from '../../src/controller/marks.ts';

export const PODS_PER_WORKLOAD = 5;
export const WORKLOADS_PER_NAMESPACE = 20;
export const HOOK_NAME = 'restore-hook';
/** Pods stay Pending (ContainerCreating) for a day: a restore's pods waiting for their volumes, say. */
const PENDING = { 'devcluster.restore-hooks.io/start-seconds': '86400' };
export const BENCH_LABEL = 'bench.restore-hooks.dev/restore';
/** The mark the workload webhook puts on a restored workload's pod template (src/controller/marks.ts). */
export const MARK_LABEL = RESTORE_LABEL;

export const HOOK_CONTAINER = {
  name: HOOK_NAME,
  image: 'alpine:3.20',
  command: ['/bin/sh', '-c', 'echo restored'],
};

export function isoNowSeconds(): string {
  return new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A Restore with one init hook for every namespace; phase New until the bench starts it. */
export function restore(name: string, phase: 'New' | 'InProgress') {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name, namespace: 'velero' },
    spec: {
      backupName: `${name}-backup`,
      includedNamespaces: ['*'],
      hooks: {
        resources: [{ name: 'bench', postHooks: [{ init: { initContainers: [HOOK_CONTAINER] } }] }],
      },
    },
    status: { phase, startTimestamp: isoNowSeconds() },
  };
}

const restoredLabels = (restoreName: string) => ({
  'velero.io/restore-name': restoreName,
  'velero.io/backup-name': `${restoreName}-backup`,
});

/**
 * A restored Deployment whose pods stay Pending. Strategy Recreate: with RollingUpdate, a rollout over pods that
 * never become available stops at maxUnavailable by design, so "every pod has its hooks" would never hold (and
 * would measure the Deployment controller's budget, not restore-hooks).
 */
export function deployment(restoreName: string, namespace: string, name: string, pending = true) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: restoredLabels(restoreName) },
    spec: {
      replicas: PODS_PER_WORKLOAD,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { app: name } },
      template: {
        metadata: {
          labels: { app: name, [BENCH_LABEL]: restoreName },
          ...(pending ? { annotations: PENDING } : {}),
        },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
    },
  };
}

/**
 * A pod a workload controller creates from a template that admission marked for `restoreName`
 * (restore-hooks.dev/restore), Pending: what the pod webhook sees for every pod of a restored workload.
 */
export function markedPod(
  restoreName: string,
  namespace: string,
  name: string,
  owner?: { name: string; uid: string },
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { app: restoreName, [BENCH_LABEL]: restoreName, [MARK_LABEL]: restoreName },
      annotations: PENDING,
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'ReplicaSet',
                name: owner.name,
                uid: owner.uid,
                controller: true,
              },
            ],
          }
        : {}),
    },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
  };
}

/**
 * A ReplicaSet Velero restores, marked at admission, that creates no pod (0 replicas; its selector, `role: owner`,
 * matches none of the marked pods): the restored owner the pod webhook needs to find for the pods the latency
 * section creates as its controller would. Its controller releases those pods, as a real one does.
 */
export function ownerReplicaSet(restoreName: string, namespace: string, name: string) {
  const labels = { app: restoreName, [BENCH_LABEL]: restoreName, role: 'owner' };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace, labels: { ...restoredLabels(restoreName), ...labels } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { role: 'owner' } },
      template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
    },
  };
}

/** A pod Velero restored without its owner (a bare pod), Pending. */
export function barePod(restoreName: string, namespace: string, name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { ...restoredLabels(restoreName), [BENCH_LABEL]: restoreName },
      annotations: PENDING,
    },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
  };
}

/** An unrelated, running pod (no restore label). */
export function unrelatedPod(namespace: string, name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'unrelated' } },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
  };
}

/** The only write a restore of Deployments needs: the hook in each pod template (the floor's patch). */
export const TEMPLATE_PATCH = { spec: { template: { spec: { initContainers: [HOOK_CONTAINER] } } } };

export function hasHook(spec: { initContainers?: { name: string }[] } | undefined): boolean {
  return (spec?.initContainers ?? []).some((c) => c.name === HOOK_NAME);
}

export function namespaces(prefix: string, workloads: number): string[] {
  return Array.from(
    { length: Math.ceil(workloads / WORKLOADS_PER_NAMESPACE) },
    (_, i) => `${prefix}-${String(i).padStart(3, '0')}`,
  );
}

/** Workload i lives in namespace floor(i / WORKLOADS_PER_NAMESPACE). */
export function workloadPlacement(prefix: string, workloads: number): { namespace: string; name: string }[] {
  const ns = namespaces(prefix, workloads);
  return Array.from({ length: workloads }, (_, i) => ({
    namespace: ns[Math.floor(i / WORKLOADS_PER_NAMESPACE)]!,
    name: `w-${String(i).padStart(4, '0')}`,
  }));
}
