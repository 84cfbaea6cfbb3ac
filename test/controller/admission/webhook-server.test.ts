import { expect } from 'chai';
import { request as httpsRequest } from 'node:https';
import { PassThrough } from 'node:stream';
import { KubeConfig, IsomorphicFetchHttpLibrary } from '@kubernetes/client-node';
import { admissionHandlers } from '../../../src/controller/admission/admission-handlers.ts';
import { WebhookServer } from '../../../src/controller/admission/webhook-server.ts';
import { EventRecorder } from '../../../src/controller/events.ts';
import { KubeJsonClient } from '../../../src/controller/kube-json-client.ts';
import { RESTORE_LABEL } from '../../../src/controller/marks.ts';
import { RestoreDirectory } from '../../../src/controller/restore-directory.ts';
import type { RestoreObject } from '../../../src/controller/restore-directory.ts';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.ts';
import { generateServingCertificates } from '../../../src/kube/certificates.ts';
import type { ServingCertificates } from '../../../src/kube/certificates.ts';
import { createLogger } from '../../../src/telemetry/logger.ts';
import { HookMetrics, createMetricsRegistry } from '../../../src/telemetry/metrics.ts';
import { metricValue } from '../../helpers/metrics.ts';
import type { Workload } from '../../../src/kube/types.ts';
import { deployment, isoSecondsAgo, podSpec, restoreR2 } from '../../helpers/restore-fixtures.ts';

interface Reply {
  status: number;
  body: string;
}

function post(
  port: number,
  ca: string,
  path: string,
  body: string,
  options: { method?: string; contentType?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'POST',
        ca,
        // A connection per request: a reused one would keep the certificate of its handshake.
        agent: false,
        headers: { 'Content-Type': options.contentType ?? 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(options.method === 'GET' ? undefined : body);
  });
}

function review(kind: string, object: unknown, username: string, uid = 'req-1'): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: kind === 'Pod' ? '' : 'apps', version: 'v1', kind },
      resource: { group: '', version: 'v1', resource: `${kind.toLowerCase()}s` },
      requestKind: { group: '', version: 'v1', kind },
      namespace: 'app',
      operation: 'CREATE',
      userInfo: { username, uid: 'x', groups: ['system:authenticated'] },
      object,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  });
}

