/**
 * The README's leaderboard table is generated from the published bundles, never typed: it must
 * equal what `deno task readme` makes of `bundles/` now, and the generator keeps bundle-derived
 * names from breaking the Markdown table.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DEFAULT_TRUSTED_FILE } from "../../engine/bundle/keys.ts";
import { END, generatedTable, overviewMarkdown, START, withTable } from "../../site/readme.ts";
import type { SiteData } from "../../site/lib/aggregate.ts";

const README = fileURLToPath(new URL("../../README.md", import.meta.url));
const BUNDLES = fileURLToPath(new URL("../../bundles", import.meta.url));

Deno.test("README: the leaderboard table is the one the published bundles give", async () => {
  const readme = await Deno.readTextFile(README);
  const table = await generatedTable(BUNDLES, DEFAULT_TRUSTED_FILE);
  assert.equal(withTable(readme, table), readme, "README.md is stale: run deno task readme");
});

Deno.test("README table: one row per binarizer, names escaped, only the block replaced", () => {
  const data = {
    site: {
      bundleCount: 2,
      omColumns: [{ omName: "OM_task" }, { omName: "OM_arch" }],
      leaderboard: [
        { binarizer: "fp32", oms: [1, null] },
        { binarizer: "evil | <b>x</b>\n| row", oms: [0.51234, 0.7] },
      ],
    },
    bundles: [{ seed: 0 }, { seed: 1 }],
  } as unknown as SiteData;
  const md = overviewMarkdown(data);
  const lines = md.split("\n");
  assert.equal(lines[0], "| binarizer | OM_task | OM_arch |");
  assert.equal(lines[2], "| fp32 | 1.000 | — |");
  assert.equal(lines[3], "| evil \\| \\<b\\>x\\</b\\> \\| row | 0.512 | 0.700 |");
  assert.match(md, /From 2 verified, signed bundles .*\(2 seed\(s\)\)/);
  const doc = `intro\n${START}\nold\n${END}\noutro\n`;
  assert.equal(withTable(doc, "T"), `intro\n${START}\nT\n${END}\noutro\n`);
  assert.throws(() => withTable("no markers", "T"), /lacks the markers/);
});

Deno.test("README: the default run's size is the quick grid's", async () => {
  const { installPlugins } = await import("../../app/plugins.ts");
  const { tracks } = await import("../../tracks/registry.ts");
  const { binarizerNames } = await import("../../engine/binarizers/registry.ts");
  installPlugins();
  const binarizers = binarizerNames();
  const runs = tracks().reduce((a, t) => a + t.grid({ profile: "quick", binarizers }).length, 0);
  const readme = await Deno.readTextFile(README);
  const m = /the eight binarizers\s+\((\d+) runs, (\d+) seeds\)/.exec(readme);
  assert.ok(m, "README states the default run's size");
  assert.equal(Number(m[1]), runs);
  assert.equal(binarizers.length, 9);
});
