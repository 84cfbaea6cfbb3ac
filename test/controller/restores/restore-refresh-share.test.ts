import { expect } from 'chai';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.ts';
import { EventRecorder } from '../../../src/controller/events.ts';
import type { KubeJsonClient } from '../../../src/controller/kube-json-client.ts';
import { silentLogger } from '../../../src/controller/machinery/logger.ts';
import { RestoreDirectory } from '../../../src/controller/restore-directory.ts';
import type { RestoreObject } from '../../../src/controller/restore-directory.ts';
import { RestoreReconciler } from '../../../src/controller/restores/restore-reconciler.ts';
import { restoreR2 } from '../../helpers/restore-fixtures.ts';

/**
 * A Restore's status refresh counts its workloads and pods, which takes time in proportion to them: the next refresh
 * waits for the time the last count took divided by `refreshShare` (at most 5 s), so a large restore's counting takes
 * at most that share of a core, however many of its objects change.
 */
describe('Restore status refreshes: bounded to a share of a core', () => {
  const ctx = { reconcileID: 'r', logger: silentLogger, signal: new AbortController().signal };

  /** A reconciler whose tally takes `costMs` on the monotonic clock; `at(t)` reconciles at wall time t. */
  function reconcilerWith(costMs: number, refreshShare?: number) {
    const restore = restoreR2({ phase: 'InProgress' }) as unknown as RestoreObject;
    restore.metadata.uid = 'uid-r2';
    const client = { request: async () => ({}) } as unknown as KubeJsonClient;
    let wall = 0;
    let monotonic = 0;
    let tallies = 0;
    const reconciler = new RestoreReconciler({
      getRestore: () => restore,
      listRestores: () => [restore],
      restores: new RestoreDirectory(() => [restore], DEFAULT_SETTINGS.policy),
      initHooksTally: () => {
        tallies++;
        monotonic += costMs;
        return { done: 0, pending: tallies, conflicts: 0, skippedPods: 0, invalid: [] };
      },
      client,
      events: new EventRecorder(client, { instance: 'refresh-share-test', logger: silentLogger }),
      hookWindowMs: DEFAULT_SETTINGS.hookWindow,
      now: () => wall,
      elapsed: () => monotonic,
      ...(refreshShare !== undefined ? { refreshShare } : {}),
    });
    return {
      at: async (t: number) => {
        wall = t;
        const before = tallies;
        const result = await reconciler.reconcile('velero/r2', ctx);
        return { counted: tallies > before, requeueAfterMs: result ? result.requeueAfterMs : undefined };
      },
    };
  }

  const cases: [string, number, number | undefined, [number, boolean, number | undefined][]][] = [
    [
      'a refresh of 200 ms, the default share (0.1): the next counts 2 s later, and a reconcile before waits for it',
      200,
      undefined,
      [
        [0, true, undefined],
        [500, false, 1500],
        [1999, false, 1],
        [2000, true, undefined],
        [3000, false, 1000],
      ],
    ],
    [
      'a refresh of 2 ms: the next may count 20 ms later',
      2,
      undefined,
      [
        [0, true, undefined],
        [10, false, 10],
        [20, true, undefined],
      ],
    ],
    [
      'a refresh of 2 s: the next within 5 s all the same',
      2000,
      undefined,
      [
        [0, true, undefined],
        [4000, false, 1000],
        [5000, true, undefined],
      ],
    ],
    [
      'a share of a whole core (1): the next as soon as the last one took',
      200,
      1,
      [
        [0, true, undefined],
        [100, false, 100],
        [200, true, undefined],
      ],
    ],
  ];
  for (const [title, costMs, share, steps] of cases)
    it(title, async () => {
      const r = reconcilerWith(costMs, share);
      const seen = [];
      for (const [t] of steps) seen.push([t, ...Object.values(await r.at(t))]);
      expect(seen).to.deep.equal(steps);
    });
});
