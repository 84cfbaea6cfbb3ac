import type { HookPolicy } from '../hooks/policy.ts';
import { DEFAULT_EXEC_TIMEOUT_MS } from '../hooks/validate.ts';
import type { LogLevel } from '../telemetry/log-levels.ts';

/** A duration in milliseconds. The configuration file and environment spell durations the Go way ("30s"). */
export type Milliseconds = number;

export const TEMPLATE_CLEANUP_POLICIES = ['RemoveAfterRestore', 'Retain'] as const;
export type TemplateCleanupPolicy = (typeof TEMPLATE_CLEANUP_POLICIES)[number];

export const VELERO_RESTORED_POD_POLICIES = ['Skip', 'Run'] as const;
/** Skip: Velero runs the exec hooks of the pods it restores; Run: restore-hooks runs them too. */
export type VeleroRestoredPodPolicy = (typeof VELERO_RESTORED_POD_POLICIES)[number];

/**
 * The controller's resolved configuration. Keys mirror config/controller.yaml, which documents every setting;
 * durations are converted to milliseconds.
 */
export interface Settings {
  /**
   * The controller's own namespace (its hook-count ledgers, replacement journal and, by default, its Lease); ""
   * means the pod's own, which `controllerNamespace` (src/config/resolve.ts) resolves when the controller starts.
   */
  readonly namespace: string;
  /** Namespaces whose velero.io/v1 Restores the controller serves. */
  readonly veleroNamespaces: readonly string[];
  /** How long after a Restore finished its pods still get hooks. */
  readonly hookWindow: Milliseconds;
  readonly templateCleanup: TemplateCleanupPolicy;
  readonly concurrency: {
    /** Restores reconciled at once. */
    readonly reconciles: number;
    /** Exec hooks running at once, across all pods and restores. */
    readonly execHooks: number;
  };
  /** Client-side rate limit of requests to the API server (client-go's QPS and burst). */
  readonly api: { readonly qps: number; readonly burst: number };
  readonly exec: {
    /** execTimeout of a hook that does not set one. */
    readonly defaultExecTimeout: Milliseconds;
    /** waitTimeout of a hook that does not set one (Velero would wait forever). */
    readonly defaultWaitTimeout: Milliseconds;
    /** Exec hooks of pods carrying velero.io/restore-name (Velero runs those itself). */
    readonly veleroRestoredPods: VeleroRestoredPodPolicy;
    readonly retries: {
      /** Attempts per exec hook, including the first; 1 means no retry. */
      readonly attempts: number;
      readonly backoffBase: Milliseconds;
      readonly backoffMax: Milliseconds;
    };
  };
  /** Whether annotation hooks are honoured and which images hook containers may use: the hook engine's HookPolicy. */
  readonly policy: HookPolicy;
  readonly leaderElection: {
    readonly enabled: boolean;
    readonly leaseName: string;
    /** "" means the controller's own namespace. */
    readonly leaseNamespace: string;
    readonly leaseDuration: Milliseconds;
    readonly renewDeadline: Milliseconds;
    readonly retryPeriod: Milliseconds;
  };
  /** HOST:PORT of /metrics; "0" disables it. */
  readonly metricsBindAddress: string;
  /** HOST:PORT of /healthz and /readyz; "0" disables them. */
  readonly healthProbeBindAddress: string;
  readonly logLevel: LogLevel;
  /** From --kubeconfig / RESTORE_HOOKS_KUBECONFIG only; undefined means client-node's default loading order. */
  readonly kubeconfig: string | undefined;
}

/** The namespace the shipped manifests install to, and the controller's own namespace when nothing else says. */
export const DEFAULT_CONTROLLER_NAMESPACE = 'restore-hooks';

/** The built-in defaults; config/controller.yaml spells out exactly these values (a test keeps them equal). */
export const DEFAULT_SETTINGS: Settings = {
  namespace: '',
  veleroNamespaces: ['velero'],
  hookWindow: 3_600_000,
  templateCleanup: 'RemoveAfterRestore',
  concurrency: { reconciles: 4, execHooks: 10 },
  api: { qps: 20, burst: 30 },
  exec: {
    defaultExecTimeout: DEFAULT_EXEC_TIMEOUT_MS, // Velero's
    defaultWaitTimeout: 600_000,
    veleroRestoredPods: 'Skip',
    retries: { attempts: 1, backoffBase: 1_000, backoffMax: 60_000 },
  },
  policy: { annotationHooks: true, allowedImages: ['*'] },
  leaderElection: {
    enabled: false,
    leaseName: 'restore-hooks',
    leaseNamespace: '',
    leaseDuration: 15_000,
    renewDeadline: 10_000,
    retryPeriod: 2_000,
  },
  metricsBindAddress: ':8080',
  healthProbeBindAddress: ':8081',
  logLevel: 'info',
  kubeconfig: undefined,
};
