import { expect } from 'chai';
import { mayHaveUnmarkedReplicaSets } from '../../src/cli/status/collect.ts';
import { RESTORE_LABEL } from '../../src/controller/marks.ts';
import type { Workload } from '../../src/kube/types.ts';

const deployment = (generation: number | undefined, mark: string | undefined): Workload =>
  ({
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'app', ...(generation !== undefined ? { generation } : {}) },
    spec: {
      selector: { matchLabels: { app: 'd' } },
      template: {
        metadata: { labels: { app: 'd', ...(mark !== undefined ? { [RESTORE_LABEL]: mark } : {}) } },
        spec: { containers: [] },
      },
    },
  }) as unknown as Workload;

describe('restore-hooks status: which restored Deployments need a ReplicaSet list', () => {
  const cases: [string, Workload, boolean][] = [
    ['marked at creation, never changed: every ReplicaSet has the mark', deployment(1, 'r2'), false],
    [
      'marked, then changed (a template patch or a scale): earlier ReplicaSets may lack it',
      deployment(2, 'r2'),
      true,
    ],
    ['marked for another Restore', deployment(1, 'r1'), true],
    ['not marked (template path, or restored before admission)', deployment(1, undefined), true],
    ['no generation reported', deployment(undefined, 'r2'), true],
  ];
  for (const [what, d, expected] of cases)
    it(`${what}: ${expected ? 'list' : 'no list'}`, () =>
      expect(mayHaveUnmarkedReplicaSets(d, 'r2')).to.equal(expected));
});
