import { expect } from 'chai';
import { HealthChecks, startHealthServer } from '../../src/telemetry/health.ts';
import type { RunningServer } from '../../src/telemetry/http-listener.ts';

async function get(server: RunningServer, path: string): Promise<[number, string]> {
  const res = await fetch(`${server.url}${path}`);
  return [res.status, await res.text()];
}

describe('telemetry: health and readiness', () => {
  let checks: HealthChecks;
  let server: RunningServer;

  beforeEach(async () => {
    checks = new HealthChecks({ checkTimeoutMs: 200 });
    server = (await startHealthServer(checks, '127.0.0.1:0'))!;
  });
  afterEach(() => server.close());

  it('is live at once and ready with no readiness checks', async () => {
    expect(await get(server, '/healthz')).to.deep.equal([200, 'ok']);
    expect(await get(server, '/readyz')).to.deep.equal([200, 'ok']);
    expect(await get(server, '/healthz?verbose')).to.deep.equal([200, '[+]ping ok\nhealthz check passed\n']);
  });

  it('turns ready only when every gate is set: informers synced, and leader election leading or following', async () => {
    const synced = checks.readinessGate('informers-synced', 'informers have not completed their first list');
    const election = checks.readinessGate('leader-election', 'leader election has not started');
    expect(await get(server, '/readyz?verbose')).to.deep.equal([
      500,
      '[-]informers-synced failed: informers have not completed their first list\n' +
        '[-]leader-election failed: leader election has not started\n' +
        'readyz check failed\n',
    ]);
    synced.ready();
    election.ready(); // following another replica's lease counts as ready
    expect(await get(server, '/readyz')).to.deep.equal([200, 'ok']);
    expect(await get(server, '/readyz?verbose')).to.deep.equal([
      200,
      '[+]informers-synced ok\n[+]leader-election ok\nreadyz check passed\n',
    ]);
    election.notReady('lost the lease; exiting');
    expect(election.isReady).to.equal(false);
    const [status, body] = await get(server, '/readyz');
    expect(status).to.equal(500);
    expect(body).to.contain('[-]leader-election failed: lost the lease; exiting');
    // Readiness never affects liveness.
    expect(await get(server, '/healthz')).to.deep.equal([200, 'ok']);
  });

  it('serves a single check by name, and 404 for an unknown one', async () => {
    const gate = checks.readinessGate('informers-synced', 'not yet');
    expect(await get(server, '/readyz/informers-synced')).to.deep.equal([
      500,
      'internal server error: not yet\n',
    ]);
    gate.ready();
    expect(await get(server, '/readyz/informers-synced')).to.deep.equal([200, 'ok']);
    expect((await get(server, '/readyz/nope'))[0]).to.equal(404);
    expect((await get(server, '/metrics'))[0]).to.equal(404);
  });

  it('leaves out excluded checks, as controller-runtime does', async () => {
    checks.readinessGate('leader-election', 'not yet');
    expect(await get(server, '/readyz?exclude=leader-election&verbose')).to.deep.equal([
      200,
      '[+]leader-election excluded: ok\nreadyz check passed\n',
    ]);
  });

  it('fails a liveness check that throws or rejects, and one that hangs past the timeout', async () => {
    checks.add('healthz', 'sync-throws', () => {
      throw new Error('boom');
    });
    checks.add('healthz', 'async-rejects', () => Promise.reject(new Error('async boom')));
    checks.add('healthz', 'hangs', () => new Promise<void>(() => {}));
    const [status, body] = await get(server, '/healthz');
    expect(status).to.equal(500);
    expect(body).to.equal(
      '[+]ping ok\n[-]sync-throws failed: boom\n[-]async-rejects failed: async boom\n' +
        '[-]hangs failed: timed out after 200 ms\nhealthz check failed\n',
    );
  });

  it('refuses duplicate and malformed check names', () => {
    checks.readinessGate('informers-synced', 'x');
    expect(() => checks.readinessGate('informers-synced', 'y')).to.throw(RangeError, /already registered/);
    expect(() => checks.add('readyz', 'Has Spaces', () => {})).to.throw(RangeError, /lower-case/);
  });

  it('answers other methods with 405', async () => {
    const res = await fetch(`${server.url}/healthz`, { method: 'POST' });
    expect(res.status).to.equal(405);
  });

  it('"0" disables the server', async () => {
    expect(await startHealthServer(new HealthChecks(), '0')).to.equal(undefined);
  });
});
