/**
 * The bad-inputs corpus (docs/errors.md): pod hook annotations, Restore spec.hooks, config file values, environment
 * variables, command-line flags and the exec-hook progress record. Every case asserts the documented error — the field, setting, variable or flag
 * it names — and that nothing throws: the hook engine reports problems, the CLI exits 2 with one message.
 * Malformed API responses are in api-responses.test.ts.
 */
import { PassThrough } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { main } from '../../src/cli.ts';
import { parseFlags } from '../../src/cli/flags.ts';
import { runFlags } from '../../src/cli/commands/run.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { resolveSettings } from '../../src/config/resolve.ts';
import { planHooks } from '../../src/hooks/plan.ts';
import { parseRestoreHooks } from '../../src/hooks/validate.ts';
import { DEFAULT_HOOK_POLICY } from '../../src/hooks/policy.ts';
import { formatProblem } from '../../src/hooks/problems.ts';
import type { Problem } from '../../src/hooks/problems.ts';
import { formatExecRecord, parseExecRecord } from '../../src/controller/exec-hooks/exec-record.ts';
import type { ExecRecord } from '../../src/controller/exec-hooks/exec-record.ts';

const I = 'init.hook.restore.velero.io/';
const P = 'post.hook.restore.velero.io/';
const INIT = { [`${I}container-image`]: 'alpine:3.20', [`${I}command`]: '["/bin/sh","-c","true"]' };
const EXEC = { [`${P}command`]: '["/bin/sh","-c","true"]' };
const field = (key: string) => `metadata.annotations[${key}]`;

type Expected = { severity: 'error' | 'warning'; field: string; message: RegExp };
const err = (f: string, message: RegExp): Expected => ({ severity: 'error', field: f, message });
const warn = (f: string, message: RegExp): Expected => ({ severity: 'warning', field: f, message });

function expectProblem(problems: readonly Problem[], expected: Expected): void {
  const lines = problems.map(formatProblem);
  const match = problems.find((p) => p.field === expected.field && p.severity === expected.severity);
  expect(match, `a ${expected.severity} on ${expected.field} among: ${lines.join(' | ')}`).to.not.equal(
    undefined,
  );
  expect(match!.message).to.match(expected.message);
}

