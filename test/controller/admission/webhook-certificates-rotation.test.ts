import { IsomorphicFetchHttpLibrary, KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import {
  CA_CERT,
  TLS_CERT,
  caBundleInForce,
} from '../../../src/controller/admission/webhook-certificate-rules.ts';
import { WebhookCertificates } from '../../../src/controller/admission/webhook-certificates.ts';
import { webhookConfiguration } from '../../../src/controller/admission/webhook-configuration.ts';
import type { ServingCertificate } from '../../../src/controller/admission/webhook-server.ts';
import { KubeJsonClient } from '../../../src/controller/kube-json-client.ts';
import { silentLogger } from '../../../src/controller/machinery/logger.ts';
import { startDevCluster } from '../../../src/devcluster/index.ts';
import type { DevCluster } from '../../../src/devcluster/index.ts';
import { pemBlocks, trustedBy } from '../../../src/kube/certificates.ts';
import { reissueCa } from '../../chaos/certificate-faults.ts';
import { selfManagedWebhook } from '../../helpers/webhook-serving.ts';

const NAMESPACE = 'restore-hooks';
const SECRET = `/api/v1/namespaces/${NAMESPACE}/secrets/restore-hooks-webhook-cert`;
const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/restore-hooks';
const DAY = 24 * 3600_000;
const decode = (v: string | undefined) => Buffer.from(v ?? '', 'base64').toString('utf8');

/**
 * Two replicas keep the self-managed certificate over a devcluster (which verifies the caBundle as kube-apiserver
 * does). Whenever a replica starts serving a certificate, the caBundle stored at that moment must already trust it:
 * otherwise the API server's calls fail with "unknown authority" and, with failurePolicy Ignore, fail open.
 */
describe('webhook certificates: a CA rotation never serves a certificate the caBundle does not trust (devcluster)', function () {
  this.timeout(120_000);
  let cluster: DevCluster;
  let client: KubeJsonClient;
  /** Each load, with the caBundle as stored when it happened. */
  let loads: { replica: string; cert: string; bundle: string }[];

  const replica = (name: string, url: string, via: KubeJsonClient = client) =>
    new WebhookCertificates({
      client: via,
      namespace: NAMESPACE,
      settings: selfManagedWebhook(url),
      load: async (certificate: ServingCertificate) => {
        const stored = await client.request<Parameters<typeof caBundleInForce>[0]>({
          method: 'GET',
          path: MWC,
        });
        loads.push({ replica: name, cert: certificate.cert, bundle: caBundleInForce(stored) });
      },
      logger: silentLogger,
    });

  /** What the chaos suite's CA fault does: the CA re-issued with 1 day (under a third of 100 days) left. */
  const ageTheCa = async () => {
    const secret = await client.request<{ data: Record<string, string> }>({ method: 'GET', path: SECRET });
    const [ca, ...older] = pemBlocks(decode(secret.data[CA_CERT]));
    const reissued = reissueCa(ca!, decode(secret.data['ca.key']), DAY);
    await client.request({
      method: 'PUT',
      path: SECRET,
      body: {
        ...secret,
        data: { ...secret.data, [CA_CERT]: Buffer.from([reissued, ...older].join('')).toString('base64') },
      },
    });
  };

  const untrusted = () =>
    loads
      .filter((l) => !trustedBy(l.cert, l.bundle))
      .map((l) => `${l.replica} loaded a certificate its bundle lacks`);

  beforeEach(async () => {
    loads = [];
    cluster = await startDevCluster({ crdDirectory: false });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(cluster.kubeconfig());
    client = new KubeJsonClient(kubeConfig, new IsomorphicFetchHttpLibrary());
    await client.request({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
    });
  });
  afterEach(() => cluster.stop());

  for (const mode of ['service', 'url'] as const) {
    it(`${mode} mode: the new CA reaches the caBundle a round before a certificate it signed is served`, async () => {
      const url = mode === 'url' ? 'https://127.0.0.1:9443' : '';
      if (mode === 'service')
        await client.request({
          method: 'POST',
          path: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
          body: webhookConfiguration({
            name: 'restore-hooks',
            namespace: NAMESPACE,
            clientConfig: { service: true },
            caBundle: '',
            failurePolicy: 'Ignore',
          }),
        });
      const a = replica('a', url);
      const b = replica('b', url);
      await a.sync();
      await b.sync();
      const first = decode(
        (await client.request<{ data: Record<string, string> }>({ method: 'GET', path: SECRET })).data[
          TLS_CERT
        ],
      );
      await ageTheCa();
      // a rotates; b, refreshing in between, reloads what a wrote; then the rounds after.
      for (const r of [a, b, a, b, b, a]) await r.sync();

      expect(untrusted()).to.deep.equal([]);
      const secret = await client.request<{ data: Record<string, string> }>({ method: 'GET', path: SECRET });
      const cas = pemBlocks(decode(secret.data[CA_CERT]));
      const serving = decode(secret.data[TLS_CERT]);
      expect(serving, 'the serving certificate was renewed').to.not.equal(first);
      expect(trustedBy(serving, cas[0]!), 'signed by the new CA').to.equal(true);
      expect(cas, 'the old CA stays in ca.crt (and the bundle) for what it signed').to.have.length(2);
      const bundle = caBundleInForce(await client.request({ method: 'GET', path: MWC }));
      expect(pemBlocks(bundle)).to.deep.equal(cas);
      expect(loads.at(-1)?.cert).to.equal(serving);
      expect(loads.filter((l) => l.replica === 'b').at(-1)?.cert).to.equal(serving);
    });
  }

  it('a replica whose Secret read predates the rotation does not take the new CA out of the caBundle', async () => {
    const url = 'https://127.0.0.1:9443';
    const a = replica('a', url);
    await a.sync();
    const before = await client.request<{ data: Record<string, string> }>({ method: 'GET', path: SECRET });
    // b's first read of the Secret is answered with the Secret as it was before the rotation (a slow GET).
    let stale = true;
    const staleClient = {
      request: async (req: { method: string; path: string }) => {
        if (stale && req.method === 'GET' && req.path === SECRET) {
          stale = false;
          return before;
        }
        return client.request(req as Parameters<KubeJsonClient['request']>[0]);
      },
    } as unknown as KubeJsonClient;
    const b = replica('b', url, staleClient);
    await ageTheCa();
    await a.sync();
    const rotated = pemBlocks(
      decode(
        (await client.request<{ data: Record<string, string> }>({ method: 'GET', path: SECRET })).data[
          CA_CERT
        ],
      ),
    );
    await b.sync();
    const bundle = pemBlocks(caBundleInForce(await client.request({ method: 'GET', path: MWC })));
    expect(bundle, 'the new CA is still in the caBundle').to.deep.equal(rotated);
    expect(untrusted()).to.deep.equal([]);
    await a.sync();
    await b.sync();
    expect(untrusted()).to.deep.equal([]);
  });
});
