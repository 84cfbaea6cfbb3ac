import { AppsV1Api, BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { ManualClock } from '../../../src/devcluster/sim/clock.ts';
import { CronError, parseCron } from '../../../src/devcluster/sim/cron.ts';
import { startTestCluster, waitFor } from '../../helpers/sim-cluster.ts';
import type { TestCluster } from '../../helpers/sim-cluster.ts';

const P = 'devcluster.restore-hooks.io/';
const container = { name: 'app', image: 'busybox:1.37' };

describe('devcluster simulation: DaemonSets and Jobs', function () {
  let t: TestCluster;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let batch: BatchV1Api;

  before(async () => {
    t = await startTestCluster({ simulation: { nodes: ['a', { name: 'b', labels: { disk: 'ssd' } }, 'c'] } });
    core = t.kc.makeApiClient(CoreV1Api);
    apps = t.kc.makeApiClient(AppsV1Api);
    batch = t.kc.makeApiClient(BatchV1Api);
    await core.createNamespace({ body: { metadata: { name: 'j' } } });
  });
  after(async () => t.stop());

  it('runs one DaemonSet pod per node, pinned by node affinity, and rolls out a new template', async () => {
    await apps.createNamespacedDaemonSet({
      namespace: 'j',
      body: {
        metadata: { name: 'agent' },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [container] } },
        },
      },
    });
    const r = await t.kubectl(['rollout', 'status', '-n', 'j', 'daemonset/agent', '--timeout=20s']);
    expect(r.stdout).to.contain('daemon set "agent" successfully rolled out');
    const pods = (await core.listNamespacedPod({ namespace: 'j', labelSelector: 'app=agent' })).items;
    expect(pods.map((p) => p.spec?.nodeName).sort()).to.deep.equal(['a', 'b', 'c']);
    expect(
      pods[0]!.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
        ?.nodeSelectorTerms[0]?.matchFields?.[0],
    ).to.deep.include({
      key: 'metadata.name',
      operator: 'In',
    });
    await apps.patchNamespacedDaemonSet({
      namespace: 'j',
      name: 'agent',
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'busybox:1.38' }],
    });
    await t.kubectl(['rollout', 'status', '-n', 'j', 'daemonset/agent', '--timeout=20s']);
    const after = (await core.listNamespacedPod({ namespace: 'j', labelSelector: 'app=agent' })).items;
    expect(after.map((p) => p.spec?.containers[0]?.image)).to.deep.equal([
      'busybox:1.38',
      'busybox:1.38',
      'busybox:1.38',
    ]);
    const ds = await apps.readNamespacedDaemonSet({ namespace: 'j', name: 'agent' });
    expect(ds.status).to.deep.include({
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      numberReady: 3,
      updatedNumberScheduled: 3,
      observedGeneration: 2,
    });
  });

  it('honours the DaemonSet nodeSelector', async () => {
    await apps.createNamespacedDaemonSet({
      namespace: 'j',
      body: {
        metadata: { name: 'ssd' },
        spec: {
          selector: { matchLabels: { app: 'ssd' } },
          template: {
            metadata: { labels: { app: 'ssd' } },
            spec: { nodeSelector: { disk: 'ssd' }, containers: [container] },
          },
        },
      },
    });
    const pods = await waitFor('ssd pod running', async () => {
      const list = (await core.listNamespacedPod({ namespace: 'j', labelSelector: 'app=ssd' })).items;
      return list.length === 1 && list[0]!.status?.phase === 'Running' && list;
    });
    expect(pods[0]!.spec?.nodeName).to.equal('b');
  });

  it('completes a Job after `completions` successful pods, with kubectl wait --for=condition=complete', async () => {
    await batch.createNamespacedJob({
      namespace: 'j',
      body: {
        metadata: { name: 'once' },
        spec: {
          completions: 2,
          parallelism: 1,
          template: {
            metadata: { annotations: { [`${P}run-seconds`]: '0' } },
            spec: { restartPolicy: 'Never', containers: [container] },
          },
        },
      },
    });
    const r = await t.kubectl(['wait', '-n', 'j', '--for=condition=complete', 'job/once', '--timeout=20s']);
    expect(r.stdout).to.contain('job.batch/once condition met');
    const job = await batch.readNamespacedJob({ namespace: 'j', name: 'once' });
    expect(job.status).to.deep.include({ succeeded: 2, ready: 0, terminating: 0 });
    expect(job.status?.conditions?.map((c) => [c.type, c.status, c.reason])).to.deep.equal([
      ['SuccessCriteriaMet', 'True', 'CompletionsReached'],
      ['Complete', 'True', 'CompletionsReached'],
    ]);
    expect(job.status?.completionTime).to.be.instanceOf(Date);
  });

  it('fails a Job once more pods failed than backoffLimit allows', async () => {
    await batch.createNamespacedJob({
      namespace: 'j',
      body: {
        metadata: { name: 'broken' },
        spec: {
          backoffLimit: 1,
          template: {
            metadata: { annotations: { [`${P}run-seconds`]: '0', [`${P}exit-code`]: '2' } },
            spec: { restartPolicy: 'Never', containers: [container] },
          },
        },
      },
    });
    await t.kubectl(['wait', '-n', 'j', '--for=condition=failed', 'job/broken', '--timeout=20s']);
    const job = await batch.readNamespacedJob({ namespace: 'j', name: 'broken' });
    expect(job.status?.failed).to.equal(2);
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')).to.deep.include({
      reason: 'BackoffLimitExceeded',
    });
  });
});

