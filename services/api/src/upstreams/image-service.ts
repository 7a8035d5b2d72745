import type { Readable } from 'node:stream';
import type { ApiConfig } from '../config.ts';
import { createUpstream, type Upstream, type UpstreamResponse } from './upstream.ts';

/** What every call carries: the caller's own token (the image service checks ownership itself). */
export interface CallerContext {
  authorization: string;
  requestId: string;
}

export interface UploadStream {
  contentType: string;
  contentLength: string | undefined;
  body: Readable;
}

export interface ImageService {
  upload: (caller: CallerContext, upload: UploadStream) => Promise<UpstreamResponse>;
  list: (caller: CallerContext, page: { limit?: string | undefined; cursor?: string | undefined }) => Promise<UpstreamResponse>;
  download: (caller: CallerContext, filename: string, options: { head: boolean; ifNoneMatch: string | undefined }) => Promise<UpstreamResponse>;
  remove: (caller: CallerContext, filename: string) => Promise<UpstreamResponse>;
  close: Upstream['close'];
}

const callerHeaders = ({ authorization, requestId }: CallerContext) => ({ authorization, 'x-request-id': requestId });
const imagePath = (filename: string) => `/images/${encodeURIComponent(filename)}`;

export function createImageService(config: ApiConfig): ImageService {
  const upstream = createUpstream('image', config.IMAGE_URL, config);
  return {
    upload: (caller, { contentType, contentLength, body }) =>
      upstream.request({
        method: 'POST',
        path: '/images',
        headers: { ...callerHeaders(caller), 'content-type': contentType, 'content-length': contentLength },
        body,
      }),
    list: (caller, { limit, cursor }) => {
      const query = new URLSearchParams(Object.entries({ limit, cursor }).filter((entry): entry is [string, string] => entry[1] !== undefined));
      return upstream.request({ method: 'GET', path: `/images?${query.toString()}`, headers: callerHeaders(caller) });
    },
    download: (caller, filename, { head, ifNoneMatch }) =>
      upstream.request({ method: head ? 'HEAD' : 'GET', path: imagePath(filename), headers: { ...callerHeaders(caller), 'if-none-match': ifNoneMatch } }),
    remove: (caller, filename) => upstream.request({ method: 'DELETE', path: imagePath(filename), headers: callerHeaders(caller) }),
    close: upstream.close,
  };
}
