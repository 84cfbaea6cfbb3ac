import { request as httpsRequest } from 'node:https';
import { fileURLToPath } from 'node:url';
import type { DevCluster, DevClusterOptions } from '../../src/devcluster/index.ts';
import { startDevCluster } from '../../src/devcluster/index.ts';

export const FIXTURE_CRDS = fileURLToPath(new URL('../devcluster/fixtures/crd', import.meta.url));

/** Starts a devcluster on port 0 with the test CRD fixtures (not the repository's config/crd). */
export function startTestCluster(options: DevClusterOptions = {}): Promise<DevCluster> {
  return startDevCluster({ crdDirectory: FIXTURE_CRDS, ...options });
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json(): Record<string, unknown>;
}

/** One HTTPS request to the devcluster, trusting its CA, with the given bearer token (if any). */
export function rawRequest(
  cluster: DevCluster,
  method: string,
  path: string,
  options: { token?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const url = new URL(path, cluster.url);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method,
        ca: cluster.caCert,
        agent: false,
        headers: {
          ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
          ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text) as Record<string, unknown>,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The bearer token inside a kubeconfig the devcluster rendered. */
export function tokenOf(kubeconfig: string): string {
  const m = /token: (\S+)/.exec(kubeconfig);
  if (!m) throw new Error('no token in kubeconfig');
  return m[1]!;
}

export { eventually } from './eventually.ts';
