/**
 * `deno task corruptions:png [--out FILE] [--examples N] [--seed S] [--data-dir DIR]`: writes the
 * PNG grid of every corruption (engine/corruptions/grid.ts) applied to a few test images.
 */
import { UserError } from "../engine/errors.ts";
import { CORRUPTION_NAMES } from "../engine/corruptions/mod.ts";
import { writeCorruptionGrid } from "../engine/corruptions/grid.ts";
import { parseCli } from "./args.ts";

/** Entry point: exit 0 on success, 2 on a user error (one line). */
export async function main(argv: string[]): Promise<number> {
  try {
    const v = parseCli(argv, {
      out: { type: "string", default: "results/corruptions.png" },
      examples: { type: "string", default: "6" },
      seed: { type: "string", default: "0" },
      "data-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    }, { positionals: false }).values;
    if (v.help) {
      console.log(
        "Usage: deno task corruptions:png [--out FILE] [--examples N] [--seed S] [--data-dir DIR]",
      );
      return 0;
    }
    const examples = Number(v.examples), seed = Number(v.seed);
    if (!Number.isInteger(examples) || examples < 1 || examples > 50) {
      throw new UserError(`--examples must be an integer from 1 to 50, got "${v.examples}"`);
    }
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new UserError(`--seed must be a 32-bit unsigned integer, got "${v.seed}"`);
    }
    const r = await writeCorruptionGrid({ out: v.out!, examples, seed, dataDir: v["data-dir"] });
    for (const n of r.notes) console.error(`corruptions:png: ${n}`);
    console.log(
      `wrote ${r.file}: ${r.rows} rows (clean, ${
        CORRUPTION_NAMES.join(", ")
      }) x ${r.columns} images`,
    );
    return 0;
  } catch (e) {
    if (e instanceof UserError) {
      console.error(`corruptions:png: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
