import { IsomorphicFetchHttpLibrary, KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { EventRecorder, restoreReference } from '../../src/controller/events.ts';
import type { EventSpec } from '../../src/controller/events.ts';
import { KubeJsonClient } from '../../src/controller/kube-json-client.ts';
import { startDevCluster } from '../../src/devcluster/index.ts';
import type { DevCluster } from '../../src/devcluster/index.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { eventually } from '../helpers/eventually.ts';

describe('EventRecorder.recordCoalesced (restore-wide Events, devcluster over HTTPS)', () => {
  let cluster: DevCluster;
  let client: KubeJsonClient;
  let now = 1_000_000;
  let recorder: EventRecorder;
  beforeEach(async () => {
    cluster = await startDevCluster({ crdDirectory: false });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(cluster.kubeconfig());
    client = new KubeJsonClient(kubeConfig, new IsomorphicFetchHttpLibrary());
    await client.request({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'velero' } },
    });
    recorder = new EventRecorder(client, {
      instance: 'test',
      logger: createLogger({ level: 'error', stream: new PassThrough() }),
      now: () => now,
    });
  });
  afterEach(() => cluster.stop());

  const ref = restoreReference({ namespace: 'velero', name: 'r2', uid: 'u1' });
  const counts = (n: number): EventSpec => ({
    regarding: ref,
    type: 'Normal',
    reason: 'HookCountsWritten',
    action: 'CountHooks',
    note: `Hook counts written: status.hookStatus.hooksAttempted ${n}, hooksFailed 0.`,
  });
  const messages = async () =>
    (
      await client.request<{ items: { message: string }[] }>({
        method: 'GET',
        path: '/api/v1/namespaces/velero/events',
      })
    ).items.map((e) => e.message);

  it('writes one Event per interval however many are offered, then the newest held back once due', async () => {
    const delays: (number | undefined)[] = [];
    for (let n = 1; n <= 10_000; n++) {
      delays.push(recorder.recordCoalesced('velero/r2\u0000HookCountsWritten', counts(n), 60_000));
      now += 1; // 10,000 offers within 10 s
    }
    expect(delays[0]).to.equal(undefined);
    expect(delays.at(-1)).to.equal(60_000 - 9_999);
    await eventually(async () => ((await messages()).length === 1 ? true : undefined), 'the first Event');
    expect(await messages()).to.deep.equal([counts(1).note]);

    expect(recorder.flushCoalesced('velero/r2\u0000HookCountsWritten', 60_000)).to.equal(50_000);
    now += 50_000;
    expect(recorder.flushCoalesced('velero/r2\u0000HookCountsWritten', 60_000)).to.equal(undefined);
    await eventually(async () => ((await messages()).length === 2 ? true : undefined), 'the held-back Event');
    expect((await messages()).sort()).to.deep.equal([counts(1).note, counts(10_000).note].sort());
    // Nothing is held any more.
    now += 120_000;
    expect(recorder.flushCoalesced('velero/r2\u0000HookCountsWritten', 60_000)).to.equal(undefined);
    expect(await messages()).to.have.length(2);
  });

  it('forgets what a deleted object held back', async () => {
    recorder.recordCoalesced('velero/r2\u0000HooksApplied', counts(1), 60_000);
    expect(recorder.recordCoalesced('velero/r2\u0000HooksApplied', counts(2), 60_000)).to.equal(60_000);
    recorder.forgetCoalesced('velero/r2\u0000');
    now += 60_000;
    expect(recorder.flushCoalesced('velero/r2\u0000HooksApplied', 60_000)).to.equal(undefined);
    await eventually(async () => ((await messages()).length === 1 ? true : undefined), 'the first Event');
    expect(await messages()).to.deep.equal([counts(1).note]);
  });
});
