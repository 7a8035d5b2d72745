import { streamBody } from '@platform/runtime';
import type { Response } from 'express';
import type { ImageDownload } from '../upstreams/image-client.ts';

/** Sends a download on: its status, its headers, and its body streamed through without buffering. */
export async function relayDownload(res: Response, { status, headers, body }: ImageDownload): Promise<void> {
  // Set as they came: res.set() may add a charset to the content type.
  res.status(status);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  try {
    await streamBody(body, res);
  } catch (error) {
    // A client that leaves mid-download is not a failure of ours; anything else is.
    if (!res.destroyed || res.writableFinished) throw error;
  }
}
