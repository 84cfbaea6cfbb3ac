import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import fc from 'fast-check';
import {
  FixtureError,
  globMatches,
  loadBackupFixture,
  planRestore,
  veleroLabelValue,
} from '../../../src/devcluster/velero/index.ts';

const SAMPLES = fileURLToPath(new URL('../../../config/samples/backups', import.meta.url));
const keyOf = (o: { kind: string; metadata: { namespace?: string; name?: string } }) =>
  `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

describe('devcluster Velero restore plan (pure)', () => {
  it('restores backup b2 in Velero order: namespaces, PVCs, pods, ReplicaSets, then the other workloads', async () => {
    const backup = await loadBackupFixture(SAMPLES, 'b2');
    const plan = planRestore(backup, 'r2', { backupName: 'b2', includedNamespaces: ['*'] });
    expect(plan.objects.map((p) => keyOf(p.object))).to.deep.equal([
      'Namespace/app',
      'Namespace/other',
      'PersistentVolumeClaim/app/pvc1-vm',
      'PersistentVolumeClaim/app/pvc2-vm',
      'Pod/app/agent-4t8zq',
      'Pod/app/db-0',
      'Pod/app/standalone',
      'Pod/app/web-5d8f7c9b6d-q9m4w',
      'Pod/app/web-5d8f7c9b6d-x7k2p',
      'Pod/other/annotated',
      'Pod/other/exec-annotated',
      'Pod/other/plain',
      'ReplicaSet/app/web-5d8f7c9b6d',
      'ControllerRevision/app/agent-7b9c6d5f4',
      'ControllerRevision/app/db-6c9d8f7b5',
      'DaemonSet/app/agent',
      'Deployment/app/web',
      'StatefulSet/app/db',
    ]);
    expect(plan.skipped).to.deep.equal([]);
  });

  it('keeps only name, namespace, labels and annotations, drops status, and labels every object', async () => {
    const backup = await loadBackupFixture(SAMPLES, 'b2');
    const plan = planRestore(backup, 'r2', { backupName: 'b2' });
    const pod = plan.objects.find((p) => keyOf(p.object) === 'Pod/app/web-5d8f7c9b6d-x7k2p')!.object;
    expect(pod.metadata).to.deep.equal({
      name: 'web-5d8f7c9b6d-x7k2p',
      namespace: 'app',
      labels: {
        app: 'web',
        'pod-template-hash': '5d8f7c9b6d',
        'velero.io/backup-name': 'b2',
        'velero.io/restore-name': 'r2',
      },
      annotations: { 'devcluster.restore-hooks.io/start-seconds': '5' },
    });
    expect(pod).to.not.have.property('status');
    expect(pod).to.not.have.nested.property('spec.nodeName');
    const original = backup.find((o) => keyOf(o) === 'Pod/app/web-5d8f7c9b6d-x7k2p')!;
    expect(original.metadata.ownerReferences).to.have.length(1);
    expect(original).to.have.nested.property('spec.nodeName', 'node-1');
  });

  it('applies namespace mapping to namespaced objects and to Namespace names', async () => {
    const backup = await loadBackupFixture(SAMPLES, 'b2');
    const plan = planRestore(backup, 'r3', {
      backupName: 'b2',
      includedNamespaces: ['app'],
      namespaceMapping: { app: 'app-copy' },
    });
    const keys = plan.objects.map((p) => keyOf(p.object));
    expect(keys).to.include.members(['Namespace/app-copy', 'Pod/app-copy/db-0', 'Deployment/app-copy/web']);
    expect(keys.some((k) => k.includes('/other'))).to.equal(false);
    expect(plan.skipped.map((s) => s.name)).to.include.members(['other', 'annotated', 'plain']);
  });

  it('filters namespaces by glob with excludes winning, and resources by name', () => {
    const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const cm = (namespace: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace },
    });
    const backup = [ns('app-1'), ns('app-2'), ns('db'), cm('app-1'), cm('app-2'), cm('db')];
    const plan = planRestore(backup, 'r', {
      includedNamespaces: ['app-*'],
      excludedNamespaces: ['app-2'],
      excludedResources: ['configmaps'],
    });
    expect(plan.objects.map((p) => keyOf(p.object))).to.deep.equal(['Namespace/app-1']);
    expect(plan.skipped.map((s) => s.reason)).to.include('excluded by the restore resource filters');
  });

  it('never restores nodes, events or Velero objects, and skips cluster resources for a namespace-limited restore', () => {
    const plan = planRestore(
      [
        { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' } },
        { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'app' } },
        { apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r', namespace: 'velero' } },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'cr' } },
      ],
      'r',
      { includedNamespaces: ['app'] },
    );
    expect(plan.objects).to.deep.equal([]);
    expect(plan.skipped.map((s) => s.reason)).to.deep.equal([
      'nodes are never restored',
      'events are never restored',
      'restores.velero.io are never restored',
      'cluster-scoped resources are not included',
    ]);
  });

  it('shortens label values over 63 characters as Velero does', () => {
    const long = 'a'.repeat(70);
    const value = veleroLabelValue(long);
    expect(value).to.have.length(63);
    expect(value.slice(0, 57)).to.equal('a'.repeat(57));
    expect(value.slice(57)).to.match(/^[0-9a-f]{6}$/);
    expect(veleroLabelValue('a'.repeat(63))).to.equal('a'.repeat(63));
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        expect(veleroLabelValue(s).length).to.be.at.most(63);
      }),
    );
  });

  const globs: [string, string, boolean][] = [
    ['*', 'anything', true],
    ['app-*', 'app-1', true],
    ['app-*', 'app', false],
    ['a?p', 'app', true],
    ['app.x', 'appxx', false],
  ];
  for (const [pattern, value, expected] of globs) {
    it(`glob ${pattern} ${expected ? 'matches' : 'does not match'} ${value}`, () =>
      expect(globMatches(pattern, value)).to.equal(expected));
  }

  describe('fixtures', () => {
    let dir: string;
    before(async () => (dir = await mkdtemp(join(tmpdir(), 'fixtures-'))));
    after(async () => rm(dir, { recursive: true, force: true }));

    it('names the file and document of a bad manifest', async () => {
      await mkdir(join(dir, 'bad'));
      await writeFile(
        join(dir, 'bad', 'x.yaml'),
        'apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\n---\nkind: Pod\n',
      );
      const error = await loadBackupFixture(dir, 'bad').catch((e: unknown) => e);
      expect(error).to.be.instanceOf(FixtureError);
      expect((error as Error).message).to.equal('bad/x.yaml (document 2): apiVersion is required');
    });

    it('reports a missing backup and an invalid backup name', async () => {
      expect(((await loadBackupFixture(dir, 'nope').catch((e: unknown) => e)) as Error).message).to.match(
        /^backup "nope" not found/,
      );
      expect(((await loadBackupFixture(dir, '../etc').catch((e: unknown) => e)) as Error).message).to.equal(
        'spec.backupName: "../etc" is not a valid backup name',
      );
    });

    it('expands List documents', async () => {
      await mkdir(join(dir, 'list'));
      await writeFile(
        join(dir, 'list', 'l.json'),
        JSON.stringify({
          kind: 'List',
          items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'n' } }],
        }),
      );
      expect((await loadBackupFixture(dir, 'list')).map(keyOf)).to.deep.equal(['ConfigMap/n/a']);
    });
  });
});
