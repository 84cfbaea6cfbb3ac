import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMap, isPair, isScalar, parseDocument } from 'yaml';
import type { Pair } from 'yaml';
import { parseFlags } from '../../src/cli/flags.ts';
import { runFlags } from '../../src/cli/commands/run.ts';
import { ConfigError } from '../../src/config/errors.ts';
import {
  SERVICE_ACCOUNT_NAMESPACE_FILE,
  controllerNamespace,
  formatDuration,
  resolveSettings,
} from '../../src/config/resolve.ts';
import { FIELDS, settingEnvVar } from '../../src/config/schema.ts';
import { DEFAULT_SETTINGS } from '../../src/config/settings.ts';
import type { Settings } from '../../src/config/settings.ts';

const DEFAULT_FILE = fileURLToPath(new URL('../../config/controller.yaml', import.meta.url));
const FILE = 'config/controller.yaml';

/** An in-memory file system: a missing path throws like readFileSync does. */
function files(contents: Record<string, string>) {
  return (path: string): string => {
    const text = contents[path];
    if (text === undefined)
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
}

function resolve(
  argv: string[],
  env: Record<string, string> = {},
  fs: Record<string, string> = {},
): Settings {
  return resolveSettings(parseFlags(runFlags, argv, env, false), env, files(fs));
}

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  expect.fail('expected a ConfigError');
}

const withFile = (yaml: string) => () => resolve(['--config', FILE], {}, { [FILE]: yaml });

