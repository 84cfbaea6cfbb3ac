/**
 * The MutatingWebhookConfiguration of restore-hooks, as the manifests spell it (manifests/base/webhook.yaml): the
 * controller writes it itself in url mode (out-of-cluster runs, tests, test beds), and keeps only its caBundle when
 * the manifests installed it.
 */
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import { RESTORE_LABEL } from '../marks.ts';

export const WEBHOOK_SERVICE_NAME = 'restore-hooks-webhook';
export const WORKLOADS_PATH = '/mutate-workloads';
export const PODS_PATH = '/mutate-pods';
/** A namespace label that keeps the webhooks away from a namespace (kube-system and ours carry it in the manifests). */
const NO_RESTORE = 'none.restore-hooks.dev';
export const WEBHOOK_OPT_OUT_LABEL = 'restore-hooks.dev/webhook';

export interface WebhookConfigurationOptions {
  readonly name: string;
  /** The controller's namespace: excluded, as kube-system is. */
  readonly namespace: string;
  readonly clientConfig: { readonly url: string } | { readonly service: true };
  /** PEM bundle; written base64 as the API wants it. */
  readonly caBundle: string;
  readonly failurePolicy: 'Ignore' | 'Fail';
  /** Label values of active Restores: narrows the pod webhook to them (`In`); undefined keeps `Exists`. */
  readonly activeRestoreLabels?: readonly string[];
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
        name: 'workloads.restore-hooks.dev',
        clientConfig: clientConfig(options, WORKLOADS_PATH),
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
        name: 'pods.restore-hooks.dev',
        clientConfig: clientConfig(options, PODS_PATH),
        rules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CREATE'],
            resources: ['pods'],
            scope: 'Namespaced',
          },
        ],
        objectSelector: podObjectSelector(options.activeRestoreLabels),
        ...common,
      },
    ],
  };
}

/**
 * The pod webhook's objectSelector: marked pods, or only those of the given active Restores. An empty list still
 * needs a valid `In`, so it names a value no Restore is expected to have.
 */
export function podObjectSelector(
  activeRestoreLabels: readonly string[] | undefined,
): Record<string, unknown> {
  if (activeRestoreLabels === undefined)
    return { matchExpressions: [{ key: RESTORE_LABEL, operator: 'Exists' }] };
  const values = [...new Set(activeRestoreLabels)].sort();
  return {
    matchExpressions: [
      { key: RESTORE_LABEL, operator: 'In', values: values.length > 0 ? values : [NO_RESTORE] },
    ],
  };
}
