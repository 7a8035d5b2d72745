import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const day = 24 * 60 * 60 * 1000;

export interface LocalTls {
  /** The local CA certificate: what curl needs (`--cacert`) to trust the ingress. */
  caCertificate: string;
  certificate: string;
  privateKey: string;
}

/**
 * A local certificate authority (kept across restarts, so a client trusts it once) and a server
 * certificate it signs for localhost, 127.0.0.1 and ::1 (renewed when close to expiry).
 */
export async function ensureLocalTls(dir: string): Promise<LocalTls> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = { caCertificate: join(dir, 'ca.pem'), caKey: join(dir, 'ca-key.pem'), certificate: join(dir, 'server.pem'), privateKey: join(dir, 'server-key.pem') };
  if (!existsSync(files.caCertificate) || !existsSync(files.caKey)) {
    const keys = await generateKeys();
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: 'CN=Platform local development CA',
      notBefore: new Date(Date.now() - day),
      notAfter: new Date(Date.now() + 3650 * day),
      keys,
      signingAlgorithm: algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    writeFileSync(files.caCertificate, ca.toString('pem'));
    writeFileSync(files.caKey, await exportPrivateKey(keys.privateKey), { mode: 0o600 });
  }
  if (!existsSync(files.certificate) || expiresWithin(readFileSync(files.certificate, 'utf8'), 30 * day)) {
    const ca = new x509.X509Certificate(readFileSync(files.caCertificate, 'utf8'));
    const caKey = await importPrivateKey(readFileSync(files.caKey, 'utf8'));
    const keys = await generateKeys();
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: 'CN=localhost',
      issuer: ca.subject,
      notBefore: new Date(Date.now() - day),
      notAfter: new Date(Date.now() + 397 * day),
      signingKey: caKey,
      publicKey: keys.publicKey,
      signingAlgorithm: algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'dns', value: 'localhost' },
          { type: 'ip', value: '127.0.0.1' },
          { type: 'ip', value: '::1' },
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(ca),
      ],
    });
    writeFileSync(files.certificate, certificate.toString('pem'));
    writeFileSync(files.privateKey, await exportPrivateKey(keys.privateKey), { mode: 0o600 });
  }
  return { caCertificate: files.caCertificate, certificate: files.certificate, privateKey: files.privateKey };
}

const generateKeys = () => webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);

const randomSerial = () => Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');

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
