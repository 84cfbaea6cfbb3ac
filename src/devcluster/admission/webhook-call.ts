/**
 * The HTTPS POST of an AdmissionReview to a webhook: the server's certificate must chain to the webhook's caBundle
 * (the system roots when it is empty) and name the host dialled (for a service: `<name>.<namespace>.svc`), the
 * call is bounded by timeoutSeconds, and connections are kept alive per (caBundle, server name) as kube-apiserver's
 * transport cache does.
 */
import { Agent, request } from 'node:https';

export interface WebhookTarget {
  /** What is dialled: https://host:port/path. */
  readonly url: URL;
  /** The name the certificate must carry (defaults to the URL's host). */
  readonly serverName?: string;
  /** PEM certificates; '' for the system roots. */
  readonly caBundle: string;
  readonly timeoutSeconds: number;
}

/** The call failed before a usable HTTP answer (kube: "failed to call webhook: ..."). */
export class CallError extends Error {
  override name = 'CallError';
}

const MAX_RESPONSE_BYTES = 3 * 1024 * 1024;
const agents = new Map<string, Agent>();

function agentFor(caBundle: string, serverName: string): Agent {
  const key = `${serverName}\u0000${caBundle}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: 64, ...(caBundle ? { ca: caBundle } : {}) });
    agents.set(key, agent);
  }
  return agent;
}

/** The URL as kube-apiserver's client posts it: `?timeout=Ns` appended. */
export function postedUrl(target: WebhookTarget): string {
  return `${target.url.origin}${target.url.pathname}?timeout=${target.timeoutSeconds}s`;
}

/**
 * POSTs `body` and returns the decoded JSON answer of a 2xx; throws CallError otherwise. A kept-alive connection
 * that the webhook closed just as it was reused is retried once on a new one (the request never reached it).
 */
export function callWebhook(target: WebhookTarget, body: unknown): Promise<unknown> {
  const where = `Post ${JSON.stringify(postedUrl(target))}`;
  const payload = JSON.stringify(body);
  const serverName = target.serverName ?? target.url.hostname;
  return new Promise((resolve, reject) => {
    let settled = false;
    let current: ReturnType<typeof request> | undefined;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new CallError(`${where}: ${reason}`));
    };
    const timer = setTimeout(() => {
      fail('context deadline exceeded');
      current?.destroy();
    }, target.timeoutSeconds * 1000);
    const send = (retried: boolean) => {
      const req = request(
        {
          method: 'POST',
          protocol: 'https:',
          hostname: target.url.hostname.replace(/^\[|\]$/g, ''),
          port: target.url.port || 443,
          path: `${target.url.pathname}?timeout=${target.timeoutSeconds}s`,
          servername: /^[\d.]+$|:/.test(serverName) ? undefined : serverName,
          agent: agentFor(target.caBundle, serverName),
          headers: {
            'Content-Type': 'application/json',
            Accept: 'application/json, */*',
            'Content-Length': Buffer.byteLength(payload),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              req.destroy();
              fail('the response body is too large');
            } else chunks.push(chunk);
          });
          res.on('error', (err) => fail(err.message));
          res.on('end', () => {
            if (settled) return;
            const text = Buffer.concat(chunks).toString('utf8');
            const code = res.statusCode ?? 0;
            if (code < 200 || code > 299)
              return fail(`the server responded with the status code ${code}: ${text}`);
            let decoded: unknown;
            try {
              decoded = JSON.parse(text);
            } catch (err) {
              return fail(`invalid character in the response body: ${(err as Error).message}`);
            }
            settled = true;
            clearTimeout(timer);
            resolve(decoded);
          });
        },
      );
      current = req;
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (!settled && !retried && req.reusedSocket && err.code === 'ECONNRESET') return send(true);
        fail(describe(err, target));
      });
      req.end(payload);
    };
    send(false);
  });
}

/** Go's net/http wording for the common failures. */
function describe(err: NodeJS.ErrnoException, target: WebhookTarget): string {
  const address = `${target.url.hostname}:${target.url.port || 443}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${address}: connect: connection refused`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_SIGNATURE_FAILURE':
      return `tls: failed to verify certificate: x509: certificate signed by unknown authority (${err.code})`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: ${err.message}`;
    default:
      return err.message;
  }
}
