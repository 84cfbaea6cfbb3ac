import { expect } from 'chai';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.ts';
import type { Settings } from '../../../src/config/settings.ts';
import type { ExecRecord, HookEntry } from '../../../src/controller/exec-hooks/exec-record.ts';
import { parseExecRecord } from '../../../src/controller/exec-hooks/exec-record.ts';
import type { Pod } from '../../../src/kube/types.ts';
import { ledgerName } from '../../../src/controller/restores/ledger-store.ts';
import {
  CONTROLLER_NAMESPACE,
  FAST_LEADER_ELECTION,
  eventually,
  runReplica,
  startControllerEnv,
} from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { describeOnBeds } from '../../helpers/bed-suites.ts';
import { restoreR2, restoredLabels } from '../../helpers/restore-fixtures.ts';

interface EventObject {
  reason: string;
  message: string;
  type: string;
  involvedObject: { kind: string; name: string; namespace?: string };
}

const BEHAVIOUR = 'devcluster.restore-hooks.io';
const RECORD = 'restore-hooks.dev/exec-hooks';

interface ExecSpec {
  container?: string;
  command: string[];
  onError?: 'Continue' | 'Fail';
  execTimeout?: string;
  waitTimeout?: string;
  waitForReady?: boolean;
}

/** Restore r2 with only exec hooks, for namespace app. */
function execRestore(...execs: ExecSpec[]) {
  return restoreWith({}, ...execs);
}

function restoreWith(overrides: Parameters<typeof restoreR2>[0], ...execs: ExecSpec[]) {
  return restoreR2({
    ...overrides,
    hooks: {
      resources: [
        { name: 'exec-hooks', includedNamespaces: ['app'], postHooks: execs.map((exec) => ({ exec })) },
      ],
    },
  });
}

const sh = (script: string) => ['sh', '-c', script];

function pod(
  name: string,
  options: {
    annotations?: Record<string, string>;
    containers?: string[];
    labels?: Record<string, string>;
  } = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'app',
      labels: options.labels ?? restoredLabels(),
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: {
      containers: (options.containers ?? ['app']).map((c) => ({ name: c, image: 'busybox:1.36' })),
    },
  };
}

/** Velero's exec hooks are not used in these set-ups: restore-hooks runs the hooks of Velero's pods too. */
const RUN_VELERO_PODS: Partial<Settings> = {
  exec: { ...DEFAULT_SETTINGS.exec, veleroRestoredPods: 'Run' },
};

