import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { CoreV1Event } from '@kubernetes/client-node';
import { expect } from 'chai';
import type { DevCluster } from '../../../src/devcluster/index.ts';
import { ManualClock } from '../../../src/devcluster/sim/clock.ts';
import { EventRecorder } from '../../../src/devcluster/sim/events.ts';
import type { EventType } from '../../../src/devcluster/sim/events.ts';
import { startTestCluster as startApiServer } from '../../helpers/devcluster.ts';
import { startTestCluster, waitFor } from '../../helpers/sim-cluster.ts';
import type { TestCluster } from '../../helpers/sim-cluster.ts';

const EVENTS = { group: '', version: 'v1', resource: 'events' };
const flushed = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

interface StoredEvent {
  message: string;
  reason: string;
  count?: number;
  series?: { count: number };
  involvedObject: { name: string };
}

describe('devcluster simulation: the event recorder (client-go correlator semantics)', () => {
  let cluster: DevCluster;
  let clock: ManualClock;
  let recorder: EventRecorder;
  const objectNamed = (name: string) => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
  });
  const stored = (name: string) =>
    (cluster.api.list(EVENTS, 'default').items as unknown as StoredEvent[]).filter(
      (e) => e.involvedObject.name === name,
    );

  beforeEach(async () => {
    cluster = await startApiServer({ crdDirectory: false });
    clock = new ManualClock();
    recorder = new EventRecorder(cluster.api, clock);
  });
  afterEach(async () => {
    recorder.stop();
    await cluster.stop();
  });

  const cases: {
    name: string;
    emit: (send: (type: EventType, reason: string, message: string) => void) => void;
    expect: { messages: string[]; counts: number[]; dropped: number };
  }[] = [
    {
      name: 'a repeated event is written once and counted',
      emit: (send) => ['x', 'x', 'x'].forEach((m) => send('Normal', 'SuccessfulCreate', m)),
      expect: { messages: ['x'], counts: [3], dropped: 0 },
    },
    {
      name: 'from the 10th distinct message of a reason, events combine into one',
      emit: (send) => {
        for (let i = 0; i < 12; i++) send('Normal', 'SuccessfulCreate', `Created pod: p${i}`);
      },
      expect: {
        messages: [
          ...Array.from({ length: 9 }, (_, i) => `Created pod: p${i}`),
          '(combined from similar events): Created pod: p11',
        ],
        counts: [...Array.from({ length: 9 }, () => 1), 3],
        dropped: 0,
      },
    },
    {
      name: 'beyond a burst of 25 per object and reason, events are dropped',
      emit: (send) => {
        for (let i = 0; i < 30; i++) send('Normal', 'SuccessfulCreate', 'same');
        send('Normal', 'SuccessfulDelete', 'another reason has its own bucket');
      },
      expect: { messages: ['another reason has its own bucket', 'same'], counts: [1, 25], dropped: 5 },
    },
  ];
  for (const c of cases)
    it(c.name, async () => {
      const events = recorder.forComponent('replicaset-controller');
      c.emit((type, reason, message) => events.event(objectNamed('rs'), type, reason, message));
      await flushed();
      const written = stored('rs').sort((a, b) => a.message.localeCompare(b.message));
      const expected = c.expect.messages
        .map((m, i) => ({ m, count: c.expect.counts[i] }))
        .sort((a, b) => a.m.localeCompare(b.m));
      expect(written.map((e) => e.message)).to.deep.equal(expected.map((e) => e.m));
      expect(written.map((e) => e.count)).to.deep.equal(expected.map((e) => e.count));
      expect(recorder.dropped).to.equal(c.expect.dropped);
    });

  it('the spam filter refills one event every 5 minutes', async () => {
    const events = recorder.forComponent('job-controller');
    for (let i = 0; i < 26; i++) events.event(objectNamed('j'), 'Normal', 'SuccessfulCreate', 'm');
    expect(recorder.dropped).to.equal(1);
    clock.advance(5 * 60_000);
    events.event(objectNamed('j'), 'Normal', 'SuccessfulCreate', 'm');
    events.event(objectNamed('j'), 'Normal', 'SuccessfulCreate', 'm');
    expect(recorder.dropped).to.equal(2);
    await flushed();
    expect(stored('j').map((e) => e.count)).to.deep.equal([26]);
  });

  it('events.k8s.io-style repeats count in series', async () => {
    const events = recorder.forReportingController('default-scheduler', 'default-scheduler-devcluster');
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u' } };
    events.event(pod, 'Warning', 'FailedScheduling', 'Scheduling', 'no nodes');
    events.event(pod, 'Warning', 'FailedScheduling', 'Scheduling', 'no nodes');
    await flushed();
    const [event] = stored('p');
    expect(event).to.deep.include({ reason: 'FailedScheduling', message: 'no nodes' });
    expect(event!.series?.count).to.equal(2);
    expect(event).to.not.have.property('count');
  });

  it('an event that cannot be written is dropped without disturbing the caller', async () => {
    const events = recorder.forComponent('replicaset-controller');
    const elsewhere = {
      ...objectNamed('x'),
      metadata: { ...objectNamed('x').metadata, namespace: 'absent' },
    };
    expect(() => events.event(elsewhere, 'Normal', 'SuccessfulCreate', 'm')).to.not.throw();
    await flushed();
    expect(cluster.api.list(EVENTS, undefined).items).to.have.length(0);
  });
});

