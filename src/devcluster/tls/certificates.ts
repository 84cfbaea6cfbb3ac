import { generateKeyPair, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';

/** A CA and a serving certificate it signed, all PEM. */
export interface ServingCertificates {
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
}

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

function validity(cert: forge.pki.Certificate): void {
  // An hour in the past tolerates clock skew; a year is longer than any devcluster lives.
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 24 * 3600_000);
}

/**
 * Generates a fresh CA and a serving certificate for `hosts` (IP addresses and DNS names). Both kubectl (Go's
 * crypto/x509) and client-node (OpenSSL) verify it against the kubeconfig's certificate-authority-data.
 */
export async function generateServingCertificates(
  hosts: readonly string[] = ['127.0.0.1', '::1', 'localhost'],
): Promise<ServingCertificates> {
  const [caKeys, keys] = await Promise.all([rsaKeys(), rsaKeys()]);
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = serialNumber();
  validity(ca);
  const caName = [{ name: 'commonName', value: 'devcluster-ca' }];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert);
  cert.setSubject([{ name: 'commonName', value: 'devcluster-apiserver' }]);
  cert.setIssuer(caName);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKeys.privateKey, forge.md.sha256.create());
  return {
    caCert: forge.pki.certificateToPem(ca),
    cert: forge.pki.certificateToPem(cert),
    key: keys.privatePem,
  };
}
