import type { Container, ObjectMeta } from '../kube/types.ts';
/**
 * TypeScript shapes of the velero.io/v1 Restore fields that restore hooks use, and of the core/v1 pieces a hook
 * touches. They describe well-formed objects; the engine never trusts them and checks every field at run time,
 * because they come from YAML files and from the API server as written by users.
 */

export const VELERO_API_VERSION = 'velero.io/v1';
export const RESTORE_KIND = 'Restore';

export const RESTORE_PHASES = [
  'New',
  'FailedValidation',
  'InProgress',
  'WaitingForPluginOperations',
  'WaitingForPluginOperationsPartiallyFailed',
  'Finalizing',
  'FinalizingPartiallyFailed',
  'Completed',
  'PartiallyFailed',
  'Failed',
] as const;
export type RestorePhase = (typeof RESTORE_PHASES)[number];

export const HOOK_ERROR_MODES = ['Continue', 'Fail'] as const;
export type HookErrorMode = (typeof HOOK_ERROR_MODES)[number];

export const EXISTING_RESOURCE_POLICIES = ['none', 'update'] as const;

export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  key: string;
  operator: LabelSelectorOperator;
  values?: string[];
}

/** metav1.LabelSelector. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export type { Container, VolumeMount } from '../kube/types.ts';

export interface PodSpec {
  initContainers?: Container[];
  containers?: Container[];
  volumes?: { name: string; [field: string]: unknown }[];
  [field: string]: unknown;
}

/** spec.hooks.resources[].postHooks[].init */
export interface InitRestoreHook {
  initContainers?: Container[];
  /** A Go duration. Velero accepts it and never uses it; so do we. */
  timeout?: string;
}

/** spec.hooks.resources[].postHooks[].exec */
export interface ExecRestoreHook {
  container?: string;
  command: string[];
  onError?: HookErrorMode;
  execTimeout?: string;
  waitTimeout?: string;
  waitForReady?: boolean;
}

/** spec.hooks.resources[].postHooks[]: exactly one of init and exec. */
export interface RestoreResourceHook {
  init?: InitRestoreHook;
  exec?: ExecRestoreHook;
}

/** spec.hooks.resources[] */
export interface RestoreResourceHookSpec {
  name: string;
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  /** Velero ignores these for restore hooks, which always target pods. */
  includedResources?: string[];
  excludedResources?: string[];
  labelSelector?: LabelSelector;
  postHooks?: RestoreResourceHook[];
}

export interface RestoreSpec {
  backupName?: string;
  scheduleName?: string;
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  includedResources?: string[];
  excludedResources?: string[];
  namespaceMapping?: Record<string, string>;
  labelSelector?: LabelSelector;
  existingResourcePolicy?: string;
  hooks?: { resources?: RestoreResourceHookSpec[] };
  [field: string]: unknown;
}

/** metav1.Condition; only present when the optional CRD patch keeps it (config/crd/patches). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export interface RestoreStatus {
  phase?: RestorePhase;
  validationErrors?: string[];
  startTimestamp?: string;
  completionTimestamp?: string;
  warnings?: number;
  errors?: number;
  failureReason?: string;
  progress?: { totalItems?: number; itemsRestored?: number };
  hookStatus?: { hooksAttempted?: number; hooksFailed?: number };
  conditions?: Condition[];
  [field: string]: unknown;
}

export interface Restore {
  apiVersion: typeof VELERO_API_VERSION;
  kind: typeof RESTORE_KIND;
  metadata: ObjectMeta;
  spec?: RestoreSpec;
  status?: RestoreStatus;
}

/** Velero's file-system restore helper; always the first init container when present. */
export const RESTORE_WAIT_CONTAINER = 'restore-wait';