/** [title, annotations, expected problem]; the pod has one app container, `app`. */
const annotationCases: [string, Record<string, string>, Expected][] = [
  [
    'init name not a DNS label',
    { ...INIT, [`${I}container-name`]: 'Bad_Name' },
    err(field(`${I}container-name`), /lowercase RFC 1123 label/),
  ],
  [
    'init name with a dot',
    { ...INIT, [`${I}container-name`]: 'a.b' },
    err(field(`${I}container-name`), /RFC 1123 label/),
  ],
  [
    'init name of 64 characters',
    { ...INIT, [`${I}container-name`]: 'a'.repeat(64) },
    err(field(`${I}container-name`), /no more than 63 characters/),
  ],
  [
    'init name starting with a dash',
    { ...INIT, [`${I}container-name`]: '-x' },
    err(field(`${I}container-name`), /RFC 1123 label/),
  ],
  [
    'init name taken by the app container',
    { ...INIT, [`${I}container-name`]: 'app' },
    err(field(`${I}container-image`), /already has an application container named "app"/),
  ],
  [
    'init image with leading whitespace',
    { [`${I}container-image`]: ' alpine' },
    err(field(`${I}container-image`), /must not have leading or trailing whitespace/),
  ],
  [
    'init image with trailing whitespace',
    { [`${I}container-image`]: 'alpine:3 ' },
    err(field(`${I}container-image`), /must not have leading or trailing whitespace/),
  ],
  [
    'init command with a non-string element',
    { ...INIT, [`${I}command`]: '["a", 1]' },
    warn(field(`${I}command`), /not a JSON array of strings/),
  ],
  [
    'init command of broken JSON',
    { ...INIT, [`${I}command`]: '["a"' },
    warn(field(`${I}command`), /not a JSON array of strings/),
  ],
  [
    'init command of a JSON object in brackets',
    { ...INIT, [`${I}command`]: '[{"a":1}]' },
    warn(field(`${I}command`), /not a JSON array of strings/),
  ],
  [
    'exec container that does not exist',
    { ...EXEC, [`${P}container`]: 'nope' },
    err(field(`${P}container`), /Not found: "nope": the pod has no such container \(it has: app\)/),
  ],
  [
    'exec container in upper case',
    { ...EXEC, [`${P}container`]: 'APP' },
    err(field(`${P}container`), /Not found: "APP"/),
  ],
  [
    'exec on-error not Continue/Fail',
    { ...EXEC, [`${P}on-error`]: 'Explode' },
    warn(field(`${P}on-error`), /Unsupported value: "Explode".*"Continue" or "Fail"/),
  ],
  [
    'exec on-error in lower case',
    { ...EXEC, [`${P}on-error`]: 'fail' },
    warn(field(`${P}on-error`), /Unsupported value: "fail"/),
  ],
  [
    'exec timeout with a unit Go lacks',
    { ...EXEC, [`${P}exec-timeout`]: '5x' },
    warn(field(`${P}exec-timeout`), /unknown unit "x".*using the default 30s/),
  ],
  [
    'exec timeout without a unit',
    { ...EXEC, [`${P}exec-timeout`]: '30' },
    warn(field(`${P}exec-timeout`), /missing unit.*using the default 30s/),
  ],
  [
    'exec timeout negative',
    { ...EXEC, [`${P}exec-timeout`]: '-5s' },
    warn(field(`${P}exec-timeout`), /must not be negative; using the default 30s/),
  ],
  [
    'exec timeout in scientific notation',
    { ...EXEC, [`${P}exec-timeout`]: '1e3s' },
    warn(field(`${P}exec-timeout`), /unknown unit "e"/),
  ],
  [
    'exec wait-timeout not a duration',
    { ...EXEC, [`${P}wait-timeout`]: 'soon' },
    warn(field(`${P}wait-timeout`), /invalid duration "soon".*treated as unset/),
  ],
  [
    'exec wait-timeout that overflows',
    { ...EXEC, [`${P}wait-timeout`]: '99999999999h' },
    warn(field(`${P}wait-timeout`), /invalid duration "99999999999h"/),
  ],
  [
    'exec wait-for-ready not a boolean',
    { ...EXEC, [`${P}wait-for-ready`]: 'maybe' },
    warn(field(`${P}wait-for-ready`), /expected true or false \(Go ParseBool\); treated as false/),
  ],
  [
    'exec wait-for-ready "yes"',
    { ...EXEC, [`${P}wait-for-ready`]: 'yes' },
    warn(field(`${P}wait-for-ready`), /Invalid value: "yes"/),
  ],
  [
    'init name with non-ASCII characters (issue 17)',
    { ...INIT, [`${I}container-name`]: 'init-名前' },
    err(field(`${I}container-name`), /Invalid value: "init-名前": a lowercase RFC 1123 label/),
  ],
  [
    'init command annotation over 16 KiB',
    { ...INIT, [`${I}command`]: JSON.stringify(['sh', '-c', 'x'.repeat(16 * 1024)]) },
    err(field(`${I}command`), /Too long: \d+ bytes: may not be more than 16384 bytes/),
  ],
  [
    'exec command annotation over 16 KiB',
    { [`${P}command`]: 'y'.repeat(16 * 1024 + 1) },
    err(field(`${P}command`), /Too long: 16385 bytes: may not be more than 16384 bytes/),
  ],
];

const restoreWith = (hooks: unknown) => ({
  apiVersion: 'velero.io/v1',
  kind: 'Restore',
  metadata: { name: 'r', namespace: 'velero' },
  spec: { hooks },
});
const R = 'spec.hooks.resources[0]';
const resource = (extra: Record<string, unknown>) => ({ resources: [{ name: 'h', ...extra }] });
const initHook = (container: Record<string, unknown>) =>
  resource({
    postHooks: [
      { init: { initContainers: [{ name: 'x', image: 'alpine', command: ['true'], ...container }] } },
    ],
  });
const execHook = (exec: Record<string, unknown>) =>
  resource({ postHooks: [{ exec: { command: ['true'], ...exec } }] });
const IC = `${R}.postHooks[0].init.initContainers[0]`;
const EX = `${R}.postHooks[0].exec`;

