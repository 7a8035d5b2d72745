import type { StackDescription } from './stack.ts';
import { formatTable } from '../lib/table.ts';

/** A plain-text table of what runs where, for the terminal. */
export function statusTable(stack: StackDescription): string {
  const rows: string[][] = [['component', 'url', 'state']];
  for (const [name, service] of Object.entries(stack.services)) rows.push([name, service.url, `ready (metrics ${service.metrics})`]);
  if (stack.ingress !== null) rows.push(['ingress', stack.ingress.url, `TLS, CA ${stack.ingress.caCertificate}`]);
  rows.push(['postgres', stack.postgres.url.replace(/:[^:@/]+@/, ':***@'), stack.postgres.kind]);
  rows.push(['s3', stack.s3.endpoint, `${stack.s3.kind}, bucket ${stack.s3.bucket}`]);
  if (stack.prometheus !== null) rows.push(['prometheus', stack.prometheus.url, 'running']);
  if (stack.alertmanager !== null) rows.push(['alertmanager', stack.alertmanager.url, 'running']);
  if (stack.alertReceiver !== null) rows.push(['alert receiver', stack.alertReceiver.url, `notifications in ${stack.alertReceiver.notificationsFile}`]);
  return formatTable(rows);
}
