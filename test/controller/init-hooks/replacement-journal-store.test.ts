import { IsomorphicFetchHttpLibrary, KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { KubeJsonClient } from '../../../src/controller/kube-json-client.ts';
import {
  LEGACY_JOURNAL_NAME,
  REPLACEMENT_JOURNAL_LABEL,
  ReplacementJournalStore,
  journalEntryName,
} from '../../../src/controller/init-hooks/replacement-journal-store.ts';
import type { JournalEntry } from '../../../src/controller/init-hooks/replacement-journal.ts';
import { startDevCluster } from '../../../src/devcluster/index.ts';
import type { DevCluster } from '../../../src/devcluster/index.ts';

describe('replacement journal store (a ConfigMap per entry, over HTTPS, devcluster)', () => {
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

  const list = async () =>
    (
      await client.request<{ items: { metadata: { name: string; labels?: Record<string, string> } }[] }>({
        method: 'GET',
        path: '/api/v1/namespaces/restore-hooks/configmaps',
      })
    ).items;

  it('keeps each entry in a ConfigMap of its own, named after the replaced pod’s uid, and lists them all', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `pod-${i}`);
    await Promise.all(names.map((n) => store.put(entry(n))));
    const entries = await store.entries();
    expect(entries.map((e) => e.name).sort()).to.deep.equal([...names].sort());
    expect(entries.find((e) => e.name === 'pod-3')).to.deep.equal(entry('pod-3'));
    const objects = await list();
    expect(objects.map((o) => o.metadata.name).sort()).to.deep.equal(
      names.map((n) => journalEntryName(`uid-${n}`)).sort(),
    );
    expect(objects.every((o) => o.metadata.labels?.[REPLACEMENT_JOURNAL_LABEL] === 'true')).to.equal(true);
  });

  it('names entries within the rules of an object name', () => {
    const name = journalEntryName('0c6a2d4e-7f0b-4c8e-9a51-2b3c4d5e6f70');
    expect(name).to.match(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(name.length).to.be.at.most(253);
  });

  it('answers a second put for the same pod with the entry already stored', async () => {
    const first = entry('twice');
    await store.put(first);
    const changed: JournalEntry = {
      ...first,
      replacement: {
        ...first.replacement,
        metadata: { name: 'twice', namespace: 'app', labels: { x: 'y' } },
      },
    };
    expect(await store.put(changed)).to.deep.equal(first);
    expect(await store.entries()).to.deep.equal([first]);
  });

  it('removes entries concurrently without touching the others, and removing an absent one is no error', async () => {
    await store.remove(entry('nothing-yet'));
    const names = Array.from({ length: 10 }, (_, i) => `pod-${i}`);
    for (const n of names) await store.put(entry(n));
    await Promise.all(names.slice(0, 5).map((n) => store.remove(entry(n))));
    await store.remove(entry('never-written'));
    expect((await store.entries()).map((e) => e.name).sort()).to.deep.equal(names.slice(5).sort());
  });

  it('ignores ConfigMaps without the label and labelled values it did not write', async () => {
    await store.put(entry('kept'));
    const configMap = (name: string, labels: Record<string, string>, data: Record<string, string>) =>
      client.request({
        method: 'POST',
        path: '/api/v1/namespaces/restore-hooks/configmaps',
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data },
      });
    await configMap('unlabelled', {}, { entry: JSON.stringify(entry('unlabelled')) });
    await configMap('hand-edit', { [REPLACEMENT_JOURNAL_LABEL]: 'true' }, { entry: 'not json' });
    await configMap('half', { [REPLACEMENT_JOURNAL_LABEL]: 'true' }, { entry: '{"namespace":"app"}' });
    expect((await store.entries()).map((e) => e.name)).to.deep.equal(['kept']);
  });

  it('keeps the newest entry of a pod name and deletes older ones (finished replacements whose removal failed)', async () => {
    const older: JournalEntry = { ...entry('same'), replacedUID: 'uid-first' };
    const newer: JournalEntry = { ...entry('same'), replacedUID: 'uid-second' };
    await store.put(older);
    // creationTimestamp has whole seconds: record the newer one in a later second.
    const first = Math.floor(Date.now() / 1000);
    while (Math.floor(Date.now() / 1000) === first) await new Promise((r) => setTimeout(r, 50));
    await store.put(newer);
    expect(await store.entries()).to.deep.equal([newer]);
    expect((await list()).map((o) => o.metadata.name)).to.deep.equal([journalEntryName('uid-second')]);
  });

  it('adopts the single ConfigMap of an earlier build: its entries get their own, and it is deleted', async () => {
    const old = [entry('old-a'), entry('old-b')];
    await client.request({
      method: 'POST',
      path: '/api/v1/namespaces/restore-hooks/configmaps',
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: LEGACY_JOURNAL_NAME },
        data: Object.fromEntries([...old.map((e) => [`app.${e.name}`, JSON.stringify(e)]), ['junk', '{']]),
      },
    });
    await store.put(entry('new'));
    expect((await store.entries()).map((e) => e.name).sort()).to.deep.equal(['new', 'old-a', 'old-b']);
    expect((await list()).map((o) => o.metadata.name)).to.not.include(LEGACY_JOURNAL_NAME);
    // Loading again finds the same entries (adoption happens once).
    expect((await store.entries()).find((e) => e.name === 'old-b')).to.deep.equal(old[1]);
  });
});
