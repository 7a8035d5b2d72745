import { STATUS_CODES } from 'node:http';
import { badGateway, serviceUnavailable, type ProblemDetails } from '@platform/runtime';
import { z } from 'zod';
import { definedOnly, type UpstreamResponse } from './upstream.ts';
import { UpstreamError } from './upstream-error.ts';

/**
 * How an internal service's answer becomes a typed value or one error. The expected status gives
 * data checked against its schema; a problem+json failure becomes an UpstreamError relayed as it
 * came; anything else (another status, another content type, JSON that does not parse or does not
 * fit) is the upstream breaking its contract: a 502.
 */

const jsonContentType = /^application\/(problem\+)?json\b/;

const problemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

/** Headers of a problem that tell the client what to do next; the only ones relayed with it. */
const relayedProblemHeaders = z.object({
  'retry-after': z.string().optional(),
  'www-authenticate': z.string().optional(),
});

/** The body of an answer with the expected status, checked against `schema`. */
export async function expectJson<T>(
  service: string,
  response: UpstreamResponse,
  expectedStatus: number,
  schema: z.ZodType<T>,
): Promise<T> {
  if (response.status !== expectedStatus) throw await failureOf(service, response);
  const body = schema.safeParse(await readJson(service, response));
  if (!body.success) throw badGateway(`The ${service} service answered ${expectedStatus} with an unexpected body.`);
  return body.data;
}

/** An answer with one of the expected statuses whose body is not needed. */
export async function expectEmpty(service: string, response: UpstreamResponse, expectedStatus: number): Promise<void> {
  if (response.status !== expectedStatus) throw await failureOf(service, response);
  await response.body.dump();
}

/** Headers of an answer with an expected status, checked against `schema` (which keeps only the ones it names). */
export async function expectHeaders<T>(
  service: string,
  response: UpstreamResponse,
  expectedStatuses: readonly number[],
  schema: z.ZodType<T>,
): Promise<T> {
  if (!expectedStatuses.includes(response.status)) throw await failureOf(service, response);
  const headers = schema.safeParse(response.headers);
  if (headers.success) return headers.data;
  await response.body.dump();
  throw badGateway(`The ${service} service answered ${response.status} with unexpected headers.`);
}

/** The error an answer with an unexpected status stands for. */
async function failureOf(service: string, response: UpstreamResponse): Promise<Error> {
  if (response.status < 400) {
    await response.body.dump();
    return badGateway(`The ${service} service answered ${response.status} unexpectedly.`);
  }
  const body = response.method === 'HEAD' ? await bodylessProblem(response) : await readJson(service, response);
  const problem = problemSchema.safeParse(body);
  const headers = relayedProblemHeaders.safeParse(response.headers);
  if (!problem.success || !headers.success) {
    return badGateway(`The ${service} service answered ${response.status} without a valid problem document.`);
  }
  return new UpstreamError(service, response.status, problem.data, definedOnly(headers.data));
}

/** A HEAD answer carries no problem document; the client only ever sees its status and headers. */
async function bodylessProblem({ status, body }: UpstreamResponse): Promise<ProblemDetails> {
  await body.dump();
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status };
}

/** Parses a JSON body; a body cut off in transit is the service being unavailable, not a broken contract. */
async function readJson(service: string, response: UpstreamResponse): Promise<unknown> {
  const contentType = String(response.headers['content-type'] ?? '');
  if (!jsonContentType.test(contentType)) {
    await response.body.dump();
    throw badGateway(`The ${service} service answered ${response.status} with ${contentType || 'no content type'}.`);
  }
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    throw serviceUnavailable(`The ${service} service is unavailable.`, error);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw badGateway(`The ${service} service answered ${response.status} with malformed JSON.`);
  }
}
