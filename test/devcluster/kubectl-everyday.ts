/**
 * The everyday kubectl commands, as data: what a platform engineer types against a cluster, in the order they type
 * it, with the outcome kube-apiserver gives (exit code and key output). The devcluster suite
 * (kubectl-everyday.test.ts) and the real control plane suite (test/real/kubectl-everyday.real.ts) run the same
 * list; `devcluster` records a documented, clear refusal where the devcluster simulates no such thing
 * (docs/devcluster-semantics.md), `real` where the real test bed (kube-apiserver 1.20 with a stand-in kubelet)
 * answers differently from a 1.32 cluster.
 */
import { chmodSync } from 'node:fs';
import { expect } from 'chai';
import type { KubectlEnv, KubectlResult } from '../helpers/kubectl.ts';

export const NS = 'everyday';

type Match = string | RegExp;
export interface Outcome {
  readonly exit: number;
  readonly stdout?: readonly Match[];
  readonly stderr?: readonly Match[];
}

export interface Step {
  readonly name: string;
  readonly args: readonly string[];
  /** Files written into the kubectl environment's directory before the command (`-f NAME` resolves there). */
  readonly files?: Readonly<Record<string, string>>;
  /** Runs as EDITOR (`kubectl edit`): a shell script given the file to edit as $1. */
  readonly editor?: string;
  /**
   * A bounded watch: kubectl runs until its output matches `until`, while `poke` runs every half second (`#` in
   * it counts the pokes, so that every poke changes something).
   */
  readonly watch?: { readonly poke: readonly string[]; readonly until: RegExp };
  /** `POD` in the arguments stands for the first pod with these labels (kubectl cp takes pod names only). */
  readonly pod?: string;
  readonly expect: Outcome;
  readonly devcluster?: Outcome;
  readonly real?: Outcome;
}

const n = (...args: string[]) => ['-n', NS, ...args];
const created = (what: string) => ({ exit: 0, stdout: [`${what} created`] });

