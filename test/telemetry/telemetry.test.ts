import { expect } from 'chai';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { METRIC_NAMES } from '../../src/telemetry/metrics.ts';
import { startTelemetry } from '../../src/telemetry/telemetry.ts';
import { parseExposition } from '../helpers/exposition.ts';

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('telemetry: startTelemetry', () => {
  it('serves metrics and probes from one set of settings, and stops both', async () => {
    const t = await startTelemetry(
      { metricsBindAddress: '127.0.0.1:0', healthProbeBindAddress: '127.0.0.1:0', logLevel: 'info' },
      { stream: new PassThrough() },
    );
    try {
      t.metrics.setRestoresActive(2);
      const families = parseExposition(await (await fetch(`${t.metricsServer!.url}/metrics`)).text());
      expect(families.get(METRIC_NAMES.restoresActive)!.samples[0]!.value).to.equal(2);
      const synced = t.health.readinessGate('informers-synced', 'waiting for the first list');
      expect((await fetch(`${t.healthServer!.url}/readyz`)).status).to.equal(500);
      synced.ready();
      expect((await fetch(`${t.healthServer!.url}/readyz`)).status).to.equal(200);
    } finally {
      await t.close();
    }
  });

  it('starts nothing when both addresses are "0"', async () => {
    const t = await startTelemetry({
      metricsBindAddress: '0',
      healthProbeBindAddress: '0',
      logLevel: 'error',
    });
    expect([t.metricsServer, t.healthServer]).to.deep.equal([undefined, undefined]);
    await t.close();
  });

  it('leaves no server behind when the probe port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    const metricsPort = await freePort();
    try {
      let error: unknown;
      await startTelemetry({
        metricsBindAddress: `127.0.0.1:${metricsPort}`,
        healthProbeBindAddress: `127.0.0.1:${taken}`,
        logLevel: 'info',
      }).catch((e) => (error = e));
      expect(error).to.have.property('code', 'EADDRINUSE');
      // The metrics port was released again: binding it succeeds.
      const again = createServer();
      await new Promise<void>((resolve, reject) =>
        again.once('error', reject).listen(metricsPort, '127.0.0.1', resolve),
      );
      await new Promise((resolve) => again.close(resolve));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
