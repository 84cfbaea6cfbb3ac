import { expect } from 'chai';
import { Registry } from 'prom-client';
import { parseBindAddress } from '../../src/telemetry/http-listener.ts';
import type { RunningServer } from '../../src/telemetry/http-listener.ts';
import { HookMetrics, METRIC_NAMES, createMetricsRegistry } from '../../src/telemetry/metrics.ts';
import { negotiateFormat, startMetricsServer } from '../../src/telemetry/metrics-server.ts';
import { parseExposition } from '../helpers/exposition.ts';

/** The Accept header Prometheus 2.x/3.x sends when scraping. */
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('telemetry: metrics server', () => {
  let server: RunningServer;
  let registry: Registry;

  before(async () => {
    registry = createMetricsRegistry();
    const metrics = new HookMetrics(registry);
    metrics.hookInjected({ restore: 'r2', namespace: 'app', kind: 'Deployment', source: 'spec' }, 2);
    metrics.execAttemptFinished('success', 0.2);
    server = (await startMetricsServer(registry, '127.0.0.1:0'))!;
  });
  after(() => server.close());

  it('serves the Prometheus text format by default', async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8');
    const families = parseExposition(await res.text());
    expect(families.get(METRIC_NAMES.hooksInjected)!.samples[0]!.value).to.equal(2);
    expect(families.has('process_cpu_user_seconds_total')).to.equal(true);
  });

  it('serves OpenMetrics to a client that asks for it, as Prometheus does, without renaming anything for others', async () => {
    const [om, text] = await Promise.all([
      fetch(`${server.url}/metrics`, { headers: { Accept: PROMETHEUS_ACCEPT } }),
      fetch(`${server.url}/metrics`, { headers: { Accept: 'text/plain' } }),
    ]);
    expect(om.headers.get('content-type')).to.equal(
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    const omBody = await om.text();
    expect(omBody.endsWith('# EOF\n')).to.equal(true);
    const omFamilies = parseExposition(omBody);
    // OpenMetrics names the counter family without _total and its sample with it.
    expect(omFamilies.get('restore_hooks_hooks_injected')!.type).to.equal('counter');
    expect(omFamilies.get('restore_hooks_hooks_injected')!.samples[0]!.name).to.equal(
      METRIC_NAMES.hooksInjected,
    );

    const again = parseExposition(await (await fetch(`${server.url}/metrics`)).text());
    expect(parseExposition(await text.text()).get(METRIC_NAMES.hooksInjected)!.type).to.equal('counter');
    expect(again.get(METRIC_NAMES.hooksInjected)!.type).to.equal('counter');
    expect(registry.getSingleMetric(METRIC_NAMES.hooksInjected)).to.not.equal(undefined);
  });

  it('answers HEAD without a body, other methods with 405 and other paths with 404', async () => {
    const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(await head.text()).to.equal('');
    const post = await fetch(`${server.url}/metrics`, { method: 'POST' });
    expect(post.status).to.equal(405);
    expect(post.headers.get('allow')).to.equal('GET, HEAD');
    expect((await fetch(`${server.url}/`)).status).to.equal(404);
  });

  it('reports a failing collector as 500', async () => {
    const broken = new Registry();
    broken.registerMetric({
      name: 'broken',
      get: () => Promise.reject(new Error('collector exploded')),
    } as never);
    const s = (await startMetricsServer(broken, '127.0.0.1:0'))!;
    try {
      const res = await fetch(`${s.url}/metrics`);
      expect(res.status).to.equal(500);
      expect(await res.text()).to.contain('collector exploded');
    } finally {
      await s.close();
    }
  });

  it('"0" disables the server', async () => {
    expect(await startMetricsServer(new Registry(), '0')).to.equal(undefined);
  });

  it('closes cleanly with an idle keep-alive connection open', async () => {
    const s = (await startMetricsServer(new Registry(), '127.0.0.1:0'))!;
    await (await fetch(`${s.url}/metrics`, { headers: { Connection: 'keep-alive' } })).text();
    await s.close();
    let refused = false;
    await fetch(`${s.url}/metrics`).catch(() => (refused = true));
    expect(refused).to.equal(true);
  });

  it('reports a port already in use', async () => {
    let error: unknown;
    await startMetricsServer(new Registry(), `127.0.0.1:${server.port}`).catch((e) => (error = e));
    expect(error).to.have.property('code', 'EADDRINUSE');
  });

  describe('negotiateFormat', () => {
    const cases: Array<[string | undefined, string]> = [
      [undefined, 'prometheus'],
      ['', 'prometheus'],
      ['*/*', 'prometheus'],
      ['text/plain;version=0.0.4', 'prometheus'],
      [PROMETHEUS_ACCEPT, 'openmetrics'],
      ['application/openmetrics-text', 'openmetrics'],
      ['application/openmetrics-text;q=0.2,text/plain;q=0.9', 'prometheus'],
      ['application/openmetrics-text;q=0', 'prometheus'],
    ];
    for (const [accept, want] of cases)
      it(`${JSON.stringify(accept)} → ${want}`, () => expect(negotiateFormat(accept)).to.equal(want));
  });

  describe('parseBindAddress', () => {
    const cases: Array<[string, unknown]> = [
      ['0', undefined],
      [':8080', { host: undefined, port: 8080 }],
      ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
      ['[::1]:9090', { host: '::1', port: 9090 }],
    ];
    for (const [text, want] of cases) it(text, () => expect(parseBindAddress(text)).to.deep.equal(want));
    it('rejects a value without a port', () =>
      expect(() => parseBindAddress('localhost')).to.throw(RangeError));
  });
});