describe('config: resolveSettings', () => {
  it('without a file, flags or variables resolves to the built-in defaults', () => {
    expect(resolve([])).to.deep.equal(DEFAULT_SETTINGS);
  });

  it('config/controller.yaml spells out exactly the built-in defaults', () => {
    const text = readFileSync(DEFAULT_FILE, 'utf8');
    expect(resolve(['--config', DEFAULT_FILE], {}, { [DEFAULT_FILE]: text })).to.deep.equal(DEFAULT_SETTINGS);
  });

  it('config/controller.yaml documents every setting with a comment and has no other keys', () => {
    const doc = parseDocument(readFileSync(DEFAULT_FILE, 'utf8'));
    const documented: string[] = [];
    const visit = (map: unknown, prefix: string) => {
      if (!isMap(map)) return;
      map.items.forEach((pair: Pair, i: number) => {
        if (!isPair(pair) || !isScalar(pair.key)) return;
        const path = prefix ? `${prefix}.${String(pair.key.value)}` : String(pair.key.value);
        // The document's first key carries its comment on the document (yaml attaches it there).
        // yaml attaches the comment above a mapping's first key to the mapping (or, at the top, the document).
        const comment =
          pair.key.commentBefore ?? (i === 0 ? (prefix ? map.commentBefore : doc.commentBefore) : undefined);
        if (isMap(pair.value)) visit(pair.value, path);
        else {
          expect(comment?.trim() ?? '', `comment above ${path}`).to.have.length.greaterThan(0);
          documented.push(path);
        }
      });
    };
    visit(doc.contents, '');
    expect(documented).to.have.members(FIELDS.map((f) => f.path));
  });

  it('derives variable names from setting paths', () => {
    expect(settingEnvVar('exec.retries.backoffBase')).to.equal('RESTORE_HOOKS_EXEC_RETRIES_BACKOFF_BASE');
    expect(settingEnvVar('veleroNamespaces')).to.equal('RESTORE_HOOKS_VELERO_NAMESPACES');
  });

  describe('accepts every setting from the file', () => {
    const cases: Array<[string, string, (s: Settings) => unknown, unknown]> = [
      ['veleroNamespaces', 'veleroNamespaces: [velero, oadp]', (s) => s.veleroNamespaces, ['velero', 'oadp']],
      ['hookWindow', 'hookWindow: 1h30m', (s) => s.hookWindow, 5_400_000],
      ['hookWindow 0s', 'hookWindow: 0s', (s) => s.hookWindow, 0],
      ['templateCleanup', 'templateCleanup: Retain', (s) => s.templateCleanup, 'Retain'],
      [
        'webhook.podSelector',
        'webhook: {podSelector: ActiveRestores}',
        (s) => s.webhook.podSelector,
        'ActiveRestores',
      ],
      ['concurrency.reconciles', 'concurrency: {reconciles: 1}', (s) => s.concurrency.reconciles, 1],
      ['concurrency.execHooks', 'concurrency: {execHooks: 50}', (s) => s.concurrency.execHooks, 50],
      ['api.qps', 'api: {qps: 2.5}', (s) => s.api.qps, 2.5],
      ['api.burst', 'api: {burst: 100}', (s) => s.api.burst, 100],
      ['exec.defaultExecTimeout', 'exec: {defaultExecTimeout: 300ms}', (s) => s.exec.defaultExecTimeout, 300],
      [
        'exec.defaultWaitTimeout',
        'exec: {defaultWaitTimeout: 2h}',
        (s) => s.exec.defaultWaitTimeout,
        7_200_000,
      ],
      ['exec.retries.attempts', 'exec: {retries: {attempts: 3}}', (s) => s.exec.retries.attempts, 3],
      ['exec.veleroRestoredPods', 'exec: {veleroRestoredPods: Run}', (s) => s.exec.veleroRestoredPods, 'Run'],
      [
        'exec.retries.backoffBase',
        'exec: {retries: {backoffBase: 2s}}',
        (s) => s.exec.retries.backoffBase,
        2000,
      ],
      [
        'exec.retries.backoffMax',
        'exec: {retries: {backoffMax: 5m}}',
        (s) => s.exec.retries.backoffMax,
        300_000,
      ],
      ['policy.annotationHooks', 'policy: {annotationHooks: false}', (s) => s.policy.annotationHooks, false],
      [
        'policy.allowedImages',
        'policy: {allowedImages: ["registry.example.com/*", "busybox:1.36"]}',
        (s) => s.policy.allowedImages,
        ['registry.example.com/*', 'busybox:1.36'],
      ],
      ['policy.allowedImages empty', 'policy: {allowedImages: []}', (s) => s.policy.allowedImages, []],
      [
        'leaderElection.enabled',
        'leaderElection: {enabled: true, leaseNamespace: ops}',
        (s) => s.leaderElection.enabled,
        true,
      ],
      [
        'leaderElection.leaseName',
        'leaderElection: {leaseName: rh.example.com}',
        (s) => s.leaderElection.leaseName,
        'rh.example.com',
      ],
      [
        'leaderElection.leaseNamespace',
        'leaderElection: {leaseNamespace: ops}',
        (s) => s.leaderElection.leaseNamespace,
        'ops',
      ],
      [
        'leaderElection.leaseDuration',
        'leaderElection: {leaseDuration: 60s}',
        (s) => s.leaderElection.leaseDuration,
        60_000,
      ],
      [
        'leaderElection.renewDeadline',
        'leaderElection: {renewDeadline: 5s}',
        (s) => s.leaderElection.renewDeadline,
        5000,
      ],
      [
        'leaderElection.retryPeriod',
        'leaderElection: {retryPeriod: 1s}',
        (s) => s.leaderElection.retryPeriod,
        1000,
      ],
      [
        'metricsBindAddress',
        'metricsBindAddress: "127.0.0.1:9090"',
        (s) => s.metricsBindAddress,
        '127.0.0.1:9090',
      ],
      ['metricsBindAddress disabled', 'metricsBindAddress: "0"', (s) => s.metricsBindAddress, '0'],
      ['healthProbeBindAddress', 'healthProbeBindAddress: ":9091"', (s) => s.healthProbeBindAddress, ':9091'],
      ['logLevel', 'logLevel: debug', (s) => s.logLevel, 'debug'],
      ['an empty file', '', (s) => s, DEFAULT_SETTINGS],
      ['a comment-only file', '# nothing\n', (s) => s, DEFAULT_SETTINGS],
    ];
    for (const [title, yaml, pick, want] of cases) {
      it(title, () => expect(pick(withFile(yaml)())).to.deep.equal(want));
    }
  });

  describe('rejects an invalid setting in the file, naming the file and the field', () => {
    const cases: Array<[string, string]> = [
      ['veleroNamespaces: velero', `${FILE}: veleroNamespaces: expected a list, got "velero"`],
      ['veleroNamespaces: []', `${FILE}: veleroNamespaces: expected at least 1 item(s), got []`],
      [
        'veleroNamespaces: [Velero]',
        `${FILE}: veleroNamespaces: [0]: expected a namespace name, got "Velero"`,
      ],
      ['veleroNamespaces: [a, a]', `${FILE}: veleroNamespaces: [1]: duplicate "a"`],
      ['hookWindow: 5x', `${FILE}: hookWindow: invalid duration "5x"`],
      [
        'hookWindow: 30',
        `${FILE}: hookWindow: invalid duration 30 (write it with a unit, e.g. "30s", "10m", "1h30m")`,
      ],
      ['hookWindow: -1h', `${FILE}: hookWindow: must not be negative, got "-1h"`],
      [
        'templateCleanup: Delete',
        `${FILE}: templateCleanup: expected one of RemoveAfterRestore, Retain, got "Delete"`,
      ],
      [
        'webhook: {podSelector: Active}',
        `${FILE}: webhook.podSelector: expected one of AllMarked, ActiveRestores, got "Active"`,
      ],
      [
        'concurrency: {reconciles: 0}',
        `${FILE}: concurrency.reconciles: expected an integer of at least 1, got 0`,
      ],
      [
        'concurrency: {execHooks: 1.5}',
        `${FILE}: concurrency.execHooks: expected an integer of at least 1, got 1.5`,
      ],
      ['concurrency: 4', `${FILE}: concurrency: expected a mapping of settings, got 4`],
      ['api: {qps: 0}', `${FILE}: api.qps: expected a number greater than 0, got 0`],
      ['api: {qps: "20"}', `${FILE}: api.qps: expected a number greater than 0, got "20"`],
      ['api: {burst: -1}', `${FILE}: api.burst: expected an integer of at least 1, got -1`],
      ['exec: {defaultExecTimeout: 5x}', `${FILE}: exec.defaultExecTimeout: invalid duration "5x"`],
      ['exec: {defaultExecTimeout: 0s}', `${FILE}: exec.defaultExecTimeout: must be longer than 0, got "0s"`],
      ['exec: {defaultWaitTimeout: forever}', `${FILE}: exec.defaultWaitTimeout: invalid duration "forever"`],
      [
        'exec: {veleroRestoredPods: run}',
        `${FILE}: exec.veleroRestoredPods: expected one of Skip, Run, got "run"`,
      ],
      [
        'exec: {retries: {attempts: 0}}',
        `${FILE}: exec.retries.attempts: expected an integer of at least 1, got 0`,
      ],
      [
        'exec: {retries: {backoffBase: 1}}',
        `${FILE}: exec.retries.backoffBase: invalid duration 1 (write it with a unit, e.g. "30s", "10m", "1h30m")`,
      ],
      ['exec: {retries: {backoffMax: 1d}}', `${FILE}: exec.retries.backoffMax: invalid duration "1d"`],
      [
        'policy: {annotationHooks: yes}',
        `${FILE}: policy.annotationHooks: expected true or false, got "yes"`,
      ],
      [
        'policy: {allowedImages: [""]}',
        `${FILE}: policy.allowedImages: [0]: expected an image pattern such as "registry.example.com/*", got ""`,
      ],
      [
        'policy: {allowedImages: ["[abc"]}',
        `${FILE}: policy.allowedImages: [0]: invalid glob pattern "[abc": unclosed character class`,
      ],
      ['leaderElection: {enabled: 1}', `${FILE}: leaderElection.enabled: expected true or false, got 1`],
      [
        'leaderElection: {leaseName: Bad_Name}',
        `${FILE}: leaderElection.leaseName: expected a Lease name (DNS-1123 subdomain), got "Bad_Name"`,
      ],
      [
        'leaderElection: {leaseNamespace: A}',
        `${FILE}: leaderElection.leaseNamespace: expected a namespace name, or "" for the pod's own, got "A"`,
      ],
      [
        'leaderElection: {leaseDuration: 15}',
        `${FILE}: leaderElection.leaseDuration: invalid duration 15 (write it with a unit, e.g. "30s", "10m", "1h30m")`,
      ],
      ['leaderElection: {renewDeadline: x}', `${FILE}: leaderElection.renewDeadline: invalid duration "x"`],
      [
        'leaderElection: {retryPeriod: 0s}',
        `${FILE}: leaderElection.retryPeriod: must be longer than 0, got "0s"`,
      ],
      [
        'metricsBindAddress: localhost',
        `${FILE}: metricsBindAddress: expected HOST:PORT (e.g. ":8080" or "127.0.0.1:8080"), got "localhost"`,
      ],
      ['healthProbeBindAddress: 8081', `${FILE}: healthProbeBindAddress: expected a string, got 8081`],
      ['logLevel: trace', `${FILE}: logLevel: expected one of error, warn, info, debug, got "trace"`],
      ['hookWindow: 1h\nhookWindow: 2h', `${FILE}: Map keys must be unique at line 2, column 1`],
      ['- a list', `${FILE}: (top level): expected a mapping of settings, got ["a list"]`],
    ];
    for (const [yaml, message] of cases) {
      it(JSON.stringify(yaml), () => expect(problemsOf(withFile(yaml))).to.deep.equal([message]));
    }
  });

  it('rejects unknown keys with their path, suggesting a near match', () => {
    expect(
      problemsOf(withFile('exec:\n  defaultExecTimout: 5s\n  bogus: 1\nveleroNamespace: [x]\n')),
    ).to.deep.equal([
      `${FILE}: exec.defaultExecTimout: unknown setting (did you mean "defaultExecTimeout"?)`,
      `${FILE}: exec.bogus: unknown setting`,
      `${FILE}: veleroNamespace: unknown setting (did you mean "veleroNamespaces"?)`,
    ]);
  });

  it('reports every problem at once', () => {
    expect(problemsOf(withFile('hookWindow: x\nlogLevel: loud\n'))).to.have.length(2);
  });

  it('names the flag or variable when the config file cannot be read', () => {
    expect(problemsOf(() => resolve(['--config', '/nope.yaml']))).to.deep.equal([
      `--config: cannot read "/nope.yaml": ENOENT (no such file)`,
    ]);
    expect(problemsOf(() => resolve([], { RESTORE_HOOKS_CONFIG: '/nope.yaml' }))[0]).to.match(
      /^RESTORE_HOOKS_CONFIG: cannot read "\/nope.yaml"/,
    );
  });

  describe('cross-field rules', () => {
    it('requires leaseDuration > renewDeadline > 1.2 × retryPeriod (client-go)', () => {
      expect(problemsOf(withFile('leaderElection: {leaseDuration: 10s}'))).to.deep.equal([
        `leaderElection.leaseDuration (10s, from ${FILE}) must be longer than leaderElection.renewDeadline (10s, the default)`,
      ]);
      expect(problemsOf(withFile('leaderElection: {retryPeriod: 9s}'))).to.deep.equal([
        `leaderElection.renewDeadline (10s, the default) must be longer than 1.2 × leaderElection.retryPeriod (9s, from ${FILE})`,
      ]);
      expect(withFile('leaderElection: {retryPeriod: 8s}')().leaderElection.retryPeriod).to.equal(8000);
    });
    it('requires backoffMax >= backoffBase', () => {
      expect(problemsOf(withFile('exec: {retries: {backoffBase: 2m}}'))).to.deep.equal([
        `exec.retries.backoffMax (1m0s, the default) must not be shorter than exec.retries.backoffBase (2m0s, from ${FILE})`,
      ]);
    });
    it('leaves the lease namespace "" (the controller\'s own) unless set, also for --leader-elect', () => {
      expect(resolve([], { POD_NAMESPACE: 'ops' }).leaderElection.leaseNamespace).to.equal('');
      expect(resolve(['--leader-elect']).leaderElection.leaseNamespace).to.equal('');
    });
  });

  describe("the controller's own namespace", () => {
    const own = (argv: string[], env: Record<string, string>, fs: Record<string, string> = {}) =>
      controllerNamespace(resolve(argv, env, fs), env, files(fs));
    const SA = { [SERVICE_ACCOUNT_NAMESPACE_FILE]: 'sa-ns\n' };
    const cases: [string, string[], Record<string, string>, Record<string, string>, string][] = [
      ['nothing: the documented default', [], {}, {}, 'restore-hooks'],
      ['the service account namespace', [], {}, SA, 'sa-ns'],
      ['POD_NAMESPACE over the service account', [], { POD_NAMESPACE: 'pod-ns' }, SA, 'pod-ns'],
      [
        'the file over POD_NAMESPACE',
        ['--config', FILE],
        { POD_NAMESPACE: 'pod-ns' },
        { [FILE]: 'namespace: file-ns\n' },
        'file-ns',
      ],
      [
        'RESTORE_HOOKS_NAMESPACE over the file',
        ['--config', FILE],
        { RESTORE_HOOKS_NAMESPACE: 'env-ns' },
        { [FILE]: 'namespace: file-ns\n' },
        'env-ns',
      ],
      [
        '--namespace over everything',
        ['--namespace', 'flag-ns', '--config', FILE],
        { RESTORE_HOOKS_NAMESPACE: 'env-ns', POD_NAMESPACE: 'pod-ns' },
        { [FILE]: 'namespace: file-ns\n', ...SA },
        'flag-ns',
      ],
    ];
    for (const [name, argv, env, fs, expected] of cases)
      it(name, () => expect(own(argv, env, fs)).to.equal(expected));
    it('rejects a namespace that is not a DNS-1123 label, naming the setting', () => {
      expect(problemsOf(withFile('namespace: Ops_1\n'))).to.deep.equal([
        `${FILE}: namespace: expected a namespace name, or "" for the pod's own, got "Ops_1"`,
      ]);
    });
  });

  describe('--kubeconfig', () => {
    it('must name a readable file', () => {
      expect(problemsOf(() => resolve(['--kubeconfig', 'missing.kubeconfig']))).to.deep.equal([
        '--kubeconfig: cannot read "missing.kubeconfig": ENOENT (no such file)',
      ]);
      expect(problemsOf(() => resolve([], { RESTORE_HOOKS_KUBECONFIG: 'gone' }))).to.deep.equal([
        'RESTORE_HOOKS_KUBECONFIG: cannot read "gone": ENOENT (no such file)',
      ]);
      expect(resolve(['--kubeconfig', 'kc'], {}, { kc: 'x' }).kubeconfig).to.equal('kc');
    });
  });

  describe('precedence: defaults < file < environment < flags', () => {
    const file = {
      [FILE]:
        'logLevel: warn\nhookWindow: 2h\nmetricsBindAddress: ":9000"\nleaderElection: {enabled: true, leaseNamespace: ops}\n',
    };
    it('the file overrides the defaults', () => {
      const s = resolve(['--config', FILE], {}, file);
      expect([s.logLevel, s.hookWindow, s.metricsBindAddress, s.leaderElection.enabled]).to.deep.equal([
        'warn',
        7_200_000,
        ':9000',
        true,
      ]);
    });
    it('the environment overrides the file, for flag-backed and file-only settings', () => {
      const env = {
        RESTORE_HOOKS_LOG_LEVEL: 'error',
        RESTORE_HOOKS_HOOK_WINDOW: '3h',
        RESTORE_HOOKS_LEADER_ELECT: 'false',
      };
      const s = resolve(['--config', FILE], env, file);
      expect([s.logLevel, s.hookWindow, s.leaderElection.enabled]).to.deep.equal([
        'error',
        10_800_000,
        false,
      ]);
    });
    it('flags override the environment and the file', () => {
      const env = { RESTORE_HOOKS_LOG_LEVEL: 'error', RESTORE_HOOKS_METRICS_BIND_ADDRESS: ':1' };
      const s = resolve(
        ['--config', FILE, '--log-level', 'debug', '--metrics-bind-address', '0', '--no-leader-elect'],
        env,
        file,
      );
      expect([s.logLevel, s.metricsBindAddress, s.leaderElection.enabled]).to.deep.equal([
        'debug',
        '0',
        false,
      ]);
    });
    it('the config file path itself comes from RESTORE_HOOKS_CONFIG', () => {
      expect(resolve([], { RESTORE_HOOKS_CONFIG: FILE }, file).logLevel).to.equal('warn');
    });
    it('kubeconfig comes from the flag or its variable only', () => {
      const kubeconfigs = { '/k': 'k', '/e': 'e' };
      expect(resolve(['--kubeconfig', '/k'], {}, kubeconfigs).kubeconfig).to.equal('/k');
      expect(resolve([], { RESTORE_HOOKS_KUBECONFIG: '/e' }, kubeconfigs).kubeconfig).to.equal('/e');
    });
  });

  describe('environment variables for file-only settings', () => {
    const cases: Array<[Record<string, string>, (s: Settings) => unknown, unknown]> = [
      [{ RESTORE_HOOKS_VELERO_NAMESPACES: 'velero, oadp' }, (s) => s.veleroNamespaces, ['velero', 'oadp']],
      [{ RESTORE_HOOKS_TEMPLATE_CLEANUP: 'Retain' }, (s) => s.templateCleanup, 'Retain'],
      [
        { RESTORE_HOOKS_WEBHOOK_POD_SELECTOR: 'ActiveRestores' },
        (s) => s.webhook.podSelector,
        'ActiveRestores',
      ],
      [{ RESTORE_HOOKS_CONCURRENCY_RECONCILES: '8' }, (s) => s.concurrency.reconciles, 8],
      [{ RESTORE_HOOKS_API_QPS: '7.5' }, (s) => s.api.qps, 7.5],
      [{ RESTORE_HOOKS_EXEC_DEFAULT_EXEC_TIMEOUT: '1m' }, (s) => s.exec.defaultExecTimeout, 60_000],
      [{ RESTORE_HOOKS_EXEC_RETRIES_ATTEMPTS: '3' }, (s) => s.exec.retries.attempts, 3],
      [{ RESTORE_HOOKS_EXEC_VELERO_RESTORED_PODS: 'Run' }, (s) => s.exec.veleroRestoredPods, 'Run'],
      [{ RESTORE_HOOKS_POLICY_ANNOTATION_HOOKS: 'false' }, (s) => s.policy.annotationHooks, false],
      [{ RESTORE_HOOKS_POLICY_ALLOWED_IMAGES: 'a/*,b:1' }, (s) => s.policy.allowedImages, ['a/*', 'b:1']],
      [{ RESTORE_HOOKS_LEADER_ELECTION_LEASE_NAME: 'other' }, (s) => s.leaderElection.leaseName, 'other'],
    ];
    for (const [env, pick, want] of cases) {
      it(Object.keys(env)[0]!, () => expect(pick(resolve([], env))).to.deep.equal(want));
    }
    it('names the variable and the setting when a value is invalid', () => {
      expect(
        problemsOf(() =>
          resolve([], { RESTORE_HOOKS_EXEC_DEFAULT_EXEC_TIMEOUT: '5x', RESTORE_HOOKS_API_BURST: 'many' }),
        ),
      ).to.deep.equal([
        'RESTORE_HOOKS_API_BURST (api.burst): expected an integer of at least 1, got "many"',
        'RESTORE_HOOKS_EXEC_DEFAULT_EXEC_TIMEOUT (exec.defaultExecTimeout): invalid duration "5x"',
      ]);
    });
  });

  it('formats durations the way Go prints them', () => {
    expect([0, 300, 1500, 90_000, 3_600_000, 5_400_000].map(formatDuration)).to.deep.equal([
      '0s',
      '300ms',
      '1.5s',
      '1m30s',
      '1h0m0s',
      '1h30m0s',
    ]);
  });
});