export const EVERYDAY: readonly Step[] = [
  { name: 'create namespace', args: ['create', 'namespace', NS], expect: created(`namespace/${NS}`) },
  {
    name: 'create deployment',
    args: n('create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2', '--port=80'),
    expect: created('deployment.apps/web'),
  },
  {
    name: 'create job',
    args: n('create', 'job', 'once', '--image=busybox:1.36', '--', 'echo', 'hello'),
    expect: created('job.batch/once'),
  },
  {
    name: 'create serviceaccount',
    args: n('create', 'serviceaccount', 'robot'),
    expect: created('serviceaccount/robot'),
  },
  {
    name: 'create configmap',
    args: n('create', 'configmap', 'settings', '--from-literal=mode=fast'),
    expect: created('configmap/settings'),
  },
  {
    name: 'create secret',
    args: n('create', 'secret', 'generic', 'creds', '--from-literal=password=s3cret'),
    expect: created('secret/creds'),
  },
  {
    name: 'rollout status',
    args: n('rollout', 'status', 'deployment/web', '--timeout=120s'),
    expect: { exit: 0, stdout: ['deployment "web" successfully rolled out'] },
  },
  {
    name: 'scale',
    args: n('scale', 'deployment/web', '--replicas=3'),
    expect: { exit: 0, stdout: ['deployment.apps/web scaled'] },
  },
  {
    name: 'set image',
    args: n('set', 'image', 'deployment/web', 'nginx=nginx:1.28'),
    expect: { exit: 0, stdout: ['deployment.apps/web image updated'] },
  },
  {
    name: 'rollout status after set image',
    args: n('rollout', 'status', 'deployment/web', '--timeout=120s'),
    expect: { exit: 0, stdout: ['deployment "web" successfully rolled out'] },
  },
  {
    name: 'rollout history',
    args: n('rollout', 'history', 'deployment/web'),
    expect: { exit: 0, stdout: ['REVISION', /^1\s+<none>$/m, /^2\s+<none>$/m] },
  },
  {
    name: 'rollout restart',
    args: n('rollout', 'restart', 'deployment/web'),
    expect: { exit: 0, stdout: ['deployment.apps/web restarted'] },
  },
  {
    name: 'rollout pause',
    args: n('rollout', 'pause', 'deployment/web'),
    expect: { exit: 0, stdout: ['deployment.apps/web paused'] },
  },
  {
    name: 'rollout resume',
    args: n('rollout', 'resume', 'deployment/web'),
    expect: { exit: 0, stdout: ['deployment.apps/web resumed'] },
  },
  {
    name: 'label',
    args: n('label', 'deployment', 'web', 'tier=frontend'),
    expect: { exit: 0, stdout: ['deployment.apps/web labeled'] },
  },
  {
    name: 'expose',
    args: n('expose', 'deployment', 'web', '--port=80', '--target-port=80'),
    expect: { exit: 0, stdout: ['service/web exposed'] },
  },
  {
    name: 'wait for a condition',
    args: n('wait', '--for=condition=Available', 'deployment/web', '--timeout=120s'),
    expect: { exit: 0, stdout: ['deployment.apps/web condition met'] },
  },
  {
    name: 'get -o wide',
    args: n('get', 'pods', '-o', 'wide', '-l', 'app=web'),
    expect: {
      exit: 0,
      stdout: [/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s/, /web-\S+\s+1\/1\s+Running/],
    },
  },
  {
    name: 'describe',
    args: n('describe', 'deployment', 'web'),
    expect: {
      exit: 0,
      stdout: [
        /^Name:\s+web$/m,
        /^Replicas:\s+3 desired/m,
        /Normal\s+ScalingReplicaSet\s+.*Scaled up replica set web-/,
      ],
    },
  },
  {
    name: 'get events',
    args: n('get', 'events'),
    expect: {
      exit: 0,
      stdout: [
        /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m,
        /Normal\s+ScalingReplicaSet\s+deployment\/web\s+Scaled up replica set web-/,
        /Normal\s+SuccessfulCreate\s+replicaset\/web-\S+\s+Created pod: web-/,
        /Normal\s+Scheduled\s+pod\/web-\S+\s+Successfully assigned everyday\/web-\S+ to /,
      ],
    },
  },
  {
    name: 'api-resources',
    args: ['api-resources'],
    expect: {
      exit: 0,
      stdout: [
        /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m,
        /^selfsubjectaccessreviews\s+authorization\.k8s\.io\/v1\s+false\s+SelfSubjectAccessReview$/m,
      ],
    },
  },
  { name: 'auth can-i', args: n('auth', 'can-i', 'create', 'pods'), expect: { exit: 0, stdout: [/^yes$/m] } },
  {
    name: 'auth can-i --as',
    args: n('auth', 'can-i', 'create', 'pods', '--as=nobody'),
    expect: { exit: 1, stdout: [/^no$/m] },
  },
  {
    name: 'auth can-i --list',
    args: n('auth', 'can-i', '--list'),
    expect: {
      exit: 0,
      stdout: [
        /^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/m,
        /^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m,
      ],
    },
  },
  {
    name: 'edit',
    args: n('edit', 'configmap', 'settings'),
    editor: `sed -i 's/mode: fast/mode: slow/' "$1"`,
    expect: { exit: 0, stdout: ['configmap/settings edited'] },
  },
  {
    name: 'apply',
    args: n('apply', '-f', 'pruned.yaml'),
    files: {
      'pruned.yaml': [configMap('keep', 'a: "1"'), configMap('drop', 'a: "1"')].join('---\n'),
    },
    expect: { exit: 0, stdout: ['configmap/keep created', 'configmap/drop created'] },
  },
  {
    name: 'apply --prune',
    args: n('apply', '--prune', '-l', 'app=everyday', '-f', 'kept.yaml'),
    files: { 'kept.yaml': configMap('keep', 'a: "1"') },
    expect: { exit: 0, stdout: ['configmap/keep unchanged', 'configmap/drop pruned'] },
    // kubectl 1.32's default prune allowlist names batch/v1 CronJob, which kube-apiserver 1.20 does not serve.
    real: { exit: 1, stderr: ['no matches for kind "CronJob" in version "batch/v1"'] },
  },
  {
    name: 'diff (changes: exit 1)',
    args: n('diff', '-f', 'changed.yaml'),
    files: { 'changed.yaml': configMap('keep', 'a: "2"') },
    expect: { exit: 1, stdout: [/^-\s+a: "1"$/m, /^\+\s+a: "2"$/m] },
  },
  {
    name: 'diff (no changes: exit 0)',
    args: n('diff', '-f', 'kept.yaml'),
    expect: { exit: 0 },
  },
  {
    name: 'patch --subresource=status',
    args: n(
      'patch',
      'service',
      'web',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}}',
    ),
    expect: { exit: 0, stdout: ['service/web patched'] },
  },
  {
    name: 'get --watch-only (bounded)',
    args: n('get', 'configmaps', '--watch-only', '-o', 'name'),
    watch: {
      poke: n('annotate', 'configmap', 'settings', '--overwrite', 'poked=#'),
      until: /configmap\/settings/,
    },
    expect: { exit: 0, stdout: ['configmap/settings'] },
  },
  {
    name: 'logs',
    args: n('logs', 'deployment/web'),
    expect: { exit: 0 },
    devcluster: {
      exit: 1,
      stderr: [
        'Error from server (MethodNotAllowed): pods/log is not supported by the devcluster: its simulated containers write no logs',
      ],
    },
    // The node agent (the real test bed's kubelet) serves exec only.
    real: { exit: 1, stderr: ['/containerLogs/everyday/web-'] },
  },
  {
    name: 'port-forward',
    args: n('port-forward', 'deployment/web', ':80', '--pod-running-timeout=5s'),
    watch: { poke: [], until: /Forwarding from 127\.0\.0\.1:\d+ -> 80/ },
    expect: { exit: 0, stdout: [/Forwarding from 127\.0\.0\.1:\d+ -> 80/] },
    devcluster: {
      exit: 1,
      stderr: [
        'pods/portforward is not supported by the devcluster: its simulated pods have no network endpoints to forward to',
      ],
    },
    real: { exit: 1, stderr: ['error: error upgrading connection: paths "/portForward/everyday/web-'] },
  },
  {
    name: 'cp',
    args: n('cp', 'POD:/etc/hostname', 'hostname.txt'),
    pod: 'app=web',
    expect: { exit: 0 },
    devcluster: { exit: 1, stderr: ['exec: "tar": executable file not found in $PATH'] },
    // The node agent runs exec with the devcluster's simulated shell.
    real: { exit: 1, stderr: ['exec: "tar": executable file not found in $PATH'] },
  },
  {
    name: 'delete',
    args: n('delete', 'deployment', 'web', '--wait=false'),
    expect: { exit: 0, stdout: ['deployment.apps "web" deleted'] },
  },
  {
    name: 'wait --for=delete',
    args: n('wait', '--for=delete', 'deployment/web', '--timeout=120s'),
    expect: { exit: 0 },
  },
  {
    name: 'delete what the imperative creates made',
    args: n(
      'delete',
      'job/once',
      'serviceaccount/robot',
      'configmap/settings',
      'secret/creds',
      'service/web',
    ),
    expect: {
      exit: 0,
      stdout: [
        'job.batch "once" deleted',
        'serviceaccount "robot" deleted',
        'configmap "settings" deleted',
        'secret "creds" deleted',
        'service "web" deleted',
      ],
    },
  },
];

