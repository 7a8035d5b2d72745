import { join } from 'node:path';
import { ensureCertificate, ensureCertificateAuthority } from '../lib/x509.ts';

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
  const ca = await ensureCertificateAuthority(
    { certificate: join(dir, 'ca.pem'), privateKey: join(dir, 'ca-key.pem') },
    'CN=Platform local development CA',
  );
  const server = await ensureCertificate(
    { certificate: join(dir, 'server.pem'), privateKey: join(dir, 'server-key.pem') },
    ca,
    {
      subject: 'CN=localhost',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1', '::1'],
      usage: 'server',
      validDays: 397,
    },
  );
  return { caCertificate: ca.certificate, ...server };
}
