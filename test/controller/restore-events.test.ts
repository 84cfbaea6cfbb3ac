import { expect } from 'chai';
import { DEFAULT_SETTINGS } from '../../src/config/settings.ts';
import { EventRecorder } from '../../src/controller/events.ts';
import type { KubeJsonClient } from '../../src/controller/kube-json-client.ts';
import { silentLogger } from '../../src/controller/machinery/logger.ts';
import { RestoreDirectory } from '../../src/controller/restore-directory.ts';
import type { RestoreObject } from '../../src/controller/restore-directory.ts';
import { RestoreReconciler } from '../../src/controller/restores/restore-reconciler.ts';
import { isoSecondsAgo, restoreR2 } from '../helpers/restore-fixtures.ts';

/** The Restore Events the reconciler posts, from a client that records every request and accepts it. */
function recordingClient() {
  const events: { reason: string; message: string }[] = [];
  const client = {
    request: async (r: { method: string; path: string; body?: { reason?: string; message?: string } }) => {
      if (r.method === 'POST' && r.path.endsWith('/events'))
        events.push({ reason: r.body?.reason ?? '', message: r.body?.message ?? '' });
      return {};
    },
  } as unknown as KubeJsonClient;
  return { client, events };
}

describe('Restore Events: HooksApplied', () => {
  const cases: [string, string, number][] = [
    [
      'while Velero still restores (InProgress), with no workload restored yet: nothing is said',
      'InProgress',
      0,
    ],
    ['once the Restore is Completed: the counts are said once', 'Completed', 1],
  ];
  for (const [title, phase, expected] of cases)
    it(title, async () => {
      const restore = restoreR2({
        phase,
        ...(phase === 'Completed' ? { completionTimestamp: isoSecondsAgo(5) } : {}),
      }) as unknown as RestoreObject;
      restore.metadata.uid = 'uid-r2';
      const { client, events } = recordingClient();
      const reconciler = new RestoreReconciler({
        getRestore: () => restore,
        listRestores: () => [restore],
        restores: new RestoreDirectory(() => [restore], DEFAULT_SETTINGS.policy),
        initHooksTally: () => ({ done: 0, pending: 0, conflicts: 0, skippedPods: 0, invalid: [] }),
        client,
        events: new EventRecorder(client, { instance: 'restore-events-test', logger: silentLogger }),
        hookWindowMs: DEFAULT_SETTINGS.hookWindow,
        now: Date.now,
      });
      await reconciler.reconcile('velero/r2', {
        reconcileID: 'r',
        logger: silentLogger,
        signal: new AbortController().signal,
      });
      await new Promise((resolve) => setImmediate(resolve));
      const applied = events.filter((e) => e.reason === 'HooksApplied');
      expect(applied).to.have.length(expected);
      if (expected > 0)
        expect(applied[0]!.message).to.equal(
          'Init hooks applied: 0 restored workload(s) hooked, 0 pod(s) skipped, 0 workload(s) in conflict.',
        );
    });
});
