import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.ts';

const DEFAULT_FILE = fileURLToPath(new URL('../../config/controller.yaml', import.meta.url));

describe('restore-hooks run: configuration errors', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'restore-hooks-config-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 naming the file and the field of a bad setting, before anything else', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'exec:\n  defaultExecTimeout: 5x\n');
    const r = await runCli(['run', '--config', file]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.equal(`restore-hooks run: ${file}: exec.defaultExecTimeout: invalid duration "5x"\n`);
  });

  it('exits 2 naming a bad RESTORE_HOOKS_* setting variable', async () => {
    const r = await runCli(['run'], { RESTORE_HOOKS_HOOK_WINDOW: 'soon' });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('RESTORE_HOOKS_HOOK_WINDOW (hookWindow): invalid duration "soon"');
  });

  it('exits 2 when the config file is missing', async () => {
    const r = await runCli(['run', '--config', join(dir, 'missing.yaml')]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('--config: cannot read');
  });

  it('gets past configuration with the shipped config/controller.yaml, then fails on a missing kubeconfig', async () => {
    const r = await runCli([
      'run',
      '--config',
      DEFAULT_FILE,
      '--kubeconfig',
      '/nonexistent/kubeconfig',
      '--metrics-bind-address',
      '0',
      '--health-probe-bind-address',
      '0',
    ]);
    expect(r.status).to.equal(1);
    const failure = r.stdout
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { level: string; msg: string; error?: string })
      .find((l) => l.msg === 'controller failed');
    expect(failure?.level).to.equal('error');
    expect(failure?.error).to.contain('/nonexistent/kubeconfig');
  });
});
