import type { Workload } from '../../kube/types.ts';
import type { HookMetrics } from '../../telemetry/metrics.ts';
import type { EventRecorder } from '../events.ts';
import type { OwnerChain } from '../owner-chain.ts';
import type { RestoreDirectory } from '../restore-directory.ts';
import type { RestoredObjectsApi } from '../restored-objects-api.ts';
import type { WorkloadKind } from '../workload-kinds.ts';
import type { InitHookSettings } from './workload-plan.ts';

/**
 * What both init-hook reconcilers (workloads and pending pods) are built with: the workload cache, the owner chain
 * and the Restores to decide from, the API to write with, and where outcomes are reported.
 */
export interface InitHookDeps {
  readonly getWorkload: (kind: WorkloadKind, namespace: string, name: string) => Workload | undefined;
  /** Finds the restored workload at the top of a pod's controller chain (a ReplicaSet's Deployment). */
  readonly owners: OwnerChain;
  readonly restores: RestoreDirectory;
  readonly api: RestoredObjectsApi;
  readonly events: EventRecorder;
  readonly settings: InitHookSettings;
  readonly now: () => number;
  readonly metrics?: HookMetrics;
}
