import { failureLimit, jsonBody, payloadTooLarge, platformMetrics, requestIdOf, unsupportedMediaType } from '@platform/runtime';
import cors from 'cors';
import type { Express, Request, RequestHandler } from 'express';
import { publicImageUrl, uploadReceipt, withUrl, type ImageMetadata } from '../domain/image-links.ts';
import type { AuthService } from '../upstreams/auth-service.ts';
import type { CallerContext, ImageService } from '../upstreams/image-service.ts';
import { readJson, relayJson, relayStream } from './relay.ts';

export interface ApiRoutesDependencies {
  auth: AuthService;
  images: ImageService;
  requireUser: RequestHandler;
  publicBaseUrl: string;
  maxUploadBytes: number;
  /** Failed logins allowed per client address and window (the auth service limits per username). */
  loginFailures: { limit: number; windowSeconds: number };
  openApiDocument: object;
  corsAllowedOrigins: string[];
}

/** Headroom for the multipart framing around the file itself. */
const multipartOverheadBytes = 64 * 1024;

const downloadHeaders = ['content-type', 'content-length', 'etag', 'last-modified', 'cache-control'] as const;

const callerOf = (req: Request): CallerContext => ({ authorization: String(req.headers.authorization), requestId: requestIdOf(req) });

/** The public API: the seed's four calls, plus list, delete and the OpenAPI document. */
export function mountApiRoutes(app: Express, deps: ApiRoutesDependencies): void {
  const { auth, images, requireUser, publicBaseUrl } = deps;
  const credentials = jsonBody('4kb');
  const { loginAttempts } = platformMetrics();
  const perClient = failureLimit({ ...deps.loginFailures, onRefused: () => { loginAttempts.add(1, { outcome: 'rate_limited' }); } });

  if (deps.corsAllowedOrigins.length > 0) app.use(cors({ origin: deps.corsAllowedOrigins, maxAge: 600 }));

  app.get('/openapi.json', (_req, res) => {
    res.json(deps.openApiDocument);
  });

  app.post('/register', ...credentials, async (req, res) => {
    await relayJson(res, await auth.submitCredentials('/register', req.body, requestIdOf(req)));
  });

  app.post('/login', perClient, ...credentials, async (req, res) => {
    await relayJson(res, await auth.submitCredentials('/login', req.body, requestIdOf(req)));
  });

  app.post('/upload', requireUser, refuseUnstreamableUploads(deps.maxUploadBytes), async (req, res) => {
    const response = await images.upload(callerOf(req), {
      contentType: String(req.headers['content-type']),
      contentLength: req.headers['content-length'],
      body: req,
    });
    if (response.status !== 201) {
      await relayJson(res, response);
      return;
    }
    const image = JSON.parse((await readJson(response)).text) as ImageMetadata;
    res.status(201).location(publicImageUrl(publicBaseUrl, image.filename)).json(uploadReceipt(publicBaseUrl, image));
  });

  app.get('/images', requireUser, async (req, res) => {
    const { limit, cursor } = req.query as Record<string, string | undefined>;
    const response = await images.list(callerOf(req), { limit, cursor });
    if (response.status !== 200) {
      await relayJson(res, response);
      return;
    }
    const page = JSON.parse((await readJson(response)).text) as { images: ImageMetadata[]; nextCursor?: string };
    res.json({ ...page, images: page.images.map((image) => withUrl(publicBaseUrl, image)) });
  });

  app.get('/images/:filename', requireUser, async (req, res) => {
    const response = await images.download(callerOf(req), String(req.params['filename']), {
      head: req.method === 'HEAD',
      ifNoneMatch: req.headers['if-none-match'],
    });
    if (response.status === 200 || response.status === 304) {
      await relayStream(res, response, downloadHeaders);
      return;
    }
    await relayJson(res, response);
  });

  app.delete('/images/:filename', requireUser, async (req, res) => {
    const response = await images.remove(callerOf(req), String(req.params['filename']));
    if (response.status === 204) {
      await response.body.dump();
      res.status(204).end();
      return;
    }
    await relayJson(res, response);
  });
}

/**
 * Refuses, before any byte is forwarded, uploads that are not multipart (415) or that declare a
 * body larger than the limit (413). The connection is then closed rather than drained.
 */
function refuseUnstreamableUploads(maxUploadBytes: number): RequestHandler {
  return (req, res, next) => {
    if (req.is('multipart/form-data') !== 'multipart/form-data') {
      res.set('Connection', 'close');
      next(unsupportedMediaType('Send the image as multipart/form-data, in the field "file".'));
      return;
    }
    if (Number(req.headers['content-length'] ?? 0) > maxUploadBytes + multipartOverheadBytes) {
      res.set('Connection', 'close');
      next(payloadTooLarge(`Images may be at most ${maxUploadBytes} bytes.`));
      return;
    }
    next();
  };
}
