/**
 * Issue 16, "no extra roll-outs", when a pod escapes admission (on both beds). A restored workload carries the
 * admission mark, and one of its pods is created while the pod webhook does not answer (here: no replica serves it,
 * and failurePolicy is Ignore), so it is stored without its hooks while the others ran them. The controller deletes
 * the escaped pending pod, and its owner recreates it through admission, with its hooks: no template write, no
 * roll-out, no pod that ran its hooks replaced, every pod's hooks run exactly once (the kubelet's run log). Before
 * this, the fallback patched the template and the roll-out ran the hooks again in the pods that had run them.
 *
 * The bound: when every pod a workload creates escapes (the webhook stays unanswered for its pods alone, through an
 * AdmissionFront), escaped pods are deleted for exactly 3 rounds, one recreation through admission each, and then
 * the template path gives the pods their hooks, with the AdmissionBypassed Warning saying why.
 */
import { expect } from 'chai';
import { AdmissionFront } from '../../helpers/admission-front.ts';
import type { FrontReview } from '../../helpers/admission-front.ts';
import { describeOnBeds } from '../../helpers/bed-suites.ts';
import { CONTROLLER_NAMESPACE, CONTROLLER_USER } from '../../helpers/bed.ts';
import type { Settings } from '../../../src/config/settings.ts';
import {
  ADMISSION_BYPASSED_ANNOTATION,
  ESCAPED_PODS_DELETED_ANNOTATION,
  RESTORE_LABEL,
} from '../../../src/controller/marks.ts';
import type { ContainerRun } from '../../../src/devcluster/kubelet/run-log.ts';
import type { Pod, Workload } from '../../../src/kube/types.ts';
import { ClusterReads, initNames, templateInitNames } from '../../helpers/cluster-reads.ts';
import { eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { R2_HOOK_NAMES, podSpec, restoreR2, restoredLabels } from '../../helpers/restore-fixtures.ts';
import type { KubeBody } from '../../helpers/restored-targets.ts';
import { installUrlWebhooks, startServingWebhooks } from '../../helpers/webhook-serving.ts';

const SETTLE_MS = 180_000;
const START_SECONDS = 'devcluster.restore-hooks.io/start-seconds';
/**
 * How long every pod waits for its sandbox: the escaped pod must still be pending when the controller is back and
 * reaches it (on a busy machine), so that it is deleted before it starts.
 */
const POD_START_SECONDS = '30';
/** The app whose every pod creation escapes the pod webhook: the front holds its pod CREATEs past timeoutSeconds. */
const ALWAYS_ESCAPES = 'esc-loop';
const escapesAlways = (review: FrontReview) =>
  review.request?.kind?.kind === 'Pod' &&
  review.request.operation === 'CREATE' &&
  review.request.namespace === 'app' &&
  review.request.object?.metadata?.labels?.app === ALWAYS_ESCAPES;

describeOnBeds(
  'controller e2e: a pod that escaped admission is recreated through it, nothing rolled',
  function (bed) {
    this.timeout(600_000);
    let env: ControllerEnv;
    let reads: ClusterReads;
    let webhook: Settings['webhook'];
    let front: AdmissionFront;

    before(async () => {
      // Pods start about a second after they are bound, on both beds (the devcluster's kubelet starts them at once
      // by default); the first two cases hold their pods back longer (POD_START_SECONDS), the bound case does not.
      env = await startControllerEnv({
        bed: bed.kind,
        rbac: true,
        conditionsCrd: true,
        simulation: {},
        startDelayMs: 1000,
      });
      reads = new ClusterReads(env.client);
      // The API server calls the webhooks through a front that fails the pod creations of one app only.
      webhook = await installUrlWebhooks(env, { front: true });
      await startServingWebhooks(env, webhook, SETTLE_MS);
      front = await AdmissionFront.start({
        client: env.client,
        namespace: CONTROLLER_NAMESPACE,
        webhook,
        holds: escapesAlways,
      });
    });
    after(async () => {
      await front?.stop();
      await env?.stop();
    });

    const restoreAndCreate = async (restore: string, body: KubeBody): Promise<Workload> => {
      await env.velero.request({
        method: 'POST',
        path: '/apis/velero.io/v1/namespaces/velero/restores',
        body: restoreR2({ name: restore }),
      });
      return env.velero.request<Workload>({
        method: 'POST',
        path: `/apis/apps/v1/namespaces/app/${body.kind.toLowerCase()}s`,
        body,
      });
    };
    const workloadBody = (
      kind: 'Deployment' | 'StatefulSet',
      name: string,
      restore: string,
      replicas: number,
      startSeconds: string | undefined = POD_START_SECONDS,
    ): KubeBody =>
      ({
        apiVersion: 'apps/v1',
        kind,
        metadata: { name, namespace: 'app', labels: restoredLabels(restore) },
        spec: {
          replicas,
          ...(kind === 'StatefulSet' ? { serviceName: name } : {}),
          selector: { matchLabels: { app: name } },
          template: {
            metadata: {
              labels: { app: name },
              ...(startSeconds ? { annotations: { [START_SECONDS]: startSeconds } } : {}),
            },
            spec: podSpec(),
          },
        },
      }) as KubeBody;
    const hooked = (p: Pod) =>
      JSON.stringify(initNames(p.spec.initContainers)) === JSON.stringify(R2_HOOK_NAMES);
    const podsOf = (app: string) => reads.livePods('app', `app=${app}`);
    const waitFor = <T>(what: string, probe: () => Promise<T | undefined>) =>
      eventually(probe, what, SETTLE_MS).catch(async (e: Error) => {
        const seen = (
          await env.client.request<{ items: Pod[] }>({ method: 'GET', path: '/api/v1/namespaces/app/pods' })
        ).items.map(
          (p) =>
            `${p.metadata.name} ${p.status?.phase}${p.metadata.deletionTimestamp ? ' (deleting)' : ''} [${initNames(p.spec.initContainers).join(',')}]`,
        );
        throw new Error(`${e.message}; pods in app now: ${seen.join('; ') || 'none'}`);
      });
    const running = (app: string, count: number) =>
      waitFor(`${count} running hooked pods of ${app}`, async () => {
        const live = await podsOf(app);
        return live.length === count && live.every((p) => p.status?.phase === 'Running' && hooked(p))
          ? live
          : undefined;
      });

    /** From the kubelet's run log, per pod of `app` that started: each hook ran exactly once, before the app. */
    async function hookRunsPerStartedPod(app: string): Promise<Map<string, string[]>> {
      const runs = (await env.bed.runs({ namespace: 'app' })).filter((r) => r.pod.startsWith(`${app}-`));
      const byUid = new Map<string, ContainerRun[]>();
      for (const r of runs) byUid.set(r.uid, [...(byUid.get(r.uid) ?? []), r]);
      const result = new Map<string, string[]>();
      for (const [uid, podRuns] of byUid) {
        const first = podRuns.filter((r) => !r.init).sort((a, b) => a.seq - b.seq)[0];
        if (!first) continue;
        result.set(
          uid,
          podRuns
            .filter((r) => r.init && r.seq < first.seq && r.exitCode === 0)
            .sort((a, b) => a.seq - b.seq)
            .map((r) => r.container),
        );
      }
      return result;
    }

    /** The controller's writes to pods and workloads of these apps that took effect, as `verb resource name`. */
    async function controllerWrites(names: readonly string[]): Promise<string[]> {
      return (await env.bed.writes({ user: CONTROLLER_USER }))
        .filter(
          (w) =>
            w.namespace === 'app' &&
            w.code >= 200 &&
            w.code < 300 &&
            ['pods', 'deployments.apps', 'replicasets.apps', 'statefulsets.apps'].includes(w.resource) &&
            names.some((n) => w.name === n || w.name.startsWith(`${n}-`)),
        )
        .map((w) => `${w.verb} ${w.resource} ${w.name}`);
    }

    /** The AdmissionBypassed Warning on the workload, saying its escaped pods were recreated through admission. */
    async function bypassReported(kind: string, name: string): Promise<void> {
      const warning = await waitFor('the AdmissionBypassed Event', async () =>
        reads.eventAbout('app', 'AdmissionBypassed', name, kind),
      );
      expect(warning.type).to.equal('Warning');
      expect(warning.message).to.contain('recreates them through admission');
    }

    it('a RollingUpdate StatefulSet whose second pod escaped the pod webhook: that pod is recreated through admission, the first keeps the hooks it ran, no new revision', async () => {
      const created = await restoreAndCreate(
        'r-esc-db',
        workloadBody('StatefulSet', 'esc-db', 'r-esc-db', 2),
      );
      expect(created.spec.template.metadata?.labels?.[RESTORE_LABEL], 'marked at admission').to.equal(
        'r-esc-db',
      );
      const first = await waitFor('esc-db-0 created with its hooks', async () =>
        (await podsOf('esc-db')).find((p) => p.metadata.name === 'esc-db-0' && hooked(p)),
      );
      // OrderedReady: esc-db-1 is created once esc-db-0 is Ready, while no replica serves the pod webhook.
      expect(await env.stopController()).to.equal(0);
      const escaped = await waitFor('esc-db-1 created without its hooks', async () =>
        (await podsOf('esc-db')).find((p) => p.metadata.name === 'esc-db-1'),
      );
      expect(initNames(escaped.spec.initContainers), 'escaped the pod webhook').to.deep.equal([]);
      expect(escaped.metadata.labels?.[RESTORE_LABEL], 'it carries the mark').to.equal('r-esc-db');
      const revisionsBefore = await revisions('esc-db');
      expect(revisionsBefore).to.have.length(1);

      await startServingWebhooks(env, webhook, SETTLE_MS);
      const pods = await running('esc-db', 2);
      const byName = new Map(pods.map((p) => [p.metadata.name, p]));
      expect(byName.get('esc-db-0')?.metadata.uid, 'the pod that ran its hooks is kept').to.equal(
        first.metadata.uid,
      );
      expect(byName.get('esc-db-1')?.metadata.uid, 'the escaped pod was replaced').to.not.equal(
        escaped.metadata.uid,
      );

      const sts = await reads.workload('StatefulSet', 'app', 'esc-db');
      expect(templateInitNames(sts), 'the template was not patched').to.deep.equal([]);
      expect(await revisions('esc-db'), 'no new ControllerRevision: nothing rolled').to.deep.equal(
        revisionsBefore,
      );
      expect(sts.metadata.annotations?.[ESCAPED_PODS_DELETED_ANNOTATION]).to.equal(
        `1/velero/r-esc-db;${escaped.metadata.uid ?? ''}`,
      );
      expect(await controllerWrites(['esc-db'])).to.deep.equal([
        'patch statefulsets.apps esc-db',
        'delete pods esc-db-1',
      ]);
      const ran = await hookRunsPerStartedPod('esc-db');
      expect(
        [...ran.values()],
        'the pods that started (esc-db-0 and the recreated esc-db-1) ran each hook once, before the app',
      ).to.deep.equal([R2_HOOK_NAMES, R2_HOOK_NAMES]);
      expect(ran.has(escaped.metadata.uid ?? ''), 'the escaped pod never started').to.equal(false);
      await bypassReported('StatefulSet', 'esc-db');
    });

    it('a Deployment whose ReplicaSet recreated a pod while the pod webhook was down: only that pod is recreated, no new ReplicaSet', async () => {
      await restoreAndCreate('r-esc-web', workloadBody('Deployment', 'esc-web', 'r-esc-web', 2));
      const [survivor, evicted] = await running('esc-web', 2);
      const replicaSetsBefore = await replicaSets('esc-web');
      expect(replicaSetsBefore).to.have.length(1);
      const template = (await reads.workload('Deployment', 'app', 'esc-web')).spec.template;

      // A pod lost during the restore (evicted, its node drained) while no replica serves the pod webhook.
      expect(await env.stopController()).to.equal(0);
      await env.client.request({
        method: 'DELETE',
        path: `/api/v1/namespaces/app/pods/${evicted!.metadata.name}`,
      });
      const escaped = await waitFor('the ReplicaSet to recreate the pod', async () =>
        (await podsOf('esc-web')).find(
          (p) => p.metadata.uid !== survivor!.metadata.uid && p.metadata.uid !== evicted!.metadata.uid,
        ),
      );
      expect(initNames(escaped.spec.initContainers), 'escaped the pod webhook').to.deep.equal([]);

      await startServingWebhooks(env, webhook, SETTLE_MS);
      const pods = await waitFor('2 running hooked pods of esc-web, the escaped one replaced', async () => {
        const live = await podsOf('esc-web');
        return live.length === 2 &&
          live.every((p) => p.status?.phase === 'Running' && hooked(p)) &&
          !live.some((p) => p.metadata.uid === escaped.metadata.uid)
          ? live
          : undefined;
      });
      expect(
        pods.map((p) => p.metadata.uid),
        'the pod that ran its hooks is kept',
      ).to.include(survivor!.metadata.uid);

      const deployment = await reads.workload('Deployment', 'app', 'esc-web');
      expect(templateInitNames(deployment), 'the template was not patched').to.deep.equal([]);
      // (Not the generation: kube-apiserver bumps a Deployment's on an annotation change, the escape record's too.)
      expect(deployment.spec.template, 'the template is as restored').to.deep.equal(template);
      expect(
        (await replicaSets('esc-web')).map((rs) => rs.metadata.uid),
        'no new ReplicaSet: nothing rolled',
      ).to.deep.equal(replicaSetsBefore.map((rs) => rs.metadata.uid));
      expect(templateInitNames(replicaSetsBefore[0]!)).to.deep.equal([]);
      expect(deployment.metadata.annotations?.[ESCAPED_PODS_DELETED_ANNOTATION]).to.equal(
        `1/velero/r-esc-web;${escaped.metadata.uid ?? ''}`,
      );
      expect(await controllerWrites(['esc-web'])).to.deep.equal([
        'patch deployments.apps esc-web',
        `delete pods ${escaped.metadata.name}`,
      ]);
      const ran = await hookRunsPerStartedPod('esc-web');
      expect(
        [...ran.values()],
        'the three pods that started (the survivor, the evicted one, the recreated one) ran each hook once',
      ).to.deep.equal([R2_HOOK_NAMES, R2_HOOK_NAMES, R2_HOOK_NAMES]);
      expect(ran.has(escaped.metadata.uid ?? ''), 'the escaped pod never started').to.equal(false);
      await bypassReported('Deployment', 'esc-web');
    });

    it('a Deployment whose every pod creation escapes the pod webhook: escaped pods deleted for exactly 3 rounds, then the template path; the pod that runs has its hooks', async () => {
      // Only the kubelet's start delay (about a second after binding): each escaped pod is deleted before it starts.
      const created = await restoreAndCreate(
        'r-esc-loop',
        workloadBody('Deployment', ALWAYS_ESCAPES, 'r-esc-loop', 1, undefined),
      );
      expect(created.spec.template.metadata?.labels?.[RESTORE_LABEL], 'marked at admission').to.equal(
        'r-esc-loop',
      );
      const deployment = await waitFor(`the template of ${ALWAYS_ESCAPES} to get the hooks`, async () => {
        const d = await reads.workload('Deployment', 'app', ALWAYS_ESCAPES);
        return JSON.stringify(templateInitNames(d)) === JSON.stringify(R2_HOOK_NAMES) ? d : undefined;
      });
      const [pod] = await running(ALWAYS_ESCAPES, 1);

      // Which pods restore-hooks deleted as escaped (PodReplaced says why), and every pod deletion it made.
      const events = (await reads.events('app')).filter((e) =>
        e.involvedObject.name.startsWith(ALWAYS_ESCAPES),
      );
      const escapedDeleted = events
        .filter((e) => e.reason === 'PodReplaced' && e.message.includes('the pod webhook did not answer'))
        .map((e) => e.involvedObject.name);
      expect(new Set(escapedDeleted).size, `escaped pods deleted: ${escapedDeleted.join(', ')}`).to.equal(3);
      const writes = await controllerWrites([ALWAYS_ESCAPES]);
      const deletions = writes.filter((w) => w.startsWith('delete pods '));
      const deleted = deletions.map((w) => w.slice('delete pods '.length));
      expect(
        deleted.slice(0, 3),
        `the first three pod deletions are the escape rounds, one pod each; the controller's writes: ${writes.join('; ')}`,
      ).to.have.members(escapedDeleted);
      expect(new Set(deleted).size, 'no pod deleted twice').to.equal(deleted.length);
      // Each round is recorded on the Deployment before its pod is deleted.
      deleted.slice(0, 3).forEach((name, round) => {
        const before = writes.slice(0, writes.indexOf(`delete pods ${name}`));
        expect(
          before.filter((w) => w === `patch deployments.apps ${ALWAYS_ESCAPES}`).length,
          `writes before round ${round + 1}'s deletion: ${before.join('; ')}`,
        ).to.be.at.least(round + 1);
      });
      // Then the template path: the Deployment's template and its ReplicaSet's get the hooks (paused meanwhile, so
      // nothing rolls), and the fourth escaped pod, still pending, is recreated from the hooked ReplicaSet.
      expect(writes.slice(writes.indexOf(deletions[2]!) + 1)).to.deep.equal([
        `patch deployments.apps ${ALWAYS_ESCAPES}`,
        `patch replicasets.apps ${pod!.metadata.ownerReferences?.[0]?.name ?? ''}`,
        `patch deployments.apps ${ALWAYS_ESCAPES}`,
        ...deletions.slice(3),
      ]);
      expect(deletions.slice(3), 'the fourth escaped pod, deleted by the template path').to.have.length(1);
      expect(front.held.length, 'every pod creation of the Deployment escaped the pod webhook').to.equal(5);

      const record = deployment.metadata.annotations?.[ESCAPED_PODS_DELETED_ANNOTATION] ?? '';
      expect(record.split(';')[0], 'the rounds recorded').to.equal('3/velero/r-esc-loop');
      expect(deployment.metadata.annotations?.[ADMISSION_BYPASSED_ANNOTATION]).to.equal(
        'PodsEscaped/velero/r-esc-loop',
      );
      const bypassed = events.filter((e) => e.reason === 'AdmissionBypassed');
      expect(bypassed.map((e) => e.type)).to.not.include('Normal');
      for (const round of [1, 2, 3])
        expect(
          bypassed.some((e) => e.message.includes(`(${round} of at most 3 times`)),
          `AdmissionBypassed for round ${round}`,
        ).to.equal(true);
      expect(bypassed.some((e) => e.message.includes('(4 of'))).to.equal(false);
      expect(
        bypassed.some((e) =>
          e.message.includes(
            'reach this Deployment through its pod template because some of its pods were created without them (the pod webhook did not answer and failurePolicy is Ignore), and came back without them after 3 deletions meant to recreate them through admission',
          ),
        ),
        'the template path says why',
      ).to.equal(true);

      const ran = await hookRunsPerStartedPod(ALWAYS_ESCAPES);
      expect(
        [...ran.entries()],
        'one pod started, from the hooked template, and ran each hook once before the app; no escaped pod started',
      ).to.deep.equal([[pod!.metadata.uid, R2_HOOK_NAMES]]);
    });

    const revisions = async (app: string) =>
      (
        await env.client.request<{ items: { metadata: { name: string } }[] }>({
          method: 'GET',
          path: `/apis/apps/v1/namespaces/app/controllerrevisions?labelSelector=${encodeURIComponent(`app=${app}`)}`,
        })
      ).items
        .map((r) => r.metadata.name)
        .sort();
    const replicaSets = async (app: string) =>
      (
        await env.client.request<{ items: Workload[] }>({
          method: 'GET',
          path: `/apis/apps/v1/namespaces/app/replicasets?labelSelector=${encodeURIComponent(`app=${app}`)}`,
        })
      ).items;
  },
);
