import { expect } from 'chai';
import { parseKubeletExecPath } from '../../../src/devcluster/node-agent/exec-server.ts';
import { parseExecQuery } from '../../../src/devcluster/exec/endpoint.ts';
import { ApiError } from '../../../src/devcluster/api/errors.ts';

describe('node agent: the kubelet exec path kube-apiserver dials', () => {
  const cases: [url: string, namespace: string, pod: string, parsed: ReturnType<typeof parseExecQuery>][] = [
    [
      '/exec/app/web-1/app?command=sh&command=-c&command=echo%20hi&output=1&error=1',
      'app',
      'web-1',
      {
        command: ['sh', '-c', 'echo hi'],
        stdin: false,
        stdout: true,
        stderr: true,
        tty: false,
        container: 'app',
      },
    ],
    [
      '/exec/app/web-1/side?command=cat&input=1&output=1',
      'app',
      'web-1',
      { command: ['cat'], stdin: true, stdout: true, stderr: false, tty: false, container: 'side' },
    ],
    [
      '/exec/ns/p/c?command=sh&input=1&output=1&tty=1',
      'ns',
      'p',
      { command: ['sh'], stdin: true, stdout: true, stderr: false, tty: true, container: 'c' },
    ],
    // Flags already in the API's names (a client talking to the agent directly) mean the same.
    [
      '/exec/ns/p/c?command=true&stdout=true',
      'ns',
      'p',
      { command: ['true'], stdin: false, stdout: true, stderr: false, tty: false, container: 'c' },
    ],
  ];
  for (const [url, namespace, pod, parsed] of cases) {
    it(`reads ${url}`, () => {
      const target = parseKubeletExecPath(url);
      expect({ namespace: target.namespace, pod: target.pod }).to.deep.equal({ namespace, pod });
      expect(parseExecQuery(target.query)).to.deep.equal(parsed);
    });
  }

  const bad: [url: string, code: number][] = [
    ['/attach/ns/p/c?command=true', 404],
    ['/exec/ns?command=true', 404],
    ['/exec/ns/p/c/extra?command=true', 404],
  ];
  for (const [url, code] of bad) {
    it(`answers ${code} for ${url}`, () => {
      expect(() => parseKubeletExecPath(url))
        .to.throw(ApiError)
        .with.property('code', code);
    });
  }

  it('answers 400 naming the missing command, as the kubelet does', () => {
    expect(() => parseExecQuery(parseKubeletExecPath('/exec/ns/p/c?output=1').query)).to.throw(
      'you must specify at least one command for the container',
    );
  });
});
