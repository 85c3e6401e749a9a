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
