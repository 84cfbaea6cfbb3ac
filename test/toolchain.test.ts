import { expect } from 'chai';
import { readFileSync } from 'node:fs';

describe('toolchain', () => {
  it('runs the tests on the Node.js 24 that npm ci installed', () => {
    expect(process.version).to.match(/^v24\./);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      engines: { node: string };
    };
    expect(pkg.engines.node).to.contain('>=24');
  });
});