describe('devcluster simulation: Events from the controllers and the scheduler', function () {
  let t: TestCluster;
  let core: CoreV1Api;
  let apps: AppsV1Api;

  before(async () => {
    t = await startTestCluster();
    core = t.kc.makeApiClient(CoreV1Api);
    apps = t.kc.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: 'ev' } } });
  });
  after(async () => t.stop());

  const eventsAbout = async (kind: string, name: string): Promise<CoreV1Event[]> =>
    (
      await core.listNamespacedEvent({
        namespace: 'ev',
        fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}`,
      })
    ).items;
  const waitForEvent = (kind: string, name: string, reason: string, message: string | RegExp) =>
    waitFor(`${kind} ${name}: ${reason} ${String(message)}`, async () =>
      (await eventsAbout(kind, name)).find(
        (e) =>
          e.reason === reason &&
          (typeof message === 'string' ? e.message === message : message.test(e.message ?? '')),
      ),
    );
  const template = (app: string, extra: object = {}) => ({
    metadata: { labels: { app } },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...extra },
  });

  it('Deployment: ScalingReplicaSet; ReplicaSet: SuccessfulCreate and SuccessfulDelete; pods: Scheduled', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'ev',
      body: {
        metadata: { name: 'web' },
        spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template('web') },
      },
    });
    const [rs] = (await apps.listNamespacedReplicaSet({ namespace: 'ev', labelSelector: 'app=web' })).items;
    const rsName = rs!.metadata!.name!;
    const scaledUp = await waitForEvent(
      'Deployment',
      'web',
      'ScalingReplicaSet',
      `Scaled up replica set ${rsName} from 0 to 2`,
    );
    expect(scaledUp.source).to.deep.equal({ component: 'deployment-controller' });
    expect(scaledUp.type).to.equal('Normal');
    expect(scaledUp.involvedObject).to.include({
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      namespace: 'ev',
    });
    const created = await waitForEvent(
      'ReplicaSet',
      rsName,
      'SuccessfulCreate',
      new RegExp(`^Created pod: ${rsName}-`),
    );
    expect(created.source).to.deep.equal({ component: 'replicaset-controller' });
    const pod = created.message!.slice('Created pod: '.length);
    const scheduled = await waitForEvent(
      'Pod',
      pod,
      'Scheduled',
      new RegExp(`^Successfully assigned ev/${pod} to node-\\d$`),
    );
    expect(scheduled).to.deep.include({
      action: 'Binding',
      reportingComponent: 'default-scheduler',
      type: 'Normal',
    });

    const scaled = await t.kubectl(['scale', '-n', 'ev', 'deployment/web', '--replicas=1']);
    expect(scaled.status, scaled.stderr).to.equal(0);
    await waitForEvent(
      'Deployment',
      'web',
      'ScalingReplicaSet',
      `Scaled down replica set ${rsName} from 2 to 1`,
    );
    await waitForEvent('ReplicaSet', rsName, 'SuccessfulDelete', new RegExp(`^Deleted pod: ${rsName}-`));
    const described = await t.kubectl(['describe', 'deployment', '-n', 'ev', 'web']);
    expect(described.stdout).to.match(
      /Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set/,
    );
  });

  it('StatefulSet: SuccessfulCreate with its own message format', async () => {
    await apps.createNamespacedStatefulSet({
      namespace: 'ev',
      body: {
        metadata: { name: 'db' },
        spec: {
          replicas: 1,
          serviceName: 'db',
          selector: { matchLabels: { app: 'db' } },
          template: template('db'),
        },
      },
    });
    const e = await waitForEvent(
      'StatefulSet',
      'db',
      'SuccessfulCreate',
      'create Pod db-0 in StatefulSet db successful',
    );
    expect(e.source).to.deep.equal({ component: 'statefulset-controller' });
  });

  it('scheduler: FailedScheduling (Warning) for a pod no node fits', async () => {
    await core.createNamespacedPod({
      namespace: 'ev',
      body: {
        metadata: { name: 'nowhere' },
        spec: { nodeSelector: { disk: 'none' }, containers: [{ name: 'a', image: 'nginx' }] },
      },
    });
    const e = await waitForEvent(
      'Pod',
      'nowhere',
      'FailedScheduling',
      /^0\/3 nodes are available: 3 node\(s\) didn't match Pod's node affinity\/selector/,
    );
    expect(e).to.deep.include({
      type: 'Warning',
      action: 'Scheduling',
      reportingComponent: 'default-scheduler',
    });
  });
});
