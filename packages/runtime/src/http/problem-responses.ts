import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import {
  AppError,
  badRequest,
  internalError,
  notFound,
  payloadTooLarge,
  problemContentType,
  unsupportedMediaType,
} from '../errors.ts';
import type { Logger } from '../logger.ts';

/** Writes an AppError as a problem+json response. */
export function sendProblem(res: Response, error: AppError): void {
  res.status(error.status).set(error.headers).type(problemContentType).send(JSON.stringify(error.toProblem()));
}

/** Unknown routes answer 404 problem+json, never Express's HTML page. */
export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, notFound(`No route for ${req.method} ${req.path}.`));
};

/** The one place errors become responses. Operational errors keep their status; bugs become 500. */
export function problemErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const appError = toAppError(error);
    if (appError.status >= 500) {
      logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    }
    if (res.headersSent) {
      // Part of a body is already on the wire: cut the connection so the client sees a truncated
      // response instead of a short one that looks complete.
      res.destroy();
      return;
    }
    // Answered before the whole body came (an upstream refused an upload it was relaying): the rest is
    // still on its way and its reader has stopped, so it is read away unused, as Node does for a body
    // nobody touched. Left paused, it would hold the client's next request on this connection; closing
    // instead would reset the connection, and the answer could be lost before the client reads it.
    if (!req.complete) req.resume();
    sendProblem(res, appError);
  };
}

/** Errors raised by Express's body parsers and router carry a `type` or an exposable status. */
interface HttpLikeError {
  type?: unknown;
  status?: unknown;
  expose?: unknown;
  message?: unknown;
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (typeof error !== 'object' || error === null) return internalError();
  const { type, status, expose, message } = error as HttpLikeError;
  switch (type) {
    case 'entity.too.large':
      return payloadTooLarge('The request body is larger than this endpoint accepts.');
    case 'entity.parse.failed':
      return badRequest('The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return unsupportedMediaType('The request body encoding or charset is not supported.');
    default:
      break;
  }
  if (typeof status === 'number' && status >= 400 && status < 500 && expose === true) {
    return new AppError(status, 'invalid-request', 'Invalid request', {
      detail: typeof message === 'string' ? message : undefined,
    });
  }
  return internalError();
}
