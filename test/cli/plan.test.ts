import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.ts';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/hooks/${name}`, import.meta.url));

interface PlanObject {
  kind: string;
  namespace: string;
  name: string;
  injectInitContainers: Record<string, unknown>[];
  initContainerOrder: string[];
  execHooks: { container: string; hooks: Record<string, unknown>[] }[];
  problems: { severity: string; field: string; message: string }[];
}
interface PlanReport {
  restore: string;
  restoreProblems: unknown[];
  objects: PlanObject[];
  skipped?: string[];
}

describe('restore-hooks plan', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plan-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const write = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  it('golden 1: prints the annotation hook container exactly as the API server would store it', async () => {
    const r = await runCli([
      'plan',
      '--restore',
      fixture('empty-restore.yaml'),
      '-o',
      'json',
      fixture('annotation-pod.yaml'),
    ]);
    expect(r.stderr).to.equal('');
    expect(r.status).to.equal(0);
    const report = JSON.parse(r.stdout) as PlanReport;
    expect(report.objects).to.have.length(1);
    expect(JSON.stringify(report.objects[0]!.injectInitContainers)).to.equal(
      JSON.stringify([
        {
          name: 'restore-hook',
          image: 'alpine:latest',
          command: ['/bin/ash', '-c', 'date'],
          imagePullPolicy: 'Always',
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ]),
    );
  });

  it('golden 2: Restore r2 gives every pod template in app both containers, in order, and other namespaces none', async () => {
    const r = await runCli(['plan', '--restore', fixture('restore-r2.yaml'), fixture('r2-manifests')]);
    expect(r.status).to.equal(0);
    const report = parse(r.stdout) as PlanReport;
    expect(report.restore).to.equal('velero/r2');
    const byName = new Map(report.objects.map((o) => [`${o.kind}/${o.namespace}/${o.name}`, o]));
    const expected = (n: number, vm: string, word: string, file: string) => ({
      name: `restore-hook-init${n}`,
      image: 'alpine:latest',
      volumeMounts: [{ mountPath: `/restores/${vm}`, name: vm }],
      command: ['/bin/ash', '-c', `echo -n "${word}" >> /restores/${vm}/${file}`],
      imagePullPolicy: 'Always',
      resources: {},
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    });
    const both = [
      expected(1, 'pvc1-vm', 'FOOBARBAZ', 'foobarbaz'),
      expected(2, 'pvc2-vm', 'DEADFEED', 'deadfeed'),
    ];
    const pod = byName.get('Pod/app/app-pod')!;
    expect(pod.injectInitContainers).to.deep.equal(both);
    expect(pod.initContainerOrder).to.deep.equal(['restore-hook-init1', 'restore-hook-init2', 'own-init']);
    expect(byName.get('Deployment/app/app-deploy')!.injectInitContainers).to.deep.equal(both);
    const other = byName.get('Pod/other/other-pod')!;
    expect(other.injectInitContainers).to.deep.equal([]);
    expect(other.initContainerOrder).to.deep.equal([]);
  });

  it('prints exec hooks with Go durations, and exits 1 on an error naming the field', async () => {
    const restore = await write(
      'exec-restore.yaml',
      `apiVersion: velero.io/v1
kind: Restore
metadata: { name: r3, namespace: velero }
spec:
  backupName: b3
  hooks:
    resources:
      - name: exec
        postHooks:
          - exec: { container: db, command: [pg_ctl, reload], onError: Fail, execTimeout: 1m30s }
`,
    );
    const pods = await write(
      'pods.yaml',
      `apiVersion: v1
kind: Pod
metadata: { name: db-0, namespace: data }
spec:
  containers: [{ name: db, image: postgres:17 }]
---
apiVersion: v1
kind: Pod
metadata: { name: web-0, namespace: data }
spec:
  containers: [{ name: web, image: nginx }]
---
apiVersion: v1
kind: Service
metadata: { name: svc, namespace: data }
`,
    );
    const r = await runCli(['plan', '--restore', restore, '-o', 'json', pods]);
    expect(r.status).to.equal(1);
    const report = JSON.parse(r.stdout) as PlanReport;
    expect(report.objects[0]!.execHooks).to.deep.equal([
      {
        container: 'db',
        hooks: [
          {
            command: ['pg_ctl', 'reload'],
            onError: 'Fail',
            execTimeout: '1m30s',
            waitTimeout: 'unset',
            waitForReady: false,
            source: 'spec',
            resource: 'exec',
            id: (report.objects[0]!.execHooks[0]!.hooks[0] as { id: string }).id,
          },
        ],
      },
    ]);
    expect(report.objects[0]!.problems).to.deep.equal([]);
    expect(report.objects[1]!.problems.map((p) => [p.severity, p.field])).to.deep.equal([
      ['error', 'spec.hooks.resources[0].postHooks[0].exec.container'],
    ]);
    expect(report.skipped).to.have.length(1);
    expect(report.skipped![0]).to.contain('Service svc');
  });

  it('exits 1 on an invalid Restore and lists its problems with field paths', async () => {
    const restore = await write(
      'bad-restore.yaml',
      `apiVersion: velero.io/v1
kind: Restore
metadata: { name: bad, namespace: velero }
spec:
  hooks:
    resources:
      - name: h
        labelSelector: { matchExpressions: [{ key: app, operator: Equals, values: [x] }] }
`,
    );
    const r = await runCli(['plan', '--restore', restore, fixture('annotation-pod.yaml')]);
    expect(r.status).to.equal(1);
    expect(r.stdout).to.contain('spec.hooks.resources[0].labelSelector.matchExpressions[0].operator');
  });

  it('shows policy.securityContext refusing a privileged hook container, with the field path (exit 1)', async () => {
    const restore = await write(
      'privileged-restore.yaml',
      `apiVersion: velero.io/v1
kind: Restore
metadata: { name: root, namespace: velero }
spec:
  hooks:
    resources:
      - name: h
        postHooks:
          - init:
              initContainers:
                - name: root-hook
                  image: alpine:3.20
                  command: ['true']
                  securityContext: { privileged: true, allowPrivilegeEscalation: true, capabilities: { add: [SYS_ADMIN] } }
`,
    );
    const r = await runCli(['plan', '--restore', restore, '-o', 'json', fixture('annotation-pod.yaml')]);
    expect(r.status).to.equal(1);
    const report = JSON.parse(r.stdout) as PlanReport;
    const at = 'spec.hooks.resources[0].postHooks[0].init.initContainers[0].securityContext';
    expect((report.restoreProblems as { field: string }[]).map((p) => p.field)).to.deep.equal([
      `${at}.privileged`,
      `${at}.allowPrivilegeEscalation`,
      `${at}.capabilities.add[0]`,
    ]);
  });

  it('shows that a Restore reaches no namespace it did not restore (a warning, exit 0)', async () => {
    const restore = await write(
      'scoped-restore.yaml',
      `apiVersion: velero.io/v1
kind: Restore
metadata: { name: rx, namespace: velero }
spec:
  includedNamespaces: [app]
  hooks:
    resources:
      - name: h
        postHooks: [{ exec: { command: ['true'] } }]
`,
    );
    const pod = await write(
      'team-pod.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata: { name: p, namespace: team }\nspec: { containers: [{ name: c, image: busybox }] }\n',
    );
    const r = await runCli(['plan', '--restore', restore, '-o', 'json', pod]);
    expect(r.status).to.equal(0);
    const obj = (JSON.parse(r.stdout) as PlanReport).objects[0]!;
    expect(obj.execHooks).to.deep.equal([]);
    expect(obj.problems.map((p) => [p.severity, p.field])).to.deep.equal([['warning', 'metadata.namespace']]);
  });

  it('reports that Job templates are immutable, as a warning (exit 0)', async () => {
    const job = await write(
      'job.yaml',
      `apiVersion: batch/v1
kind: Job
metadata: { name: migrate, namespace: app }
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{ name: m, image: busybox }]
      volumes: [{ name: pvc1-vm, emptyDir: {} }, { name: pvc2-vm, emptyDir: {} }]
`,
    );
    const r = await runCli(['plan', '--restore', fixture('restore-r2.yaml'), '-o', 'json', job]);
    expect(r.status).to.equal(0);
    const obj = (JSON.parse(r.stdout) as PlanReport).objects[0]!;
    expect(obj.injectInitContainers).to.deep.equal([]);
    expect(obj.problems.map((p) => [p.severity, p.field])).to.deep.equal([['warning', 'spec.template']]);
    expect(obj.problems[0]!.message).to.contain('immutable');
  });

  const unusable: [string, () => Promise<string[]>, string][] = [
    [
      'a missing Restore file',
      async () => ['--restore', join(dir, 'nope.yaml'), fixture('annotation-pod.yaml')],
      'nope.yaml: cannot read: ENOENT',
    ],
    [
      'a missing manifest',
      async () => ['--restore', fixture('restore-r2.yaml'), join(dir, 'missing')],
      'missing: cannot read',
    ],
    [
      'invalid YAML',
      async () => [
        '--restore',
        fixture('restore-r2.yaml'),
        await write('broken.yaml', 'kind: Pod\n  bad: [\n'),
      ],
      'broken.yaml',
    ],
    [
      'a Restore of the wrong kind',
      async () => ['--restore', fixture('annotation-pod.yaml'), fixture('annotation-pod.yaml')],
      'apiVersion/kind: expected velero.io/v1 Restore, got v1 Pod',
    ],
    [
      'a Deployment without a template',
      async () => [
        '--restore',
        fixture('restore-r2.yaml'),
        await write(
          'notemplate.yaml',
          'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\nspec: {}\n',
        ),
      ],
      'spec.template: Required value',
    ],
    ['no manifests', async () => ['--restore', fixture('restore-r2.yaml')], 'at least one MANIFEST'],
  ];
  for (const [name, args, message] of unusable)
    it(`exits 2 on ${name}, naming it`, async () => {
      const r = await runCli(['plan', ...(await args())]);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.contain(message);
      expect(r.stdout).to.equal('');
    });

  describe('unknown fields of spec.hooks (kubectl-style strict field validation)', () => {
    const restore = [
      'apiVersion: velero.io/v1',
      'kind: Restore',
      'metadata: {name: r, namespace: velero}',
      'spec:',
      '  hooks:',
      '    resources:',
      '      - name: h',
      '        postHook:',
      '          - exec: {command: [echo, hi]}',
      '',
    ].join('\n');
    const pod =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec: {containers: [{name: app, image: nginx}]}\n';
    const warning =
      'restore-hooks plan: warning: unknown field spec.hooks.resources[0].postHook, did you mean postHooks?\n';

    it('warns naming the field path and the nearest known field, exit 0', async () => {
      const r = await runCli([
        'plan',
        '--restore',
        await write('typo.yaml', restore),
        '-o',
        'json',
        await write('p.yaml', pod),
      ]);
      expect(r.stderr).to.equal(warning);
      expect(r.status).to.equal(0);
      const report = JSON.parse(r.stdout) as PlanReport;
      expect(report.restoreProblems).to.deep.include({
        severity: 'warning',
        field: 'spec.hooks.resources[0].postHook',
        message: 'unknown field spec.hooks.resources[0].postHook, did you mean postHooks?',
      });
      expect(report.objects[0]!.execHooks).to.deep.equal([]);
    });

    it('--strict makes it exit 1', async () => {
      const r = await runCli([
        'plan',
        '--strict',
        '--restore',
        await write('typo2.yaml', restore),
        await write('p2.yaml', pod),
      ]);
      expect(r.stderr).to.equal(warning);
      expect(r.status).to.equal(1);
    });
  });
});