describe('devcluster simulation: CronJobs on a manual clock', function () {
  const clock = new ManualClock(Date.parse('2026-11-24T10:00:30Z'));
  let t: TestCluster;
  let batch: BatchV1Api;

  before(async () => {
    t = await startTestCluster({ simulation: { clock } });
    batch = t.kc.makeApiClient(BatchV1Api);
    await t.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'cron' } } });
  });
  after(async () => t.stop());

  it('creates a Job at each scheduled minute, named by the scheduled time, and records lastScheduleTime', async () => {
    await batch.createNamespacedCronJob({
      namespace: 'cron',
      body: {
        metadata: { name: 'tick' },
        spec: {
          schedule: '*/5 * * * *',
          jobTemplate: {
            spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [container] } } },
          },
        },
      },
    });
    await waitFor(
      'cronjob seen',
      async () =>
        (await batch.readNamespacedCronJob({ namespace: 'cron', name: 'tick' })).metadata?.resourceVersion,
    );
    expect((await batch.listNamespacedJob({ namespace: 'cron' })).items).to.have.length(0);
    clock.advance(5 * 60_000);
    const jobs = await waitFor('first job', async () => {
      const list = (await batch.listNamespacedJob({ namespace: 'cron' })).items;
      return list.length === 1 && list;
    });
    const scheduled = Date.parse('2026-11-24T10:05:00Z');
    expect(jobs[0]!.metadata?.name).to.equal(`tick-${scheduled / 60_000}`);
    expect(jobs[0]!.metadata?.ownerReferences?.[0]).to.deep.include({ kind: 'CronJob', name: 'tick' });
    const cj = await waitFor('lastScheduleTime', async () => {
      const c = await batch.readNamespacedCronJob({ namespace: 'cron', name: 'tick' });
      return c.status?.lastScheduleTime && c;
    });
    expect(cj.status?.lastScheduleTime?.toISOString()).to.equal('2026-11-24T10:05:00.000Z');
  });

  const schedules: [string, string, string][] = [
    ['*/15 * * * *', '2026-11-24T10:01:00Z', '2026-11-24T10:15:00Z'],
    ['0 3 * * *', '2026-11-24T10:01:00Z', '2026-11-25T03:00:00Z'],
    ['30 9 * * 1-5', '2026-11-27T10:00:00Z', '2026-11-30T09:30:00Z'],
    ['@hourly', '2026-11-24T10:00:00Z', '2026-11-24T11:00:00Z'],
    ['0 0 1 1 *', '2026-11-24T10:00:00Z', '2027-01-01T00:00:00Z'],
  ];
  for (const [schedule, after, next] of schedules) {
    it(`cron "${schedule}" after ${after} is ${next}`, () => {
      expect(new Date(parseCron(schedule).next(Date.parse(after))!).toISOString()).to.equal(
        new Date(next).toISOString(),
      );
    });
  }

  it('rejects malformed schedules naming the field', () => {
    expect(() => parseCron('* * *')).to.throw(CronError, 'expected exactly 5 fields, found 3');
    expect(() => parseCron('61 * * * *')).to.throw(CronError, 'field 1 ("61"): out of range 0-59');
    expect(() => parseCron('* * * * mon')).to.throw(CronError, 'field 5 ("mon"): not a cron expression');
  });
});
