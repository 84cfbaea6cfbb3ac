import { expect } from 'chai';
import { Registry } from 'prom-client';
import { KubeJsonClient } from '../../../src/controller/kube-json-client.ts';
import { jsonLeaseClient } from '../../../src/controller/lease-client.ts';
import { createApiClients } from '../../../src/controller/machinery/api-clients.ts';
import { dispatcherHttpLibrary } from '../../../src/controller/machinery/dispatcher-http-library.ts';
import type {
  LeaderElectionOptions,
  LeaseClient,
} from '../../../src/controller/machinery/leader-election.ts';
import {
  LeaderElector,
  validateLeaderElectionTimings,
} from '../../../src/controller/machinery/leader-election.ts';
import { instrumentedHttpLibrary } from '../../../src/controller/machinery/transport.ts';
import { MachineryDevCluster } from '../../helpers/machinery-devcluster.ts';
import { metricValue } from '../../helpers/metrics.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
// Short but valid timings: 600 ms > 400 ms > 1.2 × 100 ms.
const TIMINGS = { leaseDurationMs: 600, renewDeadlineMs: 400, retryPeriodMs: 100 };

interface LeaseSpecJson {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

describe('validateLeaderElectionTimings', () => {
  const table: [Partial<typeof TIMINGS>, string][] = [
    [{ leaseDurationMs: 400 }, 'leaseDurationMs (400) must be greater than renewDeadlineMs (400)'],
    [{ retryPeriodMs: 350 }, 'renewDeadlineMs (400) must be greater than 1.2 × retryPeriodMs (350)'],
    [{ retryPeriodMs: 0 }, 'retryPeriodMs must be positive'],
  ];
  for (const [change, message] of table) {
    it(`rejects ${JSON.stringify(change)}`, () => {
      expect(() => validateLeaderElectionTimings({ ...TIMINGS, ...change })).to.throw(RangeError, message);
    });
  }
  it("accepts client-go's defaults", () => {
    expect(() =>
      validateLeaderElectionTimings({
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
      }),
    ).not.to.throw();
  });
});

const LEASE_CLIENTS: [string, (server: MachineryDevCluster, registry?: Registry) => LeaseClient][] = [
  [
    "client-node's CoordinationV1Api",
    (server, registry) =>
      createApiClients(server.kubeConfig, { qps: 1000, burst: 1000, ...(registry ? { registry } : {}) })
        .coordination,
  ],
  [
    'the plain-JSON jsonLeaseClient the controller uses',
    (server, registry) =>
      jsonLeaseClient(
        new KubeJsonClient(
          server.kubeConfig,
          instrumentedHttpLibrary(dispatcherHttpLibrary(), {
            qps: 1000,
            burst: 1000,
            ...(registry ? { registry } : {}),
          }),
        ),
      ),
  ],
];

// Over real HTTPS against the devcluster (issue #3), with either Lease client.
for (const [clientName, leaseClient] of LEASE_CLIENTS)
  describe(`LeaderElector over HTTP against the devcluster, with ${clientName}`, () => {
    let server: MachineryDevCluster;
    let electors: LeaderElector[];

    beforeEach(async () => {
      server = await MachineryDevCluster.start();
      electors = [];
    });
    afterEach(async () => {
      await Promise.all(electors.map((e) => e.stop()));
      await server.stop();
    });

    function elector(identity: string, extra: Partial<LeaderElectionOptions> = {}): LeaderElector {
      const created = new LeaderElector({
        client: leaseClient(server),
        namespace: 'app',
        leaseName: 'restore-hooks',
        identity,
        ...TIMINGS,
        ...extra,
      });
      electors.push(created);
      return created;
    }

    const lease = () => server.get('leases', 'app', 'restore-hooks')?.spec as LeaseSpecJson | undefined;

    it('lets exactly one of two candidates lead, writes the Lease as client-go does, and sets the metric', async () => {
      const registries = [new Registry(), new Registry()];
      const started: string[] = [];
      const a = elector('a', { registry: registries[0], onStartedLeading: () => started.push('a') });
      const b = elector('b', { registry: registries[1], onStartedLeading: () => started.push('b') });
      void a.run();
      void b.run();
      await waitFor('a leader', () => a.isLeader() || b.isLeader());
      // Several renewals later, still exactly one leader.
      const renewTime = lease()!.renewTime;
      await waitFor('renewals', () => lease()!.renewTime !== renewTime);
      expect([a.isLeader(), b.isLeader()].filter(Boolean)).to.have.length(1);
      const leader = a.isLeader() ? 'a' : 'b';
      expect(started).to.deep.equal([leader]);
      const spec = lease()!;
      expect(spec.holderIdentity).to.equal(leader);
      expect(spec.leaseDurationSeconds).to.equal(1);
      expect(spec.leaseTransitions).to.equal(0);
      expect(spec.acquireTime).to.match(MICRO_TIME);
      expect(spec.renewTime).to.match(MICRO_TIME);
      const status = (i: number) =>
        metricValue(registries[i]!, 'leader_election_master_status', { name: 'restore-hooks' });
      expect([await status(0), await status(1)]).to.deep.equal(leader === 'a' ? [1, 0] : [0, 1]);
      const follower = leader === 'a' ? b : a;
      await waitFor('the follower to observe the leader', () => follower.getLeader() === leader);
      expect(follower.isLeader()).to.equal(false);
    });

    it('measures expiry from its own observation: a holder that keeps renewing is never displaced, one that stops is', async () => {
      // The holder's clock is far ahead: renewTime alone would make the lease look valid for a year.
      const future = '2099-01-01T00:00:00.000000Z';
      let renewals = 0;
      const renewGhost = () =>
        server.put('leases', {
          metadata: { name: 'restore-hooks', namespace: 'app' },
          spec: {
            holderIdentity: 'ghost',
            leaseDurationSeconds: 1,
            acquireTime: future,
            renewTime: future.replace('000000Z', `${String(++renewals).padStart(6, '0')}Z`),
            leaseTransitions: 4,
          },
        });
      renewGhost();
      const b = elector('b');
      void b.run();
      const ghost = setInterval(renewGhost, 100);
      try {
        await waitFor('b to have seen several ghost renewals', () => renewals >= 12, { timeoutMs: 10_000 });
        expect(b.isLeader()).to.equal(false);
        expect(b.getLeader()).to.equal('ghost');
      } finally {
        clearInterval(ghost);
      }
      await waitFor('b to take over the expired lease', () => b.isLeader());
      const spec = lease()!;
      expect(spec.holderIdentity).to.equal('b');
      expect(spec.leaseTransitions).to.equal(5);
      expect(spec.acquireTime).not.to.equal(future);
    });

    it('loses a round on 409 when another writer updates the Lease between its GET and PUT', async () => {
      server.put('leases', {
        metadata: { name: 'restore-hooks', namespace: 'app' },
        spec: { holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 2 },
      });
      const registry = new Registry();
      const client = leaseClient(server, registry);
      server.beforeNextPut(() =>
        server.put('leases', {
          metadata: { name: 'restore-hooks', namespace: 'app' },
          spec: { holderIdentity: 'rival', leaseDurationSeconds: 1, leaseTransitions: 3 },
        }),
      );
      const b = elector('b', { client });
      void b.run();
      const host = server.host;
      await waitFor('the conflicting PUT', async () => {
        try {
          return (
            (await metricValue(registry, 'rest_client_requests_total', {
              code: '409',
              method: 'PUT',
              host,
            })) === 1
          );
        } catch {
          return false;
        }
      });
      expect(b.isLeader()).to.equal(false);
      expect(lease()!.holderIdentity).to.equal('rival');
      // The rival then never renews: b takes over after a full lease duration of silence.
      await waitFor('b to take over', () => b.isLeader());
      expect(lease()!.leaseTransitions).to.equal(4);
    });

    it('releases the Lease on stop so that a follower takes over, and calls onStoppedLeading', async () => {
      let stoppedLeading = 0;
      const a = elector('a', { onStoppedLeading: () => (stoppedLeading += 1) });
      void a.run();
      await waitFor('a to lead', () => a.isLeader());
      const b = elector('b', { leaseDurationMs: 60_000, renewDeadlineMs: 400 });
      void b.run();
      await waitFor('b to observe a', () => b.getLeader() === 'a');
      await a.stop();
      expect(stoppedLeading).to.equal(1);
      expect(a.isLeader()).to.equal(false);
      // b's lease duration is a minute, so only the release lets it in within the wait below.
      await waitFor('b to lead after the release', () => b.isLeader(), { timeoutMs: 10_000 });
      expect(lease()!.holderIdentity).to.equal('b');
      expect(lease()!.leaseTransitions).to.equal(1);
    });

    it('stops leading when it cannot renew within the renew deadline', async () => {
      let stoppedLeading = false;
      let leadingSignal: AbortSignal | undefined;
      const a = elector('a', {
        onStartedLeading: (signal) => (leadingSignal = signal),
        onStoppedLeading: () => (stoppedLeading = true),
      });
      const running = a.run();
      await waitFor('a to lead', () => a.isLeader());
      server.failNext(1_000_000, 500);
      await running;
      server.clearFailures();
      expect(a.isLeader()).to.equal(false);
      expect(stoppedLeading).to.equal(true);
      expect(leadingSignal?.aborted).to.equal(true);
    });
  });
