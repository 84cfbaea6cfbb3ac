/**
 * The part of kube-apiserver's bootstrap RBAC policy the devcluster installs when it authorizes with RBAC:
 * `system:basic-user`, bound to every authenticated user, so that anyone may ask what they can do
 * (`kubectl auth can-i`, SelfSubjectAccessReview and SelfSubjectRulesReview), as on a real cluster.
 */
import { ApiError } from '../api/errors.ts';
import type { ClusterAPI } from '../api/types.ts';

const CLUSTER_ROLES = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' };
const CLUSTER_ROLE_BINDINGS = { ...CLUSTER_ROLES, resource: 'clusterrolebindings' };
const BOOTSTRAPPING = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AUTOUPDATE = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };

export function installBootstrapPolicy(api: ClusterAPI): void {
  const ensure = (create: () => unknown) => {
    try {
      create();
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
    }
  };
  ensure(() =>
    api.create(CLUSTER_ROLES, undefined, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'system:basic-user', labels: BOOTSTRAPPING, annotations: AUTOUPDATE },
      rules: [
        {
          apiGroups: ['authorization.k8s.io'],
          resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
          verbs: ['create'],
        },
      ],
    }),
  );
  ensure(() =>
    api.create(CLUSTER_ROLE_BINDINGS, undefined, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:basic-user', labels: BOOTSTRAPPING, annotations: AUTOUPDATE },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:basic-user' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }],
    }),
  );
}
