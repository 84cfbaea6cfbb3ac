import { formatGoDuration } from '../../hooks/duration.ts';
import type { ExecHook } from '../../hooks/hook-plan.ts';
import type { FailureReason, HookEntry } from './exec-record.ts';

const goDuration = (ms: number): string => formatGoDuration(BigInt(ms) * 1_000_000n);

/** What a failure means and what a person can do about it. */
function advice(reason: FailureReason, hook: ExecHook): string {
  switch (reason) {
    case 'NonZeroExit':
      return 'Check the command and the container it ran in.';
    case 'ExecTimeout':
      return `The command was still running after execTimeout ${goDuration(hook.execTimeoutMs)} and was abandoned; make it faster or raise execTimeout.`;
    case 'WaitTimeout':
      return `Container ${hook.container} was not ${hook.waitForReady ? 'Ready' : 'running'} within the hook's waitTimeout; see why with kubectl describe pod, or raise waitTimeout.`;
    case 'ContainerNotFound':
      return `The pod has no container ${hook.container}; fix the hook's container.`;
    case 'PodEnded':
      return 'The pod finished (Succeeded or Failed) before the hook could run.';
    case 'PodDeleted':
      return 'The pod was deleted before the hook could run.';
    case 'NotRunAfterFailure':
      return 'An earlier exec hook of this pod with onError: Fail failed, so the remaining ones are not run.';
    case 'ExecError':
      return 'The exec call itself failed; check that the container runs and that restore-hooks may create pods/exec.';
  }
}

/** The message of a hook's final outcome, for its Events. */
export function describeOutcome(input: { pod: string; hook: ExecHook; entry: HookEntry }): string {
  const { pod, hook, entry } = input;
  const what = `Exec hook ${hook.id} (${hook.origin.source}) in container ${hook.container} of pod ${pod}`;
  const attempts = entry.attempts > 1 ? ` after ${entry.attempts} attempts` : '';
  if (entry.result === 'Succeeded') return `${what} succeeded${attempts} (exit code 0).`;
  const exit = entry.exitCode !== undefined ? ` with exit code ${entry.exitCode}` : '';
  const stderr = entry.stderr ? ` stderr: ${JSON.stringify(entry.stderr.trimEnd().slice(-200))}.` : '';
  const reason = entry.reason ?? 'ExecError';
  return `${what} failed${exit}${attempts} (${reason}).${stderr} ${advice(reason, hook)} It is not run again.`;
}

/** The note of a failure on the Restore: which pod, then the outcome. */
export function failedInPod(namespace: string, pod: string, outcome: string): string {
  return `In pod ${namespace}/${pod}: ${outcome}`;
}

/** A record that cannot be read stops the pod's exec hooks: nothing is guessed. */
export function unreadableRecord(annotation: string, pod: string, error: string): string {
  return `The annotation ${annotation} of pod ${pod} cannot be read (${error}), so its exec hooks are not run: restore-hooks never guesses whether a hook already ran. Fix or remove the annotation (removing it runs every hook again).`;
}

/** An invalid exec-retries annotation: the problem (naming the field), and where to fix it. */
export function invalidRetries(problem: string): string {
  return `${problem}. Fix the annotation on the pod template.`;
}
