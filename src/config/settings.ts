import type { HookPolicy } from '../hooks/policy.ts';
import { DEFAULT_EXEC_TIMEOUT_MS } from '../hooks/validate.ts';
import type { LogLevel } from '../telemetry/log-levels.ts';

/** A duration in milliseconds. The configuration file and environment spell durations the Go way ("30s"). */
export type Milliseconds = number;

export const TEMPLATE_CLEANUP_POLICIES = ['RemoveAfterRestore', 'Retain'] as const;
export type TemplateCleanupPolicy = (typeof TEMPLATE_CLEANUP_POLICIES)[number];

export const WEBHOOK_FAILURE_POLICIES = ['Ignore', 'Fail'] as const;
export type WebhookFailurePolicy = (typeof WEBHOOK_FAILURE_POLICIES)[number];

/** AllMarked: every pod with the admission mark calls the pod webhook; ActiveRestores: only pods of Restores that may still create pods. */
export const WEBHOOK_POD_SELECTORS = ['AllMarked', 'ActiveRestores'] as const;
export type WebhookPodSelector = (typeof WEBHOOK_POD_SELECTORS)[number];

export const WEBHOOK_CERTIFICATE_MODES = ['SelfManaged', 'External'] as const;
/** SelfManaged: the controller creates, rotates and injects its CA; External: cert-manager (or an operator) does. */
export type WebhookCertificateMode = (typeof WEBHOOK_CERTIFICATE_MODES)[number];

/**
 * The ServiceAccounts kube-controller-manager's workload controllers act as (--use-service-account-credentials). The
 * DaemonSet controller's is `daemon-set-controller` (its Events still say `daemonset-controller`).
 */
export const DEFAULT_WORKLOAD_CONTROLLER_IDENTITIES: readonly string[] = [
  ...[
    'replicaset-controller',
    'deployment-controller',
    'statefulset-controller',
    'daemon-set-controller',
    'job-controller',
    'cronjob-controller',
    'generic-garbage-collector',
  ].map((sa) => `system:serviceaccount:kube-system:${sa}`),
  'system:kube-controller-manager',
];

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
  /** The mutating admission webhooks that bring hooks to restored pods as they are created. */
  readonly webhook: {
    readonly enabled: boolean;
    /** HOST:PORT the HTTPS webhook server listens on. */
    readonly bindAddress: string;
    /** Name of the MutatingWebhookConfiguration whose caBundle (and, with `url`, everything) the controller keeps. */
    readonly configurationName: string;
    /** When set, the controller writes the webhook configuration itself with `url` clientConfigs under this base. */
    readonly url: string;
    /** failurePolicy of the configuration the controller writes (url mode). */
    readonly failurePolicy: WebhookFailurePolicy;
    /** Which marked pods call the pod webhook; the leader keeps the configuration's objectSelector to it. */
    readonly podSelector: WebhookPodSelector;
    readonly certificates: {
      readonly mode: WebhookCertificateMode;
      /** The Secret (tls.crt, tls.key, ca.crt, ca.key) in the controller's namespace. */
      readonly secretName: string;
      /** How often every replica re-reads the Secret (reload after rotation). */
      readonly refreshInterval: Milliseconds;
      /** Lifetime of a self-managed serving certificate; it is renewed when a third of it is left. */
      readonly validity: Milliseconds;
      /** DNS names and IP addresses of the serving certificate; empty means the Service's names (and 127.0.0.1 with url). */
      readonly hosts: readonly string[];
    };
    /** userInfo.username values whose restored workloads are marked (Velero's ServiceAccount). */
    readonly veleroIdentities: readonly string[];
    /** userInfo.username values whose pods get the hooks injected (the workload controllers). */
    readonly workloadControllerIdentities: readonly string[];
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
  policy: {
    annotationHooks: true,
    annotationExecHooks: true,
    allowedImages: ['*'],
    securityContext: { allowPrivileged: false, allowPrivilegeEscalation: false, allowedCapabilities: [] },
  },
  leaderElection: {
    enabled: false,
    leaseName: 'restore-hooks',
    leaseNamespace: '',
    leaseDuration: 15_000,
    renewDeadline: 10_000,
    retryPeriod: 2_000,
  },
  webhook: {
    enabled: true,
    bindAddress: ':9443',
    configurationName: 'restore-hooks',
    url: '',
    failurePolicy: 'Ignore',
    podSelector: 'AllMarked',
    certificates: {
      mode: 'SelfManaged',
      secretName: 'restore-hooks-webhook-cert',
      refreshInterval: 10_000,
      validity: 90 * 24 * 3_600_000,
      hosts: [],
    },
    veleroIdentities: ['system:serviceaccount:velero:velero'],
    workloadControllerIdentities: DEFAULT_WORKLOAD_CONTROLLER_IDENTITIES,
  },
  metricsBindAddress: ':8080',
  healthProbeBindAddress: ':8081',
  logLevel: 'info',
  kubeconfig: undefined,
};