function configMap(name: string, data: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  labels: {app: everyday}
data:
  ${data}
`;
}

/** The outcome a step should have on a target. */
export function outcomeOn(step: Step, target: 'devcluster' | 'real'): Outcome {
  return step[target] ?? step.expect;
}

const describeResult = (step: Step, r: KubectlResult) =>
  `kubectl ${step.args.join(' ')}\nexit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** Runs one step and checks its outcome: exit code and every key output. */
export async function runStep(kubectl: KubectlEnv, step: Step, outcome: Outcome): Promise<KubectlResult> {
  for (const [name, content] of Object.entries(step.files ?? {})) kubectl.file(name, content);
  if (step.pod) {
    const selector = ['get', 'pods', '-l', step.pod, '-o', 'jsonpath={.items[0].metadata.name}'];
    const pod = (await kubectl.run(['-n', NS, ...selector])).stdout.trim();
    expect(pod, `a pod with ${step.pod}`).to.not.equal('');
    step = { ...step, args: step.args.map((a) => a.replace(/^POD:/, `${pod}:`)) };
  }
  let result: KubectlResult;
  if (step.watch) result = await runBounded(kubectl, step, step.watch);
  else {
    const env: NodeJS.ProcessEnv = {};
    if (step.editor) {
      const editor = kubectl.file('editor.sh', `#!/bin/sh\n${step.editor}\n`);
      chmodSync(editor, 0o755);
      env.EDITOR = editor;
      env.KUBE_EDITOR = editor;
    }
    result = await kubectl.run(['--request-timeout=60s', ...step.args], 150_000, env);
  }
  const context = describeResult(step, result);
  expect(result.status, context).to.equal(outcome.exit);
  for (const m of outcome.stdout ?? []) expectMatch(result.stdout, m, context);
  for (const m of outcome.stderr ?? []) expectMatch(result.stderr, m, context);
  return result;
}

function expectMatch(text: string, m: Match, context: string): void {
  if (typeof m === 'string') expect(text, context).to.contain(m);
  else expect(text, context).to.match(m);
}

/**
 * A command that runs until stopped (get --watch-only, port-forward): poke until the output shows what is
 * expected, then stop it (exit 0 stands for "stopped by us"); if it exits by itself, its own status counts.
 */
async function runBounded(
  kubectl: KubectlEnv,
  step: Step,
  watch: NonNullable<Step['watch']>,
): Promise<KubectlResult> {
  const running = kubectl.start(step.args);
  const deadline = Date.now() + 60_000;
  for (let i = 0; !running.exited() && !watch.until.test(running.output()) && Date.now() < deadline; i++) {
    if (watch.poke.length) await kubectl.run(watch.poke.map((a) => a.replace('#', String(i))));
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const stoppedByUs = !running.exited();
  if (stoppedByUs) running.child.kill('SIGTERM');
  const result = await running.result;
  if (!stoppedByUs) return result;
  // Stopped while still running: a success when the output came, else the timeout's 124.
  return { ...result, status: watch.until.test(result.stdout) ? 0 : 124 };
}
