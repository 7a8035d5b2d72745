// Every port the local stack uses, in one place. STACK_PORT_OFFSET shifts them all, so a second stack (a
// benchmark next to a test run, say) can run beside the first in its own state folder.
const portOffset = parsePortOffset(process.env['STACK_PORT_OFFSET']);

export const ports = {
  api: 3000 + portOffset,
  auth: 3001 + portOffset,
  image: 3002 + portOffset,
  prober: 3003 + portOffset,
  metrics: { api: 9464 + portOffset, auth: 9465 + portOffset, image: 9466 + portOffset, prober: 9467 + portOffset },
  postgres: 54320 + portOffset,
  s3: 9000 + portOffset,
  s3Console: 9001 + portOffset,
  redis: 6379 + portOffset,
  ingress: 8443 + portOffset,
  /** mtail, counting the ingress's requests for the edge SLI. */
  edgeMetrics: 3903 + portOffset,
  prometheus: 9090 + portOffset,
  alertmanager: 9093 + portOffset,
  alertReceiver: 9095 + portOffset,
} as const;

function parsePortOffset(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const offset = Number(value);
  if (!Number.isInteger(offset) || offset < 0 || offset > 10_000) {
    throw new Error(`STACK_PORT_OFFSET must be a whole number from 0 to 10000, got "${value}"`);
  }
  return offset;
}
