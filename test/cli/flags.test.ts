import { expect } from 'chai';
import { UsageError, envVarName, parseFlags, validators } from '../../src/cli/flags.ts';
import type { FlagSpec } from '../../src/cli/flags.ts';

const specs: FlagSpec[] = [
  { name: 'metrics-bind-address', type: 'string', env: true, validate: validators.hostPort, description: '' },
  { name: 'leader-elect', type: 'boolean', env: true, description: '' },
  { name: 'port', type: 'number', validate: validators.port, description: '' },
  {
    name: 'output',
    short: 'o',
    type: 'string',
    validate: validators.oneOf(['yaml', 'json']),
    description: '',
  },
  { name: 'restore', type: 'string', required: true, description: '' },
];

describe('parseFlags', () => {
  const ok: Array<[string, string[], Record<string, string>, Record<string, unknown>]> = [
    ['flag value', ['--restore', 'r.yaml', '--port', '8443'], {}, { restore: 'r.yaml', port: 8443 }],
    ['= syntax and short flag', ['--restore=r', '-o', 'json'], {}, { restore: 'r', output: 'json' }],
    [
      'env fills an absent flag',
      ['--restore', 'r'],
      { RESTORE_HOOKS_LEADER_ELECT: 'true' },
      { restore: 'r', 'leader-elect': true },
    ],
    [
      'flag wins over env',
      ['--restore', 'r', '--metrics-bind-address', ':9090'],
      { RESTORE_HOOKS_METRICS_BIND_ADDRESS: ':1' },
      { restore: 'r', 'metrics-bind-address': ':9090' },
    ],
    [
      'negated boolean',
      ['--restore', 'r', '--no-leader-elect'],
      { RESTORE_HOOKS_LEADER_ELECT: 'true' },
      { restore: 'r', 'leader-elect': false },
    ],
    [
      '"0" disables an address',
      ['--restore', 'r', '--metrics-bind-address', '0'],
      {},
      { restore: 'r', 'metrics-bind-address': '0' },
    ],
  ];
  for (const [title, argv, env, want] of ok) {
    it(`accepts: ${title}`, () => {
      expect(parseFlags(specs, argv, env, false).values).to.deep.equal(want);
    });
  }

  const bad: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['unknown flag', ['--restore', 'r', '--bogus'], {}, /--bogus/],
    ['bad number', ['--restore', 'r', '--port', 'abc'], {}, /--port: expected a number/],
    ['port out of range', ['--restore', 'r', '--port', '70000'], {}, /--port: expected a port/],
    ['bad enum', ['--restore', 'r', '-o', 'xml'], {}, /--output: expected one of yaml, json/],
    [
      'bad address',
      ['--restore', 'r', '--metrics-bind-address', 'localhost'],
      {},
      /--metrics-bind-address: expected HOST:PORT/,
    ],
    [
      'bad env value names the variable',
      ['--restore', 'r'],
      { RESTORE_HOOKS_LEADER_ELECT: 'maybe' },
      /RESTORE_HOOKS_LEADER_ELECT/,
    ],
    ['missing required flag', [], {}, /--restore is required/],
    ['unexpected positional', ['--restore', 'r', 'extra'], {}, /extra/],
  ];
  for (const [title, argv, env, message] of bad) {
    it(`rejects: ${title}`, () => {
      expect(() => parseFlags(specs, argv, env, false)).to.throw(UsageError, message);
    });
  }

  it('derives environment variable names from flag names', () => {
    expect(envVarName('health-probe-bind-address')).to.equal('RESTORE_HOOKS_HEALTH_PROBE_BIND_ADDRESS');
  });
});