/** [title, the Restore (or its spec.hooks), expected problem]. Every one is an error: Velero fails such a Restore. */
const restoreCases: [string, unknown, Expected][] = [
  ['a Restore that is not an object', 'junk', err('', /a Restore must be an object/)],
  ['a null Restore', null, err('', /a Restore must be an object/)],
  ['spec not an object', { spec: 'x' }, err('spec', /must be an object/)],
  ['spec.hooks a string', restoreWith('nope'), err('spec.hooks', /must be an object/)],
  ['spec.hooks a list', restoreWith([]), err('spec.hooks', /must be an object/)],
  ['resources not a list', restoreWith({ resources: 'x' }), err('spec.hooks.resources', /must be a list/)],
  ['a resource that is not an object', restoreWith({ resources: [1] }), err(R, /must be an object/)],
  ['a resource without a name', restoreWith({ resources: [{}] }), err(`${R}.name`, /Required value/)],
  [
    'a resource with an empty name',
    restoreWith({ resources: [{ name: '' }] }),
    err(`${R}.name`, /Required value/),
  ],
  [
    'includedNamespaces a string',
    restoreWith(resource({ includedNamespaces: 'app' })),
    err(`${R}.includedNamespaces`, /must be a list of strings/),
  ],
  [
    'includedNamespaces with a number',
    restoreWith(resource({ includedNamespaces: [1] })),
    err(`${R}.includedNamespaces[0]`, /must be a string, got 1/),
  ],
  [
    'includedNamespaces with an unclosed class',
    restoreWith(resource({ includedNamespaces: ['['] })),
    err(`${R}.includedNamespaces[0]`, /invalid glob pattern "\[": unclosed character class/),
  ],
  [
    'excludedNamespaces with an unclosed brace',
    restoreWith(resource({ excludedNamespaces: ['a{'] })),
    err(`${R}.excludedNamespaces[0]`, /invalid glob pattern "a\{": unclosed \{/),
  ],
  [
    'labelSelector a string',
    restoreWith(resource({ labelSelector: 'app=x' })),
    err(`${R}.labelSelector`, /must be an object/),
  ],
  [
    'matchLabels value a number',
    restoreWith(resource({ labelSelector: { matchLabels: { a: 1 } } })),
    err(`${R}.labelSelector.matchLabels[a]`, /must be a string/),
  ],
  [
    'matchLabels key with a space',
    restoreWith(resource({ labelSelector: { matchLabels: { 'bad key': 'v' } } })),
    err(`${R}.labelSelector.matchLabels`, /Invalid value: "bad key"/),
  ],
  [
    'matchExpressions with an unknown operator',
    restoreWith(resource({ labelSelector: { matchExpressions: [{ key: 'a', operator: 'Near' }] } })),
    err(`${R}.labelSelector.matchExpressions[0].operator`, /Unsupported value: "Near"/),
  ],
  [
    'In without values',
    restoreWith(resource({ labelSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } })),
    err(
      `${R}.labelSelector.matchExpressions[0].values`,
      /Required value: must be specified when `operator` is 'In'/,
    ),
  ],
  [
    'Exists with values',
    restoreWith(
      resource({ labelSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } }),
    ),
    err(`${R}.labelSelector.matchExpressions[0].values`, /Forbidden/),
  ],
  [
    'postHooks not a list',
    restoreWith(resource({ postHooks: 'x' })),
    err(`${R}.postHooks`, /must be a list/),
  ],
  [
    'a post hook with neither init nor exec',
    restoreWith(resource({ postHooks: [{}] })),
    err(`${R}.postHooks[0]`, /Required value: init or exec/),
  ],
  [
    'a post hook with both init and exec',
    restoreWith(resource({ postHooks: [{ init: {}, exec: { command: ['x'] } }] })),
    err(`${R}.postHooks[0]`, /Forbidden: only one of init and exec/),
  ],
  [
    'initContainers not a list',
    restoreWith(resource({ postHooks: [{ init: { initContainers: 'x' } }] })),
    err(`${R}.postHooks[0].init.initContainers`, /must be a list of containers/),
  ],
  [
    'an init container without a name',
    restoreWith(initHook({ name: undefined })),
    err(`${IC}.name`, /Required value: a container name/),
  ],
  [
    'an init container without an image',
    restoreWith(initHook({ image: undefined })),
    err(`${IC}.image`, /Required value: a container image/),
  ],
  [
    'an init container with a blank image',
    restoreWith(initHook({ image: '  ' })),
    err(`${IC}.image`, /Required value: a container image/),
  ],
  [
    'an init container image with whitespace around it',
    restoreWith(initHook({ image: ' alpine ' })),
    err(`${IC}.image`, /must not have leading or trailing whitespace/),
  ],
  [
    'an init container without a command',
    restoreWith(initHook({ command: undefined })),
    err(`${IC}.command`, /Velero requires a command/),
  ],
  [
    'an init container command as a string',
    restoreWith(initHook({ command: 'ls' })),
    err(`${IC}.command`, /must be a list of strings/),
  ],
  [
    'an init container name not a DNS label',
    restoreWith(initHook({ name: 'X_Y' })),
    err(`${IC}.name`, /Invalid value: "X_Y"/),
  ],
  [
    'an init container args with a number',
    restoreWith(initHook({ args: ['a', 2] })),
    err(`${IC}.args[1]`, /must be a string, got 2/),
  ],
  [
    'an init container volumeMounts not a list',
    restoreWith(initHook({ volumeMounts: 'data' })),
    err(`${IC}.volumeMounts`, /must be a list/),
  ],
  [
    'an exec hook without a command',
    restoreWith(resource({ postHooks: [{ exec: {} }] })),
    err(`${EX}.command`, /Required value: at least one item/),
  ],
  [
    'an exec hook with an empty command',
    restoreWith(execHook({ command: [] })),
    err(`${EX}.command`, /Required value: at least one item/),
  ],
  [
    'an exec command as a string',
    restoreWith(execHook({ command: 'ls' })),
    err(`${EX}.command`, /must be a list of strings/),
  ],
  [
    'an exec command with a number',
    restoreWith(execHook({ command: ['ls', 3] })),
    err(`${EX}.command[1]`, /must be a string, got 3/),
  ],
  [
    'an exec onError not Continue/Fail',
    restoreWith(execHook({ onError: 'Explode' })),
    err(`${EX}.onError`, /Unsupported value: "Explode": supported values: "Continue", "Fail"/),
  ],
  [
    'an exec execTimeout not a duration',
    restoreWith(execHook({ execTimeout: 'soon' })),
    err(`${EX}.execTimeout`, /Invalid value: "soon"/),
  ],
  [
    'an exec execTimeout as a number',
    restoreWith(execHook({ execTimeout: 30 })),
    err(`${EX}.execTimeout`, /must be a Go duration string/),
  ],
  [
    'an exec waitTimeout negative',
    restoreWith(execHook({ waitTimeout: '-1s' })),
    err(`${EX}.waitTimeout`, /must not be negative/),
  ],
  [
    'an exec waitForReady as a string',
    restoreWith(execHook({ waitForReady: 'yes' })),
    err(`${EX}.waitForReady`, /must be true or false/),
  ],
  [
    'an exec container as a number',
    restoreWith(execHook({ container: 5 })),
    err(`${EX}.container`, /must be a string/),
  ],
  [
    'namespaceMapping not a map',
    { spec: { namespaceMapping: 'x' } },
    err('spec.namespaceMapping', /must be a map of namespace names/),
  ],
  [
    'namespaceMapping to a number',
    { spec: { namespaceMapping: { a: 1 } } },
    err('spec.namespaceMapping[a]', /must be a string/),
  ],
  [
    'includedNamespaces with an invalid glob',
    { spec: { includedNamespaces: ['app-['] } },
    err('spec.includedNamespaces[0]', /unclosed character class|invalid/),
  ],
  [
    'excludedNamespaces not a list',
    { spec: { excludedNamespaces: 'team' } },
    err('spec.excludedNamespaces', /must be a list of strings/),
  ],
  [
    'a privileged hook container (policy.securityContext)',
    restoreWith(initHook({ securityContext: { privileged: true } })),
    err(
      `${IC}.securityContext.privileged`,
      /Forbidden: privileged hook containers are not allowed by policy/,
    ),
  ],
  [
    'a hook container allowing privilege escalation',
    restoreWith(initHook({ securityContext: { allowPrivilegeEscalation: true } })),
    err(`${IC}.securityContext.allowPrivilegeEscalation`, /Forbidden: privilege escalation/),
  ],
  [
    'a hook container adding SYS_ADMIN',
    restoreWith(initHook({ securityContext: { capabilities: { add: ['SYS_ADMIN'] } } })),
    err(`${IC}.securityContext.capabilities.add[0]`, /Forbidden: adding capability "SYS_ADMIN"/),
  ],
  [
    '10,000 hook resources',
    restoreWith({ resources: Array.from({ length: 10_000 }, (_, i) => ({ name: `h${i}` })) }),
    err('spec.hooks.resources', /Too many: 10000: must have at most 200 hook resources per Restore/),
  ],
  [
    '5,000 init containers in one hook',
    restoreWith(
      resource({
        postHooks: [
          {
            init: {
              initContainers: Array.from({ length: 5000 }, (_, i) => ({
                name: `c${i}`,
                image: 'a',
                command: ['t'],
              })),
            },
          },
        ],
      }),
    ),
    err(
      `${R}.postHooks[0].init.initContainers`,
      /Too many: 5000: must have at most 20 init containers per hook/,
    ),
  ],
  [
    '51 post hooks in one resource',
    restoreWith(resource({ postHooks: Array.from({ length: 51 }, () => ({ exec: { command: ['true'] } })) })),
    err(`${R}.postHooks`, /Too many: 51: must have at most 50 post hooks per hook resource/),
  ],
  [
    'an exec command over 16 KiB',
    restoreWith(execHook({ command: ['sh', '-c', 'z'.repeat(16 * 1024)] })),
    err(`${EX}.command`, /Too long: \d+ bytes: may not be more than 16384 bytes/),
  ],
];

