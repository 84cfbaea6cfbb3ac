import { expect } from 'chai';
import { buildStatusReport } from '../../../src/cli/status/report.ts';
import { collectStatusInputs } from '../../../src/cli/status/collect.ts';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.ts';
import { EventRecorder } from '../../../src/controller/events.ts';
import { silentLogger } from '../../../src/controller/machinery/logger.ts';
import type { Logger } from '../../../src/controller/machinery/logger.ts';
import { RestoreDirectory } from '../../../src/controller/restore-directory.ts';
import type { RestoreObject } from '../../../src/controller/restore-directory.ts';
import { RestoreReconciler } from '../../../src/controller/restores/restore-reconciler.ts';
import { eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { restoreR2 } from '../../helpers/restore-fixtures.ts';

const TYPO_HOOKS = {
  resources: [{ name: 'h', includedNamespaces: ['app'], postHook: [{ exec: { command: ['x'] } }] }],
};
const WARNING = 'unknown field spec.hooks.resources[0].postHook, did you mean postHooks?';

describe('a Restore with an unknown field in spec.hooks (devcluster)', function () {
  this.timeout(60_000);
  let env: ControllerEnv;
  before(async () => (env = await startControllerEnv()));
  after(async () => env.stop());

  it("the API server prunes it (Velero's structural CRD), so status shows a Restore without hooks", async () => {
    await env.client.request({
      method: 'POST',
      path: '/apis/velero.io/v1/namespaces/velero/restores',
      body: restoreR2({ name: 'pruned', hooks: TYPO_HOOKS }),
    });
    const report = buildStatusReport(await collectStatusInputs(env.client, 'velero', 'pruned'));
    expect(report.skipped).to.deep.equal([]);
    expect(report.pods).to.deep.equal([]);
  });

  it('where the CRD keeps it, the controller logs it once per Restore and adds one UnknownField Event; status names the field', async () => {
    const created = await env.client.request<RestoreObject>({
      method: 'POST',
      path: '/apis/velero.io/v1/namespaces/velero/restores',
      body: restoreR2({ name: 'typo' }),
    });
    // What an informer delivers from a CRD with x-kubernetes-preserve-unknown-fields on spec.hooks.
    const restore: RestoreObject = { ...created, spec: { ...created.spec, hooks: TYPO_HOOKS } };
    const warnings: { message: string; meta: unknown }[] = [];
    const logger: Logger = {
      ...silentLogger,
      warn: (message, meta) => warnings.push({ message, meta }),
      child: () => logger,
    };
    const reconciler = new RestoreReconciler({
      getRestore: () => restore,
      listRestores: () => [restore],
      restores: new RestoreDirectory(() => [restore], DEFAULT_SETTINGS.policy),
      initHooksTally: () => ({ done: 0, pending: 0, conflicts: 0, skippedPods: 0, invalid: [] }),
      client: env.client,
      events: new EventRecorder(env.client, { instance: 'unknown-fields-test', logger: silentLogger }),
      hookWindowMs: DEFAULT_SETTINGS.hookWindow,
      now: Date.now,
    });
    const ctx = { reconcileID: 'r', logger, signal: new AbortController().signal };
    for (let i = 0; i < 3; i++) await reconciler.reconcile('velero/typo', ctx);

    expect(warnings.filter((w) => w.message === 'unknown field in the Restore')).to.deep.equal([
      {
        message: 'unknown field in the Restore',
        meta: { restore: 'velero/typo', field: 'spec.hooks.resources[0].postHook', warning: WARNING },
      },
    ]);
    const events = await eventually(async () => {
      const items = (
        await env.client.request<{ items: { reason: string; type: string; message: string }[] }>({
          method: 'GET',
          path: '/api/v1/namespaces/velero/events',
        })
      ).items.filter((e) => e.reason === 'UnknownField');
      return items.length > 0 ? items : undefined;
    }, 'the UnknownField Event');
    expect(events.map((e) => [e.type, e.message])).to.deep.equal([
      ['Warning', `${WARNING}. Velero ignores it, and so do restore-hooks.`],
    ]);

    const report = buildStatusReport({
      ...(await collectStatusInputs(env.client, 'velero', 'typo')),
      restore: restore as never,
    });
    expect(report.skipped).to.deep.equal([
      {
        object: 'Restore/velero/typo',
        reason: 'UnknownField',
        field: 'spec.hooks.resources[0].postHook',
        message: WARNING,
      },
    ]);
  });
});
