/**
 * Issue 16, "a narrower selector", on both beds: with webhook.podSelector ActiveRestores the leader keeps the pod
 * webhook's objectSelector at the marks of the Restores that may still create pods. The pods a finished Restore's
 * workload creates later never call the webhook (the controller's webhook request count, and on the devcluster the
 * API server's call log), while a new Restore's pods still get their hooks at admission (the kubelet's run log). An
 * apply that puts the manifests' selector back is narrowed again, and no write loses the caBundle. The last case
 * prints how long a new Restore takes to reach admission on this bed (not asserted: the machine is shared).
 */
import { expect } from 'chai';
import { desiredPodSelector, sameSelector } from '../../../src/controller/admission/pod-selector.ts';
import { RESYNC_MS } from '../../../src/controller/admission/pod-selector-reconciler.ts';
import { PODS_WEBHOOK } from '../../../src/controller/admission/webhook-configuration.ts';
import type { WebhookConfigurationObject } from '../../../src/controller/admission/webhook-configuration-store.ts';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.ts';
import type { Settings } from '../../../src/config/settings.ts';
import type { KubeJsonClient } from '../../../src/controller/kube-json-client.ts';
import { RESTORE_LABEL } from '../../../src/controller/marks.ts';
import { WEBHOOK_CALLS_ADMIN_PATH } from '../../../src/devcluster/admission/call-log.ts';
import type { WebhookCallRecord } from '../../../src/devcluster/admission/call-log.ts';
import type { Pod, Workload } from '../../../src/kube/types.ts';
import { describeOnBeds } from '../../helpers/bed-suites.ts';
import { ClusterReads, initNames } from '../../helpers/cluster-reads.ts';
import {
  CONTROLLER_NAMESPACE,
  FAST_LEADER_ELECTION,
  eventually,
  runReplica,
  startControllerEnv,
} from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import {
  R2_HOOK_NAMES,
  isoSecondsAgo,
  podSpec,
  restoreR2,
  restoredLabels,
} from '../../helpers/restore-fixtures.ts';
import { MWC_PATH, installUrlWebhooks, startServingWebhooks } from '../../helpers/webhook-serving.ts';

const SETTLE_MS = 120_000;
const START_SECONDS = 'devcluster.restore-hooks.io/start-seconds';
/** A Lease's MicroTime: kube-apiserver wants six fractional digits (RFC 3339 with microseconds). */
const microTimeNow = () => new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

