import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClientRequest, IncomingMessage, Server } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import WebSocket from 'ws';
import { errors } from '../../../src/devcluster/api/errors.ts';
import type { KubeObject } from '../../../src/devcluster/api/types.ts';
import { ExecEndpoint, SimulatedExecRunner, execContainer } from '../../../src/devcluster/exec/index.ts';
import { execWithClientNode, exitCodeOf } from '../../helpers/exec.ts';

function runningPod(name: string, containers: string[], running: string[] = containers): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns' },
    spec: { nodeName: 'node-1', containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
    status: {
      phase: 'Running',
      containerStatuses: containers.map((c) => ({
        name: c,
        state: running.includes(c) ? { running: { startedAt: '2026-01-01T00:00:00Z' } } : { waiting: {} },
      })),
    },
  };
}

describe('devcluster pods/exec endpoint (client-node Exec over a real WebSocket)', () => {
  let server: Server;
  let endpoint: ExecEndpoint;
  let runner: SimulatedExecRunner;
  let kc: KubeConfig;
  let baseUrl: string;
  const pods = new Map<string, KubeObject>();

  before(async () => {
    runner = new SimulatedExecRunner({ now: () => new Date('2026-11-24T19:55:22Z') });
    pods.set('ns/p1', runningPod('p1', ['app']));
    pods.set('ns/two', runningPod('two', ['a', 'b'], ['a']));
    pods.set('ns/done', { ...runningPod('done', ['app']), status: { phase: 'Succeeded' } });
    endpoint = new ExecEndpoint({
      runner,
      resolveContainer: (namespace, pod, container) => {
        const object = pods.get(`${namespace}/${pod}`);
        if (!object) throw errors.notFound({ group: '', resource: 'pods' }, pod);
        return execContainer(object, container);
      },
    });
    server = createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
      if (!m) return void socket.destroy();
      endpoint.handleUpgrade(req, socket, head, { namespace: m[1]!, pod: m[2]!, query: url.searchParams });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: baseUrl, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'x' }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
      currentContext: 'ctx',
    });
  });

  after(async () => {
    endpoint.close();
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  const target = { namespace: 'ns', pod: 'p1', container: 'app' };

  it('runs echo and reports Success on the status channel', async () => {
    const r = await execWithClientNode(kc, target, ['echo', 'hello', 'world']);
    expect(r.stdout).to.equal('hello world\n');
    expect(r.status.status).to.equal('Success');
    expect(exitCodeOf(r.status)).to.equal(0);
  });

  it("reports a non-zero exit as NonZeroExitCode with an ExitCode cause (sh -c 'exit 3')", async () => {
    const r = await execWithClientNode(kc, target, ['sh', '-c', 'echo to-err; exit 3']);
    expect(r.stdout).to.equal('to-err\n');
    expect(r.status).to.deep.include({ status: 'Failure', reason: 'NonZeroExitCode' });
    expect(r.status.details?.causes).to.deep.equal([{ reason: 'ExitCode', message: '3' }]);
  });

  it('separates stdout and stderr', async () => {
    const r = await execWithClientNode(kc, target, ['sh', '-c', 'cat /missing || echo fallback']);
    expect(r.stderr).to.equal("cat: can't open '/missing': No such file or directory\n");
    expect(r.stdout).to.equal('fallback\n');
    expect(exitCodeOf(r.status)).to.equal(0);
  });

  it('feeds stdin to cat and ends it with the v5 close frame', async () => {
    const r = await execWithClientNode(kc, target, ['cat'], 'piped input');
    expect(r.stdout).to.equal('piped input');
    expect(exitCodeOf(r.status)).to.equal(0);
  });

  it('keeps files per container across exec sessions', async () => {
    await execWithClientNode(kc, target, [
      '/bin/ash',
      '-c',
      'echo -n "FOOBARBAZ" >> /restores/pvc1-vm/foobarbaz',
    ]);
    const r = await execWithClientNode(kc, target, ['cat', '/restores/pvc1-vm/foobarbaz']);
    expect(r.stdout).to.equal('FOOBARBAZ');
    expect(runner.files('ns', 'p1', 'app').get('/restores/pvc1-vm/foobarbaz')).to.equal('FOOBARBAZ');
  });

  it('prints the injected clock with date', async () => {
    const r = await execWithClientNode(kc, target, ['date']);
    expect(r.stdout).to.equal('Tue Nov 24 19:55:22 UTC 2026\n');
  });

  it('reports a missing executable as an InternalError status without exit code', async () => {
    const r = await execWithClientNode(kc, target, ['no-such-binary']);
    expect(r.status).to.deep.include({ status: 'Failure', reason: 'InternalError' });
    expect(r.status.message).to.contain('"no-such-binary": executable file not found in $PATH');
    expect(exitCodeOf(r.status)).to.equal(undefined);
  });

  it('lets a test handler take over matching commands, newest first, and records every run', async () => {
    const remove = runner.handle({ pod: 'p1', command: /^\/hooks\/freeze/ }, (_req, session) => {
      session.stdout('frozen\n');
      return 7;
    });
    try {
      const r = await execWithClientNode(kc, target, ['/hooks/freeze', '--now']);
      expect(r.stdout).to.equal('frozen\n');
      expect(exitCodeOf(r.status)).to.equal(7);
      const last = runner.history.at(-1)!;
      expect(last.request.command).to.deep.equal(['/hooks/freeze', '--now']);
      expect(last).to.deep.include({ exitCode: 7, stdout: 'frozen\n' });
    } finally {
      remove();
    }
    const after = await execWithClientNode(kc, target, ['/hooks/freeze']);
    expect(after.status.reason).to.equal('InternalError');
  });

  it('aborts a long sleep when the client disconnects', async () => {
    const ws = new WebSocket(
      `${baseUrl.replace('http', 'ws')}/api/v1/namespaces/ns/pods/p1/exec?command=sleep&command=3600&stdout=true`,
      ['v4.channel.k8s.io'],
    );
    await once(ws, 'open');
    expect(ws.protocol).to.equal('v4.channel.k8s.io');
    ws.close();
    await once(ws, 'close');
    for (let i = 0; i < 100 && runner.history.at(-1)?.request.command[0] !== 'sleep'; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(runner.history.at(-1)).to.deep.include({ exitCode: 130 });
  });

  async function rawUpgrade(path: string, protocols = ['v5.channel.k8s.io']) {
    const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}${path}`, protocols);
    ws.on('error', () => undefined);
    const [req, res] = (await once(ws, 'unexpected-response')) as [ClientRequest, IncomingMessage];
    let body = '';
    for await (const chunk of res) body += chunk;
    req.destroy();
    return { code: res.statusCode, body: JSON.parse(body) as Record<string, unknown> };
  }

  it('answers 400 before the upgrade when the container is not running', async () => {
    const r = await rawUpgrade('/api/v1/namespaces/ns/pods/two/exec?container=b&command=true&stdout=true');
    expect(r.code).to.equal(400);
    expect(r.body).to.deep.include({
      kind: 'Status',
      status: 'Failure',
      reason: 'BadRequest',
      code: 400,
      message: 'container not found ("b")',
    });
  });

  it('answers 400 for an ambiguous container, an unknown container and a completed pod', async () => {
    const ambiguous = await rawUpgrade('/api/v1/namespaces/ns/pods/two/exec?command=true&stdout=true');
    expect(ambiguous.body.message).to.equal(
      'a container name must be specified for pod two, choose one of: [a b]',
    );
    const unknown = await rawUpgrade(
      '/api/v1/namespaces/ns/pods/p1/exec?container=x&command=true&stdout=true',
    );
    expect(unknown.body.message).to.equal('container x is not valid for pod p1');
    const done = await rawUpgrade('/api/v1/namespaces/ns/pods/done/exec?command=true&stdout=true');
    expect(done.body.message).to.equal(
      'cannot exec into a container in a completed pod; current phase is Succeeded',
    );
  });

  it('answers 404 for a missing pod and 400 for bad queries and unsupported subprotocols', async () => {
    expect((await rawUpgrade('/api/v1/namespaces/ns/pods/nope/exec?command=true&stdout=true')).code).to.equal(
      404,
    );
    const noCommand = await rawUpgrade('/api/v1/namespaces/ns/pods/p1/exec?stdout=true');
    expect(noCommand.body.message).to.equal('you must specify at least one command for the container');
    const noStreams = await rawUpgrade('/api/v1/namespaces/ns/pods/p1/exec?command=true');
    expect(noStreams.body.message).to.equal('you must specify at least 1 of stdin, stdout, stderr');
    const v1 = await rawUpgrade('/api/v1/namespaces/ns/pods/p1/exec?command=true&stdout=true', [
      'channel.k8s.io',
    ]);
    expect(v1.code).to.equal(400);
  });
});
