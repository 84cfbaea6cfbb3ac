/** What the init and exec planners share while planning one target: its parts, the policy, the problems found. */
import type { Problem } from './problems.ts';
import type { Container, PodSpec } from './restore-types.ts';
import type { HookPolicy } from './policy.ts';
import type { HookResource, RestoreHooks } from './validate.ts';
import type { HookTarget, PlanOptions } from './hook-plan.ts';
import { DEFAULT_HOOK_POLICY } from './policy.ts';
import { HOOK_ANNOTATIONS } from './annotations.ts';
import { matchIncludesExcludes } from './glob.ts';
import { matchesLabelSelector } from './selector.ts';
import { restoresIntoNamespace } from './validate.ts';
import { LIMITS, tooLong, utf8Bytes } from './limits.ts';
import { isRecord } from '../kube/json.ts';

function containersOf(value: unknown): Container[] {
  return Array.isArray(value)
    ? value.filter((c): c is Container => isRecord(c) && typeof c.name === 'string')
    : [];
}

/** True when the hook resource selects a pod in `namespace` with `labels`. */
export function resourceApplies(
  resource: HookResource,
  namespace: string,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (!resource.selectable || resource.selector === undefined) return false;
  if (!matchIncludesExcludes(namespace, resource.includedNamespaces, resource.excludedNamespaces).included)
    return false;
  return matchesLabelSelector(resource.selector, labels);
}

export class PlanContext {
  readonly problems: Problem[] = [];
  readonly hooks: RestoreHooks;
  readonly policy: HookPolicy;
  readonly specPath: string;
  readonly metadataPath: string;
  readonly annotations: Readonly<Record<string, string>> | undefined;
  /** False when the policy disables annotation hooks. */
  readonly useAnnotations: boolean;
  readonly appContainers: readonly Container[];
  readonly existingInit: readonly Container[];
  readonly volumes: ReadonlySet<string>;
  /** False when the Restore restores nothing into the target's namespace: then no hook of it applies. */
  readonly inRestoreScope: boolean;
  /** The Restore's hook resources that select this target, in order. */
  readonly applicable: readonly HookResource[];

  constructor(hooks: RestoreHooks, target: HookTarget, options: PlanOptions) {
    this.hooks = hooks;
    this.policy = options.policy ?? DEFAULT_HOOK_POLICY;
    this.specPath = target.specPath ?? 'spec';
    this.metadataPath = target.metadataPath ?? 'metadata';
    this.annotations = isRecord(target.annotations) ? target.annotations : undefined;
    const podSpec: PodSpec = isRecord(target.podSpec) ? target.podSpec : {};
    if (!isRecord(target.podSpec)) this.report('error', this.specPath, 'must be a pod spec object');
    this.appContainers = containersOf(podSpec.containers);
    this.existingInit = containersOf(podSpec.initContainers);
    this.volumes = new Set(
      (Array.isArray(podSpec.volumes) ? podSpec.volumes : [])
        .filter((v): v is { name: string } => isRecord(v) && typeof v.name === 'string')
        .map((v) => v.name),
    );
    this.inRestoreScope = restoresIntoNamespace(hooks, target.namespace);
    if (!this.inRestoreScope)
      this.report(
        'warning',
        'metadata.namespace',
        `no hooks: Restore ${hooks.restoreNamespace}/${hooks.restoreName} restores nothing into namespace ${JSON.stringify(target.namespace)} (spec.includedNamespaces / spec.excludedNamespaces, after spec.namespaceMapping)`,
      );
    this.applicable = this.inRestoreScope
      ? hooks.resources.filter((r) => resourceApplies(r, target.namespace, target.labels))
      : [];
    this.useAnnotations = this.policy.annotationHooks && this.inRestoreScope;
    if (
      this.inRestoreScope &&
      !this.policy.annotationHooks &&
      HOOK_ANNOTATIONS.some((k) => typeof this.annotations?.[k] === 'string')
    )
      this.report(
        'warning',
        `${this.metadataPath}.annotations`,
        'hook annotations are ignored: annotation hooks are disabled by policy',
      );
  }

  /**
   * False (and reported) when a hook annotation's value is longer than the documented limit: that hook is not
   * applied.
   */
  annotationWithinLimit(key: string): boolean {
    const value = this.annotations?.[key];
    if (typeof value !== 'string') return true;
    const bytes = utf8Bytes(value);
    if (bytes <= LIMITS.annotationBytes) return true;
    this.report(
      'error',
      this.annotationField(key),
      tooLong(bytes, LIMITS.annotationBytes),
      undefined,
      'limit-exceeded',
    );
    return false;
  }

  /** The field path of an annotation of the target. */
  annotationField(key: string): string {
    return `${this.metadataPath}.annotations[${key}]`;
  }

  /** Records a problem of the target. */
  report(
    severity: Problem['severity'],
    field: string,
    message: string,
    hookId?: string,
    rule?: Problem['rule'],
  ): void {
    this.problems.push({
      severity,
      object: 'target',
      field,
      message,
      ...(hookId ? { hookId } : {}),
      ...(rule ? { rule } : {}),
    });
  }

  /** Repeats the Restore's problems at or under `field` (a spec hook's path) on this plan, with the hook's id. */
  repeatRestoreProblems(field: string, hookId: string): void {
    for (const p of this.hooks.problems)
      if (p.field === field || p.field.startsWith(`${field}.`)) this.problems.push({ ...p, hookId });
  }
}
