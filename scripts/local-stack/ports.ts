// Every port the local stack uses, in one place. STACK_PORT_OFFSET shifts them all, so a second stack (a
// benchmark next to a test run, say) can run beside the first in its own state folder.

/** The largest STACK_PORT_OFFSET: it keeps every port below Linux's ephemeral range (see the test). */
export const maxPortOffset = 10_000;

/**
 * The stack's ports shifted by `offset`. All of them stay below 32768, where Linux's ephemeral range starts:
 * a port in that range can be held by any outgoing connection's TIME_WAIT, and the stack would then refuse to
 * start ("ports already in use") for no reason a newcomer could see.
 */
export function portsFor(offset: number) {
  return {
    api: 3000 + offset,
    auth: 3001 + offset,
    image: 3002 + offset,
    prober: 3003 + offset,
    metrics: { api: 9464 + offset, auth: 9465 + offset, image: 9466 + offset, prober: 9467 + offset },
    postgres: 15432 + offset,
    s3: 9000 + offset,
    s3Console: 9001 + offset,
    redis: 6379 + offset,
    ingress: 8443 + offset,
    /** mtail, counting the ingress's requests for the edge SLI. */
    edgeMetrics: 3903 + offset,
    prometheus: 9090 + offset,
    alertmanager: 9093 + offset,
    alertReceiver: 9095 + offset,
  } as const;
}

export function parsePortOffset(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const offset = Number(value);
  if (!Number.isInteger(offset) || offset < 0 || offset > maxPortOffset) {
    throw new Error(`STACK_PORT_OFFSET must be a whole number from 0 to ${maxPortOffset}, got "${value}"`);
  }
  return offset;
}

export const ports = portsFor(parsePortOffset(process.env['STACK_PORT_OFFSET']));
