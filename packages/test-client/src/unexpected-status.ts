/** An answer with another status than the call expects, carrying what the server said about it. */
export class UnexpectedStatus extends Error {
  readonly status: number;
  readonly problem: string;

  constructor(method: string, path: string, status: number, expected: number, problem: string) {
    super(`${method} ${path} answered ${status}, expected ${expected}: ${problem.slice(0, 2_000) || '(no body)'}`);
    this.name = 'UnexpectedStatus';
    this.status = status;
    this.problem = problem;
  }
}
