import { pipeline } from 'node:stream/promises';
import { badGateway } from '@platform/runtime';
import type { Response } from 'express';
import type { UpstreamResponse } from '../upstreams/upstream.ts';

const jsonContentType = /^application\/(problem\+)?json\b/;

/** Reads an internal service's JSON answer; anything else from it is a 502. */
export async function readJson(response: UpstreamResponse): Promise<{ contentType: string; text: string }> {
  const contentType = String(response.headers['content-type'] ?? '');
  if (!jsonContentType.test(contentType)) {
    await response.body.dump();
    throw badGateway(`An internal service answered ${response.status} with ${contentType || 'no content type'}.`);
  }
  return { contentType, text: await response.body.text() };
}

/** Headers of an internal answer that tell the client what to do next. */
const relayedProblemHeaders = ['retry-after', 'www-authenticate'] as const;

/** Passes an internal service's JSON answer (success or problem) to the client unchanged. */
export async function relayJson(res: Response, response: UpstreamResponse): Promise<void> {
  const { contentType, text } = await readJson(response);
  for (const name of relayedProblemHeaders) {
    const value = response.headers[name];
    if (value !== undefined) res.setHeader(name, value);
  }
  res.status(response.status).type(contentType).send(text);
}

/** Passes a streamed answer through: the named headers and the body, without buffering it. */
export async function relayStream(res: Response, response: UpstreamResponse, headerNames: readonly string[]): Promise<void> {
  res.status(response.status);
  for (const name of headerNames) {
    const value = response.headers[name];
    if (value !== undefined) res.setHeader(name, value);
  }
  if (response.status === 304) {
    await response.body.dump();
    res.end();
    return;
  }
  try {
    await pipeline(response.body, res);
  } catch (error) {
    // A client that leaves mid-download is not a failure of ours; anything else is.
    if (!res.destroyed || res.writableFinished) throw error;
  }
}
