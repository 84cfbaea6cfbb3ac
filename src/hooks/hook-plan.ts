/**
 * The shapes of a hook plan: what the planner is given (a target) and what it returns. Shared by the planner's
 * modules and its consumers (the controller, the exec runner, `plan`).
 */
import type { Problem } from './problems.ts';
import type { Container, HookErrorMode, PodSpec } from './restore-types.ts';
import type { HookPolicy } from './policy.ts';

/** A pod, or a workload's pod template, as the planner sees it. */
export interface HookTarget {
  /** The namespace the object lives in after `spec.namespaceMapping` (see mapNamespace). */
  readonly namespace: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly podSpec: PodSpec;
  /** Field path of the pod spec in the object, for problems: `spec` (pod) or `spec.template.spec` (workload). */
  readonly specPath?: string;
  /** Field path of the metadata holding labels and annotations: `metadata` or `spec.template.metadata`. */
  readonly metadataPath?: string;
}

export type HookSource = 'annotation' | 'spec';

/** Where a hook was declared. */
export type HookOrigin =
  | { readonly source: 'annotation' }
  | {
      readonly source: 'spec';
      /** spec.hooks.resources[resourceIndex].name */
      readonly resourceName: string;
      readonly resourceIndex: number;
      readonly postHookIndex: number;
    };

/**
 * - `insert`: not in the pod yet; it goes in.
 * - `present`: already there, same name and same content, or under a Velero-generated name with the same content.
 * - `conflict`: a different container already has its name; the hook is not applied.
 * - `duplicate`: an earlier hook in this plan is the same container; applied once.
 * - `invalid`: the hook has errors (see problems); not applied.
 */
export type InitHookState = 'insert' | 'present' | 'conflict' | 'duplicate' | 'invalid';

export interface InitHook {
  /** Stable identity: `init/<name>/<content hash>`. */
  readonly id: string;
  readonly origin: HookOrigin;
  /** Where it is declared: a Restore field path, or the annotation's field path. */
  readonly field: string;
  /** The container as the hook declares it (no API server defaults). */
  readonly container: Container;
  /** hookContentHash(container): ignores the name and API server defaults. */
  readonly contentHash: string;
  readonly state: InitHookState;
  /** For `present`: the name it has in the pod (differs from container.name for a Velero-generated name). */
  readonly existingName?: string;
}

/** What an exec hook runs and how, wherever it is declared. */
export interface ExecHookAction {
  readonly command: readonly string[];
  readonly onError: HookErrorMode;
  readonly execTimeoutMs: number;
  /** undefined: no limit declared (Velero waits forever); the runner applies its cap. */
  readonly waitTimeoutMs: number | undefined;
  readonly waitForReady: boolean;
  /** False when the hook has errors (e.g. its container does not exist): report it failed, never wait for it. */
  readonly valid: boolean;
}

export interface ExecHook extends ExecHookAction {
  /** Stable identity: `exec/<container>/<position among that container's hooks>-<hash of the hook>`. */
  readonly id: string;
  readonly origin: HookOrigin;
  readonly field: string;
  /** The resolved target container (the pod's first container when the hook names none). */
  readonly container: string;
}

export interface HookPlan {
  /** Which declaration the init hooks come from; annotations override the spec. */
  readonly initSource: HookSource | 'none';
  readonly execSource: HookSource | 'none';
  /** Every init hook that applies, in Velero's order (resources → postHooks → initContainers). */
  readonly initHooks: readonly InitHook[];
  /** The pod's init containers after applying the plan; equal to the current list when nothing is to insert. */
  readonly initContainers: readonly Container[];
  /** True when `initContainers` differs from the current list (some hook is `insert`). */
  readonly initContainersChanged: boolean;
  /** Every exec hook that applies, in declared order. */
  readonly execHooks: readonly ExecHook[];
  /** Exec hooks grouped by container, in the pod's container order; each group runs in order. */
  readonly execHooksByContainer: readonly {
    readonly container: string;
    readonly hooks: readonly ExecHook[];
  }[];
  /** Problems with this target and with the hooks that apply to it (Restore-wide problems: RestoreHooks.problems). */
  readonly problems: readonly Problem[];
}

export interface PlanOptions {
  readonly policy?: HookPolicy;
}