describe('config: precedence (property)', () => {
  it('the highest-precedence source that sets a value wins, for a flag-backed and a file-only setting', () => {
    const level = fc.constantFrom('error', 'warn', 'info', 'debug');
    const window = fc.integer({ min: 0, max: 48 }).map((h) => `${h}h`);
    fc.assert(
      fc.property(
        fc.option(level),
        fc.option(level),
        fc.option(level),
        fc.option(window),
        fc.option(window),
        (fileLevel, envLevel, flagLevel, fileWindow, envWindow) => {
          const file = [
            fileLevel ? `logLevel: ${fileLevel}` : '',
            fileWindow ? `hookWindow: ${fileWindow}` : '',
          ].join('\n');
          const env: Record<string, string> = {};
          if (envLevel) env.RESTORE_HOOKS_LOG_LEVEL = envLevel;
          if (envWindow) env.RESTORE_HOOKS_HOOK_WINDOW = envWindow;
          const argv = ['--config', FILE, ...(flagLevel ? ['--log-level', flagLevel] : [])];
          const s = resolve(argv, env, { [FILE]: file });
          expect(s.logLevel).to.equal(flagLevel ?? envLevel ?? fileLevel ?? DEFAULT_SETTINGS.logLevel);
          const hours = envWindow ?? fileWindow;
          expect(s.hookWindow).to.equal(
            hours ? Number.parseInt(hours, 10) * 3_600_000 : DEFAULT_SETTINGS.hookWindow,
          );
        },
      ),
    );
  });
});
