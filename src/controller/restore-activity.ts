/**
 * Whether a Restore is still bringing objects back, so that its pods get hooks. Velero marks a restore finished
 * once its items are created, but owners keep recreating pods afterwards: a finished restore stays active for a
 * configurable window after its completionTimestamp.
 */

export interface RestoreTiming {
  phase?: string;
  startTimestamp?: string;
  completionTimestamp?: string;
}

export type RestoreActivity =
  | { active: true; reason: 'Running' | 'FinishedWithinWindow' }
  | {
      active: false;
      reason: 'NotStarted' | 'FailedValidation' | 'WindowElapsed' | 'NoCompletionTimestamp' | 'UnknownPhase';
    };

const RUNNING_PHASES = new Set([
  'InProgress',
  'WaitingForPluginOperations',
  'WaitingForPluginOperationsPartiallyFailed',
  'Finalizing',
  'FinalizingPartiallyFailed',
]);
const FINISHED_PHASES = new Set(['Completed', 'PartiallyFailed', 'Failed']);

export function restoreActivity(
  status: RestoreTiming | undefined,
  nowMs: number,
  windowMs: number,
): RestoreActivity {
  const phase = status?.phase ?? '';
  if (phase === '' || phase === 'New') return { active: false, reason: 'NotStarted' };
  if (phase === 'FailedValidation') return { active: false, reason: 'FailedValidation' };
  if (RUNNING_PHASES.has(phase)) return { active: true, reason: 'Running' };
  if (!FINISHED_PHASES.has(phase)) return { active: false, reason: 'UnknownPhase' };
  const completed = Date.parse(status?.completionTimestamp ?? '');
  if (Number.isNaN(completed)) return { active: false, reason: 'NoCompletionTimestamp' };
  return nowMs - completed < windowMs
    ? { active: true, reason: 'FinishedWithinWindow' }
    : { active: false, reason: 'WindowElapsed' };
}

/** True when the phase is terminal, i.e. Velero itself has stopped restoring items. */
export function restoreFinished(phase: string | undefined): boolean {
  return phase !== undefined && (FINISHED_PHASES.has(phase) || phase === 'FailedValidation');
}

/** Milliseconds until a finished restore leaves its window, or undefined when that does not apply. */
export function msUntilWindowCloses(
  status: RestoreTiming | undefined,
  nowMs: number,
  windowMs: number,
): number | undefined {
  if (!FINISHED_PHASES.has(status?.phase ?? '')) return undefined;
  const completed = Date.parse(status?.completionTimestamp ?? '');
  if (Number.isNaN(completed)) return undefined;
  return Math.max(0, completed + windowMs - nowMs);
}
