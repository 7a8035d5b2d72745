/**
 * Errors as RFC 9457 problem details. Every expected failure (bad input, missing resource, a
 * dependency that is down) is an AppError carrying its HTTP status; anything else is a bug, answered
 * with a bare 500 and logged with its stack.
 */

/** A field-level validation message, as carried in a 400 problem's `errors`. */
export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemDetails {
  /** A URI naming the kind of problem; the README lists them. */
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const problemContentType = 'application/problem+json';

const problemTypeBase = 'https://platform.example/problems/';

interface AppErrorOptions {
  detail?: string;
  errors?: FieldError[];
  /** Extra headers the response needs, e.g. Retry-After. */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, slug: string, title: string, options: AppErrorOptions = {}) {
    super(options.detail ?? title, { cause: options.cause });
    this.status = status;
    this.type = problemTypeBase + slug;
    this.title = title;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }

  toProblem(): ProblemDetails {
    const problem: ProblemDetails = { type: this.type, title: this.title, status: this.status };
    if (this.message !== this.title) problem.detail = this.message;
    if (this.errors !== undefined) problem.errors = this.errors;
    return problem;
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new AppError(400, 'invalid-request', 'Invalid request', errors === undefined ? { detail } : { detail, errors });

/** The one answer to every authentication failure, so it reveals nothing about why. */
export const unauthorized = () =>
  new AppError(401, 'unauthorized', 'Unauthorized', {
    detail: 'A valid bearer token is required.',
    headers: { 'WWW-Authenticate': 'Bearer' },
  });

export const invalidCredentials = () =>
  new AppError(401, 'invalid-credentials', 'Invalid credentials', { detail: 'The username or password is incorrect.' });

export const notFound = (detail = 'The requested resource does not exist.') =>
  new AppError(404, 'not-found', 'Not found', { detail });

export const conflict = (detail: string) => new AppError(409, 'conflict', 'Conflict', { detail });

export const payloadTooLarge = (detail: string) =>
  new AppError(413, 'payload-too-large', 'Payload too large', { detail });

export const unsupportedMediaType = (detail: string) =>
  new AppError(415, 'unsupported-media-type', 'Unsupported media type', { detail });

/** Retry-After is set by the limiter that refused the request. */
export const tooManyRequests = (detail: string) =>
  new AppError(429, 'too-many-requests', 'Too many requests', { detail });

export const serviceUnavailable = (detail: string, cause?: unknown) =>
  new AppError(503, 'service-unavailable', 'Service unavailable', { detail, headers: { 'Retry-After': '1' }, cause });

export const badGateway = (detail: string) => new AppError(502, 'bad-gateway', 'Bad gateway', { detail });

export const internalError = () =>
  new AppError(500, 'internal-error', 'Internal server error', { detail: 'An unexpected error occurred.' });
