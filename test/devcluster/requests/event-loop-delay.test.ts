import { expect } from 'chai';
import { startSimulatedCluster } from '../../../src/devcluster/simulated.ts';
import type { SimulatedCluster } from '../../../src/devcluster/simulated.ts';
import { EventLoopDelayMonitor } from '../../../src/devcluster/requests/event-loop-delay.ts';
import type { EventLoopDelay } from '../../../src/devcluster/requests/event-loop-delay.ts';
import { rawRequest, tokenOf } from '../../helpers/devcluster.ts';

describe('devcluster event-loop delay (/devcluster/event-loop)', () => {
  let cluster: SimulatedCluster;
  let admin: string;
  beforeEach(async () => {
    cluster = await startSimulatedCluster({ simulation: false, crdDirectory: false });
    admin = tokenOf(cluster.kubeconfig());
  });
  afterEach(() => cluster.stop());

  const read = async (): Promise<EventLoopDelay> => {
    const res = await rawRequest(cluster, 'GET', '/devcluster/event-loop', { token: admin });
    expect(res.status).to.equal(200);
    return res.json() as unknown as EventLoopDelay;
  };

  const block = (ms: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until);
  };

  it('serves the delay distribution since the last reset, and DELETE resets it', async () => {
    block(60);
    await new Promise((r) => setTimeout(r, 50));
    const blocked = await read();
    expect(blocked.resolutionMs).to.equal(10);
    expect(blocked.samples).to.be.greaterThan(0);
    expect(blocked.maxMs).to.be.greaterThan(0);
    expect(blocked.p50Ms).to.be.at.most(blocked.p99Ms);
    expect(blocked.p99Ms).to.be.at.most(blocked.maxMs);
    const reset = await rawRequest(cluster, 'DELETE', '/devcluster/event-loop', { token: admin });
    expect(reset.status).to.equal(204);
  });

  it('a reset forgets every sample before it', async () => {
    const monitor = new EventLoopDelayMonitor();
    try {
      block(60);
      await new Promise((r) => setTimeout(r, 50));
      expect(monitor.read().samples).to.be.greaterThan(0);
      monitor.reset();
      expect(monitor.read()).to.deep.equal({ p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 0, resolutionMs: 10 });
    } finally {
      monitor.stop();
    }
  });

  it('refuses other methods, and other users', async () => {
    const post = await rawRequest(cluster, 'POST', '/devcluster/event-loop', { token: admin });
    expect(post.status).to.equal(405);
    expect(post.text).to.contain('POST is not supported on /devcluster/event-loop');
    const anonymous = await rawRequest(cluster, 'GET', '/devcluster/event-loop', {});
    expect(anonymous.status).to.be.oneOf([401, 403]);
  });
});
