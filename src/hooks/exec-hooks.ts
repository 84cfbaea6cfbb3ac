/**
 * Exec hooks of one target: declared by annotations (read as leniently as Velero reads them, with warnings) or by
 * the spec (annotations win), each resolved to a container of the target, with a stable id, grouped per container.
 */
import type { HookErrorMode } from './restore-types.ts';
import type { ExecHook, ExecHookAction, HookOrigin, HookPlan } from './hook-plan.ts';
import type { PlanContext } from './plan-context.ts';
import { DEFAULT_EXEC_TIMEOUT_MS, durationField } from './validate.ts';
import type { RestoreHooks } from './validate.ts';
import { parseGoBool } from './boolean.ts';
import { formatGoDuration } from './duration.ts';
import { shortHash } from './names.ts';
import { LIMITS, tooMany } from './limits.ts';
import {
  EXEC_COMMAND,
  EXEC_CONTAINER,
  EXEC_ON_ERROR,
  EXEC_TIMEOUT,
  EXEC_WAIT_FOR_READY,
  EXEC_WAIT_TIMEOUT,
  readAnnotationExecHook,
} from './annotations.ts';

export type ExecPlan = Pick<HookPlan, 'execSource' | 'execHooks' | 'execHooksByContainer'>;

/**
 * Whether a target can have exec hooks at all: an exec-hook annotation of its own, or an exec post hook in the
 * Restore's spec.hooks. When it cannot, planning would find none, and callers that only need exec hooks skip it.
 */
export function mayHaveExecHooks(
  hooks: RestoreHooks,
  annotations: Readonly<Record<string, string>>,
): boolean {
  return (
    annotations[EXEC_COMMAND] !== undefined ||
    hooks.resources.some((r) => r.postHooks.some((p) => p.kind === 'exec'))
  );
}

interface DeclaredExec extends ExecHookAction {
  readonly origin: HookOrigin;
  readonly field: string;
  /** Where the target container is named (or would be), for problems. */
  readonly containerField: string;
  readonly container: string;
}

const DEFAULT_EXEC_TIMEOUT_TEXT = formatGoDuration(BigInt(DEFAULT_EXEC_TIMEOUT_MS) * 1_000_000n);

/** The annotation exec hook, read as leniently as Velero reads it (with warnings); undefined when there is none. */
function declareAnnotationExecHook(ctx: PlanContext): DeclaredExec | undefined {
  const annotation = ctx.useAnnotations ? readAnnotationExecHook(ctx.annotations) : undefined;
  if (!annotation) return undefined;
  if (!ctx.policy.annotationExecHooks) {
    ctx.report(
      'warning',
      ctx.annotationField(EXEC_COMMAND),
      'ignored: annotation exec hooks are disabled by policy (policy.annotationExecHooks: false)',
    );
    return undefined;
  }
  const warn = (field: string, message: string): void => ctx.report('warning', field, message);
  let onError: HookErrorMode = 'Continue';
  const rawOnError = annotation.onError;
  if (rawOnError === 'Continue' || rawOnError === 'Fail') onError = rawOnError;
  else if (rawOnError !== undefined && rawOnError !== '')
    warn(
      ctx.annotationField(EXEC_ON_ERROR),
      `Unsupported value: ${JSON.stringify(rawOnError)}: treated as unset (Continue), as Velero does; use "Continue" or "Fail"`,
    );
  const execTimeout = durationField(annotation.execTimeout, ctx.annotationField(EXEC_TIMEOUT), (f, m) =>
    warn(f, `${m}; using the default ${DEFAULT_EXEC_TIMEOUT_TEXT}, as Velero does`),
  );
  const waitTimeout = durationField(annotation.waitTimeout, ctx.annotationField(EXEC_WAIT_TIMEOUT), (f, m) =>
    warn(f, `${m}; treated as unset, as Velero does`),
  );
  let waitForReady = false;
  if (annotation.waitForReady !== undefined && annotation.waitForReady !== '') {
    const parsed = parseGoBool(annotation.waitForReady);
    if (parsed === undefined)
      warn(
        ctx.annotationField(EXEC_WAIT_FOR_READY),
        `Invalid value: ${JSON.stringify(annotation.waitForReady)}: expected true or false (Go ParseBool); treated as false, as Velero does`,
      );
    else waitForReady = parsed;
  }
  const raw = annotation.rawCommand;
  if (raw.startsWith('[') && annotation.command.length === 1 && annotation.command[0] === raw)
    warn(
      ctx.annotationField(EXEC_COMMAND),
      'not a JSON array of strings: the whole value is one argument, as Velero does',
    );
  return {
    origin: { source: 'annotation' },
    field: ctx.annotationField(EXEC_COMMAND),
    containerField: ctx.annotationField(EXEC_CONTAINER),
    container: annotation.container,
    command: annotation.command,
    onError,
    // 0 or invalid: the default exec timeout; 0 or invalid wait timeout: no limit declared.
    execTimeoutMs: execTimeout ? execTimeout : DEFAULT_EXEC_TIMEOUT_MS,
    waitTimeoutMs: waitTimeout ? waitTimeout : undefined,
    waitForReady,
    valid: ctx.annotationWithinLimit(EXEC_COMMAND),
  };
}

