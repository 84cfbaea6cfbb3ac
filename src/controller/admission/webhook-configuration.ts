/**
 * The MutatingWebhookConfiguration of restore-hooks, as the manifests spell it (manifests/base/webhook.yaml): the
 * controller writes it itself in url mode (out-of-cluster runs, tests, test beds), and keeps only its caBundle when
 * the manifests installed it.
 */
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import { ALL_MARKED } from './pod-selector.ts';
import type { LabelSelector } from './pod-selector.ts';

export const WEBHOOK_SERVICE_NAME = 'restore-hooks-webhook';
/** Each webhook: its name in the configuration, and the path our server answers it on. */
export const WORKLOADS_WEBHOOK = { name: 'workloads.restore-hooks.dev', path: '/mutate-workloads' } as const;
export const PODS_WEBHOOK = { name: 'pods.restore-hooks.dev', path: '/mutate-pods' } as const;
export const WEBHOOK_OPT_OUT_LABEL = 'restore-hooks.dev/webhook';

export interface WebhookConfigurationOptions {
  readonly name: string;
  /** The controller's namespace: excluded, as kube-system is. */
  readonly namespace: string;
  readonly clientConfig: { readonly url: string } | { readonly service: true };
  /** PEM bundle; written base64 as the API wants it. */
  readonly caBundle: string;
  readonly failurePolicy: 'Ignore' | 'Fail';
  /** The pod webhook's objectSelector (pod-selector.ts); every marked pod when undefined, as the manifests ship. */
  readonly podSelector?: LabelSelector;
}

function clientConfig(options: WebhookConfigurationOptions, path: string): Record<string, unknown> {
  const caBundle = Buffer.from(options.caBundle).toString('base64');
  return 'url' in options.clientConfig
    ? { url: `${options.clientConfig.url.replace(/\/+$/, '')}${path}`, caBundle }
    : {
        service: { name: WEBHOOK_SERVICE_NAME, namespace: options.namespace, path, port: 443 },
        caBundle,
      };
}

const namespaceSelector = (namespace: string) => ({
  matchExpressions: [
    { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', namespace] },
    { key: WEBHOOK_OPT_OUT_LABEL, operator: 'NotIn', values: ['disabled'] },
  ],
});

export function webhookConfiguration(options: WebhookConfigurationOptions): Record<string, unknown> {
  const common = {
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    timeoutSeconds: 5,
    failurePolicy: options.failurePolicy,
    matchPolicy: 'Equivalent',
    reinvocationPolicy: 'IfNeeded',
    namespaceSelector: namespaceSelector(options.namespace),
  };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: options.name, labels: { 'app.kubernetes.io/name': 'restore-hooks' } },
    webhooks: [
      {
        name: WORKLOADS_WEBHOOK.name,
        clientConfig: clientConfig(options, WORKLOADS_WEBHOOK.path),
        rules: [
          {
            apiGroups: ['apps'],
            apiVersions: ['v1'],
            // UPDATE: the untrusted creator's annotation is kept, and a label set by anyone but Velero is refused.
            operations: ['CREATE', 'UPDATE'],
            resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'],
            scope: 'Namespaced',
          },
          {
            // A restored StatefulSet's or DaemonSet's revision gets its template's mark; its data is immutable.
            apiGroups: ['apps'],
            apiVersions: ['v1'],
            operations: ['CREATE'],
            resources: ['controllerrevisions'],
            scope: 'Namespaced',
          },
        ],
        objectSelector: { matchExpressions: [{ key: RESTORE_NAME_LABEL, operator: 'Exists' }] },
        ...common,
      },
      {
        name: PODS_WEBHOOK.name,
        clientConfig: clientConfig(options, PODS_WEBHOOK.path),
        rules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CREATE'],
            resources: ['pods'],
            scope: 'Namespaced',
          },
        ],
        objectSelector: options.podSelector ?? ALL_MARKED,
        ...common,
      },
    ],
  };
}
