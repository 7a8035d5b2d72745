import { AppError, type ProblemDetails } from '@platform/runtime';

/**
 * A problem an internal service answered, passed on to the client as it came: the upstream's
 * status, its problem+json body, and the headers that tell the client what to do next
 * (Retry-After, WWW-Authenticate). The central problem handler renders it like any AppError.
 */
export class UpstreamError extends AppError {
  override name = 'UpstreamError';
  override readonly type: string;
  /** The service that answered, for the logs. */
  readonly upstream: string;
  readonly problem: ProblemDetails;

  constructor(upstream: string, status: number, problem: ProblemDetails, headers: Record<string, string>) {
    super(status, 'upstream-problem', problem.title, { detail: problem.detail ?? problem.title, headers });
    // The problem keeps the type the upstream gave it, not one of this service's own.
    this.type = problem.type;
    this.upstream = upstream;
    this.problem = problem;
  }

  override toProblem(): ProblemDetails {
    return this.problem;
  }
}
