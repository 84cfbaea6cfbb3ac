import { X509Certificate, generateKeyPair, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';

/** A CA and a serving certificate it signed, all PEM. */
export interface ServingCertificates {
  readonly caCert: string;
  /** The CA's private key (PKCS#8 PEM), to sign a renewed serving certificate with. */
  readonly caKey: string;
  readonly cert: string;
  readonly key: string;
}

export interface CertificateOptions {
  /** DNS names and IP addresses of the serving certificate. */
  readonly hosts?: readonly string[];
  /** Validity from now, in milliseconds; default a year. */
  readonly validityMs?: number;
  /** Common names; defaults are the devcluster's. */
  readonly caName?: string;
  readonly serverName?: string;
  readonly now?: number;
}

const YEAR_MS = 365 * 24 * 3600_000;
const generateKeyPairAsync = promisify(generateKeyPair);

/** RSA keys from Node's native crypto (fast), as PEM for node-forge to sign with. */
async function rsaKeys(): Promise<{
  publicKey: forge.pki.rsa.PublicKey;
  privateKey: forge.pki.rsa.PrivateKey;
  privatePem: string;
}> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey,
    privateKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
    privatePem: privateKey,
  };
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f; // a positive integer
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, now: number, validityMs: number): void {
  // An hour in the past tolerates clock skew.
  cert.validity.notBefore = new Date(now - 3600_000);
  cert.validity.notAfter = new Date(now + validityMs);
}

/** A CA certificate and its key. */
export async function generateCa(
  options: { name?: string; validityMs?: number; now?: number } = {},
): Promise<{ caCert: string; caKey: string }> {
  const keys = await rsaKeys();
  const ca = forge.pki.createCertificate();
  ca.publicKey = keys.publicKey;
  ca.serialNumber = serialNumber();
  validity(ca, options.now ?? Date.now(), options.validityMs ?? YEAR_MS);
  const caName = [{ name: 'commonName', value: options.name ?? 'devcluster-ca' }];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(keys.privateKey, forge.md.sha256.create());
  return { caCert: forge.pki.certificateToPem(ca), caKey: keys.privatePem };
}

/** A serving certificate for `hosts`, signed by the given CA. */
export async function signServingCertificate(
  ca: { caCert: string; caKey: string },
  options: CertificateOptions = {},
): Promise<{ cert: string; key: string }> {
  const caCert = forge.pki.certificateFromPem(ca.caCert);
  const caKey = forge.pki.privateKeyFromPem(ca.caKey);
  const keys = await rsaKeys();
  const hosts = options.hosts ?? ['127.0.0.1', '::1', 'localhost'];
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, options.now ?? Date.now(), options.validityMs ?? YEAR_MS);
  cert.setSubject([{ name: 'commonName', value: options.serverName ?? 'devcluster-apiserver' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.privatePem };
}

/**
 * Generates a fresh CA and a serving certificate for `hosts` (IP addresses and DNS names). Both kubectl (Go's
 * crypto/x509) and client-node (OpenSSL) verify it against the kubeconfig's certificate-authority-data.
 */
export async function generateServingCertificates(
  hostsOrOptions: readonly string[] | CertificateOptions = {},
): Promise<ServingCertificates> {
  const options: CertificateOptions = Array.isArray(hostsOrOptions)
    ? { hosts: hostsOrOptions as readonly string[] }
    : (hostsOrOptions as CertificateOptions);
  const ca = await generateCa({
    ...(options.caName ? { name: options.caName } : {}),
    ...(options.validityMs ? { validityMs: options.validityMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const serving = await signServingCertificate(ca, options);
  return { ...ca, ...serving };
}

/** The validity window of the first certificate in a PEM text; undefined when it cannot be read. */
export function certificateValidity(pem: string): { notBefore: number; notAfter: number } | undefined {
  try {
    const cert = forge.pki.certificateFromPem(pem);
    return { notBefore: cert.validity.notBefore.getTime(), notAfter: cert.validity.notAfter.getTime() };
  } catch {
    return undefined;
  }
}

/** Every certificate in a PEM bundle, as PEM blocks. */
export function pemBlocks(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
}

/** Whether `caPem` signed `certPem` (issuer name and signature); false when either cannot be read. */
export function issuedBy(certPem: string, caPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}

/** Whether a client trusting the CAs of `bundle` verifies `certPem` (signed directly by one of them). */
export function trustedBy(certPem: string, bundle: string): boolean {
  return pemBlocks(bundle).some((ca) => issuedBy(certPem, ca));
}
