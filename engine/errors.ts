/**
 * Errors a user can act on. The CLIs print their message as one line and exit non-zero, instead
 * of a stack trace; anything else reaching the top level is a bug and keeps its trace.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}

/**
 * Runs that failed (a worker crashed, a run threw): the CLI prints the message and exits 1. The
 * runs that did finish are kept on disk, so running the same command again resumes.
 */
export class RunFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunFailure";
  }
}

/**
 * A grid run stopped at its time limit with runs left (`bench --time-limit`): the CLI says how
 * many and exits 3; the finished runs are kept, and the same command resumes with the rest.
 */
export class TimeLimitReached extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TimeLimitReached";
  }
}
