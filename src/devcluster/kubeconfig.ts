import { stringify } from 'yaml';

export interface KubeconfigParams {
  readonly server: string;
  /** PEM of the CA that signed the serving certificate. */
  readonly caCert: string;
  readonly token: string;
  /** Names the cluster, user and context; defaults to `devcluster`. */
  readonly name?: string;
  readonly namespace?: string;
}

/** A kubeconfig (YAML) with certificate-authority-data and a bearer token, for kubectl and client-node alike. */
export function renderKubeconfig(p: KubeconfigParams): string {
  const name = p.name ?? 'devcluster';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: { server: p.server, 'certificate-authority-data': Buffer.from(p.caCert).toString('base64') },
      },
    ],
    users: [{ name, user: { token: p.token } }],
    contexts: [
      { name, context: { cluster: name, user: name, ...(p.namespace ? { namespace: p.namespace } : {}) } },
    ],
    'current-context': name,
    preferences: {},
  });
}
