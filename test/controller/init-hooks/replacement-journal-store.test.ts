import { IsomorphicFetchHttpLibrary, KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { KubeJsonClient } from '../../../src/controller/kube-json-client.ts';
import { ReplacementJournalStore } from '../../../src/controller/init-hooks/replacement-journal-store.ts';
import type { JournalEntry } from '../../../src/controller/init-hooks/replacement-journal.ts';
import { startDevCluster } from '../../../src/devcluster/index.ts';
import type { DevCluster } from '../../../src/devcluster/index.ts';

describe('replacement journal store (ConfigMap over HTTPS, devcluster)', () => {
  let cluster: DevCluster;
  let client: KubeJsonClient;
  let store: ReplacementJournalStore;
  beforeEach(async () => {
    cluster = await startDevCluster({ crdDirectory: false });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(cluster.kubeconfig());
    client = new KubeJsonClient(kubeConfig, new IsomorphicFetchHttpLibrary());
    await client.request({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'restore-hooks' } },
    });
    store = new ReplacementJournalStore(client, 'restore-hooks');
  });
  afterEach(() => cluster.stop());

  const entry = (name: string): JournalEntry => ({
    namespace: 'app',
    name,
    replacedUID: `uid-${name}`,
    replacement: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'app' },
      spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
    },
  });

  it('keeps every entry written concurrently, the first of them creating the ConfigMap', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `pod-${i}`);
    await Promise.all(names.map((n) => store.put(entry(n))));
    const entries = await store.entries();
    expect(entries.map((e) => e.name).sort()).to.deep.equal([...names].sort());
    expect(entries.find((e) => e.name === 'pod-3')).to.deep.equal(entry('pod-3'));
  });

  it('removes entries concurrently without losing the others, and removing an absent one is no error', async () => {
    await store.remove('app', 'nothing-yet'); // no ConfigMap at all
    const names = Array.from({ length: 10 }, (_, i) => `pod-${i}`);
    for (const n of names) await store.put(entry(n));
    await Promise.all(names.slice(0, 5).map((n) => store.remove('app', n)));
    await store.remove('app', 'never-written');
    expect((await store.entries()).map((e) => e.name).sort()).to.deep.equal(names.slice(5).sort());
  });

  it('ignores values it did not write', async () => {
    await store.put(entry('kept'));
    await client.request({
      method: 'PATCH',
      path: '/api/v1/namespaces/restore-hooks/configmaps/restore-hooks-replacements',
      contentType: 'application/merge-patch+json',
      body: { data: { 'hand.edit': 'not json', 'other.thing': '{"namespace":"app"}' } },
    });
    expect((await store.entries()).map((e) => e.name)).to.deep.equal(['kept']);
  });
});
