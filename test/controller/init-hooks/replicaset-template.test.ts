import { expect } from 'chai';
import { equalIgnoringHash } from '../../../src/controller/init-hooks/replicaset-template.ts';
import type { PodTemplateSpec } from '../../../src/kube/types.ts';

const template = (labels: Record<string, string>, extra: Partial<PodTemplateSpec['spec']> = {}) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'app', image: 'nginx' }], ...extra },
});

describe('equalIgnoringHash (EqualIgnoreHash)', () => {
  const table: Array<[string, PodTemplateSpec, PodTemplateSpec, boolean]> = [
    [
      'the hash label is ignored',
      template({ app: 'a', 'pod-template-hash': 'x1' }),
      template({ app: 'a' }),
      true,
    ],
    [
      'two different hashes too',
      template({ app: 'a', 'pod-template-hash': 'x1' }),
      template({ app: 'a', 'pod-template-hash': 'y2' }),
      true,
    ],
    ['any other label counts', template({ app: 'a', tier: 'web' }), template({ app: 'a' }), false],
    [
      'the spec counts',
      template({ app: 'a' }, { initContainers: [{ name: 'h', image: 'busybox' }] }),
      template({ app: 'a' }),
      false,
    ],
    [
      'key order does not',
      { spec: { containers: [{ image: 'nginx', name: 'app' }] }, metadata: { labels: { app: 'a' } } },
      template({ app: 'a' }),
      true,
    ],
    [
      'an empty annotation map equals none',
      { ...template({ app: 'a' }), metadata: { labels: { app: 'a' }, annotations: {} } },
      template({ app: 'a' }),
      true,
    ],
    [
      'labels that are only the hash equal no labels',
      template({ 'pod-template-hash': 'x1' }),
      { spec: template({}).spec },
      true,
    ],
  ];
  for (const [title, a, b, want] of table) it(title, () => expect(equalIgnoringHash(a, b)).to.equal(want));
});
