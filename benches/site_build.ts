/**
 * Times the site build from N signed synthetic bundles (default 1,000; all six tracks, the nine
 * binarizers, as many seeds as it takes; no weights, so no published models) and weighs the
 * overview page with the assets it loads; then times `deno task site`'s own build, the
 * repository's `bundles/` (its published networks exported, the browser scripts bundled).
 * `deno run -A benches/site_build.ts [N]`. Last line: JSON.
 */
import { join } from "node:path";
import { tempKey } from "./fixtures/bundles.ts";
import { allTrackResults, signedBundle, writeBundles } from "./fixtures/site.ts";
import { buildSite } from "../site/build.ts";

const n = Number(Deno.args[0] ?? 1000);
const REPO = new URL("../", import.meta.url).pathname;
const { dir, key, trustedFile } = await tempKey("bench");
try {
  let seeds = 1;
  while (allTrackResults(seeds).length < n) seeds++;
  const results = allTrackResults(seeds).slice(0, n);
  const bundles = [];
  for (const r of results) bundles.push(await signedBundle(r, key));
  await writeBundles(join(dir, "runs"), bundles);
  const out = join(dir, "_site");
  const t0 = performance.now();
  const report = await buildSite({
    bundles: join(dir, "runs"),
    trusted: trustedFile,
    out,
    data: join(dir, "_data"),
    log: () => {},
  });
  const seconds = (performance.now() - t0) / 1000;
  // The overview and what it loads on open (stylesheet, script); vega only on request.
  const index = await Deno.readTextFile(join(out, "index.html"));
  const refs = [...index.matchAll(/<(?:link|script)\b[^>]*(?:href|src)="([^"]+)"/g)].map((m) =>
    m[1]
  );
  let overview = (await Deno.stat(join(out, "index.html"))).size;
  for (const r of refs) overview += (await Deno.stat(join(out, r))).size;
  const vega = (await Deno.stat(join(out, "assets/vega.min.js"))).size +
    (await Deno.stat(join(out, "assets/vega-embed.min.js"))).size;
  console.log(
    `${report.shown} bundles (${seeds} seeds): built ${report.pages} pages in ${
      seconds.toFixed(1)
    } s; overview ${(overview / 1024).toFixed(1)} KiB with its assets (${
      refs.join(", ")
    }); interactive charts add ${(vega / 1024).toFixed(0)} KiB (vega + vega-embed)`,
  );
  // The repository's own site: what `deno task site` builds.
  const t1 = performance.now();
  const repo = await buildSite({
    bundles: join(REPO, "bundles"),
    trusted: join(REPO, "bundles/trusted-keys.json"),
    out: join(dir, "_site_repo"),
    data: join(dir, "_data_repo"),
    log: () => {},
  });
  const repoSeconds = (performance.now() - t1) / 1000;
  const models = await Deno.readTextFile(join(dir, "_site_repo/models/index.json"))
    .then((t) => JSON.parse(t).models.length as number, () => 0);
  console.log(
    `bundles/ (deno task site): ${repo.shown} bundles, ${models} published models: built ` +
      `${repo.pages} pages in ${repoSeconds.toFixed(1)} s; load average ${Deno.loadavg()[0]}`,
  );
  console.log(
    JSON.stringify({
      bundles: report.shown,
      seconds,
      overviewBytes: overview,
      vegaBytes: vega,
      repoBundles: repo.shown,
      repoModels: models,
      repoSeconds,
    }),
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
