import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SharedObjects } from '../../../src/controller/machinery/shared-objects.ts';
import type { KubeObject } from '../../../src/controller/machinery/kube-object.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const pod = (
  uid: string | undefined,
  resourceVersion: string | undefined,
  phase = 'Pending',
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'app', uid, resourceVersion },
  status: { phase },
});

describe('SharedObjects (one copy of each object version across informers)', () => {
  it('hands out the copy already held for the same uid and resourceVersion', () => {
    const shared = new SharedObjects();
    const first = shared.share(pod('u1', '5'));
    expect(shared.share(pod('u1', '5'))).to.equal(first);
    expect(shared.size).to.equal(1);
  });

  it('keeps versions and objects apart', () => {
    const shared = new SharedObjects();
    const v5 = shared.share(pod('u1', '5'));
    const v6 = pod('u1', '6', 'Running');
    expect(shared.share(v6)).to.equal(v6).and.not.equal(v5);
    const other = pod('u2', '5');
    expect(shared.share(other)).to.equal(other);
    expect(shared.size).to.equal(3);
  });

  it('passes objects without uid or resourceVersion through, unremembered', () => {
    const shared = new SharedObjects();
    for (const o of [pod(undefined, '5'), pod('u1', undefined), { kind: 'Status' }])
      expect(shared.share(o)).to.equal(o);
    expect(shared.size).to.equal(0);
  });

  it('forgets a version once no one holds its object', async function () {
    this.timeout(30_000);
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const shared = new SharedObjects();
    const kept = shared.share(pod('kept', '1'));
    for (let i = 0; i < 100; i++) shared.share(pod(`gone-${i}`, '1'));
    await waitFor(
      'the dropped versions to be forgotten',
      () => {
        gc();
        return shared.size === 1;
      },
      { timeoutMs: 20_000 },
    );
    expect(shared.share(pod('kept', '1'))).to.equal(kept);
  });
});
