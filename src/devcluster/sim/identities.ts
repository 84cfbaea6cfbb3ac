/**
 * Who the simulated components are, as a real control plane authenticates them: kube-controller-manager's
 * controllers with --use-service-account-credentials (one ServiceAccount in kube-system each), the scheduler, the
 * kubelets (system:node:<name> in system:nodes) and Velero's server (ServiceAccount velero/velero).
 */
import type { UserInfo } from '../api/types.ts';
import { serviceAccountUser } from '../http/authentication.ts';

const controller = (name: string): UserInfo => serviceAccountUser('kube-system', name);

export const IDENTITIES = {
  replicaSet: controller('replicaset-controller'),
  deployment: controller('deployment-controller'),
  statefulSet: controller('statefulset-controller'),
  // kube-controller-manager's ServiceAccount for it; its Events' component is `daemonset-controller`.
  daemonSet: controller('daemon-set-controller'),
  job: controller('job-controller'),
  cronJob: controller('cronjob-controller'),
  garbageCollector: controller('generic-garbage-collector'),
  /** kube-controller-manager's own credentials, for what has no controller ServiceAccount here (node status). */
  controllerManager: {
    username: 'system:kube-controller-manager',
    groups: ['system:authenticated'],
  } as UserInfo,
  scheduler: { username: 'system:kube-scheduler', groups: ['system:authenticated'] } as UserInfo,
  velero: serviceAccountUser('velero', 'velero'),
} as const;

/** A kubelet's user. */
export function nodeUser(node: string): UserInfo {
  return { username: `system:node:${node}`, groups: ['system:nodes', 'system:authenticated'] };
}
