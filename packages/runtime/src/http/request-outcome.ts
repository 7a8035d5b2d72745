import type { IncomingMessage, ServerResponse } from 'node:http';

/** Why an exchange ended without a complete response (OpenTelemetry's `error.type`). */
export type RequestErrorType = 'client_closed_request' | 'response_incomplete';

/** How a request ended, as its metric, span and log line all record it. */
export interface RequestOutcome {
  /** The status sent; when none was, 499 if the client left first, else 500. */
  status: number;
  /** Set only when the response did not complete. */
  errorType?: RequestErrorType;
}

/** nginx's status for a request whose client closed the connection before the answer. */
export const clientClosedRequestStatus = 499;

/** What no response of ours ever sent is recorded as when we cut it before the headers. */
const cutBeforeHeadersStatus = 500;

/** The socket errors of a client that reset the connection, or of writing to one that did. */
const clientGoneCodes = new Set(['ECONNRESET', 'EPIPE']);

/** The client's end of the connection closed (FIN: the socket read its end) or reset (RST). */
function clientWentAway(req: IncomingMessage): boolean {
  const { socket } = req;
  const error: NodeJS.ErrnoException | null = socket.errored;
  return socket.readableEnded || (error?.code !== undefined && clientGoneCodes.has(error.code));
}

/**
 * Decides how a request ended, once its response has closed: `res.statusCode` alone says 200 for a
 * request nobody answered. A response handed to the connection in full is what it says. Otherwise,
 * if the client went away (and no error of ours destroyed the response first), the request was
 * abandoned: client_closed_request, with 499 if no headers were sent. Anything else is a response
 * we cut (a stream that failed mid-body, a deadline, a connection we closed): response_incomplete.
 */
export function requestOutcome(req: IncomingMessage, res: ServerResponse): RequestOutcome {
  if (res.writableFinished) return { status: res.statusCode };
  // A response we destroyed with an error was cut by us, whatever the client did next.
  if (!res.errored && clientWentAway(req)) {
    return {
      status: res.headersSent ? res.statusCode : clientClosedRequestStatus,
      errorType: 'client_closed_request',
    };
  }
  return { status: res.headersSent ? res.statusCode : cutBeforeHeadersStatus, errorType: 'response_incomplete' };
}

/** A failure of ours, for span status and log level: a 5xx, or a response we cut. */
export const failedOnOurSide = ({ status, errorType }: RequestOutcome): boolean =>
  status >= 500 || errorType === 'response_incomplete';
