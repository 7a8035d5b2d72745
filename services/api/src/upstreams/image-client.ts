import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { ApiConfig } from '../config.ts';
import type { ImageMetadata } from '../domain/image-links.ts';
import { createUploadAdmission } from './upload-admission.ts';
import { createUpstream, definedOnly, type Upstream } from './upstream.ts';
import { expectEmpty, expectHeaders, expectJson } from './upstream-answers.ts';

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

const imageMetadataSchema = z.object({
  id: z.uuid(),
  filename: z.string().min(1),
  contentType: z.string(),
  size: z.number().int().nonnegative(),
  createdAt: z.iso.datetime(),
}) satisfies z.ZodType<ImageMetadata>;

const imagePageSchema = z.object({ images: z.array(imageMetadataSchema), nextCursor: z.string().optional() });

export type ImagePage = z.infer<typeof imagePageSchema>;

/** Passed on as the client gave them: the image service validates them. */
export interface PageRequest {
  limit?: string | undefined;
  cursor?: string | undefined;
}

/** The headers of a download that describe its bytes and how they may be cached; no others are relayed. */
const downloadHeadersSchema = z.object({
  'content-type': z.string().optional(),
  'content-length': z.string().regex(/^\d+$/).optional(),
  etag: z.string().optional(),
  'last-modified': z.string().optional(),
  'cache-control': z.string().optional(),
});

/** An image on its way from the image service: 200 with its bytes, or 304 (the caller's copy is current). */
export interface ImageDownload {
  status: number;
  headers: Record<string, string>;
  /** Streamed, never buffered; empty for HEAD and 304. */
  body: Readable;
}

/** The gateway's client of the image service. Failures reach the caller as UpstreamErrors. */
export interface ImageClient {
  upload: (caller: CallerContext, upload: UploadStream) => Promise<ImageMetadata>;
  list: (caller: CallerContext, page: PageRequest) => Promise<ImagePage>;
  download: (
    caller: CallerContext,
    filename: string,
    options: { head: boolean; ifNoneMatch: string | undefined },
  ) => Promise<ImageDownload>;
  remove: (caller: CallerContext, filename: string) => Promise<void>;
  close: Upstream['close'];
}

const callerHeaders = ({ authorization, requestId }: CallerContext) => ({ authorization, 'x-request-id': requestId });
const imagePath = (filename: string) => `/images/${encodeURIComponent(filename)}`;

/**
 * Uploads and reads go through separate connection pools: a slow upload holds its connection for
 * minutes, and uploads filling their own pool never delay a download, a listing or a delete.
 */
export function createImageClient(config: ApiConfig, dispatcher?: Dispatcher): ImageClient {
  const upstream = createUpstream('image', config.IMAGE_URL, config, dispatcher);
  const uploads = createUpstream('image', config.IMAGE_URL, config, dispatcher, config.UPSTREAM_UPLOAD_CONNECTIONS);
  const uploadAdmission = createUploadAdmission(config.UPSTREAM_UPLOAD_CONNECTIONS);
  return {
    upload: async (caller, { contentType, contentLength, body }) => {
      const release = uploadAdmission.admit();
      try {
        const headers = { ...callerHeaders(caller), 'content-type': contentType, 'content-length': contentLength };
        const response = await uploads.request({ method: 'POST', path: '/images', headers, body });
        return await expectJson('image', response, 201, imageMetadataSchema);
      } finally {
        release();
      }
    },
    list: async (caller, page) => {
      const query = new URLSearchParams(definedOnly({ limit: page.limit, cursor: page.cursor })).toString();
      const path = query === '' ? '/images' : `/images?${query}`;
      const response = await upstream.request({ method: 'GET', path, headers: callerHeaders(caller) });
      return expectJson('image', response, 200, imagePageSchema);
    },
    download: async (caller, filename, { head, ifNoneMatch }) => {
      const headers = { ...callerHeaders(caller), 'if-none-match': ifNoneMatch };
      const response = await upstream.request({ method: head ? 'HEAD' : 'GET', path: imagePath(filename), headers });
      const described = await expectHeaders('image', response, [200, 304], downloadHeadersSchema);
      return { status: response.status, headers: definedOnly(described), body: response.body };
    },
    remove: async (caller, filename) => {
      const headers = callerHeaders(caller);
      await expectEmpty('image', await upstream.request({ method: 'DELETE', path: imagePath(filename), headers }), 204);
    },
    close: async () => {
      await Promise.all([upstream.close(), uploads.close()]);
    },
  };
}
