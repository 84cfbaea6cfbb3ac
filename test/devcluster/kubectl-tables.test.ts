import { expect } from 'chai';
import { join } from 'node:path';
import { loadDemo, samplesDirectory } from '../../src/devcluster/demo.ts';
import { kubectlAvailable } from '../helpers/kubectl.ts';
import { startTestCluster, waitFor } from '../helpers/sim-cluster.ts';
import type { TestCluster } from '../helpers/sim-cluster.ts';

/** kubectl's header and -o wide header for each kind, as kube-apiserver 1.32 serves their Table columns. */
const HEADERS: [string, string[], string[]][] = [
  [
    'events',
    ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
    [
      'LAST SEEN',
      'TYPE',
      'REASON',
      'OBJECT',
      'SUBOBJECT',
      'SOURCE',
      'MESSAGE',
      'FIRST SEEN',
      'COUNT',
      'NAME',
    ],
  ],
  [
    'pods',
    ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
  ],
  [
    'deployments',
    ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'],
  ],
  [
    'replicasets',
    ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'],
    ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'],
  ],
  ['statefulsets', ['NAME', 'READY', 'AGE'], ['NAME', 'READY', 'AGE', 'CONTAINERS', 'IMAGES']],
  [
    'daemonsets',
    ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'],
    [
      'NAME',
      'DESIRED',
      'CURRENT',
      'READY',
      'UP-TO-DATE',
      'AVAILABLE',
      'NODE SELECTOR',
      'AGE',
      'CONTAINERS',
      'IMAGES',
      'SELECTOR',
    ],
  ],
  [
    'jobs',
    ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
    ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'],
  ],
  ['configmaps', ['NAME', 'DATA', 'AGE'], ['NAME', 'DATA', 'AGE']],
  ['leases', ['NAME', 'HOLDER', 'AGE'], ['NAME', 'HOLDER', 'AGE']],
  [
    'nodes',
    ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
    [
      'NAME',
      'STATUS',
      'ROLES',
      'AGE',
      'VERSION',
      'INTERNAL-IP',
      'EXTERNAL-IP',
      'OS-IMAGE',
      'KERNEL-VERSION',
      'CONTAINER-RUNTIME',
    ],
  ],
  ['namespaces', ['NAME', 'STATUS', 'AGE'], ['NAME', 'STATUS', 'AGE']],
];

/** The column names of kubectl's header line: split where two or more spaces separate them. */
const header = (stdout: string): string[] =>
  stdout
    .split('\n')[0]!
    .trim()
    .split(/\s{2,}/);

if (!kubectlAvailable()) {
  console.warn('\n  *** kubectl is not on PATH: the devcluster Table columns suite did NOT run ***\n');
} else {
  describe('devcluster Table columns as kubectl prints them (the demo restore, machine kubectl)', function () {
    this.timeout(120_000);
    let t: TestCluster;
    before(async () => {
      t = await startTestCluster({
        simulation: { velero: { fixturesDir: join(samplesDirectory(), 'backups') } },
      });
      loadDemo(t.cluster.api);
      await waitFor(
        'the demo pods to run',
        async () => {
          const r = await t.kubectl(['get', 'pods', '-n', 'app', '--no-headers']);
          const lines = r.stdout.trim().split('\n').filter(Boolean);
          return lines.length >= 5 && lines.every((l) => l.includes('Running'));
        },
        60_000,
      );
      const apply = (yaml: string) => t.kubectl(['apply', '-f', '-'], yaml);
      expect(
        (
          await apply(
            [
              'apiVersion: v1',
              'kind: Event',
              'metadata: {name: web.1, namespace: app}',
              'involvedObject: {apiVersion: apps/v1, kind: Deployment, name: web, namespace: app}',
              'reason: HookInjected',
              'message: "Added 2 init hooks  "',
              'type: Normal',
              'source: {component: restore-hooks.dev/controller}',
              'reportingComponent: restore-hooks.dev/controller',
              'reportingInstance: pod-a',
              `firstTimestamp: "${new Date(Date.now() - 30 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z')}"`,
              `lastTimestamp: "${new Date(Date.now() - 20 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z')}"`,
              'count: 3',
              '---',
              'apiVersion: v1',
              'kind: ConfigMap',
              'metadata: {name: settings, namespace: app}',
              'data: {a: "1", b: "2"}',
              '---',
              'apiVersion: coordination.k8s.io/v1',
              'kind: Lease',
              'metadata: {name: restore-hooks, namespace: app}',
              'spec: {holderIdentity: pod-a_1234}',
              '---',
              'apiVersion: batch/v1',
              'kind: Job',
              'metadata: {name: migrate, namespace: app}',
              'spec:',
              '  completions: 2',
              '  template:',
              '    spec:',
              '      restartPolicy: Never',
              '      containers: [{name: m, image: "busybox:1.36"}]',
            ].join('\n'),
          )
        ).status,
      ).to.equal(0);
    });
    after(async () => t.stop());

    for (const [resource, plain, wide] of HEADERS) {
      it(`${resource}: ${plain.join(' ')} (and -o wide)`, async () => {
        const scope = resource === 'nodes' || resource === 'namespaces' ? [] : ['-n', 'app'];
        const r = await t.kubectl(['get', resource, ...scope]);
        expect(r.stderr).to.equal('');
        expect(header(r.stdout)).to.deep.equal(plain);
        const w = await t.kubectl(['get', resource, ...scope, '-o', 'wide']);
        expect(header(w.stdout)).to.deep.equal(wide);
      });
    }

    it('events: OBJECT is kind/name in lower case, the message trimmed, SOURCE and COUNT in -o wide', async () => {
      const r = await t.kubectl([
        'get',
        'events',
        '-n',
        'app',
        '--field-selector',
        'involvedObject.name=web',
        '-o',
        'wide',
      ]);
      const row = r.stdout
        .split('\n')
        .find((l) => l.includes('HookInjected'))!
        .trim()
        .split(/\s{2,}/);
      expect(row).to.deep.equal([
        '20m',
        'Normal',
        'HookInjected',
        'deployment/web',
        'restore-hooks.dev/controller, pod-a',
        'Added 2 init hooks',
        '30d',
        '3',
        'web.1',
      ]);
    });

    it('workloads and nodes: the cells kubectl shows', async () => {
      const cells = async (args: string[]) =>
        (await t.kubectl(['get', ...args, '--no-headers', '-o', 'wide'])).stdout.trim().split(/\s{2,}/);
      expect((await cells(['deployment', 'web', '-n', 'app'])).slice(0, 4)).to.deep.equal([
        'web',
        '2/2',
        '2',
        '2',
      ]);
      expect((await cells(['statefulset', 'db', '-n', 'app'])).slice(0, 2)).to.deep.equal(['db', '1/1']);
      const ds = await cells(['daemonset', 'agent', '-n', 'app']);
      expect(ds[0]).to.equal('agent');
      expect(ds[6]).to.equal('<none>');
      const job = await cells(['job', 'migrate', '-n', 'app']);
      expect(job.slice(0, 3)).to.deep.include.members(['migrate']);
      expect(job[2]).to.match(/^[0-2]\/2$/);
      expect(await cells(['lease', 'restore-hooks', '-n', 'app'])).to.include('pod-a_1234');
      expect((await cells(['configmap', 'settings', '-n', 'app'])).slice(0, 2)).to.deep.equal([
        'settings',
        '2',
      ]);
      const node = await cells(['nodes']);
      expect(node[1]).to.equal('Ready');
    });
  });
}