describeOnBeds(
  'controller e2e: the pod webhook selects only the pods of Restores that may still create pods (webhook.podSelector ActiveRestores)',
  function (bed) {
    this.timeout(600_000);
    let env: ControllerEnv;
    let reads: ClusterReads;
    let velero: KubeJsonClient;
    let webhook: Settings['webhook'];

    before(async () => {
      env = await startControllerEnv({ bed: bed.kind, rbac: true, conditionsCrd: true, simulation: {} });
      reads = new ClusterReads(env.client);
      velero = env.velero;
      webhook = { ...(await installUrlWebhooks(env)), podSelector: 'ActiveRestores' };
      await startServingWebhooks(env, webhook, SETTLE_MS);
    });
    after(async () => {
      await env?.stop();
    });

    const configuration = () =>
      env.client.request<WebhookConfigurationObject>({ method: 'GET', path: MWC_PATH });
    const podSelectorOf = (c: WebhookConfigurationObject) =>
      c.webhooks?.find((w) => w.name === PODS_WEBHOOK.name)?.objectSelector;
    const selectorIs = (values: readonly string[], timeoutMs = SETTLE_MS) =>
      eventually(
        async () => {
          const c = await configuration();
          return sameSelector(podSelectorOf(c), desiredPodSelector('ActiveRestores', values)) ? c : undefined;
        },
        `the pod webhook to select ${JSON.stringify(values)}`,
        timeoutMs,
      ).catch(async (e: Error) => {
        throw new Error(`${e.message}; now: ${JSON.stringify(podSelectorOf(await configuration()))}`);
      });
    /** The marks the pod webhook selects now (an In selector's values; none for another selector). */
    const selectedValues = (c: WebhookConfigurationObject): string[] =>
      (
        podSelectorOf(c) as { matchExpressions?: { operator?: string; values?: string[] }[] } | undefined
      )?.matchExpressions?.find((e) => e.operator === 'In')?.values ?? [];
    const caBundles = (c: WebhookConfigurationObject) => c.webhooks?.map((w) => w.clientConfig?.caBundle);

    const createRestore = (name: string) =>
      velero.request({
        method: 'POST',
        path: '/apis/velero.io/v1/namespaces/velero/restores',
        body: restoreR2({ name }),
      });
    /** Velero finishing the Restore two hours ago: past the default hookWindow (1h). */
    const finishLongAgo = (name: string) =>
      velero.request({
        method: 'PATCH',
        path: `/apis/velero.io/v1/namespaces/velero/restores/${name}`,
        contentType: 'application/merge-patch+json',
        body: { status: { phase: 'Completed', completionTimestamp: isoSecondsAgo(7200) } },
      });
    const restoreDeployment = (
      name: string,
      restore: string,
      replicas: number,
      annotations: Record<string, string> = {},
    ) =>
      velero.request<Workload>({
        method: 'POST',
        path: '/apis/apps/v1/namespaces/app/deployments',
        body: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name, namespace: 'app', labels: restoredLabels(restore) },
          spec: {
            replicas,
            selector: { matchLabels: { app: name } },
            template: { metadata: { labels: { app: name }, annotations }, spec: podSpec() },
          },
        },
      });
    const hooked = (p: Pod) =>
      JSON.stringify(initNames(p.spec.initContainers)) === JSON.stringify(R2_HOOK_NAMES);
    const runningPods = (name: string, count: number) =>
      eventually(
        async () => {
          const live = await reads.livePods('app', `app=${name}`);
          return live.length === count && live.every((p) => p.status?.phase === 'Running') ? live : undefined;
        },
        `${count} running pods of ${name}`,
        SETTLE_MS,
      );

    /** Pod CREATE calls the controller answered (controller_runtime_webhook_requests_total, every code). */
    async function podWebhookRequests(): Promise<number> {
      const text = await env.scrapeMetrics();
      return text
        .split('\n')
        .filter(
          (l) => l.startsWith('controller_runtime_webhook_requests_total{') && l.includes('"/mutate-pods"'),
        )
        .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    }
    /** Devcluster: the API server's own record of its calls to the pod webhook for pods named `<app>-...`. */
    async function apiServerCallsFor(app: string): Promise<number | undefined> {
      if (bed.kind !== 'devcluster') return undefined;
      const log = await env.client.request<{ items: WebhookCallRecord[] }>({
        method: 'GET',
        path: `${WEBHOOK_CALLS_ADMIN_PATH}?webhook=${PODS_WEBHOOK.name}`,
      });
      return log.items.filter((r) => r.name.startsWith(`${app}-`)).length;
    }

    it('with no Restore, the pod webhook selects nothing, through a selector the API server accepts; the caBundle stays', async () => {
      const c = await selectorIs([]);
      expect(
        caBundles(c)?.every((b) => (b ?? '') !== ''),
        'the caBundle was not lost',
      ).to.equal(true);
    });

    it("a finished Restore's workload creates pods that never call the webhook; a new Restore's pods get their hooks at admission", async () => {
      await createRestore('r-aged');
      await selectorIs(['r-aged']);
      await restoreDeployment('aged', 'r-aged', 1);
      const [first] = await runningPods('aged', 1);
      expect(hooked(first!), 'created while r-aged was running: hooked at admission').to.equal(true);

      await finishLongAgo('r-aged');
      await selectorIs([]);
      const requestsBefore = await podWebhookRequests();
      const callsBefore = await apiServerCallsFor('aged');
      await env.client.request({
        method: 'PATCH',
        path: '/apis/apps/v1/namespaces/app/deployments/aged',
        contentType: 'application/merge-patch+json',
        body: { spec: { replicas: 3 } },
      });
      const scaled = await runningPods('aged', 3);
      const later = scaled.filter((p) => p.metadata.uid !== first!.metadata.uid);
      for (const p of later) {
        expect(p.metadata.labels?.[RESTORE_LABEL], 'the template still carries the mark').to.equal('r-aged');
        expect(p.spec.initContainers ?? [], 'created after the restore: no hooks').to.deep.equal([]);
      }
      expect(await podWebhookRequests(), 'no pod webhook request for the scale-up').to.equal(requestsBefore);
      if (callsBefore !== undefined)
        expect(await apiServerCallsFor('aged'), 'the API server called no webhook').to.equal(callsBefore);

      await createRestore('r-fresh');
      await selectorIs(['r-fresh']);
      await restoreDeployment('fresh', 'r-fresh', 2);
      const fresh = await runningPods('fresh', 2);
      expect(fresh.every(hooked), 'a new Restore: hooked at admission').to.equal(true);
      expect(await podWebhookRequests()).to.be.at.least(requestsBefore + 2);
      // From the kubelet's run log: each hook ran once, before the application container.
      const runs = (await env.bed.runs({ namespace: 'app' })).filter((r) => r.pod.startsWith('fresh-'));
      for (const pod of new Set(runs.map((r) => r.uid))) {
        const podRuns = runs.filter((r) => r.uid === pod);
        const app = podRuns.filter((r) => !r.init).sort((a, b) => a.seq - b.seq)[0];
        expect(app, 'the application started').to.not.equal(undefined);
        for (const hook of R2_HOOK_NAMES) {
          const hookRuns = podRuns.filter((r) => r.init && r.container === hook);
          expect(hookRuns.map((r) => r.exitCode)).to.deep.equal([0]);
          expect(hookRuns[0]!.seq).to.be.below(app!.seq);
        }
      }
    });

    it("an apply that puts the manifests' selector back (every marked pod) is narrowed again; the caBundle is kept", async () => {
      const before = await selectorIs(['r-fresh']);
      // What `kubectl apply -k manifests` or `helm upgrade` writes into the pod webhook: marker Exists.
      await env.client.request({
        method: 'PUT',
        path: MWC_PATH,
        body: {
          ...before,
          webhooks: before.webhooks?.map((w) =>
            w.name === PODS_WEBHOOK.name ? { ...w, objectSelector: desiredPodSelector('AllMarked', []) } : w,
          ),
        },
      });
      const after = await selectorIs(['r-fresh'], RESYNC_MS + SETTLE_MS);
      expect(caBundles(after)).to.deep.equal(caBundles(before));
    });

    it('how long a new Restore takes to reach admission on this bed (printed, not asserted)', async () => {
      const toStored: number[] = [];
      const toEnforced: number[] = [];
      for (let i = 0; i < 5; i++) {
        const name = `r-probe-${i}`;
        const started = performance.now();
        await createRestore(name);
        // Two loops at once: the selector as stored, and a dry-run pod with the mark that the webhook unmarks
        // (its creator is not a workload controller) once the API server calls it.
        const stored = eventually(
          async () => {
            const values = selectedValues(await configuration());
            return values.includes(name) ? performance.now() - started : undefined;
          },
          `${name} in the selector`,
          SETTLE_MS,
        );
        const enforced = eventually(
          async () => {
            const pod = await env.client.request<Pod>({
              method: 'POST',
              path: '/api/v1/namespaces/app/pods',
              query: { dryRun: 'All' },
              body: {
                apiVersion: 'v1',
                kind: 'Pod',
                metadata: { name: `probe-${i}`, namespace: 'app', labels: { [RESTORE_LABEL]: name } },
                spec: podSpec(),
              },
            });
            return pod.metadata.labels?.[RESTORE_LABEL] === undefined
              ? performance.now() - started
              : undefined;
          },
          `a pod marked ${name} to reach the webhook`,
          SETTLE_MS,
        );
        toStored.push(await stored);
        toEnforced.push(await enforced);
      }
      const fmt = (xs: number[]) => {
        const s = [...xs].sort((a, b) => a - b);
        return `p50 ${Math.round(s[Math.floor(s.length / 2)]!)} ms, max ${Math.round(s.at(-1)!)} ms`;
      };
      console.log(
        `      [${bed.kind}] Restore created -> selector stored: ${fmt(toStored)}; -> enforced by the API server: ${fmt(toEnforced)}; stored -> enforced: ${fmt(toEnforced.map((t, i) => t - toStored[i]!))}`,
      );
      expect(toEnforced).to.have.length(5);
    });

    it('a pod created before the selector names its Restore (no leader yet) escapes the webhook; the fallback still hooks the workload before its app starts', async () => {
      expect(await env.stopController()).to.equal(0);
      // Another replica holds the Lease: this one serves the webhooks from its caches but does not lead, so nothing
      // adds the new Restore to the selector.
      const leases = `/apis/coordination.k8s.io/v1/namespaces/${CONTROLLER_NAMESPACE}/leases`;
      await env.client.request({
        method: 'POST',
        path: leases,
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: FAST_LEADER_ELECTION.leaseName, namespace: CONTROLLER_NAMESPACE },
          spec: {
            holderIdentity: 'a-replica-that-is-gone',
            leaseDurationSeconds: 3600,
            acquireTime: microTimeNow(),
            renewTime: microTimeNow(),
          },
        },
      });
      const replica = runReplica(
        {
          ...DEFAULT_SETTINGS,
          metricsBindAddress: '0',
          healthProbeBindAddress: '0',
          leaderElection: FAST_LEADER_ELECTION,
          webhook,
        },
        env.kubeConfig,
      );
      try {
        await eventually(
          async () => replica.logs.some((l) => l.msg === 'webhook server listening') || undefined,
          'the follower to serve the webhooks',
          SETTLE_MS,
        );
        await createRestore('r-escape');
        await restoreDeployment('escape', 'r-escape', 1, { [START_SECONDS]: '20' });
        const [escaped] = await eventually(
          async () => {
            const live = await reads.livePods('app', 'app=escape');
            return live.length === 1 ? live : undefined;
          },
          'the pod of escape',
          SETTLE_MS,
        );
        expect(escaped!.metadata.labels?.[RESTORE_LABEL], 'marked at admission').to.equal('r-escape');
        expect(escaped!.spec.initContainers ?? [], 'not selected: no webhook call, no hooks').to.deep.equal(
          [],
        );
        expect(selectedValues(await configuration())).to.not.include('r-escape');

        // The old holder is gone for good: this replica leads, selects r-escape, and the reconcilers take the pod.
        await env.client.request({ method: 'DELETE', path: `${leases}/${FAST_LEADER_ELECTION.leaseName}` });
        await eventually(
          async () => selectedValues(await configuration()).includes('r-escape') || undefined,
          'r-escape in the selector once the replica leads',
          SETTLE_MS,
        );
        await eventually(
          async () => {
            const live = await reads.livePods('app', 'app=escape');
            return live.length === 1 && live.every((p) => p.status?.phase === 'Running' && hooked(p))
              ? live
              : undefined;
          },
          'escape running with its hooks',
          SETTLE_MS,
        );
        const runs = (await env.bed.runs({ namespace: 'app' })).filter((r) => r.pod.startsWith('escape-'));
        const started = new Set(runs.filter((r) => !r.init).map((r) => r.uid));
        for (const uid of started) {
          const podRuns = runs.filter((r) => r.uid === uid);
          const app = podRuns.filter((r) => !r.init).sort((a, b) => a.seq - b.seq)[0]!;
          for (const hook of R2_HOOK_NAMES) {
            const hookRuns = podRuns.filter((r) => r.init && r.container === hook);
            expect(
              hookRuns.map((r) => r.exitCode),
              `${app.pod}: ${hook} once`,
            ).to.deep.equal([0]);
            expect(hookRuns[0]!.seq, `${app.pod}: ${hook} before the app`).to.be.below(app.seq);
          }
        }
        expect(started.has(escaped!.metadata.uid ?? ''), 'the escaped pod never started').to.equal(false);
      } finally {
        replica.abort.abort();
        await replica.done;
      }
    });
  },
);
