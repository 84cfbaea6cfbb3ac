/**
 * The workloads whose pods get the hooks through their pod template: the pod controllers a restore brings back and
 * whose pods they recreate. The webhooks mark their templates and the reconcilers patch them (bare pods are
 * replaced instead, and Jobs' templates are immutable). Metrics label kinds with their own set (OWNER_KIND_LABELS).
 */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export function isWorkloadKind(kind: unknown): kind is WorkloadKind {
  return (WORKLOAD_KINDS as readonly unknown[]).includes(kind);
}
