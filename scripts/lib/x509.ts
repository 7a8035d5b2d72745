// Certificates for the development tooling: a certificate authority and the certificates it signs
// (ECDSA P-256), as PEM files. Used by the local stack's ingress and by the local cluster's PKI.
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
// @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const day = 24 * 60 * 60 * 1000;

/** Where a certificate and its private key live. */
export interface KeyPairFiles {
  certificate: string;
  privateKey: string;
}

export interface CertificateRequest {
  /** Distinguished name, e.g. `CN=admin, O=system:masters`. */
  subject: string;
  /** DNS names and IP addresses the certificate is valid for (servers). */
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: 'server' | 'client' | 'server-and-client';
  validDays: number;
}

/** A self-signed CA at `files`, created once and kept (so a client trusts it once). */
export async function ensureCertificateAuthority(
  files: KeyPairFiles,
  name: string,
  validDays = 3650,
): Promise<KeyPairFiles> {
  if (existsSync(files.certificate) && existsSync(files.privateKey)) return files;
  const keys = await generateKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + validDays * day),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  await writeKeyPair(files, ca.toString('pem'), keys.privateKey);
  return files;
}

/** A certificate signed by `ca` at `files`, issued again when missing or within 30 days of expiry. */
export async function ensureCertificate(
  files: KeyPairFiles,
  ca: KeyPairFiles,
  request: CertificateRequest,
): Promise<KeyPairFiles> {
  if (
    existsSync(files.certificate) &&
    existsSync(files.privateKey) &&
    !expiresWithin(readFileSync(files.certificate, 'utf8'), 30 * day)
  )
    return files;
  const caCertificate = new x509.X509Certificate(readFileSync(ca.certificate, 'utf8'));
  const keys = await generateKeys();
  const extendedUsages = {
    server: [x509.ExtendedKeyUsage.serverAuth],
    client: [x509.ExtendedKeyUsage.clientAuth],
    'server-and-client': [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
  }[request.usage];
  const names = [
    ...(request.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(request.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: request.subject,
    issuer: caCertificate.subject,
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + request.validDays * day),
    signingKey: await importPrivateKey(readFileSync(ca.privateKey, 'utf8')),
    publicKey: keys.publicKey,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(extendedUsages),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(caCertificate),
    ],
  });
  await writeKeyPair(files, certificate.toString('pem'), keys.privateKey);
  return files;
}

/** A private key and its public key as PEM files (e.g. the signing key of service account tokens). */
export async function ensureSigningKeyPair(files: { privateKey: string; publicKey: string }): Promise<void> {
  if (existsSync(files.privateKey) && existsSync(files.publicKey)) return;
  const keys = await generateKeys();
  const publicKey = x509.PemConverter.encode(await webcrypto.subtle.exportKey('spki', keys.publicKey), 'PUBLIC KEY');
  mkdirSync(dirname(files.privateKey), { recursive: true, mode: 0o700 });
  writeFileSync(files.privateKey, await exportPrivateKey(keys.privateKey), { mode: 0o600 });
  writeFileSync(files.publicKey, publicKey);
}

async function writeKeyPair(
  files: KeyPairFiles,
  certificatePem: string,
  privateKey: webcrypto.CryptoKey,
): Promise<void> {
  mkdirSync(dirname(files.certificate), { recursive: true, mode: 0o700 });
  writeFileSync(files.privateKey, await exportPrivateKey(privateKey), { mode: 0o600 });
  writeFileSync(files.certificate, certificatePem);
}

const generateKeys = () => webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);

const randomSerial = () =>
  Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');

async function exportPrivateKey(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function importPrivateKey(pem: string): Promise<webcrypto.CryptoKey> {
  const [der] = x509.PemConverter.decode(pem);
  if (der === undefined) throw new Error('unreadable CA key');
  return webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
}

function expiresWithin(pem: string, ms: number): boolean {
  return new x509.X509Certificate(pem).notAfter.getTime() - Date.now() < ms;
}
