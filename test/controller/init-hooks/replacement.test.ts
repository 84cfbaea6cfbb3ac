import { expect } from 'chai';
import { replacementPod } from '../../../src/controller/init-hooks/replacement.ts';
import type { Pod } from '../../../src/kube/types.ts';

describe('replacementPod', () => {
  const original: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'bare',
      namespace: 'app',
      uid: 'u1',
      resourceVersion: '42',
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { app: 'x', 'velero.io/restore-name': 'r2' },
      annotations: { note: 'kept' },
      finalizers: ['example.com/keep'],
    },
    spec: {
      nodeName: 'node-1',
      initContainers: [
        { name: 'restore-wait', image: 'velero/restore-helper' },
        { name: 'own', image: 'busybox' },
      ],
      containers: [{ name: 'app', image: 'nginx' }],
      volumes: [{ name: 'pvc1-vm', persistentVolumeClaim: { claimName: 'pvc1' } }],
    },
    status: { phase: 'Pending' },
  };
  const hooks = [
    { name: 'restore-wait', image: 'velero/restore-helper' },
    { name: 'hook', image: 'alpine', command: ['date'] },
    { name: 'own', image: 'busybox' },
  ];
  const got = replacementPod(original, hooks, {
    labels: { 'restore-hooks.io/restore': 'r2' },
    annotations: { 'restore-hooks.io/injected-hooks': '{}' },
  });

  it('drops server-set metadata and status', () => {
    expect(got.metadata).to.not.have.any.keys('uid', 'resourceVersion', 'creationTimestamp');
    expect(got).to.not.have.property('status');
  });

  it('keeps everything else, adding the marks', () => {
    expect(got.metadata.name).to.equal('bare');
    expect(got.metadata.finalizers).to.deep.equal(['example.com/keep']);
    expect(got.metadata.labels).to.deep.equal({
      app: 'x',
      'velero.io/restore-name': 'r2',
      'restore-hooks.io/restore': 'r2',
    });
    expect(got.metadata.annotations).to.deep.equal({ note: 'kept', 'restore-hooks.io/injected-hooks': '{}' });
    expect(got.spec.containers).to.deep.equal(original.spec.containers);
    expect(got.spec.volumes).to.deep.equal(original.spec.volumes);
    expect(got.spec.nodeName).to.equal('node-1');
  });

  it('puts the given init containers in place', () => {
    expect(got.spec.initContainers).to.deep.equal(hooks);
  });

  it('does not share or change the original', () => {
    got.spec.containers[0]!.image = 'changed';
    expect(original.spec.containers[0]!.image).to.equal('nginx');
    expect(original.metadata.uid).to.equal('u1');
  });
});
