// The cluster's certificates: one CA for the API server, kubelet and clients, one client identity in
// system:masters (as ../shared/CLUSTER.md: every component uses it), the service-account signing key,
// and the edge's TLS (its own CA, so a client trusts the edge without trusting the cluster).
import { ensureCertificate, ensureCertificateAuthority, ensureSigningKeyPair } from '../lib/x509.ts';
import { edge, network, type ClusterLayout } from './settings.ts';

export async function ensurePki({ pki }: ClusterLayout): Promise<void> {
  await ensureCertificateAuthority(pki.ca, 'CN=platform-local-cluster-ca', 365);
  await ensureCertificate(pki.apiServer, pki.ca, {
    subject: 'CN=kube-apiserver',
    dnsNames: [
      'localhost',
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      `kubernetes.default.svc.${network.clusterDomain}`,
    ],
    ipAddresses: ['127.0.0.1', network.nodeAddress, network.kubernetesServiceAddress],
    usage: 'server',
    validDays: 90,
  });
  await ensureCertificate(pki.admin, pki.ca, { subject: 'CN=admin, O=system:masters', usage: 'client', validDays: 90 });
  await ensureSigningKeyPair(pki.serviceAccount);
  // Production's stand-in (gitops mode): its own API server certificate and service-account key, the same CA.
  await ensureCertificate(pki.prodApiServer, pki.ca, {
    subject: 'CN=prod-kube-apiserver',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', network.nodeAddress],
    usage: 'server',
    validDays: 90,
  });
  await ensureSigningKeyPair(pki.prodServiceAccount);
  await ensureCertificateAuthority(pki.edgeCa, 'CN=platform-local-edge-ca', 365);
  await ensureCertificate(pki.edge, pki.edgeCa, {
    subject: `CN=${edge.host}`,
    dnsNames: [edge.host],
    usage: 'server',
    validDays: 90,
  });
}
