import { expect } from 'chai';
import {
  CA_CERT,
  CA_KEY,
  TLS_CERT,
  TLS_KEY,
  certificateAction,
  servingHosts,
} from '../../../src/controller/admission/webhook-certificates.ts';
import { generateCa, signServingCertificate } from '../../../src/kube/certificates.ts';

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
    for (const [name, caAge, servingAge, want] of cases)
      expect(certificateAction(await data(caAge, servingAge), now, VALIDITY), name).to.equal(want);
  });

  it('creates everything when a piece is missing or unreadable', async () => {
    const full = await data(0, 0);
    for (const key of [CA_CERT, CA_KEY, TLS_CERT, TLS_KEY]) {
      const partial = { ...full };
      delete partial[key];
      expect(certificateAction(partial, now, VALIDITY), `without ${key}`).to.equal('create');
    }
    expect(certificateAction({ ...full, [TLS_CERT]: 'garbage' }, now, VALIDITY)).to.equal('create');
    expect(certificateAction({}, now, VALIDITY)).to.equal('create');
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
