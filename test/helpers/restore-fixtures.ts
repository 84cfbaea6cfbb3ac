/** Objects for controller tests: Restore r2 and the annotation hook from the seed scenarios, and restored workloads. */

export const R2_HOOK_NAMES = ['restore-hook-init1', 'restore-hook-init2'];

const hookContainer = (n: number, volume: string, file: string, word: string) => ({
  name: `restore-hook-init${n}`,
  image: 'alpine:latest',
  volumeMounts: [{ mountPath: `/restores/${volume}`, name: volume }],
  command: ['/bin/ash', '-c', `echo -n "${word}" >> /restores/${volume}/${file}`],
});

/** Restore r2's hook containers as its spec declares them (what Velero injects into the pods it restores). */
export function r2HookContainers() {
  return [
    hookContainer(1, 'pvc1-vm', 'foobarbaz', 'FOOBARBAZ'),
    hookContainer(2, 'pvc2-vm', 'deadfeed', 'DEADFEED'),
  ];
}

export function isoSecondsAgo(seconds: number): string {
  return new Date(Math.floor(Date.now() / 1000) * 1000 - seconds * 1000)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Restore r2 (velero namespace), InProgress since a minute ago unless told otherwise. */
export function restoreR2(
  overrides: {
    name?: string;
    phase?: string;
    startTimestamp?: string;
    completionTimestamp?: string;
    hooks?: unknown;
  } = {},
) {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name: overrides.name ?? 'r2', namespace: 'velero' },
    spec: {
      backupName: 'b2',
      includedNamespaces: ['*'],
      hooks: overrides.hooks ?? {
        resources: [
          {
            name: 'restore-hook-1',
            includedNamespaces: ['app'],
            postHooks: [
              {
                init: {
                  initContainers: r2HookContainers(),
                },
              },
            ],
          },
        ],
      },
    },
    status: {
      phase: overrides.phase ?? 'InProgress',
      startTimestamp: overrides.startTimestamp ?? isoSecondsAgo(60),
      ...(overrides.completionTimestamp ? { completionTimestamp: overrides.completionTimestamp } : {}),
    },
  };
}

export const ANNOTATION_HOOK = {
  'init.hook.restore.velero.io/container-name': 'restore-hook',
  'init.hook.restore.velero.io/container-image': 'alpine:latest',
  'init.hook.restore.velero.io/command': '["/bin/ash", "-c", "date"]',
};

export function podSpec(extra: Record<string, unknown> = {}) {
  return {
    containers: [{ name: 'app', image: 'nginx:1.27' }],
    volumes: [
      { name: 'pvc1-vm', persistentVolumeClaim: { claimName: 'pvc1' } },
      { name: 'pvc2-vm', persistentVolumeClaim: { claimName: 'pvc2' } },
    ],
    ...extra,
  };
}

export function restoredLabels(restore = 'r2', extra: Record<string, string> = {}) {
  return { 'velero.io/restore-name': restore, 'velero.io/backup-name': 'b2', ...extra };
}

export function deployment(
  name: string,
  namespace = 'app',
  options: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: options.labels ?? restoredLabels() },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: {
          labels: { app: name },
          ...(options.annotations ? { annotations: options.annotations } : {}),
        },
        spec: podSpec(),
      },
    },
  };
}

export function statefulSet(name: string, updateStrategy: 'RollingUpdate' | 'OnDelete', namespace = 'app') {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace, labels: restoredLabels() },
    spec: {
      replicas: 1,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      updateStrategy: { type: updateStrategy },
      template: { metadata: { labels: { app: name } }, spec: podSpec() },
    },
  };
}

export function barePod(
  name: string,
  namespace = 'app',
  options: {
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    initContainers?: unknown[];
  } = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: options.labels ?? restoredLabels(),
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: podSpec(options.initContainers ? { initContainers: options.initContainers } : {}),
  };
}

/**
 * The hooks of issue 17's Restore `velero/rx`: one hook entry with no namespace filter of its own, an admin's init
 * container carrying a secret in its env, and an exec hook running `command`.
 */
export function issueRxHooks(command: string[]) {
  return {
    resources: [
      {
        name: 'everything',
        postHooks: [
          {
            init: {
              initContainers: [
                {
                  name: 'admin-init',
                  image: 'alpine:3.20',
                  command: ['true'],
                  env: [{ name: 'API_TOKEN', value: 's3cr3t-admin-token' }],
                },
              ],
            },
          },
          { exec: { command } },
        ],
      },
    ],
  };
}