describe('bad inputs: pod hook annotations', () => {
  const none = parseRestoreHooks(restoreWith(undefined), DEFAULT_HOOK_POLICY);
  for (const [title, annotations, expected] of annotationCases) {
    it(title, () => {
      const plan = planHooks(none, {
        namespace: 'app',
        annotations,
        podSpec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      });
      expectProblem(plan.problems, expected);
      // An error keeps the hook out of the pod; nothing invalid is ever written.
      if (expected.severity === 'error' && expected.field.startsWith(`metadata.annotations[${I}`))
        expect(plan.initHooks.filter((h) => h.state === 'insert')).to.deep.equal([]);
    });
  }
});

describe('bad inputs: Restore spec.hooks', () => {
  for (const [title, restore, expected] of restoreCases) {
    it(title, () => expectProblem(parseRestoreHooks(restore, DEFAULT_HOOK_POLICY).problems, expected));
  }
});

const CONFIG = 'restore-hooks.yaml';

/** [config file, the one problem it must produce]; the CLI exits 2 with it (see the CLI cases). */
const configCases: [string, string][] = [
  ['veleroNamespaces: velero', 'veleroNamespaces: expected a list, got "velero"'],
  ['veleroNamespaces: []', 'veleroNamespaces: expected at least 1 item(s), got []'],
  ['veleroNamespaces: [""]', 'veleroNamespaces: [0]: expected a namespace name, got ""'],
  ['veleroNamespaces: [Bad_NS]', 'veleroNamespaces: [0]: expected a namespace name, got "Bad_NS"'],
  ['hookWindow: -1s', 'hookWindow: must not be negative, got "-1s"'],
  ['hookWindow: 5', 'hookWindow: invalid duration 5 (write it with a unit, e.g. "30s", "10m", "1h30m")'],
  ['hookWindow: 1x', 'hookWindow: invalid duration "1x"'],
  ['templateCleanup: Delete', 'templateCleanup: expected one of RemoveAfterRestore, Retain, got "Delete"'],
  ['concurrency: {reconciles: 0}', 'concurrency.reconciles: expected an integer of at least 1, got 0'],
  ['concurrency: {reconciles: 1.5}', 'concurrency.reconciles: expected an integer of at least 1, got 1.5'],
  ['concurrency: {execHooks: ten}', 'concurrency.execHooks: expected an integer of at least 1, got "ten"'],
  ['concurrency: 4', 'concurrency: expected a mapping of settings, got 4'],
  ['api: {qps: 0}', 'api.qps: expected a number greater than 0, got 0'],
  ['api: {qps: -1}', 'api.qps: expected a number greater than 0, got -1'],
  ['api: {burst: 0}', 'api.burst: expected an integer of at least 1, got 0'],
  ['exec: []', 'exec: expected a mapping of settings, got []'],
  ['exec: {defaultExecTimeout: 0s}', 'exec.defaultExecTimeout: must be longer than 0, got "0s"'],
  ['exec: {defaultWaitTimeout: forever}', 'exec.defaultWaitTimeout: invalid duration "forever"'],
  ['exec: {retries: {attempts: 0}}', 'exec.retries.attempts: expected an integer of at least 1, got 0'],
  [
    'exec: {defaultExecTimout: 5s}',
    'exec.defaultExecTimout: unknown setting (did you mean "defaultExecTimeout"?)',
  ],
  ['policy: {annotationHooks: maybe}', 'policy.annotationHooks: expected true or false, got "maybe"'],
  ['policy: {allowedImages: "*"}', 'policy.allowedImages: expected a list, got "*"'],
  [
    'policy: {allowedImages: ["["]}',
    'policy.allowedImages: [0]: invalid glob pattern "[": unclosed character class',
  ],
  ['policy: {annotationExecHooks: off}', 'policy.annotationExecHooks: expected true or false, got "off"'],
  [
    'policy: {securityContext: {allowPrivileged: 1}}',
    'policy.securityContext.allowPrivileged: expected true or false, got 1',
  ],
  [
    'policy: {securityContext: {allowedCapabilities: [cap_sys_admin]}}',
    'policy.securityContext.allowedCapabilities: [0]: expected a capability name such as "CHOWN" or "NET_BIND_SERVICE" (upper case, no CAP_ prefix), or "*", got "cap_sys_admin"',
  ],
  ['leaderElection: {enabled: yes}', 'leaderElection.enabled: expected true or false, got "yes"'],
  [
    'leaderElection: {leaseName: "Bad Name"}',
    'leaderElection.leaseName: expected a Lease name (DNS-1123 subdomain), got "Bad Name"',
  ],
  [
    'leaderElection: {leaseNamespace: UPPER}',
    'leaderElection.leaseNamespace: expected a namespace name, or "" for the pod\'s own, got "UPPER"',
  ],
  ['leaderElection: {retryPeriod: 0s}', 'leaderElection.retryPeriod: must be longer than 0, got "0s"'],
  ['metricsBindAddress: 8080', 'metricsBindAddress: expected a string, got 8080'],
  [
    'metricsBindAddress: localhost',
    'metricsBindAddress: expected HOST:PORT (e.g. ":8080" or "127.0.0.1:8080"), got "localhost"',
  ],
  [
    'healthProbeBindAddress: ":99999"',
    'healthProbeBindAddress: expected HOST:PORT (e.g. ":8080" or "127.0.0.1:8080"), got ":99999"',
  ],
  ['logLevel: 3', 'logLevel: expected one of error, warn, info, debug, got 3'],
  ['"just a string"', '(top level): expected a mapping of settings, got "just a string"'],
  ['a: b: c', 'Nested mappings are not allowed in compact mappings at line 1, column 4'],
  ['{{{', 'Flow map must end with a } at line 1, column 4'],
  ['veleroNamespace: [velero]', 'veleroNamespace: unknown setting (did you mean "veleroNamespaces"?)'],
];

