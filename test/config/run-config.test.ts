import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.ts';
import { occupyPort } from '../helpers/ports.ts';

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

  it('exits 2 with one line naming --kubeconfig when the kubeconfig does not exist', async () => {
    const r = await runCli(['run', '--config', DEFAULT_FILE, '--kubeconfig', 'missing.kubeconfig']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.equal(
      'restore-hooks run: --kubeconfig: cannot read "missing.kubeconfig": ENOENT (no such file)\n',
    );
  });

  const bindFlags = [
    ['metrics-bind-address', 'metricsBindAddress', '"0" to disable it'],
    ['health-probe-bind-address', 'healthProbeBindAddress', '"0" to disable it'],
  ] as const;
  for (const [flag, setting, disable] of bindFlags) {
    it(`exits 2 with one line naming --${flag} when its port is taken`, async () => {
      const taken = await occupyPort();
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
      try {
        const address = `127.0.0.1:${taken.port}`;
        const others = bindFlags.filter(([f]) => f !== flag).flatMap(([f]) => [`--${f}`, '127.0.0.1:0']);
        const r = await runCli(['run', '--kubeconfig', kubeconfig, `--${flag}`, address, ...others]);
        expect(r.status).to.equal(2);
        expect(r.stderr).to.equal(
          `restore-hooks run: ${setting} (--${flag}) "${address}": cannot listen: address already in use (EADDRINUSE); choose another HOST:PORT, or ${disable}\n`,
        );
      } finally {
        await taken.close();
      }
    });
  }
});
