import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('the krew plugin manifest (hack/krew/restore-hooks.yaml)', () => {
  it('names the kubectl-restore_hooks executable package.json installs, which runs src/kubectl-plugin', () => {
    const plugin = parse(read('hack/krew/restore-hooks.yaml')) as {
      apiVersion: string;
      kind: string;
      metadata: { name: string };
      spec: { version: string; platforms: { bin: string }[] };
    };
    const pkg = JSON.parse(read('package.json')) as { version: string; bin: Record<string, string> };
    expect([plugin.apiVersion, plugin.kind]).to.deep.equal([
      'krew.googlecontainertools.github.com/v1alpha2',
      'Plugin',
    ]);
    // kubectl maps `kubectl restore-hooks` to kubectl-restore_hooks: dashes in the command are underscores.
    expect(plugin.metadata.name).to.equal('restore-hooks');
    expect(plugin.spec.version).to.equal(`v${pkg.version}`);
    for (const p of plugin.spec.platforms) expect(p.bin).to.equal('kubectl-restore_hooks');
    expect(pkg.bin['kubectl-restore_hooks']).to.equal('dist/kubectl-plugin.js');
  });
});
