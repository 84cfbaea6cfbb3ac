import { expect } from 'chai';
import type { DevCluster } from '../../src/devcluster/index.ts';
import { eventually, startTestCluster } from '../helpers/devcluster.ts';
import { KubectlEnv, kubectlAvailable } from '../helpers/kubectl.ts';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
const WIDGETS = { group: 'example.com', version: 'v1', resource: 'widgets' };

if (!kubectlAvailable()) {
  console.warn('\n  *** kubectl is not on PATH: the devcluster kubectl conformance suite did NOT run ***\n');
} else {
  describe('devcluster conformance: kubectl', function () {
    let cluster: DevCluster;
    let kubectl: KubectlEnv;

    before(async () => {
      cluster = await startTestCluster();
      kubectl = new KubectlEnv(cluster.kubeconfig());
    });
    after(async () => {
      await cluster.stop();
      kubectl.dispose();
    });

    it('get: lists namespaces and reads an object as JSON', async () => {
      const r = await kubectl.run(['get', 'namespaces', '-o', 'json']);
      expect(r.status, r.stderr).to.equal(0);
      const list = JSON.parse(r.stdout) as { items: { metadata: { name: string } }[] };
      expect(list.items.map((i) => i.metadata.name)).to.include.members(['default', 'kube-system']);
      const missing = await kubectl.run(['get', 'configmap', 'nope']);
      expect(missing.status).to.equal(1);
      expect(missing.stderr).to.contain('configmaps "nope" not found');
    });

    it('get: prints server-side Tables, with Init:N/M while init containers run', async () => {
      const PODS = { group: '', version: 'v1', resource: 'pods' };
      const pod = cluster.api.create(PODS, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'initializing' },
        spec: {
          initContainers: [
            { name: 'i1', image: 'busybox' },
            { name: 'i2', image: 'busybox' },
          ],
          containers: [{ name: 'app', image: 'nginx' }],
        },
      });
      const running = { running: { startedAt: '2026-01-01T00:00:00Z' } };
      const done = { terminated: { exitCode: 0, reason: 'Completed' } };
      cluster.api.update(
        PODS,
        'default',
        'initializing',
        {
          ...pod,
          status: {
            phase: 'Pending',
            initContainerStatuses: [
              { name: 'i1', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: done },
              { name: 'i2', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: running },
            ],
            containerStatuses: [
              {
                name: 'app',
                image: 'nginx',
                imageID: '',
                ready: false,
                restartCount: 0,
                state: { waiting: { reason: 'PodInitializing' } },
              },
            ],
          },
        },
        { subresource: 'status' },
      );
      const r = await kubectl.run(['get', 'pods', 'initializing']);
      expect(r.status, r.stderr).to.equal(0);
      const [header, row] = r.stdout.trim().split('\n');
      expect(header!.split(/\s+/)).to.deep.equal(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      expect(row!.split(/\s+/).slice(0, 4)).to.deep.equal(['initializing', '0/1', 'Init:1/2', '0']);
      const ns = await kubectl.run(['get', 'namespace', 'default']);
      expect(ns.stdout.split('\n')[1]!.split(/\s+/).slice(0, 2)).to.deep.equal(['default', 'Active']);
    });

    it('create: creates from a file, and AlreadyExists the second time', async () => {
      const file = kubectl.file(
        'cm.yaml',
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: created\ndata:\n  a: "1"\n',
      );
      const r = await kubectl.run(['create', '-f', file]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout.trim()).to.equal('configmap/created created');
      expect(cluster.api.get(CONFIGMAPS, 'default', 'created').data).to.deep.equal({ a: '1' });
      const again = await kubectl.run(['create', '-f', file]);
      expect(again.status).to.equal(1);
      expect(again.stderr).to.contain('configmaps "created" already exists');
    });

    it('create namespace|configmap|secret|deployment: the imperative commands (sent as protobuf) work', async () => {
      expect((await kubectl.run(['create', 'namespace', 'imperative'])).stdout.trim()).to.equal(
        'namespace/imperative created',
      );
      const cm = await kubectl.run(['create', 'configmap', 'cfg', '-n', 'imperative', '--from-literal=k=v']);
      expect(cm.status, cm.stderr).to.equal(0);
      expect(cluster.api.get(CONFIGMAPS, 'imperative', 'cfg').data).to.deep.equal({ k: 'v' });
      const secret = await kubectl.run([
        'create',
        'secret',
        'generic',
        'sec',
        '-n',
        'imperative',
        '--from-literal=p=s3cret',
      ]);
      expect(secret.status, secret.stderr).to.equal(0);
      const stored = cluster.api.get({ group: '', version: 'v1', resource: 'secrets' }, 'imperative', 'sec');
      expect(stored.type).to.equal('Opaque');
      expect(stored.data).to.deep.equal({ p: Buffer.from('s3cret').toString('base64') });
      const deployment = await kubectl.run([
        'create',
        'deployment',
        'imperative',
        '-n',
        'imperative',
        '--image=nginx',
        '--replicas=0',
      ]);
      expect(deployment.status, deployment.stderr).to.equal(0);
      const spec = cluster.api.get(
        { group: 'apps', version: 'v1', resource: 'deployments' },
        'imperative',
        'imperative',
      ).spec as { replicas: number; template: { spec: { containers: { name: string; image: string }[] } } };
      expect(spec.replicas, 'a pointer field set to zero stays zero').to.equal(0);
      expect(spec.template.spec.containers).to.have.length(1);
      expect(spec.template.spec.containers[0]).to.include({ name: 'nginx', image: 'nginx' });
    });

    it('apply: creates with default validation, then re-applies a custom resource', async () => {
      const file = kubectl.file(
        'widget.yaml',
        'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: applied\nspec:\n  size: 1\n  color: red\n',
      );
      const first = await kubectl.run(['apply', '-f', file]);
      expect(first.status, first.stderr).to.equal(0);
      expect(first.stdout.trim()).to.equal('widget.example.com/applied created');
      kubectl.file(
        'widget.yaml',
        'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: applied\nspec:\n  size: 2\n',
      );
      const second = await kubectl.run(['apply', '-f', file]);
      expect(second.status, second.stderr).to.equal(0);
      expect(second.stdout.trim()).to.equal('widget.example.com/applied configured');
      const w = cluster.api.get(WIDGETS, 'default', 'applied');
      expect(w.spec).to.deep.equal({ size: 2 });
      expect(w.metadata.generation).to.equal(2);
      expect(w.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).to.contain(
        '"size":2',
      );
    });

    it('apply: default (Strict) validation rejects fields the custom resource schema does not declare', async () => {
      const file = kubectl.file(
        'typo.yaml',
        'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: typo\nspec:\n  size: 1\n  colour: red\n',
      );
      const r = await kubectl.run(['apply', '-f', file]);
      expect(r.status).to.equal(1);
      expect(r.stderr).to.contain('strict decoding error: unknown field "spec.colour"');
      const ignored = await kubectl.run(['apply', '--validate=false', '-f', file]);
      expect(ignored.status, ignored.stderr).to.equal(0);
      expect(cluster.api.get(WIDGETS, 'default', 'typo').spec).to.deep.equal({ size: 1 });
    });

    it('annotate: merge-patches the annotation in', async () => {
      cluster.api.create(CONFIGMAPS, 'default', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'annotated' },
      });
      const r = await kubectl.run(['annotate', 'configmap', 'annotated', 'team=storage']);
      expect(r.status, r.stderr).to.equal(0);
      expect(cluster.api.get(CONFIGMAPS, 'default', 'annotated').metadata.annotations).to.deep.equal({
        team: 'storage',
      });
    });

    it('patch: merge and JSON patch types', async () => {
      cluster.api.create(CONFIGMAPS, 'default', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'patched' },
        data: { a: '1' },
      });
      const merge = await kubectl.run([
        'patch',
        'configmap',
        'patched',
        '--type',
        'merge',
        '-p',
        '{"data":{"b":"2"}}',
      ]);
      expect(merge.status, merge.stderr).to.equal(0);
      const json = await kubectl.run([
        'patch',
        'configmap',
        'patched',
        '--type',
        'json',
        '-p',
        '[{"op":"remove","path":"/data/a"}]',
      ]);
      expect(json.status, json.stderr).to.equal(0);
      expect(cluster.api.get(CONFIGMAPS, 'default', 'patched').data).to.deep.equal({ b: '2' });
      const failed = await kubectl.run([
        'patch',
        'configmap',
        'patched',
        '--type',
        'json',
        '-p',
        '[{"op":"test","path":"/data/b","value":"x"}]',
      ]);
      expect(failed.status).to.equal(1);
    });

    it('patch: strategic merge by container name, and re-apply of a built-in kind with $setElementOrder', async () => {
      const deployment = (initContainers: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
${initContainers}      containers:
      - name: app
        image: nginx:1.27
`;
      const file = kubectl.file('deploy.yaml', deployment(''));
      const first = await kubectl.run(['apply', '-f', file]);
      expect(first.status, first.stderr).to.equal(0);
      kubectl.file(
        'deploy.yaml',
        deployment('      initContainers:\n      - name: hook\n        image: busybox\n'),
      );
      const second = await kubectl.run(['apply', '-f', file]);
      expect(second.status, second.stderr).to.equal(0);
      expect(second.stdout.trim()).to.equal('deployment.apps/web configured');
      const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };
      type Spec = {
        template: {
          spec: {
            initContainers: { name: string; imagePullPolicy: string }[];
            containers: { name: string; image: string }[];
          };
        };
      };
      let spec = cluster.api.get(DEPLOYMENTS, 'default', 'web').spec as Spec;
      expect(spec.template.spec.initContainers.map((c) => c.name)).to.deep.equal(['hook']);
      expect(spec.template.spec.initContainers[0]!.imagePullPolicy).to.equal('Always');
      expect(cluster.api.get(DEPLOYMENTS, 'default', 'web').metadata.generation).to.equal(2);

      const smp = await kubectl.run([
        'patch',
        'deployment',
        'web',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.28"}]}}}}',
      ]);
      expect(smp.status, smp.stderr).to.equal(0);
      spec = cluster.api.get(DEPLOYMENTS, 'default', 'web').spec as Spec;
      expect(spec.template.spec.containers).to.have.length(1);
      expect(spec.template.spec.containers[0]!.image).to.equal('nginx:1.28');
      expect(spec.template.spec.initContainers.map((c) => c.name)).to.deep.equal(['hook']);
    });

    it('apply --server-side: creates, updates, and reports a conflict with another manager unless forced', async () => {
      const cm = (value: string) =>
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  key: "${value}"\n`;
      const file = kubectl.file('ssa.yaml', cm('one'));
      const created = await kubectl.run(['apply', '--server-side', '-f', file]);
      expect(created.status, created.stderr).to.equal(0);
      expect(created.stdout.trim()).to.equal('configmap/ssa serverside-applied');
      let live = cluster.api.get(CONFIGMAPS, 'default', 'ssa');
      expect(live.data).to.deep.equal({ key: 'one' });
      expect(
        (live.metadata.managedFields as { manager: string; operation: string }[]).map((m) => [
          m.manager,
          m.operation,
        ]),
      ).to.deep.equal([['kubectl', 'Apply']]);
      kubectl.file('ssa.yaml', cm('two'));
      const conflict = await kubectl.run(['apply', '--server-side', '--field-manager=other', '-f', file]);
      expect(conflict.status).to.equal(1);
      expect(conflict.stderr).to.contain('conflict');
      expect(cluster.api.get(CONFIGMAPS, 'default', 'ssa').data).to.deep.equal({ key: 'one' });
      const forced = await kubectl.run([
        'apply',
        '--server-side',
        '--field-manager=other',
        '--force-conflicts',
        '-f',
        file,
      ]);
      expect(forced.status, forced.stderr).to.equal(0);
      live = cluster.api.get(CONFIGMAPS, 'default', 'ssa');
      expect(live.data).to.deep.equal({ key: 'two' });
    });

    it('scale: writes spec.replicas through the scale subresource', async () => {
      const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };
      const r = await kubectl.run(['scale', 'deployment', 'web', '--replicas=4']);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout.trim()).to.equal('deployment.apps/web scaled');
      const d = cluster.api.get(DEPLOYMENTS, 'default', 'web');
      expect((d.spec as { replicas: number }).replicas).to.equal(4);
      const path = '/apis/apps/v1/namespaces/default/deployments/web/scale';
      const scale = JSON.parse((await kubectl.run(['get', '--raw', path])).stdout) as {
        spec: unknown;
        status: { selector: string };
        metadata: { resourceVersion: string };
      };
      expect(scale).to.deep.include({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 4 } });
      expect(scale.status.selector).to.equal('app=web');
      const staleFile = kubectl.file(
        'scale.json',
        JSON.stringify({
          ...scale,
          metadata: { ...scale.metadata, resourceVersion: '1' },
          spec: { replicas: 2 },
        }),
      );
      const stale = await kubectl.run(['replace', '--raw', path, '-f', staleFile]);
      expect(stale.status).to.equal(1);
      expect(stale.stderr).to.contain('the object has been modified');
      expect((cluster.api.get(DEPLOYMENTS, 'default', 'web').spec as { replicas: number }).replicas).to.equal(
        4,
      );
    });

    it('replace: refuses a stale resourceVersion with the Conflict message', async () => {
      cluster.api.create(CONFIGMAPS, 'default', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'replaced' },
        data: { a: '1' },
      });
      const stale = await kubectl.run(['get', 'configmap', 'replaced', '-o', 'json']);
      cluster.api.patch(CONFIGMAPS, 'default', 'replaced', 'application/merge-patch+json', {
        data: { a: '2' },
      });
      const obj = JSON.parse(stale.stdout) as { data: Record<string, string> };
      obj.data = { a: '3' };
      const file = kubectl.file('stale.json', JSON.stringify(obj));
      const r = await kubectl.run(['replace', '-f', file]);
      expect(r.status).to.equal(1);
      expect(r.stderr).to.contain(
        'Operation cannot be fulfilled on configmaps "replaced": the object has been modified; please apply your changes to the latest version and try again',
      );
      expect(cluster.api.get(CONFIGMAPS, 'default', 'replaced').data).to.deep.equal({ a: '2' });
    });

    it('delete: removes the object and returns once it is gone', async () => {
      cluster.api.create(CONFIGMAPS, 'default', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'deleted' },
      });
      const r = await kubectl.run(['delete', 'configmap', 'deleted']);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout.trim()).to.equal('configmap "deleted" deleted');
      expect(
        cluster.api.list(CONFIGMAPS, 'default', { fieldSelector: 'metadata.name=deleted' }).items,
      ).to.have.length(0);
    });

    it('delete: waits for finalizers to be removed', async () => {
      cluster.api.create(CONFIGMAPS, 'default', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'finalized', finalizers: ['example.com/hold'] },
      });
      const del = kubectl.start(['delete', 'configmap', 'finalized', '--timeout=20s']);
      await eventually(
        () =>
          cluster.api.get(CONFIGMAPS, 'default', 'finalized').metadata.deletionTimestamp ? true : undefined,
        'deletionTimestamp',
      );
      expect(del.exited()).to.equal(false);
      cluster.api.patch(CONFIGMAPS, 'default', 'finalized', 'application/merge-patch+json', {
        metadata: { finalizers: null },
      });
      const r = await del.result;
      expect(r.status, r.stderr).to.equal(0);
    });

    it('delete pod: a scheduled pod waits for its grace period until the node (kubelet) finishes it', async () => {
      const PODS = { group: '', version: 'v1', resource: 'pods' };
      cluster.api.create(PODS, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'graceful' },
        spec: { containers: [{ name: 'app', image: 'nginx' }], terminationGracePeriodSeconds: 45 },
      });
      cluster.api.create(
        PODS,
        'default',
        {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: 'graceful' },
          target: { kind: 'Node', name: 'node-1' },
        },
        { subresource: 'binding' },
      );
      const del = kubectl.start(['delete', 'pod', 'graceful', '--timeout=20s']);
      const terminating = await eventually(() => {
        const p = cluster.api.get(PODS, 'default', 'graceful');
        return p.metadata.deletionTimestamp ? p : undefined;
      }, 'deletionTimestamp');
      expect(terminating.metadata.deletionGracePeriodSeconds).to.equal(45);
      expect(del.exited()).to.equal(false);
      const table = await kubectl.run(['get', 'pod', 'graceful', '--no-headers']);
      expect(table.stdout.split(/\s+/)[2]).to.equal('Terminating');
      // What the simulated kubelet does once the containers have stopped:
      cluster.api.delete(PODS, 'default', 'graceful', { gracePeriodSeconds: 0 });
      const r = await del.result;
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout.trim()).to.equal('pod "graceful" deleted');
    });

    it('wait --for=condition: returns when the condition appears in status', async () => {
      const w = cluster.api.create(WIDGETS, 'default', {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'waited' },
      });
      const wait = kubectl.start(['wait', '--for=condition=Ready', 'widget/waited', '--timeout=20s']);
      await new Promise((r) => setTimeout(r, 300));
      cluster.api.update(
        WIDGETS,
        'default',
        'waited',
        { ...w, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
        { subresource: 'status' },
      );
      const r = await wait.result;
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout.trim()).to.equal('widget.example.com/waited condition met');
    });

    it('get -w: streams changes and keeps watching until stopped', async () => {
      cluster.api.create(CONFIGMAPS, 'default', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'watched-1' },
      });
      const watch = kubectl.start(['get', 'configmaps', '-w', '-o', 'name']);
      try {
        await eventually(
          () => (watch.output().includes('configmap/watched-1') ? true : undefined),
          'the initial list',
        );
        cluster.api.create(CONFIGMAPS, 'default', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'watched-2' },
        });
        await eventually(
          () => (watch.output().includes('configmap/watched-2') ? true : undefined),
          'the watched create',
        );
        expect(watch.exited()).to.equal(false);
      } finally {
        watch.child.kill('SIGTERM');
        await watch.result;
      }
    });
  });
}
