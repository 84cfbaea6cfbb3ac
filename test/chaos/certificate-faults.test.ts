/**
 * The chaos run's certificate check (certificate-faults.ts), fed states that break each of its promises, and the CA
 * fault's re-issued certificate, which must still verify what the first one signed (else the fault would break TLS
 * by itself instead of forcing the controller's rotation).
 */
import { X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import { generateServingCertificates, signServingCertificate } from '../../src/kube/certificates.ts';
import { checkCertificatesFollowed, reissueCa } from './certificate-faults.ts';
import type { CertificateObservation } from './certificate-faults.ts';

const DAY = 24 * 3_600_000;

describe('chaos certificate faults', function () {
  this.timeout(60_000);
  let first: Awaited<ReturnType<typeof generateServingCertificates>>;
  let rotated: Awaited<ReturnType<typeof generateServingCertificates>>;
  before(async () => {
    first = await generateServingCertificates({ validityMs: 10 * DAY });
    rotated = await generateServingCertificates({ validityMs: 10 * DAY });
  });

  const observed = (extra: Partial<CertificateObservation> = {}): CertificateObservation => ({
    secretCa: rotated.caCert,
    secretCert: rotated.cert,
    secretCaKey: rotated.caKey,
    caBundles: [rotated.caCert + first.caCert, rotated.caCert],
    presented: new Map([
      ['a', rotated.cert],
      ['b', rotated.cert],
    ]),
    ...extra,
  });
  const initially = () => ({ ca: first.caCert, cert: first.cert });
  const both = { serving: 1, ca: 1 };

  it('passes when the Secret, every caBundle and every replica moved to the rotated certificate', () =>
    expect(checkCertificatesFollowed(initially(), observed(), both, DAY)).to.deep.equal([]));

  const cases: [string, () => Partial<CertificateObservation>, { serving: number; ca: number }, RegExp][] = [
    [
      'the CA was not renewed',
      () => ({ secretCa: first.caCert, secretCaKey: first.caKey, caBundles: [first.caCert] }),
      both,
      /the Secret still holds the first CA/,
    ],
    ['a caBundle lags', () => ({ caBundles: [rotated.caCert, first.caCert] }), both, /webhook 1's caBundle/],
    [
      'a replica serves the old certificate',
      () => ({
        presented: new Map([
          ['a', rotated.cert],
          ['b', first.cert],
        ]),
      }),
      both,
      /replica b still presents another certificate/,
    ],
    [
      'a replica serves nothing',
      () => ({ presented: new Map([['a', undefined]]) }),
      both,
      /replica a serves no certificate/,
    ],
    [
      'the serving certificate was not renewed',
      () => ({ secretCa: first.caCert, secretCert: first.cert, caBundles: [first.caCert] }),
      { serving: 1, ca: 0 },
      /still holds the first serving certificate/,
    ],
  ];
  for (const [title, extra, injected, violation] of cases)
    it(`fails when ${title}`, () =>
      expect(checkCertificatesFollowed(initially(), observed(extra()), injected, DAY).join('\n')).to.match(
        violation,
      ));

  it('fails when the Secret is still due for a renewal', async () => {
    const aged = await signServingCertificate(
      { caCert: rotated.caCert, caKey: rotated.caKey },
      { validityMs: 3_600_000 },
    );
    const state = observed({ secretCert: aged.cert, presented: new Map([['a', aged.cert]]) });
    expect(checkCertificatesFollowed(initially(), state, both, DAY).join('\n')).to.match(
      /still due for renew-serving/,
    );
  });

  it('re-issues the CA with the same key and subject: what it signed still verifies, with less lifetime', () => {
    const reissued = reissueCa(first.caCert, first.caKey, DAY);
    const again = new X509Certificate(reissued);
    const original = new X509Certificate(first.caCert);
    expect(again.subject).to.equal(original.subject);
    expect(again.serialNumber).not.to.equal(original.serialNumber);
    expect(new Date(again.validTo).getTime()).to.be.below(new Date(original.validTo).getTime());
    expect(new X509Certificate(first.cert).verify(again.publicKey)).to.equal(true);
  });
});
