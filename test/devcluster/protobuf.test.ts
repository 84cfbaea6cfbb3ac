import { request as httpsRequest } from 'node:https';
import { expect } from 'chai';
import type { DevCluster } from '../../src/devcluster/index.ts';
import { ApiError } from '../../src/devcluster/api/errors.ts';
import { decodeProtobuf, encodeProtobuf } from '../../src/devcluster/http/protobuf.ts';
import { startTestCluster, tokenOf } from '../helpers/devcluster.ts';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'x',
    labels: { app: 'web' },
    creationTimestamp: '2026-01-02T03:04:05Z',
    managedFields: [
      {
        manager: 'kubectl',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: '2026-01-02T03:04:05Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      },
    ],
  },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        automountServiceAccountToken: false,
        containers: [
          {
            name: 'c',
            image: 'nginx',
            resources: { limits: { cpu: '100m', memory: '64Mi' } },
            ports: [{ containerPort: 80 }],
          },
        ],
      },
    },
  },
};

const event = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name: 'e1', namespace: 'x' },
  eventTime: '2026-01-02T03:04:05.123456Z',
  reason: 'Scheduled',
  action: 'Binding',
  type: 'Normal',
  reportingController: 'default-scheduler',
  reportingInstance: 'default-scheduler-node-1',
  regarding: { kind: 'Pod', namespace: 'x', name: 'p' },
};

const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's' },
  data: { key: Buffer.from('value').toString('base64') },
  type: 'Opaque',
};

const review = {
  apiVersion: 'authorization.k8s.io/v1',
  kind: 'SubjectAccessReview',
  spec: {
    user: 'bob',
    groups: ['dev'],
    extra: { scopes: ['a', 'b'] },
    resourceAttributes: { namespace: 'kx', verb: 'create', resource: 'pods' },
  },
};

/** A protobuf body framed as kube-apiserver frames it, with a raw message given as bytes. */
function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const str = (field: number, s: string) => {
    const b = Buffer.from(s);
    return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
  };
  const typeMeta = Buffer.concat([str(1, apiVersion), str(2, kind)]);
  return Buffer.concat([
    Buffer.from('k8s\0'),
    Buffer.from([(1 << 3) | 2, typeMeta.length]),
    typeMeta,
    Buffer.from([(2 << 3) | 2, raw.length]),
    raw,
  ]);
}

describe('devcluster protobuf codec', () => {
  for (const object of [deployment, event, secret, review])
    it(`round-trips a ${object.kind} through the k8s envelope unchanged`, () => {
      const wire = encodeProtobuf(object)!;
      expect(wire.subarray(0, 4).toString('latin1')).to.equal('k8s\0');
      expect(decodeProtobuf(wire)).to.deep.equal(object);
    });

  it('reads zero values as Go does: kept for pointers and fields without omitempty, dropped otherwise', () => {
    // DeploymentSpec: replicas (1, *int32) = 0, paused (7, bool omitempty) = false, minReadySeconds (5) = 0,
    // as Go's marshaller writes them (non-pointer fields always, pointers when set).
    const spec = Buffer.from([1 << 3, 0, 7 << 3, 0, 5 << 3, 0]);
    const raw = Buffer.concat([Buffer.from([(2 << 3) | 2, spec.length]), spec]);
    expect(decodeProtobuf(envelope('apps/v1', 'Deployment', raw))).to.deep.equal({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: { replicas: 0 },
    });
  });

  it('keeps an empty container name (no omitempty) and drops an empty image (omitempty)', () => {
    const container = Buffer.from([(1 << 3) | 2, 0, (2 << 3) | 2, 0]);
    const podSpec = Buffer.concat([Buffer.from([(2 << 3) | 2, container.length]), container]);
    const raw = Buffer.concat([Buffer.from([(2 << 3) | 2, podSpec.length]), podSpec]);
    expect(decodeProtobuf(envelope('v1', 'Pod', raw))).to.deep.equal({
      apiVersion: 'v1',
      kind: 'Pod',
      spec: { containers: [{ name: '' }] },
    });
  });

  const failures: [string, Buffer, number, string][] = [
    ['no k8s prefix', Buffer.from('{"kind":"Pod"}'), 400, 'missing the k8s envelope prefix'],
    [
      'a kind without a message',
      envelope('example.com/v1', 'Widget', Buffer.alloc(0)),
      415,
      'application/json',
    ],
    ['a truncated message', envelope('v1', 'Pod', Buffer.from([(1 << 3) | 2, 50, 1])), 400, 'protobuf: Pod'],
  ];
  for (const [name, body, code, message] of failures)
    it(`answers ${code} for ${name}`, () => {
      try {
        decodeProtobuf(body);
        expect.fail('decoded');
      } catch (err) {
        expect(err).to.be.instanceOf(ApiError);
        expect((err as ApiError).code).to.equal(code);
        expect((err as ApiError).message).to.contain(message);
      }
    });

  it('reads DeleteOptions sent in any version (kubectl drain deletes pods with them)', () => {
    const options = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      propagationPolicy: 'Background',
    };
    expect(decodeProtobuf(encodeProtobuf(options)!)).to.deep.equal(options);
    const apps = { ...options, apiVersion: 'apps/v1' };
    expect(decodeProtobuf(encodeProtobuf(apps)!)).to.deep.equal(apps);
  });

  it('has no message for kinds it does not serve', () => {
    expect(encodeProtobuf({ apiVersion: 'example.com/v1', kind: 'Widget' })).to.equal(undefined);
  });
});

describe('devcluster protobuf over HTTP', () => {
  let cluster: DevCluster;
  let token: string;
  before(async () => {
    cluster = await startTestCluster({ crdDirectory: false });
    token = tokenOf(cluster.kubeconfig());
  });
  after(() => cluster.stop());

  const send = (method: string, path: string, accept: string, body?: Buffer) =>
    new Promise<{ status: number; type: string; body: Buffer }>((resolve, reject) => {
      const req = httpsRequest(
        new URL(path, cluster.url),
        {
          method,
          ca: cluster.caCert,
          agent: false,
          headers: {
            Authorization: `Bearer ${token}`,
            Accept: accept,
            ...(body ? { 'Content-Type': 'application/vnd.kubernetes.protobuf' } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              type: res.headers['content-type'] ?? '',
              body: Buffer.concat(chunks),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  it('answers protobuf when the client asks for it first, JSON otherwise', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments';
    const typed = 'application/vnd.kubernetes.protobuf, application/json';
    const web = { ...deployment, metadata: { name: 'web' } };
    const created = await send('POST', path, typed, encodeProtobuf(web));
    expect(created.status, created.body.toString()).to.equal(201);
    expect(created.type).to.equal('application/vnd.kubernetes.protobuf');
    const stored = cluster.api.get(
      { group: 'apps', version: 'v1', resource: 'deployments' },
      'default',
      'web',
    );
    expect(decodeProtobuf(created.body)).to.deep.equal(stored);
    const json = await send('GET', `${path}/web`, 'application/json, application/vnd.kubernetes.protobuf');
    expect(json.type).to.equal('application/json');
    expect(JSON.parse(json.body.toString())).to.deep.equal(stored);
    const list = await send('GET', path, typed);
    expect(list.type, 'lists stay JSON').to.equal('application/json');
  });
});
