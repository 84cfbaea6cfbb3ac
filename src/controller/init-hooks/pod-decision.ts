/**
 * What the controller does for one restored pod's init hooks. Pods owned by a workload are handled through the
 * workload (see workload-decision.ts); this decides for bare pods, and classifies the pods nobody can help.
 */
import { isWorkloadKind } from '../workload-kinds.ts';

export interface PodDecisionFacts {
  /** The kind at the top of the pod's controller chain: 'Pod' for a bare pod. */
  readonly topOwnerKind: string;
  readonly restoreActive: boolean;
  /** The labelled object the pod belongs to the restore through was created at or after the restore started. */
  readonly createdDuringRestore: boolean;
  readonly hooks: 'none' | 'missing' | 'present' | 'conflict' | 'invalid';
  readonly stillPending: boolean;
  readonly restoreWait: boolean;
}

export type PodDecision =
  | { readonly action: 'replace' }
  | { readonly action: 'viaOwner' }
  | {
      readonly action: 'none';
      readonly reason:
        | 'NotInRestore'
        | 'RestoreInactive'
        | 'NoHooks'
        | 'HooksInPlace'
        | 'InvalidHooks'
        | 'HookConflict'
        | 'AppContainersStarted'
        | 'RestoreWait'
        | 'JobTemplateImmutable'
        | 'UnsupportedOwner';
    };

const JOB_KINDS = new Set(['Job', 'CronJob']);

export function decidePod(p: PodDecisionFacts): PodDecision {
  if (!p.createdDuringRestore) return { action: 'none', reason: 'NotInRestore' };
  if (!p.restoreActive) return { action: 'none', reason: 'RestoreInactive' };
  if (p.hooks === 'none') return { action: 'none', reason: 'NoHooks' };
  if (p.hooks === 'present') return { action: 'none', reason: 'HooksInPlace' };
  if (JOB_KINDS.has(p.topOwnerKind)) return { action: 'none', reason: 'JobTemplateImmutable' };
  if (p.hooks === 'invalid') return { action: 'none', reason: 'InvalidHooks' };
  if (p.hooks === 'conflict') return { action: 'none', reason: 'HookConflict' };
  if (!p.stillPending) return { action: 'none', reason: 'AppContainersStarted' };
  if (isWorkloadKind(p.topOwnerKind)) return { action: 'viaOwner' };
  if (p.topOwnerKind !== 'Pod') return { action: 'none', reason: 'UnsupportedOwner' };
  if (p.restoreWait) return { action: 'none', reason: 'RestoreWait' };
  return { action: 'replace' };
}
