/**
 * The hook engine's public API: Velero-compatible restore hook semantics, pure (no I/O, no clocks, no randomness).
 *
 *   const hooks = parseRestoreHooks(restore, policy);         // once per Restore generation; hooks.problems
 *   const plan = planHooks(hooks, target, { policy });         // per pod or pod template
 *   plan.initContainers / plan.initHooks / plan.execHooksByContainer / plan.problems
 */
export type * from './restore-types.ts';
export {
  RESTORE_PHASES,
  HOOK_ERROR_MODES,
  RESTORE_WAIT_CONTAINER,
  VELERO_API_VERSION,
  RESTORE_KIND,
} from './restore-types.ts';
export type { Problem, ProblemRule, FieldError } from './problems.ts';
export { hasErrors, formatProblem } from './problems.ts';
export * from './annotations.ts';
export { parseGoDuration, formatGoDuration, toMilliseconds } from './duration.ts';
export { parseGoBool } from './boolean.ts';
export { compileGlob, matchIncludesExcludes } from './glob.ts';
export { parseLabelSelector, matchesLabelSelector } from './selector.ts';
export type { CompiledSelector } from './selector.ts';
export type { HookPolicy, SecurityContextPolicy } from './policy.ts';
export {
  DEFAULT_HOOK_POLICY,
  DEFAULT_SECURITY_CONTEXT_POLICY,
  parseHookPolicy,
  imagePolicyError,
  securityContextErrors,
} from './policy.ts';
export type {
  RestoreHooks,
  HookResource,
  SpecPostHook,
  SpecInitContainer,
  SpecExecHook,
} from './validate.ts';
export {
  parseRestoreHooks,
  mapNamespace,
  restoresIntoNamespace,
  DEFAULT_EXEC_TIMEOUT_MS,
} from './validate.ts';
export { unknownRestoreFields } from './unknown-fields.ts';
export { editDistance, nearestName } from './suggest.ts';
export type {
  HookTarget,
  HookPlan,
  InitHook,
  InitHookState,
  ExecHook,
  HookOrigin,
  HookSource,
  PlanOptions,
} from './hook-plan.ts';
export { planHooks, resourceApplies, addedHookContainers } from './plan.ts';
export type { PlacedHook, AddedHookContainer, RemovalResult } from './init-containers.ts';
export { placeHookContainers, removeHookContainers } from './init-containers.ts';
export { hookContentHash, sameHookContent, defaultInitHookName, isVeleroGeneratedInitName } from './names.ts';
export type { AppliedInitHooks } from './applied-record.ts';
export {
  APPLIED_INIT_HOOKS_ANNOTATION,
  formatAppliedInitHooks,
  parseAppliedInitHooks,
} from './applied-record.ts';
export type { HookTargetKind, ObjectTarget, ObjectTargetResult } from './targets.ts';
export { HOOK_TARGET_KINDS, objectTarget } from './targets.ts';
