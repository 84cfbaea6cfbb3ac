import { expect } from 'chai';
import { APPLIED_INIT_HOOKS_ANNOTATION, parseAppliedInitHooks } from '../../../src/hooks/applied-record.ts';
import { RESTORE_LABEL } from '../../../src/controller/marks.ts';
import type { Container, Pod } from '../../../src/kube/types.ts';
import { eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { ClusterReads, initNames, templateInitNames } from '../../helpers/cluster-reads.ts';
import { ANNOTATION_HOOK, R2_HOOK_NAMES, restoreR2 } from '../../helpers/restore-fixtures.ts';
import { TARGETS, restoredTarget } from '../../helpers/restored-targets.ts';
import { describeOnBeds } from '../../helpers/bed-suites.ts';
import type { RestoredTarget, Target } from '../../helpers/restored-targets.ts';

/** Generous bounds: the machine running the suite may be busy. */
const SETTLE_MS = 45_000;
const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

interface Seed {
  readonly title: string;
  readonly restore: string;
  /** The Restore's spec.hooks (undefined: r2's). */
  readonly hooks?: unknown;
  /** Annotations of the restored pods and their templates. */
  readonly annotations: Record<string, string>;
  readonly hookNames: readonly string[];
  /** The hook containers as the API server stores them (without the service-account token mount admission adds to pods). */
  readonly stored: readonly Container[];
}

const storedDefaults = {
  imagePullPolicy: 'Always',
  resources: {},
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
};

const r2Container = (n: number, volume: string, file: string, word: string): Container =>
  ({
    name: `restore-hook-init${n}`,
    image: 'alpine:latest',
    command: ['/bin/ash', '-c', `echo -n "${word}" >> /restores/${volume}/${file}`],
    ...storedDefaults,
    volumeMounts: [{ mountPath: `/restores/${volume}`, name: volume }],
  }) as Container;

const SEEDS: readonly Seed[] = [
  {
    title: 'seed scenario 1: the annotation pod',
    restore: 'r1',
    hooks: {},
    annotations: ANNOTATION_HOOK,
    hookNames: ['restore-hook'],
    stored: [
      {
        name: 'restore-hook',
        image: 'alpine:latest',
        command: ['/bin/ash', '-c', 'date'],
        ...storedDefaults,
      } as Container,
    ],
  },
  {
    title: 'seed scenario 2: Restore r2 for namespace app',
    restore: 'r2',
    annotations: {},
    hookNames: R2_HOOK_NAMES,
    stored: [
      r2Container(1, 'pvc1-vm', 'foobarbaz', 'FOOBARBAZ'),
      r2Container(2, 'pvc2-vm', 'deadfeed', 'DEADFEED'),
    ],
  },
];

/** A container as stored, minus the service-account token mount that admission adds to pods' containers. */
function withoutTokenMount(c: Container): Container {
  const mounts = (c.volumeMounts ?? []).filter((m) => m.mountPath !== SERVICE_ACCOUNT_MOUNT);
  const { volumeMounts: _ignored, ...rest } = c;
  return (mounts.length > 0 ? { ...rest, volumeMounts: mounts } : rest) as Container;
}

const targetName = (target: Target) =>
  ({
    'bare pod': 'solo',
    Deployment: 'web',
    'StatefulSet (RollingUpdate)': 'db',
    'StatefulSet (OnDelete)': 'ledger',
    DaemonSet: 'agent',
    'adopted ReplicaSet': 'cache',
  })[target];

for (const seed of SEEDS) {
  describeOnBeds(
    `controller e2e, ${seed.title}, on every kind of target (client-node over HTTPS)`,
    function (bed) {
      this.timeout(120_000);
      let env: ControllerEnv;
      let reads: ClusterReads;
      /** Velero's identity creates the Restore and everything it brings back. */
      let velero: ClusterReads;
      const targets = new Map<Target, RestoredTarget>();
      /** uid of each target's restored pod, which must be replaced by one that runs the hooks. */
      const restoredPodUIDs = new Map<Target, string>();

      before(async () => {
        env = await startControllerEnv({ bed: bed.kind, conditionsCrd: true, simulation: {} });
        reads = new ClusterReads(env.client);
        velero = new ClusterReads(env.velero);
        await env.velero.request({
          method: 'POST',
          path: '/apis/velero.io/v1/namespaces/velero/restores',
          body: restoreR2({ name: seed.restore, ...(seed.hooks ? { hooks: seed.hooks } : {}) }),
        });
        // Velero restores everything before the controller catches up: pods first, then their owners.
        for (const target of TARGETS) {
          const t = restoredTarget(target, targetName(target), {
            restore: seed.restore,
            annotations: seed.annotations,
          });
          targets.set(target, t);
          for (const body of t.objects) {
            const created = await velero.create(body);
            if (body.kind === 'Pod') restoredPodUIDs.set(target, created.metadata.uid);
          }
        }
        // The restored ReplicaSet adopts its pod; until then that pod would look like a bare pod.
        const rs = targets.get('adopted ReplicaSet')!;
        await eventually(async () => {
          const [pod] = await reads.livePods(rs.namespace, rs.podSelector);
          return pod?.metadata.ownerReferences?.some((o) => o.kind === 'ReplicaSet') ? true : undefined;
        }, 'the restored ReplicaSet to adopt its restored pod');
        await env.startController();
      });
      after(async () => {
        await env?.stop();
      });

      for (const target of TARGETS) {
        it(`${target}: every pod comes to run the hooks once, in Velero's order; Events and status say so`, async () => {
          const t = targets.get(target)!;
          const restoredUID = restoredPodUIDs.get(target)!;
          const pods = await eventually(
            async () => {
              const live = await reads.livePods(t.namespace, t.podSelector);
              const settled =
                live.length === t.replicas &&
                live.every(
                  (p) =>
                    p.metadata.uid !== restoredUID &&
                    JSON.stringify(initNames(p.spec.initContainers)) === JSON.stringify(seed.hookNames),
                );
              return settled ? live : undefined;
            },
            `the ${target}'s pods to be replaced by pods that run the hooks`,
            SETTLE_MS,
          );

          for (const pod of pods) expectHookedPod(pod);
          if (t.kind !== 'Pod') {
            const workload = await reads.workload(t.kind, t.namespace, t.name);
            expect(workload.spec.template.spec.initContainers, 'template init containers').to.deep.equal(
              seed.stored,
            );
            expect(templateInitNames(workload)).to.deep.equal(seed.hookNames);
            expect(workload.spec.template.metadata?.labels?.[RESTORE_LABEL]).to.equal(seed.restore);
            const record = parseAppliedInitHooks(
              workload.spec.template.metadata?.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION],
            );
            expect(record?.restore).to.equal(`velero/${seed.restore}`);
            expect(record?.containers.map((c) => c.name)).to.deep.equal(seed.hookNames);
            const injected = await eventually(
              () => reads.eventAbout(t.namespace, 'HookInjected', t.name, t.kind),
              `a HookInjected Event about the ${t.kind}`,
            );
            expect(injected.type).to.equal('Normal');
            expect(injected.message).to.contain(seed.hookNames.join(', '));
            expect(injected.related).to.include({ kind: 'Restore', name: seed.restore });
          }
          if (t.controllerReplacesPod) {
            const restoredPodName = t.objects.find((o) => o.kind === 'Pod')!.metadata.name;
            const replaced = await eventually(
              () => reads.eventAbout(t.namespace, 'PodReplaced', restoredPodName, 'Pod'),
              'a PodReplaced Event about the restored pod',
            );
            expect(replaced.type).to.equal('Normal');
          }
          const skipped = (await reads.events(t.namespace)).filter(
            (e) =>
              (e.reason === 'HookSkipped' || e.reason === 'HookConflict') &&
              (e.involvedObject.name === t.name || e.involvedObject.name.startsWith(`${t.name}-`)),
          );
          expect(skipped, 'no pod of the target is reported skipped').to.deep.equal([]);

          const applied = await eventually(async () => {
            const c = await reads.condition(seed.restore, 'InitHooksApplied');
            return c?.status === 'True' ? c : undefined;
          }, 'InitHooksApplied=True');
          expect(applied.reason).to.equal('HooksInPlace');
          expect(await reads.condition(seed.restore, 'HooksValid')).to.include({
            status: 'True',
            reason: 'Valid',
          });
        });
      }

      function expectHookedPod(pod: Pod): void {
        const hooks = (pod.spec.initContainers ?? []).map(withoutTokenMount);
        expect(hooks, `init containers of pod ${pod.metadata.name}`).to.deep.equal(seed.stored);
        expect(pod.metadata.labels?.[RESTORE_LABEL], 'the restore label').to.equal(seed.restore);
        const record = parseAppliedInitHooks(pod.metadata.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION]);
        expect(record?.restore).to.equal(`velero/${seed.restore}`);
        expect(record?.containers.map((c) => c.name)).to.deep.equal(seed.hookNames);
        for (const [key, value] of Object.entries(seed.annotations))
          expect(pod.metadata.annotations?.[key]).to.equal(value);
      }
    },
  );
}
