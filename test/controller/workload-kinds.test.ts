import { expect } from 'chai';
import { WORKLOAD_KINDS, isWorkloadKind } from '../../src/controller/workload-kinds.ts';

describe('workload kinds (the pod controllers whose templates get the hooks)', () => {
  const cases: [unknown, boolean][] = [
    ['Deployment', true],
    ['StatefulSet', true],
    ['DaemonSet', true],
    ['ReplicaSet', true],
    ['Pod', false],
    ['Job', false],
    ['CronJob', false],
    ['deployment', false],
    ['', false],
    [undefined, false],
  ];
  for (const [kind, want] of cases)
    it(`${JSON.stringify(kind)} -> ${want}`, () => expect(isWorkloadKind(kind)).to.equal(want));

  it('lists each kind once', () => {
    expect(new Set(WORKLOAD_KINDS).size).to.equal(WORKLOAD_KINDS.length);
  });
});
