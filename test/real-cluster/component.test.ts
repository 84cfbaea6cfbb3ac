import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { Component } from '../../hack/real-cluster/component.ts';
import { eventually } from '../helpers/eventually.ts';

const componentModule = pathToFileURL(join(import.meta.dirname, '../../hack/real-cluster/component.ts')).href;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('real cluster: control plane processes', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'component-test-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stops a component with SIGTERM and logs its output to <dir>/<name>.log', async () => {
    const c = new Component('talker', 'sh', ['-c', 'echo started; exec sleep 300'], dir);
    c.start();
    await eventually(() => c.tail() === 'started', 'the log line');
    await c.stop();
    expect(c.running).to.equal(false);
    expect(await c.whenExited()).to.equal(null);
  });

  it('kills a component that ignores SIGTERM once the grace period is over', async () => {
    const c = new Component('stubborn', 'sh', ['-c', 'trap "" TERM; echo ready; sleep 300'], dir);
    c.start();
    await eventually(() => c.tail() === 'ready', 'the trap to be set');
    await c.stop(200);
    expect(c.running).to.equal(false);
  });

  it('takes its components down when the process that started them dies by SIGKILL', async () => {
    const script = `
      import { Component } from '${componentModule}';
      const c = new Component('orphan', 'sh', ['-c', 'echo $$; exec sleep 300'], '${dir}');
      c.start();
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    const probe = new Component('orphan', 'true', [], dir);
    const pid = Number(await eventually(() => /^\d+$/.test(probe.tail()) && probe.tail(), 'the pid'));
    expect(alive(pid)).to.equal(true);
    parent.kill('SIGKILL');
    await eventually(() => !alive(pid), 'the component to die with its parent', 20_000);
  });
});
