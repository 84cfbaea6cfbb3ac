/**
 * The devcluster: an embedded Kubernetes API server for tests, demos and development. It runs in-process over
 * HTTPS with a generated CA and serves kubectl and @kubernetes/client-node unmodified. See docs/devcluster.md.
 */
import { rename, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ClusterOptions } from './api/cluster.ts';
import { Cluster } from './api/cluster.ts';
import type { UserInfo } from './api/types.ts';
import { preinstallCrds, defaultCrdDirectory } from './crd/preinstall.ts';
import { ApiHandler } from './http/api-handler.ts';
import { AdmissionChain } from './admission/chain.ts';
import { ADMIN, TokenAuthenticator, serviceAccountUser } from './http/authentication.ts';
import type { Authorizer, RequestFilter, UpgradeHandler } from './http/extension-points.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import { generateServingCertificates } from './tls/certificates.ts';

export type { ClusterAPI, KubeObject, UserInfo } from './api/types.ts';
export type {
  Authorizer,
  RequestFilter,
  RequestAttributes,
  RequestContext,
  UpgradeHandler,
  WatchStreamControl,
} from './http/extension-points.ts';
export { ApiError, errors } from './api/errors.ts';
export { Cluster } from './api/cluster.ts';
export { serviceAccountUser } from './http/authentication.ts';

export interface DevClusterOptions extends ClusterOptions {
  /** TCP port on `host`; default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: authenticated users may do anything (see allowAuthenticated). The RBAC authorizer plugs in here. */
  authorizer?: Authorizer;
  /** Run in order after authorization (the fault injector plugs in here). */
  requestFilters?: RequestFilter[];
  /** Handlers for WebSocket upgrades keyed by `resource/subresource`, e.g. { 'pods/exec': handler }. */
  upgradeHandlers?: Record<string, UpgradeHandler>;
  /** Directory of CRD YAML files to install at startup; default the package's config/crd; false for none. */
  crdDirectory?: string | false;
  /** Request body limit in bytes (default 3 MiB, as kube-apiserver). */
  maxBodyBytes?: number;
}

/** Whom a kubeconfig authenticates as: the admin (default), a service account, or any user. */
export type KubeconfigSubject = { serviceAccount: { namespace: string; name: string } } | { user: UserInfo };

export interface DevCluster {
  /** https://127.0.0.1:PORT */
  readonly url: string;
  /** The in-process API (same semantics as over HTTP, no authentication). */
  readonly api: Cluster;
  /** The admission chain (in-tree admission, then webhooks) every client write goes through. */
  readonly admission: AdmissionChain;
  /** The HTTP layer: set `authorizer`, add request filters, register upgrade handlers while running. */
  readonly http: ApiHandler;
  /** PEM of the generated CA. */
  readonly caCert: string;
  /** A kubeconfig (YAML) for the admin, a service account or a user; each call mints a new token. */
  kubeconfig(subject?: KubeconfigSubject): string;
  writeKubeconfig(path: string, subject?: KubeconfigSubject): Promise<void>;
  /** Ends every watch, closes every connection and the listener. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Writes through a temporary file and a rename, so that whoever waits for the kubeconfig (a script, a test,
 * kubectl) never reads it half-written: it appears complete, or not at all.
 */
async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, path);
}

export async function startDevCluster(options: DevClusterOptions = {}): Promise<DevCluster> {
  const cluster = new Cluster(options);
  preinstallCrds(
    cluster,
    options.crdDirectory === false ? undefined : (options.crdDirectory ?? defaultCrdDirectory()),
  );
  const authenticator = new TokenAuthenticator();
  const admission = new AdmissionChain(cluster);
  const http = new ApiHandler({
    cluster,
    admission,
    authenticator,
    ...(options.authorizer ? { authorizer: options.authorizer } : {}),
    ...(options.requestFilters ? { requestFilters: options.requestFilters } : {}),
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
  });
  for (const [path, handler] of Object.entries(options.upgradeHandlers ?? {}))
    http.registerUpgradeHandler(path, handler);
  const host = options.host ?? '127.0.0.1';
  const tls = await generateServingCertificates(
    host === '127.0.0.1' || host === 'localhost'
      ? ['127.0.0.1', '::1', 'localhost']
      : [host, '127.0.0.1', 'localhost'],
  );
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => void http.handle(req, res));
  // Upgraded sockets (pods/exec WebSockets) leave the server's connection tracking; stop() destroys them.
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req, socket, head) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    void http.handleUpgrade(req, socket, head);
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const kubeconfig = (subject?: KubeconfigSubject): string => {
    const user = !subject
      ? ADMIN
      : 'user' in subject
        ? subject.user
        : serviceAccountUser(subject.serviceAccount.namespace, subject.serviceAccount.name);
    return renderKubeconfig({
      server: url,
      caCert: tls.caCert,
      token: authenticator.mint(user),
      ...(subject && 'serviceAccount' in subject ? { namespace: subject.serviceAccount.namespace } : {}),
    });
  };
  let stopping: Promise<void> | undefined;
  return {
    url,
    api: cluster,
    admission,
    http,
    caCert: tls.caCert,
    kubeconfig,
    writeKubeconfig: (path, subject) => writeFileAtomically(path, kubeconfig(subject)),
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        cluster.close();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      })),
  };
}
