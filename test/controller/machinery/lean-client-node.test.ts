import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const SRC = new URL('../../../src/', import.meta.url).href;

/**
 * Loads the controller (what `restore-hooks run` imports) in a fresh Node process, with or without
 * `leanClientNode()`, records every client-node module it resolved, and checks that KubeConfig still loads a
 * kubeconfig. A fresh process, because module loading happens once per process.
 */
async function loadController(lean: boolean): Promise<{ modules: string[]; server: string }> {
  const script = `
    import { registerHooks } from 'node:module';
    const modules = [];
    ${lean ? `(await import('${SRC}controller/machinery/lean-client-node.ts')).leanClientNode();` : ''}
    // Registered last, so it runs first and sees every resolution, the stand-in's included.
    registerHooks({
      resolve(specifier, context, nextResolve) {
        const resolved = nextResolve(specifier, context);
        const at = resolved.url.indexOf('/@kubernetes/client-node/');
        if (at >= 0) modules.push(resolved.url.slice(at + '/@kubernetes/client-node/'.length));
        return resolved;
      },
    });
    await import('${SRC}controller/run-controller.ts');
    const { KubeConfig } = await import('${SRC}controller/machinery/client-node.ts');
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: false }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    process.stdout.write(JSON.stringify({ modules: [...new Set(modules)], server: kc.getCurrentCluster().server }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    maxBuffer: 16 * 2 ** 20,
  });
  return JSON.parse(stdout) as { modules: string[]; server: string };
}

const GENERATED_API = /^dist\/gen\/(apis|models|types)\//;

describe('leanClientNode (the controller without client-node’s generated API classes and models)', function () {
  this.timeout(60_000);

  it('loads KubeConfig, Exec and the HTTP types, and not one generated API class or model, nor Watch', async () => {
    const { modules, server } = await loadController(true);
    expect(server).to.equal('https://127.0.0.1:6443');
    expect(modules, 'watches are read by list-watch.ts itself').not.to.include('dist/watch.js');
    expect(modules).to.include.members([
      'dist/config.js',
      'dist/exec.js',
      'dist/gen/http/http.js',
      'dist/gen/configuration.js',
    ]);
    expect(modules.filter((m) => GENERATED_API.test(m))).to.deep.equal(['dist/gen/apis/exception.js']);
    expect(modules).not.to.include.members(['dist/index.js', 'dist/gen/index.js']);
  });

  it('is what keeps them out: without it, KubeConfig’s import of the generated index loads them all', async () => {
    const { modules } = await loadController(false);
    expect(modules).to.include('dist/gen/index.js');
    expect(modules.filter((m) => GENERATED_API.test(m)).length).to.be.greaterThan(500);
  });
});
