import { expect } from 'chai';
import {
  Indexer,
  NAMESPACE_INDEX,
  labelIndex,
  ownerUidIndex,
} from '../../../src/controller/machinery/indexer.ts';
import type { KubeObject } from '../../../src/controller/machinery/kube-object.ts';
import { objectKey, splitObjectKey } from '../../../src/controller/machinery/kube-object.ts';

const pod = (
  namespace: string,
  name: string,
  extra: Partial<NonNullable<KubeObject['metadata']>> = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace, name, ...extra },
});

describe('Indexer', () => {
  it('keys objects as namespace/name or name', () => {
    expect(objectKey(pod('app', 'web'))).to.equal('app/web');
    expect(objectKey({ metadata: { name: 'node-1' } })).to.equal('node-1');
    expect(() => objectKey({ metadata: {} })).to.throw('metadata.name');
    expect(splitObjectKey('app/web')).to.deep.equal({ namespace: 'app', name: 'web' });
    expect(splitObjectKey('node-1')).to.deep.equal({ name: 'node-1' });
  });

  it('indexes by namespace, owner uid and label value, and keeps indexes right on update and delete', () => {
    const indexer = new Indexer<KubeObject>({
      owner: ownerUidIndex({ controllerOnly: true }),
      restore: labelIndex('velero.io/restore-name'),
    });
    const owned = pod('app', 'a', {
      labels: { 'velero.io/restore-name': 'r1' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u-rs', controller: true },
        { apiVersion: 'v1', kind: 'Thing', name: 't', uid: 'u-other' },
      ],
    });
    indexer.upsert(owned);
    indexer.upsert(pod('app', 'b', { labels: { 'velero.io/restore-name': 'r2' } }));
    indexer.upsert(pod('other', 'c'));
    const names = (objects: KubeObject[]) => objects.map((o) => o.metadata?.name).sort();
    expect(names(indexer.byIndex(NAMESPACE_INDEX, 'app'))).to.deep.equal(['a', 'b']);
    expect(names(indexer.byIndex('owner', 'u-rs'))).to.deep.equal(['a']);
    expect(indexer.byIndex('owner', 'u-other'), 'controllerOnly ignores other owners').to.deep.equal([]);
    expect(names(indexer.byIndex('restore', 'r1'))).to.deep.equal(['a']);

    const previous = indexer.upsert(pod('app', 'a', { labels: { 'velero.io/restore-name': 'r2' } }));
    expect(previous).to.equal(owned);
    expect(indexer.byIndex('owner', 'u-rs')).to.deep.equal([]);
    expect(indexer.byIndex('restore', 'r1')).to.deep.equal([]);
    expect(names(indexer.byIndex('restore', 'r2'))).to.deep.equal(['a', 'b']);

    expect(indexer.delete('app/b')?.metadata?.name).to.equal('b');
    expect(indexer.delete('app/b')).to.equal(undefined);
    expect(names(indexer.byIndex('restore', 'r2'))).to.deep.equal(['a']);
    expect(indexer.size).to.equal(2);
    expect(indexer.keys().sort()).to.deep.equal(['app/a', 'other/c']);
  });

  it('rejects unknown and reserved index names', () => {
    expect(() => new Indexer<KubeObject>().byIndex('nope', 'x')).to.throw('unknown index "nope"');
    expect(() => new Indexer<KubeObject>({ namespace: () => [] })).to.throw('reserved');
  });
});
