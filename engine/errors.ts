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
