/**
 * The kubelet's exec endpoint, as kube-apiserver dials it for pods/exec: HTTPS on the node's InternalIP and
 * daemonEndpoints port, GET /exec/{namespace}/{pod}/{container}?command=…&input=1&output=1&error=1&tty=1, with the
 * client's upgrade passed through unchanged. The protocol and the commands are the devcluster's (../exec): the
 * kubelet's query names (input/output/error) are translated to the API's (stdin/stdout/stderr) and handed to the
 * same ExecEndpoint the devcluster serves pods/exec with.
 */
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { ApiError, errors } from '../api/errors.ts';
import type { ExecEndpoint } from '../exec/endpoint.ts';
import type { ServingCertificates } from '../tls/certificates.ts';

/** The kubelet's stream flag names → the pods/exec API's. */
const KUBELET_FLAGS: Record<string, string> = {
  input: 'stdin',
  output: 'stdout',
  error: 'stderr',
  tty: 'tty',
};

/** Splits /exec/{ns}/{pod}/{container} and translates the query, or throws 404/400 as ApiError. */
export function parseKubeletExecPath(url: string): {
  namespace: string;
  pod: string;
  query: URLSearchParams;
} {
  const parsed = new URL(url, 'https://kubelet.invalid');
  const parts = parsed.pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  if (parts[0] !== 'exec' || parts.length < 3 || parts.length > 4) {
    throw errors.notFound({ group: '', resource: 'paths' }, parsed.pathname);
  }
  const [, namespace, pod, container] = parts as [string, string, string, string | undefined];
  const query = new URLSearchParams();
  for (const [key, value] of parsed.searchParams) {
    const flag = KUBELET_FLAGS[key];
    query.append(flag ?? key, flag && value === '1' ? 'true' : value);
  }
  if (container !== undefined) query.set('container', container);
  return { namespace, pod, query };
}

function rejectUpgrade(socket: Duplex, err: unknown): void {
  const apiError =
    err instanceof ApiError ? err : new ApiError(500, 'InternalError', (err as Error).message ?? String(err));
  const body = JSON.stringify(apiError.toStatus());
  socket.end(
    `HTTP/1.1 ${apiError.code} ${apiError.reason}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export class KubeletExecServer {
  private readonly server: Server;

  constructor(certificates: ServingCertificates, endpoint: ExecEndpoint) {
    this.server = createServer({ cert: certificates.cert, key: certificates.key }, (req, res) => {
      // Without an upgrade there is no stream to run a command over.
      const status = errors.badRequest(`${req.method} ${req.url}: exec needs a WebSocket upgrade`).toStatus();
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify(status));
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        endpoint.handleUpgrade(req, socket, head, parseKubeletExecPath(req.url ?? '/'));
      } catch (err) {
        rejectUpgrade(socket, err);
      }
    });
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  /** Listens on 127.0.0.1 (port 0: a free one) and resolves to the port. */
  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