/** A pod of Deployment `name`'s ReplicaSet, as the ReplicaSet controller creates it. */
const podOf = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    generateName: `${name}-7d4b9-`,
    labels: { app: name, 'pod-template-hash': '7d4b9', [RESTORE_LABEL]: 'r2' },
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-7d4b9`, uid: 'rs-1', controller: true },
    ],
  },
  spec: podSpec(),
});
const pod = podOf('web');
const UNMARK = [{ op: 'remove', path: '/metadata/labels/restore-hooks.dev~1restore' }];

/** Deployment `name` as the workload informer caches it: restored by Velero, marked at admission, created now. */
function cachedDeployment(name: string): Workload {
  const d = deployment(name);
  return {
    ...d,
    metadata: { ...d.metadata, uid: `uid-${name}`, creationTimestamp: new Date().toISOString() },
    spec: {
      ...d.spec,
      template: { ...d.spec.template, metadata: { labels: { app: name, [RESTORE_LABEL]: 'r2' } } },
    },
  } as unknown as Workload;
}

describe('webhook server: AdmissionReviews over HTTPS', function () {
  this.timeout(60_000);
  let certs: ServingCertificates;
  let server: WebhookServer;
  const registry = createMetricsRegistry();
  const logs: string[] = [];
  const workloads = new Map<string, Workload>([['Deployment/app/web', cachedDeployment('web')]]);

  before(async () => {
    certs = await generateServingCertificates(['127.0.0.1']);
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => logs.push(c.toString()));
    const logger = createLogger({ level: 'debug', stream });
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'none', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'c', cluster: 'none', user: 'u' }],
      currentContext: 'c',
    });
    // Started before any cached workload of this file was stamped (at load), however late this runs.
    const restores = [restoreR2({ startTimestamp: isoSecondsAgo(3600) })] as unknown as RestoreObject[];
    const dir = new RestoreDirectory(() => restores, DEFAULT_SETTINGS.policy);
    server = new WebhookServer({
      bindAddress: '127.0.0.1:0',
      logger,
      registry,
      handlers: admissionHandlers({
        caches: {
          restoreOf: (v) => dir.byLabelValue(v),
          workloadOf: (kind, namespace, name) => workloads.get(`${kind}/${namespace}/${name}`),
        },
        ownerWaitMs: 1500,
        settings: {
          veleroIdentities: DEFAULT_SETTINGS.webhook.veleroIdentities,
          workloadControllerIdentities: DEFAULT_SETTINGS.webhook.workloadControllerIdentities,
          policy: DEFAULT_SETTINGS.policy,
          hookWindowMs: DEFAULT_SETTINGS.hookWindow,
        },
        metrics: new HookMetrics(registry),
        events: new EventRecorder(new KubeJsonClient(kc, new IsomorphicFetchHttpLibrary()), {
          instance: 'test',
          logger,
        }),
        logger,
        now: Date.now,
      }),
    });
    expect(server.hasCertificate).to.equal(false);
    await server.loadCertificate({ cert: certs.cert, key: certs.key });
  });
  after(() => server.close());

  it('marks a Deployment Velero creates, and answers with the request uid and a base64 JSON patch', async () => {
    const reply = await post(
      server.port,
      certs.caCert,
      '/mutate-workloads',
      review('Deployment', deployment('web'), 'system:serviceaccount:velero:velero', 'uid-42'),
    );
    expect(reply.status).to.equal(200);
    const response = (JSON.parse(reply.body) as { response: Record<string, unknown> }).response;
    expect(response).to.include({ uid: 'uid-42', allowed: true, patchType: 'JSONPatch' });
    const patch = JSON.parse(Buffer.from(response.patch as string, 'base64').toString()) as unknown[];
    expect(patch).to.deep.equal([
      { op: 'add', path: '/spec/template/metadata/labels/restore-hooks.dev~1restore', value: 'r2' },
    ]);
  });

  it("injects into a pod the ReplicaSet controller creates; admits a user's pod unchanged (bypass)", async () => {
    const injected = await post(
      server.port,
      certs.caCert,
      '/mutate-pods',
      review('Pod', pod, 'system:serviceaccount:kube-system:replicaset-controller'),
    );
    const r1 = (JSON.parse(injected.body) as { response: Record<string, unknown> }).response;
    expect(r1.patchType).to.equal('JSONPatch');
    const bypass = await post(server.port, certs.caCert, '/mutate-pods', review('Pod', pod, 'alice'));
    const r2 = (JSON.parse(bypass.body) as { response: Record<string, unknown> }).response;
    // Admitted without hooks, and without the mark: no reconciler takes it for the Restore's.
    expect(JSON.parse(Buffer.from(r2.patch as string, 'base64').toString())).to.deep.equal(UNMARK);
    expect(logs.join('')).to.contain('identity that is not trusted');
  });

  it('answers a malformed AdmissionReview with 400 and the reason, and keeps serving', async () => {
    const cases: Array<[string, string, string]> = [
      ['not JSON', '{"apiVersion":', 'body is not JSON'],
      [
        'a v1beta1 review',
        JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview' }),
        'apiVersion: expected "admission.k8s.io/v1"',
      ],
      [
        'no request',
        JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
        'request: expected an object',
      ],
      ['no uid', review('Pod', pod, 'alice', ''), 'request.uid'],
      [
        'no userInfo',
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: { uid: 'a', kind: { version: 'v1', kind: 'Pod' }, operation: 'CREATE', object: {} },
        }),
        'request.userInfo.username',
      ],
      ['an object that is not an object', review('Pod', 'pod', 'alice'), 'request.object'],
      [
        'an UPDATE without the old object',
        review('Deployment', deployment('web'), 'alice').replace('"CREATE"', '"UPDATE"'),
        'request.oldObject: expected an object on UPDATE',
      ],
    ];
    for (const [name, body, message] of cases) {
      const reply = await post(server.port, certs.caCert, '/mutate-pods', body);
      expect(reply.status, name).to.equal(400);
      expect(reply.body, name).to.contain('malformed AdmissionReview').and.contain(message);
    }
    expect(
      (await post(server.port, certs.caCert, '/mutate-pods', '{}', { contentType: 'text/plain' })).status,
    ).to.equal(400);
    expect((await post(server.port, certs.caCert, '/mutate-pods', '', { method: 'GET' })).status).to.equal(
      405,
    );
    expect((await post(server.port, certs.caCert, '/validate', '{}')).status).to.equal(404);
    const ok = await post(server.port, certs.caCert, '/mutate-pods', review('Pod', pod, 'alice'));
    expect(ok.status).to.equal(200);
  });

  it('counts requests by webhook and code, admissions by result, and keeps nothing in flight', async () => {
    const value = (name: string, labels: Record<string, string>) => metricValue(registry, name, labels);
    const requests = (code: string) =>
      value('controller_runtime_webhook_requests_total', { webhook: '/mutate-pods', code });
    expect(await requests('200')).to.be.at.least(3);
    expect(await requests('400')).to.equal(8);
    expect(await requests('405')).to.equal(1);
    expect(
      await value('controller_runtime_webhook_requests_in_flight', { webhook: '/mutate-pods' }),
    ).to.equal(0);
    expect(
      await value('controller_runtime_webhook_latency_seconds_count', { webhook: '/mutate-workloads' }),
    ).to.equal(1);
    expect(await value('restore_hooks_admission_total', { webhook: 'pods', result: 'patched' })).to.equal(1);
    expect(await value('restore_hooks_admission_total', { webhook: 'pods', result: 'bypass' })).to.equal(2);
    expect(
      await value('restore_hooks_admission_total', { webhook: 'workloads', result: 'patched' }),
    ).to.equal(1);
  });

  let renewedCa = '';
  it('loads a renewed certificate in place: new connections are served with it', async () => {
    const renewed = await generateServingCertificates(['127.0.0.1']);
    renewedCa = renewed.caCert;
    await server.loadCertificate({ cert: renewed.cert, key: renewed.key });
    const reply = await post(server.port, renewed.caCert, '/mutate-pods', review('Pod', pod, 'alice'));
    expect(reply.status).to.equal(200);
    let error: unknown;
    await post(server.port, certs.caCert, '/mutate-pods', review('Pod', pod, 'alice')).catch(
      (e: unknown) => (error = e),
    );
    expect(String(error)).to.match(/self.signed|unable to verify|certificate/i);
  });

  it("waits for the caches to hold a pod's workload (created an instant before), and no longer than ownerWaitMs", async () => {
    const rsController = 'system:serviceaccount:kube-system:replicaset-controller';
    const response = async (object: unknown) =>
      (
        JSON.parse(
          (await post(server.port, renewedCa, '/mutate-pods', review('Pod', object, rsController))).body,
        ) as {
          response: Record<string, unknown>;
        }
      ).response;
    // The informer sees the Deployment 300 ms after its pod is sent for admission.
    setTimeout(() => workloads.set('Deployment/app/late', cachedDeployment('late')), 300);
    expect((await response(podOf('late'))).patchType).to.equal('JSONPatch');
    // A ReplicaSet whose Deployment no cache ever holds: admitted without hooks once the wait is over.
    const started = performance.now();
    const never = await response(podOf('never'));
    expect(JSON.parse(Buffer.from(never.patch as string, 'base64').toString())).to.deep.equal(UNMARK);
    expect(performance.now() - started).to.be.at.least(1500);
  });
});
