/**
 * A track added from a test file, with no other edit (as the toy binarizer of engine_test.ts is):
 * registered here with its executor and presentation, it runs through the grid loop, its runs
 * are written as signed bundles that verify and reproduce exactly, bench's tables print it, and
 * the site shows its page with its own prose, cell format and column label.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { installPlugins } from "../../app/plugins.ts";
import { initBackend } from "../../engine/tf.ts";
import { backendInfo } from "../../engine/tf.ts";
import { runId, type RunOutput, type RunSpec } from "../../engine/run.ts";
import { runGrid } from "../../engine/grid/runner.ts";
import { readBundle } from "../../engine/store/results.ts";
import { verifyFile } from "../../engine/bundle/verify.ts";
import { reproduce } from "../../engine/reproduce.ts";
import { registerTrack } from "../../tracks/registry.ts";
import { accuracyTable } from "../../tracks/accuracy_table.ts";
import { renderTables } from "../../tracks/summary.ts";
import type { Track } from "../../tracks/track.ts";
import { buildSite } from "../../site/build.ts";
import { tempKey } from "../../benches/fixtures/bundles.ts";

installPlugins();

/** The toy executor: a "score" that depends on the binarizer and seed only, deterministically. */
function toyRun(spec: RunSpec): Promise<RunOutput> {
  const t0 = performance.now();
  const base = spec.binarizer === "fp32" ? 0.9 : 0.6;
  const score = base + 0.01 * spec.seed + 0.001 * (spec.options?.bonus as number ?? 0);
  return Promise.resolve({
    result: {
      spec,
      metrics: { testAccuracy: score },
      curves: [],
      timings: { toySeconds: Math.max(1e-6, (performance.now() - t0) / 1000) },
      backend: backendInfo(),
    },
  });
}

const toyTrack: Track = {
  name: "toy",
  title: "Toy",
  executors: { toy: toyRun },
  presentation: {
    omName: "OM_toy",
    meaning: "Toy track: a made-up score, registered from a test file.",
    columnLabel: "toy column",
  },
  grid({ binarizers, seeds }) {
    const specs: RunSpec[] = [];
    for (let seed = 0; seed < (seeds ?? 2); seed++) {
      for (const binarizer of binarizers) {
        const base = { track: "toy", task: "mnist", model: "mlp", binarizer, seed };
        specs.push({
          id: runId(base),
          kind: "toy",
          ...base,
          dataset: "mnist",
          width: 1,
          profile: "smoke",
          options: { bonus: 3 },
        });
      }
    }
    return specs;
  },
  summarize(results) {
    return accuracyTable(
      { track: "toy", title: "Toy", omName: "OM_toy" },
      results,
      (r) => r.spec.task,
      { binarizers: [...new Set(results.map((r) => r.spec.binarizer))], columns: ["mnist"] },
    );
  },
};

Deno.test("a toy track registered here runs, bundles, verifies, reproduces and has a site page", async () => {
  registerTrack(toyTrack);
  await initBackend("cpu");
  const { dir, key, trusted, trustedFile } = await tempKey("toy");
  const out = join(dir, "results");
  const specs = toyTrack.grid({ profile: "smoke", binarizers: ["fp32", "bnn"] });
  const results = await runGrid(specs, { out, signer: key, quiet: true });
  assert.deepEqual(results.map((r) => r.metrics.testAccuracy), [0.903, 0.603, 0.913, 0.613]);

  // Bundles: signed, verified, reproduced exactly.
  for (const s of specs) {
    const v = await verifyFile(join(out, "runs", `${s.id}.json`), { trusted });
    assert.ok(v.ok, v.reason);
    const r = await reproduce((await readBundle(out, s))!);
    assert.ok(r.exact, r.summary);
  }

  // bench's tables: the toy track's table, after the registered tracks' (none of which ran).
  const [table] = renderTables(results).tables;
  assert.match(table, /^Toy track — test accuracy/);
  // ± = 95% t half-width: 12.706 * 0.71 / sqrt(2) = 6.35.
  assert.match(table, /bnn .* 60\.80 ± 6\.35 \(0\.670\)/);

  // The site: a page for the toy track, linked from the overview, with its presentation.
  const site = join(dir, "_site");
  const report = await buildSite({
    bundles: join(out, "runs"),
    trusted: trustedFile,
    out: site,
    data: join(dir, "_data"),
    log: () => {},
  });
  assert.equal(report.shown, 4);
  const page = await Deno.readTextFile(join(site, "track-toy.html"));
  assert.ok(page.includes("OM_toy"));
  assert.ok(page.includes("Toy track: a made-up score, registered from a test file."));
  assert.ok(page.includes("per binarizer and toy column"));
  assert.ok(page.includes("60.80 ± 6.35"));
  assert.ok((await Deno.readTextFile(join(site, "index.html"))).includes('href="track-toy.html"'));
  await Deno.remove(dir, { recursive: true });
});
