/**
 * What every command-line entry point of the project shares: strict option parsing whose errors
 * are one line, and a user error printed as "NAME: message" with exit status 2 (never a stack
 * trace). Errors that are not the user's still throw.
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { UserError } from "../engine/errors.ts";
import { printable } from "../engine/printable.ts";

/**
 * `parseArgs` in strict mode; an unknown or malformed option (or a positional argument, with
 * `positionals: false`) is a {@link UserError}. Every CLI of the project parses with this.
 */
export function parseCli<const O extends ParseArgsOptionsConfig>(
  argv: string[],
  options: O,
  { positionals = true }: { positionals?: boolean } = {},
) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: positionals });
  } catch (e) {
    throw new UserError(`${(e as Error).message.split("\n")[0]} (see --help)`);
  }
}

/**
 * Runs a CLI's body; a {@link UserError} becomes "NAME: message" on stderr and exit status 2.
 * With `failed` (e.g. "failed: "), any other error is one line "NAME: FAILED<first line>" and
 * exit status 1 (tools that touch files: a broken disk is not a bug to show a trace for);
 * without it, other errors throw.
 */
export async function runCli(
  name: string,
  body: () => Promise<number>,
  opts: { failed?: string } = {},
): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UserError) {
      console.error(`${name}: ${printable(e.message)}`);
      return 2;
    }
    if (opts.failed === undefined) throw e;
    console.error(
      `${name}: ${opts.failed}${printable(String((e as Error)?.message ?? e).split("\n")[0])}`,
    );
    return 1;
  }
}
