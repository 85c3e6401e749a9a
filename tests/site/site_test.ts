/**
 * The leaderboard site (site/build.ts), without a browser: built from signed synthetic bundles of
 * all six tracks, it shows only verified bundles (and says why the others are left out), its
 * numbers are the CLI tables', pages escape every bundle string, links are relative and resolve,
 * and the build is deterministic. Browser checks: tests/integration/site_browser_test.ts.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { buildSite, main } from "../../site/build.ts";
import { renderTables, summarizeTracks } from "../../tracks/summary.ts";
import { renderTable } from "../../tracks/text_table.ts";
import { cellHtml } from "../../site/lib/fragments.ts";
import { bundleToResult } from "../../engine/bundle/make.ts";
import { binarizerSlug } from "../../site/lib/aggregate.ts";
import { prefixIds } from "../../site/lib/charts.ts";
import { esc, html, safeHref } from "../../site/lib/html.ts";
import {
  allTrackResults,
  EVIL,
  fixtureSite,
  listFiles,
  NINE,
  RLO,
} from "../../benches/fixtures/site.ts";
import { canonicalJson } from "../../engine/bundle/canonical.ts";
import { loadTrustedKeys } from "../../engine/bundle/keys.ts";
import { verifyBytes } from "../../engine/bundle/verify.ts";

let cached: ReturnType<typeof fixtureSite> | null = null;
function site() {
  return cached ??= fixtureSite();
}

const read = (p: string) => Deno.readTextFile(p);

Deno.test("site: only verified bundles are shown; the others are listed with the reason", async () => {
  const s = await site();
  const good = allTrackResults(1).length;
  assert.equal(s.report.shown, good + 1, JSON.stringify(s.report.excluded)); // + hostile
  const reasons = new Map(s.report.excluded.map((e) => [e.file, e.reason]));
  assert.match(reasons.get("unsigned.json")!, /unsigned|signature/i);
  assert.match(reasons.get("tampered.json")!, /content id/);
  assert.match(reasons.get("untrusted.json")!, /untrusted|not trusted/i);
  assert.match(reasons.get("<img src=x onerror=alert(1)>.json")!, /JSON/);
  assert.match(reasons.get("forged.json")!, /^duplicate key "metrics" in \/results at line \d+/);
  assert.match(reasons.get(`rlo-${RLO}nosj.json`)!, /JSON/);
  assert.equal(s.report.excluded.filter((e) => /^identical to /.test(e.reason)).length, 1);
  assert.ok(s.report.excluded.every((e) => !e.reason.includes(s.dir)), "no local paths");
  const bundlesPage = await read(join(s.out, "bundles.html"));
  for (const e of s.report.excluded) assert.ok(bundlesPage.includes(esc(e.file)), e.file);
  assert.ok(bundlesPage.includes(`<bdi>rlo-${RLO}nosj.json</bdi>`));
  assert.ok(!bundlesPage.includes("<img src=x"));
});

Deno.test("site: the overview has fp32 and the eight binarizers, with the six OMs", async () => {
  const s = await site();
  const index = await read(join(s.out, "index.html"));
  const rows = [...index.matchAll(/<th scope="row"><a href="binarizer-([a-z0-9-]+)\.html">/g)]
    .map((m) => m[1]);
  assert.deepEqual(rows, NINE);
  for (const om of ["task", "arch", "robust", "train", "infer", "comp"]) {
    assert.ok(index.includes(`href="track-${om}.html"`), om);
  }
  const info = JSON.parse(await read(join(s.data, "site.json")));
  for (const row of info.leaderboard) {
    assert.equal(row.oms.length, 6);
    assert.ok(row.oms.every((x: number | null) => typeof x === "number"), row.binarizer);
  }
});

Deno.test("site: _data holds the CLI tables' numbers (same aggregation code)", async () => {
  const s = await site();
  const tracks = JSON.parse(await read(join(s.data, "tracks.json")));
  const shown: { file: string }[] = JSON.parse(await read(join(s.data, "bundles.json")));
  const results = await Promise.all(
    shown.map(async (b) => bundleToResult(JSON.parse(await read(join(s.bundles, b.file))))),
  );
  const cli = renderTables(results).tables;
  assert.deepEqual(tracks.map((t: { text: string }) => t.text), cli);
  // Every track page carries the CLI text (escaped) and its raw cells.
  for (const t of tracks) {
    const page = await read(join(s.out, `track-${t.name}.html`));
    assert.ok(page.includes(esc(t.text)), t.name);
    assert.ok(page.includes(`n=`), t.name);
    // The fixture's training curves still climb: every training cell is marked, with the note.
    if (["task", "arch", "train"].includes(t.name)) {
      assert.match(
        page,
        /<span class="uc"\s+title="1 of 1 seed\(s\) did not converge[^"]*"> <bdi>†1\/1<\/bdi><\/span>/,
      );
      assert.match(t.text, /converged: 0\/\d+ cells; † = a cell with k seed\(s\)/);
    }
  }
});

Deno.test("site: bundle pages and raw copies (the canonical JSON that was signed)", async () => {
  const s = await site();
  const bundles = JSON.parse(await read(join(s.data, "bundles.json")));
  assert.equal(bundles.length, s.report.shown);
  const trusted = await loadTrustedKeys(s.trustedFile);
  for (const b of bundles.slice(0, 20)) {
    const page = await read(join(s.out, "bundle", `${b.slug}.html`));
    assert.ok(page.includes(b.signer.keyId));
    assert.ok(page.includes(`href="${b.slug}.json"`));
    const raw = await Deno.readFile(join(s.out, "bundle", `${b.slug}.json`));
    const source = JSON.parse(await read(join(s.bundles, b.file)));
    assert.equal(new TextDecoder().decode(raw), canonicalJson(source));
    assert.notDeepEqual(raw, await Deno.readFile(join(s.bundles, b.file)));
    const v = await verifyBytes(raw, join(s.out, "bundle", `${b.slug}.json`), { trusted });
    assert.ok(v.ok, v.reason);
  }
});

Deno.test("site: hostile bundle strings are escaped everywhere", async () => {
  const s = await site();
  for (const f of (await listFiles(s.out)).filter((f) => f.endsWith(".html"))) {
    const text = await read(join(s.out, f));
    assert.ok(!text.includes("window.__pwned=1</script>"), f);
    assert.ok(!/<img[^>]*onerror/i.test(text), f);
    assert.ok(!/<svg[^>]*onload/i.test(text), f);
    assert.ok(!/<plaintext/i.test(text), f);
    assert.ok(!/href="javascript:/i.test(text), f);
    // Escaped markup is text; real tags (ours) carry no event handler attribute.
    for (const m of text.matchAll(/<[a-z][^<>]*>/gi)) {
      assert.ok(!/\son[a-z]+\s*=/i.test(m[0]), `event handler in ${f}: ${m[0].slice(0, 80)}`);
    }
    // No inline script: every script element has a src or is a JSON data block.
    for (const m of text.matchAll(/<script\b([^>]*)>/g)) {
      assert.ok(/\ssrc="/.test(m[1]) || /type="application\/json"/.test(m[1]), `${f}: ${m[0]}`);
    }
    assert.ok(text.includes(`http-equiv="Content-Security-Policy"`), f);
  }
  const bundles = JSON.parse(await read(join(s.data, "bundles.json")));
  const evil = bundles.find((b: { seed: number }) => b.seed === 7);
  const page = await read(join(s.out, "bundle", `${evil.slug}.html`));
  assert.ok(page.includes(esc(EVIL)));
  assert.ok(page.includes("javascript:window.__pwned=4")); // as text, not as a link
  // A right-to-left override cannot reverse the site's own words next to it.
  assert.ok(page.includes(`<bdi>wasm${RLO}</bdi> (SIMD)`));
  assert.match(page, new RegExp(`<bdi>${RLO}[^<]*</bdi> @ [0-9a-f]{40} \\(modified\\)`));
  assert.ok(page.includes(esc(`"rlo": "\\u202eabc"`)), "options JSON shows the override escaped");
});

Deno.test("site: every bidi control in a page is inside a <bdi>", async () => {
  const s = await site();
  let seen = 0;
  for (const f of (await listFiles(s.out)).filter((f) => f.endsWith(".html"))) {
    const text = await read(join(s.out, f));
    for (const m of text.matchAll(/[\u202a-\u202e\u2066-\u2069]/g)) {
      const before = text.slice(0, m.index);
      assert.ok(before.lastIndexOf("<bdi>") > before.lastIndexOf("</bdi>"), `${f} at ${m.index}`);
      seen++;
    }
  }
  assert.ok(seen >= 3, `only ${seen} overrides found`);
});

Deno.test("site: every link and asset is relative and resolves", async () => {
  const s = await site();
  const files = new Set(await listFiles(s.out));
  for (const f of [...files].filter((f) => f.endsWith(".html"))) {
    const text = await read(join(s.out, f));
    for (const m of text.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
      const url = m[1].replace(/&amp;/g, "&");
      if (/^https?:\/\//.test(url)) continue;
      assert.ok(!/^[a-z]+:|^\//i.test(url), `${f}: absolute link ${url}`);
      const path = url.split("#")[0];
      if (path === "") continue;
      const target = relative(s.out, join(s.out, f, "..", path));
      assert.ok(files.has(target), `${f}: broken link ${url}`);
    }
  }
  for (const a of ["site.css", "site.js", "vega.min.js", "vega-embed.min.js"]) {
    assert.ok(files.has(join("assets", a)), a);
  }
});

Deno.test("site: charts are rendered to SVG at build time", async () => {
  const s = await site();
  const charts = JSON.parse(await read(join(s.data, "charts.json")));
  const ids = ["oms", "task-curves", "robust-heatmap", "train-sensitivity", "infer-pareto"];
  for (const id of [...ids, "infer-baselines"]) {
    assert.ok(charts[id], id);
    assert.match(charts[id].svg, /^<svg /);
    assert.match(charts[id].svg, /<path|<rect/);
    assert.ok(charts[id].alt.rows.length > 0);
  }
  const pages: Record<string, string> = {
    "index.html": "oms",
    "track-task.html": "task-curves",
    "track-robust.html": "robust-heatmap",
    "track-train.html": "train-sensitivity",
    "track-infer.html": "infer-pareto",
  };
  // Speed-ups against each float baseline side by side, per batch size, with the engine version.
  const infer = await read(join(s.out, "track-infer.html"));
  assert.ok(infer.includes('id="chart-infer-baselines"'));
  assert.match(infer, /onnxruntime, 2 threads/);
  assert.match(infer, /onnxruntime-node 1\.30\.0/);
  assert.deepEqual(charts["infer-baselines"].alt.columns, [
    "binarizer",
    "model",
    "batch",
    "tfjs-wasm",
    "onnxruntime, 1 thread",
    "onnxruntime, 2 threads",
  ]);
  for (const [page, id] of Object.entries(pages)) {
    const text = await read(join(s.out, page));
    assert.ok(text.includes(`id="chart-${id}"`), page);
    assert.match(text, /<div class="chart-static"><svg /);
  }
});

Deno.test("site: deterministic: rebuilding from scratch gives byte-identical files", async () => {
  const s = await site();
  const before = new Map<string, Uint8Array>();
  for (const f of await listFiles(s.out)) before.set(f, await Deno.readFile(join(s.out, f)));
  const dataBefore = await read(join(s.data, "tracks.json"));
  await Deno.remove(s.out, { recursive: true });
  await Deno.remove(s.data, { recursive: true });
  await buildSite({
    bundles: s.bundles,
    trusted: s.trustedFile,
    out: s.out,
    data: s.data,
    log: () => {},
  });
  const after = await listFiles(s.out);
  assert.deepEqual(after, [...before.keys()]);
  for (const f of after) assert.deepEqual(await Deno.readFile(join(s.out, f)), before.get(f), f);
  assert.equal(await read(join(s.data, "tracks.json")), dataBefore);
});

Deno.test("site: CLI usage errors exit 2; an output directory that is not a site is refused", async () => {
  const err = console.error;
  console.error = () => {};
  try {
    assert.equal(await main(["--nope"]), 2);
    assert.equal(await main(["--bundles", "/nonexistent-dir", "--trusted", "/nonexistent"]), 2);
    const s = await site();
    const busy = await Deno.makeTempDir();
    await Deno.writeTextFile(join(busy, "precious.txt"), "keep");
    assert.equal(
      await main([
        "--bundles",
        s.bundles,
        "--trusted",
        s.trustedFile,
        "--out",
        busy,
        "--data",
        join(busy, "d"),
      ]),
      2,
    );
    assert.equal(await read(join(busy, "precious.txt")), "keep");
  } finally {
    console.error = err;
  }
});

Deno.test("site helpers: escaping, links, slugs, SVG ids", () => {
  assert.equal(
    esc(`<a href="x" onclick='y'>&`),
    "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;",
  );
  assert.equal(
    html`<p title="${'"><script>'}">${"<b>"}</p>`.value,
    `<p title="&quot;&gt;&lt;script&gt;">&lt;b&gt;</p>`,
  );
  assert.equal(
    html`<td>${`wasm${RLO}`} (SIMD)</td>`.value,
    `<td><bdi>wasm${RLO}</bdi> (SIMD)</td>`,
  );
  assert.equal(html`<td>${"wasm"} (SIMD)</td>`.value, `<td>wasm (SIMD)</td>`);
  assert.equal(html`<p title="${RLO}">`.value, `<p title="${RLO}">`);
  assert.equal(html`<title>${`a${RLO}`} · x</title>`.value, `<title>a${RLO} · x</title>`);
  assert.equal(safeHref("javascript:alert(1)"), null);
  assert.equal(safeHref(" javascript:alert(1)"), null);
  assert.equal(safeHref("data:text/html,x"), null);
  assert.equal(safeHref("https://example.org/a?b=1"), "https://example.org/a?b=1");
  assert.equal(binarizerSlug("bnn"), "bnn");
  assert.notEqual(binarizerSlug("BNN"), binarizerSlug("bnn"));
  assert.match(binarizerSlug("a+b.c"), /^[a-z0-9_-]+$/);
  assert.equal(
    prefixIds(`<svg><clipPath id="clip7"/><g clip-path="url(#clip7)"/></svg>`, "c"),
    `<svg><clipPath id="c-1"/><g clip-path="url(#c-1)"/></svg>`,
  );
});

Deno.test("ratios: a zero or missing fp32 reference is a dash with a note, never Infinity", () => {
  const results = allTrackResults(1).filter((r) =>
    r.spec.track !== "task" || r.spec.binarizer !== "fp32" || r.spec.task !== "fashion"
  );
  for (const r of results) {
    if (r.spec.track === "task" && r.spec.binarizer === "fp32") r.metrics.testAccuracy = 0;
  }
  const task = summarizeTracks(results).tables.find((t) => t.track === "task")!;
  const bnn = task.rows.find((r) => r.binarizer === "bnn")!;
  assert.deepEqual(task.columns, ["mnist", "fashion"]);
  assert.ok(bnn.cells.every((c) => c && Number.isNaN(c.ratio)), "no ratio without a reference");
  assert.ok(Number.isNaN(bnn.om));
  assert.ok(
    task.notes?.some((n) => /No fp32 reference for mnist, fashion/.test(n)),
    `${task.notes}`,
  );
  const text = renderTable(task);
  assert.doesNotMatch(text, /Infinity|NaN/);
  const cell = cellHtml("percent", {
    mean: 0.5,
    std: 0,
    n: 1,
    ratio: null,
    half: null,
    excluded: false,
    unconverged: 0,
  })
    .value;
  assert.match(cell, /title="no fp32 reference \(missing, or zero accuracy\)"> \(×—\)/);
  assert.doesNotMatch(cell, /Infinity|NaN/);
  assert.match(
    cellHtml("percent", {
      mean: 0.5,
      std: 0,
      n: 1,
      ratio: 0.5,
      half: null,
      excluded: false,
      unconverged: 0,
    }).value,
    /\(×0\.500\)/,
  );
});
