/**
 * Certificate faults of a chaos run: they force the controller's own rotation of the webhook serving certificate by
 * rewriting its Secret as time would leave it, and then check that the rotation went through everywhere.
 *
 *   near-expiry-serving  the serving certificate is re-signed by the same CA with little lifetime left: the
 *                        controller renews it (renew-serving); the caBundle needs no change.
 *   near-expiry-ca       the CA certificate is re-issued (same key and subject, so everything it signed still
 *                        verifies) with little lifetime left: the controller makes a new CA and a serving
 *                        certificate it signs (renew-ca), and the caBundle must follow.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import forge from 'node-forge';
import { certificateValidity, pemBlocks, signServingCertificate } from '../../src/kube/certificates.ts';
import {
  CA_CERT,
  CA_KEY,
  TLS_CERT,
  TLS_KEY,
  certificateAction,
  servingHosts,
} from '../../src/controller/admission/webhook-certificate-rules.ts';
import { WEBHOOK_SERVICE_NAME } from '../../src/controller/admission/webhook-configuration.ts';
import type { ClusterClient } from './cluster-client.ts';

export type CertificateFault = 'near-expiry-serving' | 'near-expiry-ca';

interface SecretObject {
  metadata: { resourceVersion?: string };
  data?: Record<string, string>;
  [key: string]: unknown;
}

const decode = (v: string | undefined) => (v ? Buffer.from(v, 'base64').toString('utf8') : '');
const encode = (v: string) => Buffer.from(v).toString('base64');

export interface CertificateSettings {
  readonly namespace: string;
  readonly secretName: string;
  readonly configurationName: string;
  /** The webhook url the controller serves (its host is in the certificate). */
  readonly url: string;
  /** certificates.validity of the controller's settings. */
  readonly validityMs: number;
}

const secretPath = (s: CertificateSettings) => `/api/v1/namespaces/${s.namespace}/secrets/${s.secretName}`;

/** The Secret's PEM texts, and the Secret as read (for an update with its resourceVersion). */
export async function readServingSecret(
  client: ClusterClient,
  s: CertificateSettings,
): Promise<{ cert: string; key: string; ca: string; caKey: string; object: SecretObject }> {
  const secret = await client.json<SecretObject>('GET', secretPath(s));
  return {
    cert: decode(secret.data?.[TLS_CERT]),
    key: decode(secret.data?.[TLS_KEY]),
    ca: decode(secret.data?.[CA_CERT]),
    caKey: decode(secret.data?.[CA_KEY]),
    object: secret,
  };
}

/** The same CA certificate (key, subject) with a new serial number and `validityMs` left. */
export function reissueCa(caPem: string, caKeyPem: string, validityMs: number): string {
  const ca = forge.pki.certificateFromPem(caPem);
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  ca.serialNumber = bytes.toString('hex');
  ca.validity.notBefore = new Date(Date.now() - 3600_000);
  ca.validity.notAfter = new Date(Date.now() + validityMs);
  ca.sign(forge.pki.privateKeyFromPem(caKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(ca);
}

/** Rewrites the Secret so that the controller's next refresh must rotate; retries a conflict with a replica. */
export async function injectCertificateFault(
  client: ClusterClient,
  s: CertificateSettings,
  fault: CertificateFault,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const current = await readServingSecret(client, s);
    const [caPem, ...olderCas] = pemBlocks(current.ca);
    if (!caPem) throw new Error(`Secret ${s.secretName} has no CA yet`);
    let data: Record<string, string>;
    if (fault === 'near-expiry-serving') {
      const serving = await signServingCertificate(
        { caCert: caPem, caKey: current.caKey },
        {
          hosts: servingHosts(s.namespace, s.url, []),
          serverName: `${WEBHOOK_SERVICE_NAME}.${s.namespace}.svc`,
          validityMs: s.validityMs / 10,
        },
      );
      data = { [TLS_CERT]: serving.cert, [TLS_KEY]: serving.key };
    } else {
      // A third of the CA's lifetime (10 x validity) is when the controller renews it.
      const ca = reissueCa(caPem, current.caKey, s.validityMs);
      data = { [CA_CERT]: [ca, ...olderCas].join('') };
    }
    const body = {
      ...current.object,
      data: {
        ...current.object.data,
        ...Object.fromEntries(Object.entries(data).map(([k, v]) => [k, encode(v)])),
      },
    };
    try {
      await client.json('PUT', secretPath(s), body, { attempts: 20 });
      return;
    } catch (error) {
      // A replica renewed it meanwhile (the update carries the resourceVersion read): read it again.
      if (attempt >= 10 || (error as { status?: number }).status !== 409) throw error;
    }
  }
}

/** The certificate a TLS server on 127.0.0.1:port presents, as PEM; undefined when nothing answers. */
export function presentedCertificate(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, timeout: 5000 }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.destroy();
      resolve(raw ? new X509Certificate(raw).toString() : undefined);
    });
    socket.on('timeout', () => socket.destroy());
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => resolve(undefined));
  });
}

