import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { expect, type APIRequestContext, type APIResponse } from '@playwright/test';
import { runningStack } from './stack.ts';

/**
 * A client address of its own for a test (sent as X-Forwarded-For through the trusted proxy hop), so the per-client login limit one test
 * exhausts is never another's: one of 16 million (IPv4: the limiter groups IPv6 clients by their /56).
 */
export const randomClientAddress = () => `10.${[...randomBytes(3)].join('.')}`;

/** Asserts the exact status and a problem+json body carrying that status. */
export async function expectProblem(
  response: APIResponse,
  status: number,
): Promise<{ title: string; detail?: string; errors?: Array<{ field: string }> }> {
  expect(response.status(), await response.text()).toBe(status);
  expect(response.headers()['content-type']).toContain('application/problem+json');
  const problem = (await response.json()) as { status: number; title: string; type: string };
  expect(problem.status).toBe(status);
  expect(problem.type).toMatch(/^https:\/\/platform\.example\/problems\//);
  return problem;
}

/** Every service of the stack still answers ready. */
export async function expectStackHealthy(request: APIRequestContext): Promise<void> {
  const { services } = runningStack();
  for (const [name, service] of Object.entries(services)) {
    expect((await request.get(service.ready)).status(), `${name} is not ready`).toBe(200);
  }
}

/**
 * Sends bytes exactly as given (no client normalisation of the path), returns status and body. The
 * request must say `Connection: close`: the server ends the exchange (a half-close from the client
 * would make Node drop a request still being answered).
 */
export function rawRequest(bytes: string): Promise<{ status: number; headers: string; body: string }> {
  const api = new URL(runningStack().services.api.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(api.port), api.hostname, () => {
      socket.write(bytes);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      resolve({ status: Number(head.split(' ')[1]), headers: head, body });
    });
  });
}