describeOnBeds(
  'controller: exec hooks end to end (client-node exec over HTTPS, RBAC of manifests/ enforced)',
  function (bed) {
    this.timeout(60_000);
    let env: ControllerEnv;

    beforeEach(async () => {
      env = await startControllerEnv({ bed: bed.kind, rbac: true, simulation: {}, conditionsCrd: true });
    });
    afterEach(async function () {
      if (this.currentTest?.state === 'failed' && process.env.DEBUG_LOGS)
        for (const l of env.logs) console.log(JSON.stringify(l));
      await env.stop();
    });

    /** Restores and restored pods are created by Velero. */
    const create = (path: string, body: unknown) =>
      env.velero.request<Record<string, unknown>>({ method: 'POST', path, body });
    const createRestore = (restore: unknown) =>
      create('/apis/velero.io/v1/namespaces/velero/restores', restore);
    const createPod = (body: unknown) => create('/api/v1/namespaces/app/pods', body);
    const getPod = (name: string) =>
      env.client.request<Pod>({ method: 'GET', path: `/api/v1/namespaces/app/pods/${name}` });
    const recordOf = async (name: string): Promise<ExecRecord | undefined> => {
      const parsed = parseExecRecord((await getPod(name)).metadata.annotations?.[RECORD]);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.record;
    };
    const entries = async (name: string): Promise<HookEntry[]> => {
      const record = await recordOf(name);
      return Object.keys(record?.hooks ?? {})
        .sort()
        .map((id) => record!.hooks[id]!);
    };
    /** Waits until the pod's record has `count` final entries; returns them sorted by hook id. */
    const finished = (name: string, count: number, timeoutMs?: number) =>
      eventually(
        async () => {
          const all = await entries(name);
          return all.filter((e) => e.result !== 'Retrying').length === count ? all : undefined;
        },
        `${count} final exec hook outcome(s) on pod ${name}`,
        timeoutMs,
      );
    const events = async (): Promise<EventObject[]> =>
      (
        await env.client.request<{ items: EventObject[] }>({
          method: 'GET',
          path: '/api/v1/namespaces/app/events',
        })
      ).items;
    const restoreEvents = async (): Promise<EventObject[]> =>
      (
        await env.client.request<{ items: EventObject[] }>({
          method: 'GET',
          path: '/api/v1/namespaces/velero/events',
        })
      ).items;
    /** Starts the controller and waits until its informers have synced and its controllers run. */
    const startSynced = async (overrides?: Partial<Settings>) => {
      await env.startController(overrides);
      await eventually(
        () => env.logs.some((l) => l.msg === 'controllers started'),
        'the controllers to start',
      );
    };
    /** The kubelet's exec runner: its in-memory container files and its history of commands. */
    const execRunner = () => env.bed.execRunner;
    const files = (podName: string, container = 'app') => execRunner().files('app', podName, container);

    it('runs a hook once the container runs and records success, an Event and the metrics', async () => {
      await createRestore(execRestore({ command: sh('echo restored >> /tmp/log; echo done') }));
      await createPod(pod('web'));
      await env.startController(RUN_VELERO_PODS);
      const [entry] = await finished('web', 1);
      expect(entry).to.include({ result: 'Succeeded', exitCode: 0, attempts: 1, stdout: 'done\n' });
      expect((await recordOf('web'))?.restore).to.equal('velero/r2');
      expect(files('web').get('/tmp/log')).to.equal('restored\n');
      const executed = await eventually(
        async () => (await events()).find((e) => e.reason === 'HookExecuted'),
        'a HookExecuted event',
      );
      expect(executed).to.deep.include({ type: 'Normal', involvedObject: executed.involvedObject });
      expect(executed.involvedObject).to.include({ kind: 'Pod', name: 'web' });
      expect(executed.message).to.contain('succeeded (exit code 0)');
      const metrics = await env.scrapeMetrics();
      expect(metrics).to.match(
        /^restore_hooks_hooks_executed_total\{restore="r2",namespace="app",kind="Pod",source="spec"\} 1$/m,
      );
      expect(metrics).to.match(/^restore_hooks_exec_hook_duration_seconds_count\{result="success"\} 1$/m);
    });

    it('claims the pods a restored Deployment creates (exec-only hooks) and runs the hooks there', async () => {
      await createRestore(execRestore({ command: sh('echo hi') }));
      await startSynced();
      await create('/apis/apps/v1/namespaces/app/deployments', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'app', labels: restoredLabels() },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] },
          },
        },
      });
      const name = await eventually(async () => {
        const pods = await env.client.request<{ items: Pod[] }>({
          method: 'GET',
          path: '/api/v1/namespaces/app/pods',
          query: { labelSelector: 'app=web' },
        });
        return pods.items[0]?.metadata.name;
      }, 'the Deployment to create a pod');
      const [entry] = await finished(name, 1);
      expect(entry).to.include({ result: 'Succeeded', stdout: 'hi\n' });
      expect((await getPod(name)).metadata.labels?.['restore-hooks.dev/restore']).to.equal('r2');
      const metrics = await env.scrapeMetrics();
      expect(metrics).to.match(
        /^restore_hooks_hooks_executed_total\{restore="r2",namespace="app",kind="Deployment",source="spec"\} 1$/m,
      );
    });

    it("leaves Velero's restored pods to Velero by default (exec.veleroRestoredPods: Skip)", async () => {
      await createRestore(execRestore({ command: sh('echo hi') }));
      await startSynced();
      await createPod(pod('velero-pod'));
      await eventually(
        async () =>
          /restore_hooks_hooks_skipped_total\{restore="r2",namespace="app",kind="Pod",reason="velero-runs-exec-hooks"\} 1/.test(
            await env.scrapeMetrics(),
          ),
        'the skip to be counted',
      );
      expect(await recordOf('velero-pod')).to.equal(undefined);
      expect(execRunner().history).to.have.length(0);
    });

    it('records a non-zero exit and goes on with the next hook (onError: Continue)', async () => {
      await createRestore(
        execRestore(
          { command: sh('cat /missing; exit 3'), onError: 'Continue' },
          { command: sh('echo second >> /tmp/log') },
        ),
      );
      await createPod(pod('web'));
      await env.startController(RUN_VELERO_PODS);
      const [first, second] = await finished('web', 2);
      expect(first).to.include({ result: 'Failed', reason: 'NonZeroExit', exitCode: 3 });
      expect(second).to.include({ result: 'Succeeded' });
      expect(files('web').get('/tmp/log')).to.equal('second\n');
      const failed = await eventually(
        async () => (await events()).find((e) => e.reason === 'HookFailed'),
        'a HookFailed event',
      );
      expect(failed.type).to.equal('Warning');
      expect(failed.message).to.contain('exit code 3');
      const onRestore = await eventually(
        async () => (await restoreEvents()).find((e) => e.reason === 'HookFailed'),
        'a HookFailed event on the Restore',
      );
      expect(onRestore.involvedObject).to.include({ kind: 'Restore', name: 'r2' });
      const metrics = await env.scrapeMetrics();
      expect(metrics).to.match(
        /^restore_hooks_hooks_failed_total\{restore="r2",namespace="app",kind="Pod",source="spec",type="exec"\} 1$/m,
      );
      expect(metrics).to.match(
        /^restore_hooks_hooks_executed_total\{restore="r2",namespace="app",kind="Pod",source="spec"\} 2$/m,
      );
    });

    it('stops the remaining hooks of that pod only after a failure with onError: Fail', async () => {
      await createRestore(
        execRestore({ command: sh('exit 3'), onError: 'Fail' }, { command: sh('echo second >> /tmp/log') }),
      );
      await createPod(pod('web'));
      await createPod(pod('other'));
      await env.startController(RUN_VELERO_PODS);
      for (const name of ['web', 'other']) {
        const [first, second] = await finished(name, 2);
        expect(first).to.include({ result: 'Failed', reason: 'NonZeroExit' });
        expect(second).to.include({ result: 'Failed', reason: 'NotRunAfterFailure', attempts: 0 });
        expect(files(name).get('/tmp/log')).to.equal(undefined);
      }
    });

    it('abandons a command still running at execTimeout', async () => {
      await createRestore(execRestore({ command: sh('echo started; sleep 600'), execTimeout: '1s' }));
      await createPod(pod('web'));
      await env.startController(RUN_VELERO_PODS);
      const [entry] = await finished('web', 1);
      expect(entry).to.include({ result: 'Failed', reason: 'ExecTimeout', stdout: 'started\n' });
      expect(entry!.exitCode).to.equal(undefined);
      expect(await env.scrapeMetrics()).to.match(
        /^restore_hooks_exec_hook_duration_seconds_count\{result="timeout"\} 1$/m,
      );
    });

    it('fails a hook whose container never starts once waitTimeout has passed', async () => {
      await createRestore(execRestore({ command: sh('echo hi'), waitTimeout: '1s' }));
      await createPod(pod('web', { annotations: { [`${BEHAVIOUR}/image-pull-failure`]: 'true' } }));
      await env.startController(RUN_VELERO_PODS);
      const [entry] = await finished('web', 1);
      expect(entry).to.include({ result: 'Failed', reason: 'WaitTimeout', attempts: 0 });
      const failed = await eventually(
        async () => (await events()).find((e) => e.reason === 'HookFailed'),
        'a HookFailed event',
      );
      expect(failed.message).to.contain('was not running within');
      expect(execRunner().history).to.have.length(0);
    });

    it('waits for Ready with waitForReady: a running but never-ready container times out', async () => {
      await createRestore(
        execRestore(
          { container: 'app', command: sh('echo ready'), waitForReady: true, waitTimeout: '1s' },
          { container: 'sidecar', command: sh('echo running') },
        ),
      );
      await createPod(
        pod('web', { containers: ['app', 'sidecar'], annotations: { [`${BEHAVIOUR}/never-ready`]: 'true' } }),
      );
      await env.startController(RUN_VELERO_PODS);
      const record = await eventually(async () => {
        const r = await recordOf('web');
        return r && Object.values(r.hooks).filter((e) => e.result !== 'Retrying').length === 2
          ? r
          : undefined;
      }, 'both outcomes');
      const byContainer = (c: string) =>
        Object.entries(record.hooks).find(([id]) => id.startsWith(`exec/${c}/`))![1];
      expect(byContainer('app')).to.include({ result: 'Failed', reason: 'WaitTimeout' });
      expect(byContainer('sidecar')).to.include({ result: 'Succeeded', stdout: 'running\n' });
    });

    it('fails a hook naming a missing container up front, without waiting', async () => {
      await createRestore(execRestore({ container: 'nope', command: sh('echo hi') }));
      await createPod(pod('web', { annotations: { [`${BEHAVIOUR}/image-pull-failure`]: 'true' } }));
      await env.startController(RUN_VELERO_PODS);
      const [entry] = await finished('web', 1);
      expect(entry).to.include({ result: 'Failed', reason: 'ContainerNotFound', attempts: 0 });
      expect(await env.scrapeMetrics()).to.match(
        /^restore_hooks_hooks_failed_total\{restore="r2",namespace="app",kind="Pod",source="spec",type="exec"\} 1$/m,
      );
    });

    it('counts the hooks of a pod deleted while they wait as failed', async () => {
      await createRestore(execRestore({ command: sh('echo hi'), waitTimeout: '10m' }));
      await createPod(pod('web', { annotations: { [`${BEHAVIOUR}/image-pull-failure`]: 'true' } }));
      await env.startController(RUN_VELERO_PODS);
      await eventually(
        async () => env.logs.some((l) => l.msg === 'exec step' && l.name === 'web'),
        'the pod to be seen by the exec controller',
      );
      await env.client.request({ method: 'DELETE', path: '/api/v1/namespaces/app/pods/web' });
      const failed = await eventually(
        async () => (await restoreEvents()).find((e) => e.reason === 'HookFailed'),
        'a HookFailed event on the Restore',
      );
      expect(failed.message).to.contain('PodDeleted');
      expect(await env.scrapeMetrics()).to.match(
        /^restore_hooks_hooks_failed_total\{restore="r2",namespace="app",kind="Pod",source="spec",type="exec"\} 1$/m,
      );
    });

    it('records PodDeleted on a pod that is being deleted (graceful termination) before its hooks ran', async () => {
      await createRestore(execRestore({ command: sh('echo hi'), waitTimeout: '10m' }));
      await createPod(
        pod('web', {
          annotations: {
            [`${BEHAVIOUR}/image-pull-failure`]: 'true',
            [`${BEHAVIOUR}/termination-seconds`]: '20',
          },
        }),
      );
      await env.startController(RUN_VELERO_PODS);
      await eventually(
        async () => env.logs.some((l) => l.msg === 'exec step' && l.name === 'web'),
        'the pod to be seen by the exec controller',
      );
      await env.client.request({ method: 'DELETE', path: '/api/v1/namespaces/app/pods/web' });
      const [entry] = await finished('web', 1);
      expect(entry).to.include({ result: 'Failed', reason: 'PodDeleted', attempts: 0 });
      expect(execRunner().history).to.have.length(0);
    });

    it('runs several hooks per container in order, containers independently', async () => {
      await createRestore(
        execRestore(
          { container: 'app', command: sh('echo a1 >> /tmp/order') },
          { container: 'sidecar', command: sh('echo s1 >> /tmp/order') },
          { container: 'app', command: sh('echo a2 >> /tmp/order') },
          { container: 'sidecar', command: sh('echo s2 >> /tmp/order') },
          { container: 'app', command: sh('echo a3 >> /tmp/order') },
        ),
      );
      await createPod(pod('web', { containers: ['app', 'sidecar'] }));
      await env.startController(RUN_VELERO_PODS);
      const all = await finished('web', 5);
      expect(all.every((e) => e.result === 'Succeeded')).to.equal(true);
      expect(files('web', 'app').get('/tmp/order')).to.equal('a1\na2\na3\n');
      expect(files('web', 'sidecar').get('/tmp/order')).to.equal('s1\ns2\n');
    });

    it('never runs a finished hook again after a controller restart', async () => {
      await createRestore(
        execRestore(
          { command: sh('echo first >> /tmp/log') },
          { command: sh('echo second >> /tmp/log'), waitForReady: true },
        ),
      );
      await createPod(pod('web', { annotations: { [`${BEHAVIOUR}/ready-after-seconds`]: '3' } }));
      await env.startController(RUN_VELERO_PODS);
      await finished('web', 1);
      await env.stopController();
      await env.startController(RUN_VELERO_PODS);
      await finished('web', 2);
      expect(files('web').get('/tmp/log')).to.equal('first\nsecond\n');
      const runs = execRunner().history.filter((h) => h.request.pod === 'web');
      expect(runs).to.have.length(2);
    });

    it('records the outcome of a command still running when the controller stops, before it exits', async () => {
      await createRestore(execRestore({ command: sh('sleep 2; echo done >> /tmp/log') }));
      await createPod(pod('web'));
      await env.startController(RUN_VELERO_PODS);
      await eventually(
        () => env.logs.some((l) => l.msg === 'running exec hook' && l.name === 'web'),
        'the hook to start',
      );
      await env.stopController();
      const [entry] = await entries('web');
      expect(entry).to.include({ result: 'Succeeded', attempts: 1 });
      expect(files('web').get('/tmp/log')).to.equal('done\n');
    });

    it('retries a failing hook with backoff up to the annotation-given attempts', async () => {
      await createRestore(execRestore({ command: sh('echo try >> /tmp/tries; exit 1') }));
      await createPod(pod('web', { annotations: { 'restore-hooks.dev/exec-retries': '3' } }));
      await env.startController({
        exec: {
          ...DEFAULT_SETTINGS.exec,
          veleroRestoredPods: 'Run',
          retries: { attempts: 1, backoffBase: 50, backoffMax: 200 },
        },
      });
      const [entry] = await finished('web', 1);
      expect(entry).to.include({ result: 'Failed', reason: 'NonZeroExit', attempts: 3, exitCode: 1 });
      expect(files('web').get('/tmp/tries')).to.equal('try\ntry\ntry\n');
      const failed = await eventually(
        async () => (await events()).find((e) => e.reason === 'HookFailed'),
        'a HookFailed event',
      );
      expect(failed.message).to.contain('after 3 attempts');
    });

    it('adds its counts to the status Velero wrote when the restore ended, keeps them after the pod is deleted, and sets ExecHooksCompleted', async () => {
      const completed = restoreWith(
        { phase: 'Completed', completionTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') },
        { command: sh('exit 4') },
        { command: sh('echo ok') },
      );
      await createRestore({
        ...completed,
        status: {
          ...completed.status,
          errors: 0,
          warnings: 1,
          hookStatus: { hooksAttempted: 2, hooksFailed: 0 },
        },
      });
      await createPod(pod('web'));
      await env.startController(RUN_VELERO_PODS);
      await finished('web', 2);
      type Status = {
        phase: string;
        errors?: number;
        warnings?: number;
        hookStatus?: { hooksAttempted: number; hooksFailed: number };
        conditions?: { type: string; status: string; reason: string }[];
      };
      const restoreStatus = async () =>
        (
          await env.client.request<{ status: Status }>({
            method: 'GET',
            path: '/apis/velero.io/v1/namespaces/velero/restores/r2',
          })
        ).status;
      const status = await eventually(async () => {
        const s = await restoreStatus();
        return s.hookStatus?.hooksAttempted === 4 ? s : undefined;
      }, 'the hook counts on the Restore');
      expect(status).to.deep.include({ phase: 'PartiallyFailed', errors: 1, warnings: 1 });
      expect(status.hookStatus).to.deep.equal({ hooksAttempted: 4, hooksFailed: 1 });
      const condition = await eventually(
        async () => (await restoreStatus()).conditions?.find((c) => c.type === 'ExecHooksCompleted'),
        'the ExecHooksCompleted condition',
      );
      expect(condition).to.include({ status: 'False', reason: 'HooksFailed' });

      await env.client.request({ method: 'DELETE', path: '/api/v1/namespaces/app/pods/web' });
      await eventually(async () => {
        const pods = await env.client.request<{ items: Pod[] }>({
          method: 'GET',
          path: '/api/v1/namespaces/app/pods',
        });
        return pods.items.length === 0;
      }, 'the pod to be gone');
      // A restart reads the ledger: the deleted pod's hooks stay counted, once.
      await env.stopController();
      await env.startController(RUN_VELERO_PODS);
      await createPod(pod('barrier'));
      await finished('barrier', 2);
      const after = await eventually(async () => {
        const s = await restoreStatus();
        return s.hookStatus?.hooksAttempted === 6 ? s : undefined;
      }, 'the second pod to be counted on top');
      expect(after.hookStatus).to.deep.equal({ hooksAttempted: 6, hooksFailed: 2 });
      expect(after).to.deep.include({ phase: 'PartiallyFailed', errors: 2 });

      // The ledger lives as long as its Restore.
      const ledgerPath = `/api/v1/namespaces/${CONTROLLER_NAMESPACE}/configmaps/${ledgerName('velero/r2')}`;
      await env.client.request({ method: 'GET', path: ledgerPath });
      await env.client.request({
        method: 'DELETE',
        path: '/apis/velero.io/v1/namespaces/velero/restores/r2',
      });
      await eventually(
        () =>
          env.client.request({ method: 'GET', path: ledgerPath }).then(
            () => false,
            (error: { code?: number }) => error.code === 404,
          ),
        'the ledger to be deleted with its Restore',
      );
    });

    it('a new leader continues where the old one stopped, without running a finished hook again', async () => {
      await createRestore(
        execRestore(
          { command: sh('echo first >> /tmp/log') },
          { command: sh('echo second >> /tmp/log'), waitForReady: true },
        ),
      );
      await createPod(pod('web', { annotations: { [`${BEHAVIOUR}/ready-after-seconds`]: '8' } }));
      const settings: Settings = {
        ...DEFAULT_SETTINGS,
        ...RUN_VELERO_PODS,
        metricsBindAddress: '0',
        healthProbeBindAddress: '0',
        logLevel: 'info',
        leaderElection: FAST_LEADER_ELECTION,
      };
      const replicas = [0, 1].map(() => runReplica(settings, env.kubeConfig));
      try {
        const ran = (r: (typeof replicas)[number]) =>
          r.logs.filter((l) => l.msg === 'running exec hook').map((l) => String(l.hook));
        await finished('web', 1);
        const leader = await eventually(
          () => replicas.find((r) => ran(r).length > 0),
          'the leader to have run a hook',
        );
        const follower = replicas.find((r) => r !== leader)!;
        leader.abort.abort();
        expect(await leader.done).to.equal(0);
        await finished('web', 2, 30_000);
        expect(files('web').get('/tmp/log')).to.equal('first\nsecond\n');
        expect(ran(leader)).to.have.length(1);
        expect(ran(follower)).to.have.length(1);
        expect(ran(follower)[0]).not.to.equal(ran(leader)[0]);
      } finally {
        for (const r of replicas) r.abort.abort();
        await Promise.all(replicas.map((r) => r.done));
      }
    });
  },
);
