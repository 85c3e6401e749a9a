/**
 * `deno task merge DIR... --out DIR`: combines bundle directories (the --out directories of
 * `bench --shard I/N` runs, or of runs made on several machines) into one, refusing invalid
 * bundles and conflicting duplicates, and prints the same tables `bench` prints. `--sign` signs
 * the merged set with the local key (publishing runs that were made in several sessions).
 *
 * Exit status: 0 merged, 1 refused (invalid bundles or conflicts; nothing is written), 2 usage
 * error.
 */
import { parseCli, runCli } from "./args.ts";
import { UserError } from "../engine/errors.ts";
import { DEFAULT_TRUSTED_FILE, loadSigningKey, loadTrustedKeys } from "../engine/bundle/keys.ts";
import { planMerge, signPlan, writeMerge } from "../engine/bundle/merge.ts";
import { bundleToResult } from "../engine/bundle/make.ts";
import { printable } from "../engine/printable.ts";

export const HELP = `Usage: deno task merge DIR... --out DIR

Merges result-bundle directories (bench --out directories, e.g. one per shard) into --out and
prints each track's table, as bench does. Every bundle must be intact (schema, content id, valid
signature when signed, consistent); bundles of the same run must agree on every number but
timings, else the merge is refused and nothing is written. Bundles already in --out take part.

Options:
  --out DIR         directory to merge into (bundles go to DIR/runs/)
  --no-weights      copy the bundles only, not the trained weights beside them (for the
                    published set in bundles/: weights stay out of the repository)
  --sign            sign every merged bundle with your key (deno task keygen), replacing the
                    signature it had: for a published set whose runs were made in several
                    sessions or on several machines; content ids and numbers do not change
  --trusted FILE    trusted public keys, to report unsigned / untrusted bundles
                    (default ${DEFAULT_TRUSTED_FILE}); use deno task verify to require them
  -h, --help        show this help

Exit status: 0 merged, 1 refused (invalid bundles or conflicts), 2 usage error.
`;

export function main(argv: string[]): Promise<number> {
  return runCli("merge", async () => {
    const { values, positionals } = parseCli(argv, {
      out: { type: "string" },
      trusted: { type: "string" },
      "no-weights": { type: "boolean" },
      sign: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    if (!values.out) throw new UserError("--out DIR is required");
    if (positionals.length === 0) throw new UserError("no input directories given");
    for (const d of positionals) {
      const isDir = await Deno.stat(d).then((i) => i.isDirectory, () => false);
      if (!isDir) throw new UserError(`${d} is not a directory`);
    }
    const key = values.sign ? await loadSigningKey() : null;
    if (values.sign && !key) {
      throw new UserError("--sign: no signing key; create one with deno task keygen");
    }
    const trusted = await loadTrustedKeys(values.trusted ?? DEFAULT_TRUSTED_FILE);
    const outExists = await Deno.stat(values.out).then((i) => i.isDirectory, () => false);
    const plan = await planMerge(outExists ? [values.out, ...positionals] : positionals, trusted);
    if (plan.problems.length > 0) {
      for (const p of plan.problems) console.error(`merge: ${printable(p.replace(/\s+/g, " "))}`);
      console.error(`merge: refused (${plan.problems.length} problem(s)); nothing was written`);
      return 1;
    }
    if (plan.items.length === 0) {
      throw new UserError(`no bundles found in ${positionals.join(", ")}`);
    }
    const signed = key ? await signPlan(plan, key) : 0;
    const w = await writeMerge(plan, values.out, { weights: !values["no-weights"] });
    console.error(
      `merge: ${plan.items.length} run(s) in ${values.out} (${w.written} written, ` +
        `${plan.duplicates} identical duplicate(s) skipped` +
        (key
          ? `, ${signed} signed with ${key.keyId}` +
            (trusted.keys.has(key.keyId)
              ? ""
              : ` (not in ${trusted.path}: add it with keygen --trust)`)
          : (plan.unsigned ? `, ${plan.unsigned} unsigned` : "") +
            (plan.untrusted ? `, ${plan.untrusted} by untrusted keys` : "")) +
        (w.missingWeights ? `, ${w.missingWeights} weights file(s) missing` : "") +
        (values["no-weights"] ? ", weights not copied" : "") + ")",
    );
    // Tables need the tracks (and so tfjs); load them only now.
    const { installPlugins } = await import("./plugins.ts");
    installPlugins();
    const { renderTables } = await import("../tracks/summary.ts");
    const { tables, overview, unknownTracks } = renderTables(
      plan.items.map((i) => bundleToResult(i.bundle)),
    );
    if (unknownTracks.length) {
      console.error(`merge: no table for unknown track(s): ${unknownTracks.join(", ")}`);
    }
    for (const t of [...tables, overview]) console.log(`\n${t}\n`);
    return 0;
  }, { failed: "failed: " });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
