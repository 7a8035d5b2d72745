import { formatTable } from '../lib/table.ts';
import type { StackDescription } from './stack.ts';

/** A plain-text table of what runs where, for the terminal; what does not run says so. */
export function statusTable(stack: StackDescription): string {
  const off = (name: string, why: string) => [name, '-', `not running (${why})`];
  const monitoringOff = 'see the start-up lines; npm run dev without --minimal/--no-monitoring';
  const rows: string[][] = [['component', 'url', 'state']];
  for (const [name, service] of Object.entries(stack.services))
    rows.push([name, service.url, `ready (metrics ${service.metrics})`]);
  rows.push(
    stack.ingress === null
      ? off('ingress', 'see the start-up lines')
      : ['ingress', stack.ingress.url, `TLS, CA ${stack.ingress.caCertificate}`],
  );
  rows.push(
    stack.edgeMetrics === null
      ? off('edge metrics', 'needs the ingress and mtail (bash scripts/tools/install.sh mtail)')
      : ['edge metrics', stack.edgeMetrics.url, 'mtail, counting the ingress for the edge SLI'],
  );
  rows.push(
    stack.prober === null
      ? off('prober', 'it probes through the ingress')
      : ['prober', stack.prober.url, `journeys through the ingress (metrics ${stack.prober.metrics})`],
  );
  rows.push(['postgres', stack.postgres.url.replace(/:[^:@/]+@/, ':***@'), stack.postgres.kind]);
  rows.push(['s3', stack.s3.endpoint, `${stack.s3.kind}, bucket ${stack.s3.bucket}`]);
  rows.push(
    stack.redis === null
      ? ['redis', '-', 'not installed: login limits use memory (no REDIS_URL)']
      : ['redis', stack.redis.url, 'login limits use redis'],
  );
  rows.push(
    stack.prometheus === null ? off('prometheus', monitoringOff) : ['prometheus', stack.prometheus.url, 'ready'],
  );
  rows.push(
    stack.alertmanager === null
      ? off('alertmanager', monitoringOff)
      : ['alertmanager', stack.alertmanager.url, 'ready'],
  );
  rows.push(
    stack.alertReceiver === null
      ? off('alert receiver', monitoringOff)
      : ['alert receiver', stack.alertReceiver.url, `notifications in ${stack.alertReceiver.notificationsFile}`],
  );
  return formatTable(rows);
}
