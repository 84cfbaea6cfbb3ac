/**
 * What the webhook's certificates must be, decided from what is observed: the Secret's keys, when its certificates
 * are created or renewed, the names the serving certificate covers, and the CAs a webhook configuration trusts.
 * Pure; webhook-certificates.ts reads and writes the Secret and the configuration by these rules.
 */
import { X509Certificate } from 'node:crypto';
import { certificateValidity, issuedBy, pemBlocks } from '../../kube/certificates.ts';
import { WEBHOOK_SERVICE_NAME } from './webhook-configuration.ts';
import type { WebhookConfigurationObject } from './webhook-configuration-store.ts';

export const TLS_CERT = 'tls.crt';
export const TLS_KEY = 'tls.key';
export const CA_CERT = 'ca.crt';
export const CA_KEY = 'ca.key';

/** The CA lives this many times as long as a serving certificate. */
export const CA_LIFETIMES = 10;

export type CertificateAction = 'create' | 'renew-ca' | 'renew-serving' | 'keep';

/** The Secret's PEM texts (decoded). */
export interface CertificateData {
  readonly [TLS_CERT]?: string;
  readonly [TLS_KEY]?: string;
  readonly [CA_CERT]?: string;
  readonly [CA_KEY]?: string;
}

/**
 * What a self-managed Secret needs: everything (missing or unreadable), a new CA (the newest CA, first in ca.crt,
 * has less than a third of its lifetime left), a new serving certificate (likewise, or it is not signed by the newest
 * CA yet), or nothing. Lifetimes are the configured ones: the certificates' notBefore is backdated for clock skew.
 *
 * A CA rotation takes two rounds, so that the API server never meets a certificate its caBundle does not trust:
 * `renew-ca` adds the new CA to ca.crt (the old ones stay) and keeps the serving certificate; every round writes
 * ca.crt into the caBundle; only once `caBundle` (as the configuration holds it) has the newest CA is the serving
 * certificate re-signed by it (`renew-serving`), a refresh interval later at the earliest, which gives the API
 * server time to see the new bundle. Until then the old serving certificate stays, however close to expiry.
 */
export function certificateAction(
  data: CertificateData,
  nowMs: number,
  validityMs: number,
  caBundle: string,
): CertificateAction {
  const ca = data[CA_CERT] ? certificateValidity(data[CA_CERT]) : undefined;
  const serving = data[TLS_CERT] ? certificateValidity(data[TLS_CERT]) : undefined;
  if (!ca || !serving || !data[TLS_KEY] || !data[CA_KEY]) return 'create';
  if (ca.notAfter - nowMs < (validityMs * CA_LIFETIMES) / 3) return 'renew-ca';
  const newestCa = pemBlocks(data[CA_CERT] ?? '')[0] ?? '';
  const bundled = holdsCertificate(caBundle, newestCa);
  if (!issuedBy(data[TLS_CERT] ?? '', newestCa)) return bundled ? 'renew-serving' : 'keep';
  if (serving.notAfter - nowMs < validityMs / 3) return 'renew-serving';
  return 'keep';
}

/** Whether a PEM bundle holds this very certificate. */
export function holdsCertificate(bundle: string, pem: string): boolean {
  const wanted = fingerprint(pem);
  return wanted !== undefined && pemBlocks(bundle).some((b) => fingerprint(b) === wanted);
}

function fingerprint(pem: string): string | undefined {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return undefined;
  }
}

/** The names the API server reaches the webhook Service by, plus the url's host in url mode. */
export function servingHosts(namespace: string, url: string, configured: readonly string[]): string[] {
  if (configured.length > 0) return [...configured];
  const service = [
    WEBHOOK_SERVICE_NAME,
    `${WEBHOOK_SERVICE_NAME}.${namespace}`,
    `${WEBHOOK_SERVICE_NAME}.${namespace}.svc`,
    `${WEBHOOK_SERVICE_NAME}.${namespace}.svc.cluster.local`,
  ];
  if (url === '') return service;
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  return [host, ...service];
}

/** The CAs every webhook of the configuration trusts (PEM); empty when it does not exist or trusts none. */
export function caBundleInForce(configuration: WebhookConfigurationObject | undefined): string {
  const bundles = (configuration?.webhooks ?? []).map((w) =>
    Buffer.from(w.clientConfig?.caBundle ?? '', 'base64').toString('utf8'),
  );
  const [first, ...rest] = bundles;
  if (first === undefined) return '';
  return pemBlocks(first)
    .filter((pem) => rest.every((b) => holdsCertificate(b, pem)))
    .join('');
}
