/**
 * The admission latency's control: a webhook server that admits every object untouched, at once. The bench runs it
 * in place of restore-hooks (same TLS: a node-forge RSA CA and serving certificate as the controller makes them,
 * HTTPS with the same keep-alive timeout; same webhook configuration and selectors), so that the latency it
 * measures is what any webhook costs on the bed: the API server's side of the call and the machine. Test-side
 * code, not shipped.
 *
 * Usage: node hack/bench/trivial-webhook.ts CERT_JSON, where CERT_JSON holds `{ "cert": PEM, "key": PEM }`. It
 * listens on 127.0.0.1 on a free port and prints `listening PORT` on stdout.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** The answer that admits an AdmissionReview's object unchanged; 400 when the body is not an AdmissionReview. */
export function admitUntouched(body: string): { status: number; body: string } {
  let uid: unknown;
  try {
    uid = (JSON.parse(body) as { request?: { uid?: unknown } }).request?.uid;
  } catch {
    uid = undefined;
  }
  if (typeof uid !== 'string' || uid === '')
    return { status: 400, body: 'malformed AdmissionReview: request.uid: expected a string\n' };
  return {
    status: 200,
    body: JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid, allowed: true },
    }),
  };
}

function main(certificateFile: string): void {
  const { cert, key } = JSON.parse(readFileSync(certificateFile, 'utf8')) as { cert: string; key: string };
  const server = createServer({ cert, key, keepAliveTimeout: 30_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = admitUntouched(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(answer.status, {
        'content-type': answer.status === 200 ? 'application/json' : 'text/plain',
      });
      res.end(answer.body);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
  });
  process.once('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

if (import.meta.main) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: trivial-webhook.ts CERT_JSON\n');
    process.exit(2);
  }
  main(file);
}
