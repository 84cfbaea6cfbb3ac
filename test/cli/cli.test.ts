import { expect } from 'chai';
import { runCli } from '../helpers/cli.ts';

describe('restore-hooks CLI', () => {
  it('lists every command in --help', async () => {
    const r = await runCli(['--help']);
    expect(r.status).to.equal(0);
    for (const cmd of ['run', 'devcluster', 'plan', 'version'])
      expect(r.stdout).to.match(new RegExp(`^  ${cmd} `, 'm'));
  });

  for (const cmd of ['run', 'devcluster', 'plan', 'version', 'start']) {
    it(`prints help for ${cmd}`, async () => {
      const r = await runCli([cmd, '--help']);
      expect(r.status).to.equal(0);
      expect(r.stdout).to.contain(`Usage: restore-hooks ${cmd}`);
    });
  }

  it('documents the run flags of the CLI contract', async () => {
    const r = await runCli(['run', '--help']);
    for (const flag of [
      '--kubeconfig',
      '--config',
      '--metrics-bind-address',
      '--health-probe-bind-address',
      '--leader-elect',
      '--log-level',
    ]) {
      expect(r.stdout).to.contain(flag);
    }
  });

  it('exits 2 naming an unknown flag', async () => {
    const r = await runCli(['run', '--no-such-flag']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('--no-such-flag');
  });

  it('exits 2 naming a flag with a bad value', async () => {
    const r = await runCli(['run', '--log-level', 'loud']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('--log-level');
  });

  it('exits 2 naming an environment variable with a bad value', async () => {
    const r = await runCli(['run', '--help'], { RESTORE_HOOKS_HEALTH_PROBE_BIND_ADDRESS: 'nope' });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('RESTORE_HOOKS_HEALTH_PROBE_BIND_ADDRESS');
  });

  it('exits 2 on an unknown command', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('unknown command "frobnicate"');
  });

  it('prints its version on Node.js 24', async () => {
    const r = await runCli(['version']);
    expect(r.status).to.equal(0);
    expect(r.stdout).to.match(/^restore-hooks \d+\.\d+\.\d+ \(node v24\./);
  });
});
