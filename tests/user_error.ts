/**
 * The project's contract for bad input, as an assertion: the call fails with a UserError whose
 * message is one line and says what the pattern expects. Returns the message.
 */
import assert from "node:assert/strict";
import { UserError } from "../engine/errors.ts";

export async function assertUserError(run: () => unknown, re: RegExp): Promise<string> {
  let err: unknown;
  try {
    await run();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof UserError, `expected a UserError, got ${err}`);
  assert.ok(!/[\r\n]/.test(err.message), `message is not one line: ${JSON.stringify(err.message)}`);
  assert.match(err.message, re);
  return err.message;
}
