import { expect } from 'chai';
import { WebSocket, WebSocketServer } from 'ws';
import type { DevCluster, RequestAttributes } from '../../src/devcluster/index.ts';
import { errors } from '../../src/devcluster/index.ts';
import { startTestCluster, tokenOf } from '../helpers/devcluster.ts';

function connect(
  cluster: DevCluster,
  path: string,
  token: string,
): Promise<{ frames: Buffer[]; status?: number; protocol?: string }> {
  return new Promise((resolve) => {
    const frames: Buffer[] = [];
    const ws = new WebSocket(
      new URL(path, cluster.url.replace('https', 'wss')),
      ['v5.channel.k8s.io', 'v4.channel.k8s.io'],
      {
        ca: cluster.caCert,
        headers: { Authorization: `Bearer ${token}` },
      },
    );
    ws.on('message', (data: Buffer) => frames.push(data));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ frames, status: res.statusCode ?? 0 });
      res.resume();
    });
    ws.on('close', () => resolve({ frames, protocol: ws.protocol }));
    ws.on('error', () => undefined);
  });
}

describe('devcluster upgrade handlers (pods/exec)', () => {
  let cluster: DevCluster;
  let token: string;
  const wss = new WebSocketServer({ noServer: true });
  const calls: RequestAttributes[] = [];

  before(async () => {
    cluster = await startTestCluster({
      upgradeHandlers: {
        'pods/exec': (req, socket, head, attributes) => {
          calls.push(attributes);
          if (attributes.name === 'missing') throw errors.badRequest('container not found ("c")');
          wss.handleUpgrade(req, socket, head, (ws) => {
            ws.send(Buffer.concat([Buffer.from([1]), Buffer.from('hello\n')]));
            ws.close();
          });
        },
      },
    });
    token = tokenOf(cluster.kubeconfig());
  });
  after(async () => {
    await cluster.stop();
    wss.close();
  });

  it('hands the authenticated, authorized upgrade to the registered handler with its RequestInfo', async () => {
    const r = await connect(
      cluster,
      '/api/v1/namespaces/default/pods/p1/exec?container=c&command=echo&stdout=true',
      token,
    );
    expect(r.protocol).to.equal('v5.channel.k8s.io');
    expect(r.frames.map((f) => [f[0], f.subarray(1).toString()])).to.deep.equal([[1, 'hello\n']]);
    expect(calls[0]).to.deep.include({
      resource: 'pods',
      subresource: 'exec',
      name: 'p1',
      namespace: 'default',
    });
    expect(calls[0]!.user.username).to.equal('kubernetes-admin');
  });

  it('answers the handler ApiError, 401 and unknown upgrades as HTTP errors before upgrading', async () => {
    expect(
      (await connect(cluster, '/api/v1/namespaces/default/pods/missing/exec?command=x', token)).status,
    ).to.equal(400);
    expect(
      (await connect(cluster, '/api/v1/namespaces/default/pods/p1/exec?command=x', 'forged')).status,
    ).to.equal(401);
    // attach is a documented refusal (http/unsupported.ts): 405 with the reason.
    expect((await connect(cluster, '/api/v1/namespaces/default/pods/p1/attach', token)).status).to.equal(405);
  });
});