const fingerprint = (pem: string) => {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return `unreadable:${pem.slice(0, 20)}`;
  }
};

export interface CertificateObservation {
  /** The Secret's first CA (the newest) and its serving certificate. */
  readonly secretCa: string;
  readonly secretCert: string;
  readonly secretCaKey: string;
  /** Each webhook's caBundle (decoded PEM). */
  readonly caBundles: readonly string[];
  /** What each serving replica presents, by replica id (undefined: not answering). */
  readonly presented: ReadonlyMap<string, string | undefined>;
}

export async function observeCertificates(
  client: ClusterClient,
  s: CertificateSettings,
  replicas: readonly { id: string; port: number; serving: boolean }[],
): Promise<CertificateObservation> {
  const secret = await readServingSecret(client, s);
  const mwc = await client.json<{ webhooks?: { clientConfig?: { caBundle?: string } }[] }>(
    'GET',
    `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${s.configurationName}`,
  );
  const presented = new Map<string, string | undefined>();
  for (const r of replicas) if (r.serving) presented.set(r.id, await presentedCertificate(r.port));
  return {
    secretCa: pemBlocks(secret.ca)[0] ?? '',
    secretCert: secret.cert,
    secretCaKey: secret.caKey,
    caBundles: (mwc.webhooks ?? []).map((w) => decode(w.clientConfig?.caBundle)),
    presented,
  };
}

/**
 * The rotations went through: the Secret holds a CA other than the first one (when a CA rotation was injected) and
 * a serving certificate with its lifetime ahead (the controller renewed what the faults aged), every caBundle trusts
 * the Secret's CA, and every serving replica presents the Secret's certificate.
 */
export function checkCertificatesFollowed(
  before: { ca: string; cert: string } | undefined,
  after: CertificateObservation,
  injected: { readonly serving: number; readonly ca: number },
  validityMs: number,
  now = Date.now(),
): string[] {
  const violations: string[] = [];
  if (!before) return ['the serving certificate was never read before the faults'];
  if (injected.ca > 0 && fingerprint(after.secretCa) === fingerprint(before.ca))
    violations.push('a CA rotation was forced, but the Secret still holds the first CA');
  if (injected.serving + injected.ca > 0 && fingerprint(after.secretCert) === fingerprint(before.cert))
    violations.push('a rotation was forced, but the Secret still holds the first serving certificate');
  const action = certificateAction(
    { [TLS_CERT]: after.secretCert, [TLS_KEY]: 'x', [CA_CERT]: after.secretCa, [CA_KEY]: after.secretCaKey },
    now,
    validityMs,
    // Due for renew-serving if the serving certificate is still the old CA's although the bundle has the new one.
    after.caBundles[0] ?? '',
  );
  if (action !== 'keep')
    violations.push(
      `the Secret's certificates are still due for ${action} (serving certificate valid until ${new Date(certificateValidity(after.secretCert)?.notAfter ?? 0).toISOString()})`,
    );
  const ca = fingerprint(after.secretCa);
  after.caBundles.forEach((bundle, i) => {
    if (!pemBlocks(bundle).some((pem) => fingerprint(pem) === ca))
      violations.push(`webhook ${i}'s caBundle does not hold the Secret's CA`);
  });
  const cert = fingerprint(after.secretCert);
  for (const [id, pem] of after.presented) {
    if (pem === undefined) violations.push(`replica ${id} serves no certificate`);
    else if (fingerprint(pem) !== cert)
      violations.push(`replica ${id} still presents another certificate than the Secret's`);
  }
  return violations;
}