/** The exec hooks of the spec hook resources that select the target, in resources → postHooks order. */
function declareSpecExecHooks(ctx: PlanContext): DeclaredExec[] {
  return ctx.applicable.flatMap((r) =>
    r.postHooks.flatMap((ph): DeclaredExec[] =>
      ph.kind !== 'exec'
        ? []
        : [
            {
              origin: {
                source: 'spec',
                resourceName: r.name,
                resourceIndex: r.resourceIndex,
                postHookIndex: ph.postHookIndex,
              },
              containerField: `${ph.exec.field}.container`,
              ...ph.exec,
            },
          ],
    ),
  );
}

/** Plans the exec hooks of the context's target. Annotations override the spec. */
export function planExecHooks(ctx: PlanContext): ExecPlan {
  const fromAnnotation = declareAnnotationExecHook(ctx);
  const declared = fromAnnotation ? [fromAnnotation] : declareSpecExecHooks(ctx);
  const positions = new Map<string, number>();
  const execHooks = declared.map((d): ExecHook => {
    const container = d.container || ctx.appContainers[0]?.name || '';
    const position = positions.get(container) ?? 0;
    positions.set(container, position + 1);
    const { origin, field, containerField, valid: declaredValid, ...behaviour } = d;
    // Position and behaviour make the id: stable across passes and restarts, distinct for repeated commands.
    const id = `exec/${container || '-'}/${position}-${shortHash({ source: origin.source, ...behaviour, container })}`;
    if (origin.source === 'spec') ctx.repeatRestoreProblems(field, id);
    let valid = declaredValid;
    if (container === '') {
      ctx.report(
        'error',
        `${ctx.specPath}.containers`,
        'the pod has no containers to run the exec hook in',
        id,
      );
      valid = false;
    } else if (!ctx.appContainers.some((c) => c.name === container)) {
      const names = ctx.appContainers.map((c) => c.name).join(', ') || 'none';
      ctx.report(
        'error',
        containerField,
        `Not found: ${JSON.stringify(container)}: the pod has no such container (it has: ${names}); the hook cannot run`,
        id,
      );
      valid = false;
    }
    return { id, origin, field, ...behaviour, container, valid };
  });
  if (execHooks.length > LIMITS.execHooksPerPod) {
    ctx.report(
      'error',
      `${ctx.specPath}.containers`,
      `${tooMany(execHooks.length, LIMITS.execHooksPerPod, 'exec hooks per pod')}; none runs`,
      undefined,
      'limit-exceeded',
    );
    execHooks.forEach((h, i) => (execHooks[i] = { ...h, valid: false }));
  }
  const order = (name: string): number => {
    const i = ctx.appContainers.findIndex((c) => c.name === name);
    return i === -1 ? ctx.appContainers.length : i;
  };
  const containers = [...new Set(execHooks.map((h) => h.container))].sort((a, b) => order(a) - order(b));
  return {
    execSource: fromAnnotation ? 'annotation' : declared.length > 0 ? 'spec' : 'none',
    execHooks,
    execHooksByContainer: containers.map((container) => ({
      container,
      hooks: execHooks.filter((h) => h.container === container),
    })),
  };
}
