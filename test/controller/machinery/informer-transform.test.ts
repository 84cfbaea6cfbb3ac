import { expect } from 'chai';
import { Informer } from '../../../src/controller/machinery/informer.ts';
import type { KubeObject } from '../../../src/controller/machinery/kube-object.ts';
import { stripManagedFields } from '../../../src/controller/machinery/kube-object.ts';
import { FakeClock, flushMicrotasks } from '../../helpers/fake-clock.ts';
import { MemoryListWatch } from '../../helpers/memory-list-watch.ts';

const managed = [{ manager: 'kubelet', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: {} }];
const pod = (name: string, rv: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace: 'app', name, resourceVersion: rv, labels: { a: 'b' }, managedFields: managed },
  spec: { containers: [{ name: 'app', image: 'nginx' }] },
});
const { managedFields: _dropped, ...strippedMeta } = pod('p', '1').metadata!;

describe('stripManagedFields', () => {
  it('drops metadata.managedFields and keeps everything else, without changing its input', () => {
    const input = pod('p', '1');
    const out = stripManagedFields(input);
    expect(out).to.deep.equal({ ...input, metadata: strippedMeta });
    expect(input.metadata?.managedFields).to.deep.equal(managed);
  });
  it('returns an object without managedFields as it is', () => {
    const input: KubeObject = { metadata: { name: 'x' } };
    expect(stripManagedFields(input)).to.equal(input);
  });
});

describe('Informer transform', () => {
  it('caches and hands out transformed objects, from the list and from every watch event', async () => {
    const lw = new MemoryListWatch();
    lw.objects = [pod('listed', '1')];
    lw.resourceVersion = '1';
    const informer = new Informer({
      name: 'pods',
      listWatch: lw,
      transform: stripManagedFields,
      clock: new FakeClock(),
    });
    const handed: KubeObject[] = [];
    informer.addEventHandler({
      onAdd: (o) => handed.push(o),
      onUpdate: (_old, o) => handed.push(o),
      onDelete: (o) => handed.push(o),
    });
    informer.start();
    try {
      await informer.waitForSync();
      await flushMicrotasks();
      const watch = lw.current();
      watch.onEvent({ type: 'ADDED', object: pod('watched', '2') });
      watch.onEvent({ type: 'MODIFIED', object: pod('watched', '3') });
      watch.onEvent({ type: 'DELETED', object: pod('listed', '4') });
      expect(handed.map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`)).to.deep.equal([
        'listed@1',
        'watched@2',
        'watched@3',
        'listed@4',
      ]);
      for (const o of [...handed, ...informer.store.list()])
        expect(o.metadata).to.not.have.property('managedFields');
      expect(informer.store.get('app/watched')?.spec).to.deep.equal(pod('watched', '3').spec);
    } finally {
      informer.stop();
    }
  });
});
