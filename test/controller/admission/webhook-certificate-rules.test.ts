import { expect } from 'chai';
import {
  CA_CERT,
  CA_KEY,
  TLS_CERT,
  TLS_KEY,
  caBundleInForce,
  certificateAction,
  servingHosts,
} from '../../../src/controller/admission/webhook-certificate-rules.ts';
import { generateCa, pemBlocks, signServingCertificate } from '../../../src/kube/certificates.ts';

const DAY = 24 * 3600_000;
const VALIDITY = 90 * DAY;

describe('webhook certificates: when the self-managed Secret is created or renewed', function () {
  this.timeout(60_000);
  const now = Date.parse('2026-12-06T00:00:00Z');
  let data: (caAgeDays: number, servingAgeDays: number) => Promise<Record<string, string>>;

  before(() => {
    data = async (caAgeDays, servingAgeDays) => {
      const ca = await generateCa({ validityMs: VALIDITY * 10, now: now - caAgeDays * DAY });
      const serving = await signServingCertificate(ca, {
        hosts: ['127.0.0.1'],
        validityMs: VALIDITY,
        now: now - servingAgeDays * DAY,
      });
      return { [CA_CERT]: ca.caCert, [CA_KEY]: ca.caKey, [TLS_CERT]: serving.cert, [TLS_KEY]: serving.key };
    };
  });

  it('decides from the configured lifetimes: a third left means renew', async () => {
    const cases: Array<[string, number, number, string]> = [
      ['fresh', 0, 0, 'keep'],
      ['serving certificate at half its life', 0, 45, 'keep'],
      ['serving certificate with less than a third left', 0, 61, 'renew-serving'],
      ['expired serving certificate', 0, 120, 'renew-serving'],
      ['CA with less than a third left', 601, 0, 'renew-ca'],
    ];
    for (const [name, caAge, servingAge, want] of cases) {
      const d = await data(caAge, servingAge);
      expect(certificateAction(d, now, VALIDITY, d[CA_CERT]!), name).to.equal(want);
    }
  });

  it('re-signs the serving certificate with a new CA only once the caBundle holds that CA', async () => {
    const old = await data(601, 0);
    // What renew-ca leaves: the new CA first in ca.crt, the old one after it, the old CA's serving certificate.
    const fresh = await generateCa({ validityMs: VALIDITY * 10, now });
    const rotated = {
      ...old,
      [CA_CERT]: fresh.caCert + old[CA_CERT]!,
      [CA_KEY]: fresh.caKey,
    };
    const cases: Array<[string, string, string]> = [
      ['the bundle still holds the old CA only', old[CA_CERT]!, 'keep'],
      ['no bundle yet', '', 'keep'],
      ['the bundle holds the new CA and the old one', rotated[CA_CERT], 'renew-serving'],
      ['the bundle holds the new CA only', fresh.caCert, 'renew-serving'],
    ];
    for (const [name, bundle, want] of cases)
      expect(certificateAction(rotated, now, VALIDITY, bundle), name).to.equal(want);
    const resigned = await signServingCertificate(fresh, { hosts: ['127.0.0.1'], validityMs: VALIDITY, now });
    expect(
      certificateAction(
        { ...rotated, [TLS_CERT]: resigned.cert, [TLS_KEY]: resigned.key },
        now,
        VALIDITY,
        rotated[CA_CERT],
      ),
      'then nothing more',
    ).to.equal('keep');
  });

  it('holds a bundle as trusted only where every webhook trusts it', async () => {
    const [one, two] = [await data(0, 0), await data(0, 0)];
    const webhook = (pem: string) => ({ clientConfig: { caBundle: Buffer.from(pem).toString('base64') } });
    const cases: Array<[string, Parameters<typeof caBundleInForce>[0], string]> = [
      ['no configuration', undefined, ''],
      ['no webhooks', { metadata: {}, webhooks: [] }, ''],
      ['one bundle', { metadata: {}, webhooks: [webhook(one[CA_CERT]!)] }, one[CA_CERT]!],
      [
        'two webhooks, one behind',
        { metadata: {}, webhooks: [webhook(one[CA_CERT]! + two[CA_CERT]!), webhook(one[CA_CERT]!)] },
        one[CA_CERT]!,
      ],
    ];
    for (const [name, configuration, want] of cases)
      expect(pemBlocks(caBundleInForce(configuration)), name).to.deep.equal(pemBlocks(want));
  });

  it('creates everything when a piece is missing or unreadable', async () => {
    const full = await data(0, 0);
    for (const key of [CA_CERT, CA_KEY, TLS_CERT, TLS_KEY]) {
      const partial = { ...full };
      delete partial[key];
      expect(certificateAction(partial, now, VALIDITY, ''), `without ${key}`).to.equal('create');
    }
    expect(certificateAction({ ...full, [TLS_CERT]: 'garbage' }, now, VALIDITY, '')).to.equal('create');
    expect(certificateAction({}, now, VALIDITY, '')).to.equal('create');
  });

  it('serves the Service names, plus the url host out of cluster, unless hosts are configured', () => {
    expect(servingHosts('rh', '', [])).to.deep.equal([
      'restore-hooks-webhook',
      'restore-hooks-webhook.rh',
      'restore-hooks-webhook.rh.svc',
      'restore-hooks-webhook.rh.svc.cluster.local',
    ]);
    expect(servingHosts('rh', 'https://127.0.0.1:9443', [])[0]).to.equal('127.0.0.1');
    expect(servingHosts('rh', 'https://[::1]:9443/x', [])[0]).to.equal('::1');
    expect(servingHosts('rh', 'https://127.0.0.1:9443', ['hooks.example.com'])).to.deep.equal([
      'hooks.example.com',
    ]);
  });
});
