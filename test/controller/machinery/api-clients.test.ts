import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { createApiClients } from '../../../src/controller/machinery/api-clients.ts';
import { ClientRateLimiter } from '../../../src/controller/machinery/rate-limit.ts';
import { FakeClock } from '../../helpers/fake-clock.ts';
import { metricValue } from '../../helpers/metrics.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A plain HTTP server on port 0 answering with `handler`, and a kubeconfig pointing at it. */
async function startServer(
  handler: Handler,
): Promise<{ server: Server; kubeConfig: KubeConfig; host: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: `http://${host}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return { server, kubeConfig, host };
}

function json(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

describe('ClientRateLimiter', () => {
  it('lets a burst through, then spaces requests at 1/qps', async () => {
    const clock = new FakeClock();
    const limiter = new ClientRateLimiter({ qps: 2, burst: 2, clock });
    const released: number[] = [];
    for (let i = 0; i < 4; i++) void limiter.wait().then(() => released.push(clock.now()));
    await clock.advance(0);
    expect(released).to.have.length(2);
    await clock.advance(499);
    expect(released).to.have.length(2);
    await clock.advance(1);
    expect(released).to.have.length(3);
    await clock.advance(500);
    const t0 = released[0]!;
    expect(released.map((t) => t - t0)).to.deep.equal([0, 0, 500, 1000]);
  });
});

describe('createApiClients (over HTTP)', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it('counts rest_client_requests_total by code, method and host, and sends auth and user agent', async () => {
    const seen: { auth?: string; agent?: string }[] = [];
    const started = await startServer((req, res) => {
      seen.push({ auth: req.headers.authorization, agent: req.headers['user-agent'] });
      if (req.url?.startsWith('/api/v1/namespaces/default/pods/missing')) {
        json(res, 404, {
          kind: 'Status',
          apiVersion: 'v1',
          code: 404,
          reason: 'NotFound',
          message: 'not found',
        });
      } else {
        json(res, 200, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'default' } });
      }
    });
    server = started.server;
    const registry = new Registry();
    const clients = createApiClients(started.kubeConfig, {
      qps: 100,
      burst: 100,
      registry,
      userAgent: 'rh-test',
    });
    const ns = await clients.core.readNamespace({ name: 'default' });
    expect(ns.metadata?.name).to.equal('default');
    const error = await clients.core
      .readNamespacedPod({ name: 'missing', namespace: 'default' })
      .catch((e) => e);
    expect((error as { code: number }).code).to.equal(404);
    const labels = (code: string) => ({ code, method: 'GET', host: started.host });
    expect(await metricValue(registry, 'rest_client_requests_total', labels('200'))).to.equal(1);
    expect(await metricValue(registry, 'rest_client_requests_total', labels('404'))).to.equal(1);
    expect(seen[0]).to.deep.equal({ auth: 'Bearer secret-token', agent: 'rh-test' });
  });

  it('resends a request answered 429 with Retry-After, and counts both answers', async () => {
    let calls = 0;
    const started = await startServer((_req, res) => {
      calls += 1;
      if (calls === 1) {
        json(res, 429, { kind: 'Status', code: 429, reason: 'TooManyRequests' }, { 'retry-after': '0' });
      } else {
        json(res, 201, {
          kind: 'ConfigMap',
          apiVersion: 'v1',
          metadata: { name: 'cm', namespace: 'default' },
        });
      }
    });
    server = started.server;
    const registry = new Registry();
    const clients = createApiClients(started.kubeConfig, { qps: 100, burst: 100, registry });
    const created = await clients.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'cm' } },
    });
    expect(created.metadata?.name).to.equal('cm');
    expect(calls).to.equal(2);
    const labels = (code: string) => ({ code, method: 'POST', host: started.host });
    expect(await metricValue(registry, 'rest_client_requests_total', labels('429'))).to.equal(1);
    expect(await metricValue(registry, 'rest_client_requests_total', labels('201'))).to.equal(1);
  });

  it('counts a request that got no response as code <error>', async () => {
    const started = await startServer((req) => req.socket.destroy());
    server = started.server;
    const registry = new Registry();
    const clients = createApiClients(started.kubeConfig, { qps: 100, burst: 100, registry });
    const error = await clients.core.readNamespace({ name: 'default' }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(Error);
    expect(
      await metricValue(registry, 'rest_client_requests_total', {
        code: '<error>',
        method: 'GET',
        host: started.host,
      }),
    ).to.equal(1);
  });

  it('observes how long the rate limit held each request, and how long the answer took', async () => {
    const clock = new FakeClock();
    const started = await startServer((_req, res) =>
      json(res, 200, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'default' } }),
    );
    server = started.server;
    const registry = new Registry();
    const clients = createApiClients(started.kubeConfig, { qps: 2, burst: 1, registry, clock });
    await clients.core.readNamespace({ name: 'default' });
    const second = clients.core.readNamespace({ name: 'default' });
    await clock.advance(500);
    await second;
    const labels = { verb: 'GET', host: started.host };
    const sample = (name: string) => metricValue(registry, name, labels);
    expect(await sample('rest_client_rate_limiter_duration_seconds_count')).to.equal(2);
    // The first request found a token; the second waited for the next one, 1/qps later.
    expect(await sample('rest_client_rate_limiter_duration_seconds_sum')).to.equal(0.5);
    expect(
      await metricValue(registry, 'rest_client_rate_limiter_duration_seconds_bucket', {
        ...labels,
        le: '0.001',
      }),
    ).to.equal(1);
    expect(await sample('rest_client_request_duration_seconds_count')).to.equal(2);
  });

  it('throttles writes through the shared limiter when throttle is writes', async () => {
    const clock = new FakeClock();
    const started = await startServer((_req, res) =>
      json(res, 200, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cm' } }),
    );
    server = started.server;
    const clients = createApiClients(started.kubeConfig, { qps: 1, burst: 1, throttle: 'writes', clock });
    // Reads are not held back even with the bucket empty.
    await clients.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'cm' } },
    });
    await clients.core.readNamespacedConfigMap({ namespace: 'default', name: 'cm' });
    let secondWrite = false;
    const write = clients.core
      .createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cm' } } })
      .then(() => (secondWrite = true));
    await clock.advance(999);
    expect(secondWrite).to.equal(false);
    await clock.advance(1);
    await write;
    expect(secondWrite).to.equal(true);
  });
});
