/** A finding about a Restore or a target. The engine reports problems instead of throwing. */
export interface Problem {
  /** `error`: the hook (or the whole Restore, for spec errors) cannot be applied. `warning`: applied, but look. */
  readonly severity: 'error' | 'warning';
  /** Which object the field path is in: the Restore, or the pod / workload being planned. */
  readonly object: 'restore' | 'target';
  /** Kubernetes-style field path, e.g. `spec.hooks.resources[0].labelSelector.matchExpressions[0].operator`. */
  readonly field: string;
  readonly message: string;
  /** The hook the problem belongs to, when it belongs to one (InitHook.id / ExecHook.id). */
  readonly hookId?: string;
  /** Set when an operator's policy refused the hook rather than the hook being malformed. */
  readonly rule?: ProblemRule;
}

/** The policy rules that refuse a hook: the skip reasons reported for it. */
export type ProblemRule = 'image-not-allowed' | 'security-context-not-allowed' | 'limit-exceeded';

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** Renders a problem as one line, `field: message`, for logs, Events and conditions. */
export function formatProblem(p: Problem): string {
  return `${p.field}: ${p.message}`;
}

/** What a parser or checker found wrong with one field, before the caller decides severity and object. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}
