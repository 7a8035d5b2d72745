import {
  failureLimit,
  jsonBody,
  payloadTooLarge,
  platformMetrics,
  requestIdOf,
  unsupportedMediaType,
} from '@platform/runtime';
import cors from 'cors';
import type { Express, Request, RequestHandler } from 'express';
import { publicImageUrl, uploadReceipt, withUrl } from '../domain/image-links.ts';
import type { AuthClient } from '../upstreams/auth-client.ts';
import type { CallerContext, ImageClient } from '../upstreams/image-client.ts';
import { relayDownload } from './relay.ts';

export interface ApiRoutesDependencies {
  auth: AuthClient;
  images: ImageClient;
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

const callerOf = (req: Request): CallerContext => ({
  authorization: String(req.headers.authorization),
  requestId: requestIdOf(req),
});

/** The public API: the seed's four calls, plus list, delete and the OpenAPI document. */
export function mountApiRoutes(app: Express, deps: ApiRoutesDependencies): void {
  const { auth, images, requireUser, publicBaseUrl } = deps;
  const credentials = jsonBody('4kb');
  const { loginAttempts } = platformMetrics();
  const perClient = failureLimit({
    ...deps.loginFailures,
    onRefused: () => {
      loginAttempts.add(1, { outcome: 'rate_limited' });
    },
  });

  if (deps.corsAllowedOrigins.length > 0) app.use(cors({ origin: deps.corsAllowedOrigins, maxAge: 600 }));

  app.get('/openapi.json', (_req, res) => {
    res.json(deps.openApiDocument);
  });

  app.post('/register', ...credentials, async (req, res) => {
    res.status(201).json(await auth.register(req.body, requestIdOf(req)));
  });

  app.post('/login', perClient, ...credentials, async (req, res) => {
    res.json(await auth.login(req.body, requestIdOf(req)));
  });

  app.post('/upload', requireUser, refuseUnstreamableUploads(deps.maxUploadBytes), async (req, res) => {
    const image = await images.upload(callerOf(req), {
      contentType: String(req.headers['content-type']),
      contentLength: req.headers['content-length'],
      body: req,
    });
    res.status(201).location(publicImageUrl(publicBaseUrl, image.filename)).json(uploadReceipt(publicBaseUrl, image));
  });

  app.get('/images', requireUser, async (req, res) => {
    const { limit, cursor } = req.query as Record<string, string | undefined>;
    const page = await images.list(callerOf(req), { limit, cursor });
    res.json({ ...page, images: page.images.map((image) => withUrl(publicBaseUrl, image)) });
  });

  app.get('/images/:filename', requireUser, async (req, res) => {
    const download = await images.download(callerOf(req), String(req.params['filename']), {
      head: req.method === 'HEAD',
      ifNoneMatch: req.headers['if-none-match'],
    });
    await relayDownload(res, download);
  });

  app.delete('/images/:filename', requireUser, async (req, res) => {
    await images.remove(callerOf(req), String(req.params['filename']));
    res.status(204).end();
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