function configProblems(
  yaml: string,
  env: Record<string, string> = {},
  argv = ['--config', CONFIG],
): string[] {
  try {
    resolveSettings(parseFlags(runFlags, argv, env, false), env, () => yaml);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('bad inputs: config file values', () => {
  for (const [yaml, problem] of configCases) {
    it(JSON.stringify(yaml), () => {
      const problems = configProblems(yaml);
      expect(problems, 'one message per problem').to.have.length(new Set(problems).size);
      expect(problems).to.include(`${CONFIG}: ${problem}`);
    });
  }
});

/** [variable, value, the problem] read by resolveSettings (settings without a flag). */
const envCases: [string, string, string][] = [
  [
    'RESTORE_HOOKS_API_QPS',
    'fast',
    'RESTORE_HOOKS_API_QPS (api.qps): expected a number greater than 0, got "fast"',
  ],
  ['RESTORE_HOOKS_HOOK_WINDOW', 'soon', 'RESTORE_HOOKS_HOOK_WINDOW (hookWindow): invalid duration "soon"'],
  [
    'RESTORE_HOOKS_VELERO_NAMESPACES',
    ',',
    'RESTORE_HOOKS_VELERO_NAMESPACES (veleroNamespaces): [0]: expected a namespace name, got ""',
  ],
  [
    'RESTORE_HOOKS_TEMPLATE_CLEANUP',
    'x',
    'RESTORE_HOOKS_TEMPLATE_CLEANUP (templateCleanup): expected one of RemoveAfterRestore, Retain, got "x"',
  ],
  [
    'RESTORE_HOOKS_CONCURRENCY_RECONCILES',
    '-3',
    'RESTORE_HOOKS_CONCURRENCY_RECONCILES (concurrency.reconciles): expected an integer of at least 1, got "-3"',
  ],
  [
    'RESTORE_HOOKS_POLICY_ANNOTATION_EXEC_HOOKS',
    'no',
    'RESTORE_HOOKS_POLICY_ANNOTATION_EXEC_HOOKS (policy.annotationExecHooks): expected true or false, got "no"',
  ],
  [
    'RESTORE_HOOKS_POLICY_ANNOTATION_HOOKS',
    '2',
    'RESTORE_HOOKS_POLICY_ANNOTATION_HOOKS (policy.annotationHooks): expected true or false, got "2"',
  ],
  [
    'RESTORE_HOOKS_EXEC_RETRIES_ATTEMPTS',
    '1.5',
    'RESTORE_HOOKS_EXEC_RETRIES_ATTEMPTS (exec.retries.attempts): expected an integer of at least 1, got "1.5"',
  ],
  [
    'RESTORE_HOOKS_LEADER_ELECTION_LEASE_DURATION',
    '15',
    'RESTORE_HOOKS_LEADER_ELECTION_LEASE_DURATION (leaderElection.leaseDuration): invalid duration "15"',
  ],
];

describe('bad inputs: environment variables', () => {
  for (const [name, value, problem] of envCases) {
    it(`${name}=${JSON.stringify(value)}`, () =>
      expect(configProblems('', { [name]: value }, [])).to.include(problem));
  }
});

async function cli(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ status: number; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (d: Buffer) => (text += d.toString()));
  stdout.resume();
  const status = await main(argv, { stdout, stderr, env });
  return { status, stderr: text };
}

describe('bad inputs: command-line flags and their variables (exit status 2)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bad-inputs-'));
    writeFileSync(join(dir, 'bad.yaml'), 'hookWindow: 5x\n');
    writeFileSync(join(dir, 'faults-json.json'), '{"rules": [');
    writeFileSync(join(dir, 'faults-code.json'), JSON.stringify({ rules: [{ error: { code: 418 } }] }));
    writeFileSync(join(dir, 'faults-seed.json'), JSON.stringify({ seed: 'x' }));
    writeFileSync(join(dir, 'faults-field.json'), JSON.stringify({ seed: 1, rule: [] }));
    writeFileSync(
      join(dir, 'faults-rate.json'),
      JSON.stringify({ rules: [{ error: { code: 500, rate: 2 } }] }),
    );
    writeFileSync(join(dir, 'faults-empty.json'), JSON.stringify({ rules: [{ verbs: ['get'] }] }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** [argv, env, a message the one-line error must contain]. */
  const cases: [string[], Record<string, string>, string][] = [
    [['run', '--kubeconfig'], {}, "restore-hooks run: Option '--kubeconfig <value>' argument missing"],
    [['run', '--kubeconfig', ''], {}, 'restore-hooks run: --kubeconfig: must not be empty'],
    [
      ['run', '--log-level', 'loud'],
      {},
      'restore-hooks run: --log-level: expected one of error, warn, info, debug, got "loud"',
    ],
    [
      ['run', '--metrics-bind-address', 'nope'],
      {},
      'restore-hooks run: --metrics-bind-address: expected HOST:PORT',
    ],
    [
      ['run', '--health-probe-bind-address', ':x'],
      {},
      'restore-hooks run: --health-probe-bind-address: expected HOST:PORT',
    ],
    [
      ['run', '--leader-elect=maybe'],
      {},
      "restore-hooks run: Option '--leader-elect' does not take an argument",
    ],
    [['run', '--bogus'], {}, "restore-hooks run: Unknown option '--bogus'"],
    [['run', 'extra'], {}, "restore-hooks run: Unexpected argument 'extra'"],
    [
      ['run', '--config', '/nonexistent/restore-hooks.yaml'],
      {},
      'restore-hooks run: --config: cannot read "/nonexistent/restore-hooks.yaml": ENOENT',
    ],
    [
      ['run', '--config', 'DIR/bad.yaml'],
      {},
      'restore-hooks run: DIR/bad.yaml: hookWindow: invalid duration "5x"',
    ],
    [
      ['run'],
      { RESTORE_HOOKS_LOG_LEVEL: 'loud' },
      'restore-hooks run: RESTORE_HOOKS_LOG_LEVEL: expected one of error, warn, info, debug, got "loud"',
    ],
    [
      ['run'],
      { RESTORE_HOOKS_LEADER_ELECT: 'perhaps' },
      'restore-hooks run: RESTORE_HOOKS_LEADER_ELECT: expected true or false, got "perhaps"',
    ],
    [
      ['run'],
      { RESTORE_HOOKS_KUBECONFIG: ' ' },
      'restore-hooks run: RESTORE_HOOKS_KUBECONFIG: must not be empty',
    ],
    [
      ['run'],
      { RESTORE_HOOKS_METRICS_BIND_ADDRESS: 'x:y' },
      'restore-hooks run: RESTORE_HOOKS_METRICS_BIND_ADDRESS: expected HOST:PORT',
    ],
    [
      ['run'],
      { RESTORE_HOOKS_API_BURST: 'many' },
      'restore-hooks run: RESTORE_HOOKS_API_BURST (api.burst): expected an integer of at least 1, got "many"',
    ],
    [
      ['run'],
      { RESTORE_HOOKS_CONFIG: '/nonexistent.yaml' },
      'restore-hooks run: RESTORE_HOOKS_CONFIG: cannot read "/nonexistent.yaml"',
    ],
    [['devcluster'], {}, 'restore-hooks devcluster: --kubeconfig is required'],
    [
      ['devcluster', '--kubeconfig', 'k', '--port', 'x'],
      {},
      'restore-hooks devcluster: --port: expected a number, got "x"',
    ],
    [
      ['devcluster', '--kubeconfig', 'k', '--port', '70000'],
      {},
      'restore-hooks devcluster: --port: expected a port between 0 and 65535, got 70000',
    ],
    [
      ['devcluster', '--kubeconfig', 'k', '--port', '1.5'],
      {},
      'restore-hooks devcluster: --port: expected a port between 0 and 65535, got 1.5',
    ],
    [
      ['devcluster', '--kubeconfig', 'k', '--demo', '--simulation'],
      {},
      'restore-hooks devcluster: --demo cannot be combined with --simulation or --backups',
    ],
    [
      ['devcluster', '--kubeconfig', 'k', '--backups', ''],
      {},
      'restore-hooks devcluster: --backups: must not be empty',
    ],
    [
      ['devcluster', '--kubeconfig', 'k', '--faults', '/nonexistent.json'],
      {},
      'restore-hooks devcluster: --faults /nonexistent.json: cannot read: ENOENT',
    ],
    [
      ['devcluster', '--kubeconfig', 'k', '--faults', 'DIR/faults-json.json'],
      {},
      'restore-hooks devcluster: --faults DIR/faults-json.json: not valid JSON',
    ],
    [
      ['devcluster', '--kubeconfig', 'k', '--faults', 'DIR/faults-code.json'],
      {},
      'rules[0].error.code: must be one of 409, 429, 500, 503',
    ],
    [
      ['devcluster', '--kubeconfig', 'k', '--faults', 'DIR/faults-seed.json'],
      {},
      'faults-seed.json: seed: must be an integer',
    ],
    [
      ['devcluster', '--kubeconfig', 'k', '--faults', 'DIR/faults-field.json'],
      {},
      'faults-field.json: rule: unknown field (expected seed, rules)',
    ],
    [
      ['devcluster', '--kubeconfig', 'k', '--faults', 'DIR/faults-rate.json'],
      {},
      'rules[0].error.rate: must be a number in [0, 1]',
    ],
    [
      ['devcluster', '--kubeconfig', 'k', '--faults', 'DIR/faults-empty.json'],
      {},
      'rules[0]: needs at least one of latencyMs, jitterMs, error, cutWatch',
    ],
    [['nope'], {}, 'restore-hooks: unknown command "nope"'],
    [['plan'], {}, 'restore-hooks plan: --restore is required'],
  ];
  for (const [argv, env, message] of cases) {
    it(
      `${argv.join(' ')} ${Object.entries(env)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(' ')}`.trim(),
      async () => {
        const r = await cli(
          argv.map((a) => a.replace('DIR', dir)),
          env,
        );
        expect(r.status).to.equal(2);
        expect(r.stderr).to.contain(message.replace('DIR', dir));
        expect(r.stderr, 'no stack trace').to.not.match(/\n\s+at /);
      },
    );
  }
});

