import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevcluster, until } from '../../hack/bench/processes.ts';
import type { DevclusterProcess } from '../../hack/bench/processes.ts';

const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { bench: 'watch' } },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
});

/**
 * A bench run once sat idle for 10 minutes: its watches (RestoreTracker, the admission run's own) ignored a watch the
 * server ended, and the bench waited up to 30 minutes for events that could no longer come. The devcluster ends a
 * watch of a client that falls 64 MiB behind; here a fault rule cuts it a second after it opened.
 */
describe('bench: its watches', function () {
  this.timeout(120_000);
  let dir: string;
  let devcluster: DevclusterProcess;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-watch-'));
    devcluster = await startDevcluster(dir);
    for (const name of ['a', 'b', 'c'])
      await devcluster.admin.request('POST', '/api/v1/namespaces/default/pods', pod(name));
  });

  after(async () => {
    await devcluster.stop();
    await rm(dir, { recursive: true, force: true });
  });

  afterEach(() => devcluster.admin.request('DELETE', '/devcluster/faults/rules'));

  /** The bench's watch of the three pods: the names it saw, the first error it reported, and its stop. */
  function watchBenchPods(): { events: string[]; error: () => Error | undefined; stop: () => void } {
    const events: string[] = [];
    let error: Error | undefined;
    const stop = devcluster.admin.watch<{ metadata: { name: string } }>(
      '/api/v1/namespaces/default/pods?labelSelector=bench%3Dwatch',
      (e) => events.push(e.object.metadata.name),
      (e) => (error ??= e),
    );
    return { events, error: () => error, stop };
  }

  for (const mode of ['close', 'drop'] as const)
    it(`reports a watch the server ends (${mode}), rather than waiting for it`, async () => {
      await devcluster.admin.request('POST', '/devcluster/faults/rules', {
        id: `cut-${mode}`,
        verbs: ['watch'],
        resources: ['pods'],
        cutWatch: { afterSeconds: 1, mode },
      });
      const { events, error, stop } = watchBenchPods();
      try {
        const reported = await until('the cut watch to be reported', error, 60_000);
        expect(reported.message).to.match(
          /^watch \/api\/v1\/namespaces\/default\/pods\?.*: ended by the server/,
        );
        expect([...events].sort()).to.deep.equal(['a', 'b', 'c']);
      } finally {
        stop();
      }
    });

  it('reports nothing for a watch the bench stops itself', async () => {
    const { events, error, stop } = watchBenchPods();
    await until('the three pods', () => (events.length >= 3 ? true : undefined), 60_000);
    stop();
    await new Promise((r) => setTimeout(r, 500));
    expect(error()).to.equal(undefined);
    expect([...events].sort()).to.deep.equal(['a', 'b', 'c']);
  });
});