const T = '2026-11-24T20:00:00Z';
const recordWith = (hooks: unknown) => JSON.stringify({ restore: 'velero/r2', hooks });

/** [title, annotation value, the error] for the exec-hook progress record a person may edit by hand. */
const execRecordCases: [string, string, string][] = [
  ['not JSON', '{"restore":', 'not JSON'],
  ['a JSON list', '[]', 'expected a JSON object'],
  [
    'a restore without a namespace',
    JSON.stringify({ restore: 'r2', hooks: {} }),
    'restore: expected "namespace/name"',
  ],
  ['hooks as a list', JSON.stringify({ restore: 'velero/r2', hooks: [] }), 'hooks: expected an object'],
  ['an entry that is a string', recordWith({ h: 'done' }), 'hooks["h"]: expected an object'],
  [
    'negative attempts',
    recordWith({ h: { attempts: -1, result: 'Succeeded', finishedAt: T } }),
    'hooks["h"].attempts: expected a non-negative integer',
  ],
  [
    'an unknown result',
    recordWith({ h: { attempts: 1, result: 'Done', finishedAt: T } }),
    'hooks["h"].result: expected one of',
  ],
  [
    'an unknown reason',
    recordWith({ h: { attempts: 1, result: 'Failed', reason: 'Oops', finishedAt: T } }),
    'hooks["h"].reason: expected one of',
  ],
  [
    'a finishedAt that is no time',
    recordWith({ h: { attempts: 1, result: 'Succeeded', finishedAt: 'soon' } }),
    'hooks["h"].finishedAt: expected an RFC 3339 time',
  ],
  [
    'Retrying without nextAttemptAt',
    recordWith({ h: { attempts: 1, result: 'Retrying', finishedAt: T } }),
    'hooks["h"].nextAttemptAt: required when Retrying',
  ],
];

describe('bad inputs: the exec-hook progress record (restore-hooks.dev/exec-hooks)', () => {
  for (const [title, text, error] of execRecordCases) {
    it(title, () => {
      const parsed = parseExecRecord(text);
      expect(parsed.ok).to.equal(false);
      expect((parsed as { error: string }).error).to.contain(error);
    });
  }

  it('keeps a hook id such as "__proto__" as a plain key, both ways', () => {
    const text = recordWith({ ['__proto__']: { attempts: 1, result: 'Succeeded', finishedAt: T } });
    const parsed = parseExecRecord(text);
    expect(parsed.ok).to.equal(true);
    const record = (parsed as { record: ExecRecord }).record;
    expect(Object.keys(record.hooks)).to.deep.equal(['__proto__']);
    expect(formatExecRecord(record)).to.equal(text);
  });
});
