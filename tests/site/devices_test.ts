/**
 * The site's Devices page (site/pages/device.11ty.ts, site/lib/devices.ts): device bundles in
 * bundles/devices/ become a table and a chart by device class (untrusted browser keys shown as
 * such, forged bundles left out with the reason, never mixed into the run bundles); without any,
 * an empty state; the published speed-ups come from the infer track; the measurement is offered,
 * with its scripts and a CSP that compiles WebAssembly, only when MNIST networks are published
 * (fp32 and binarized: what it times), and the page says so otherwise. Browser run of the
 * measurement on the published models: tests/integration/device_browser_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fixtureSite, listFiles } from "../../benches/fixtures/site.ts";
import { render } from "../../site/pages/device.11ty.ts";
import type { PageData } from "../../site/lib/fragments.ts";
import type { DevicesData } from "../../site/lib/devices.ts";
import { CSP, CSP_WASM_WORKER } from "../../site/lib/layout.ts";
import type { Manifest } from "../../site/browser/models.ts";

const s = await fixtureSite();
const read = (f: string) => Deno.readTextFile(join(s.out, f));
const devices: DevicesData = JSON.parse(await Deno.readTextFile(join(s.data, "devices.json")));

Deno.test("devices: verified device bundles are rows, the forged one is left out", () => {
  assert.deepEqual(devices.rows.map((r) => [r.file, r.class, r.cores]), [
    ["devices/laptop.json", "desktop", 16],
    ["devices/phone.json", "mobile", 8],
  ]);
  assert.ok(devices.rows.every((r) => r.signer === null && /^ed25519:/.test(r.keyId)));
  // Phone: speed-ups 1 and 2 at batch 1 (mean 1.5), 2 and 3 at batch 64 (mean 2.5).
  assert.deepEqual(devices.rows[1].speedups, { "1": 1.5, "64": 2.5 });
  assert.deepEqual(devices.excluded.map((e) => e.file), ["devices/forged.json"]);
  assert.match(devices.excluded[0].reason, /content id mismatch/);
  // Not counted, shown or left out among the run bundles.
  assert.ok(s.report.excluded.every((e) => !e.file.startsWith("devices/")));
});

Deno.test("devices: the page has the table, the chart and the published speed-ups", async () => {
  const page = await read("device.html");
  assert.match(page, /Measured devices \(2\)/);
  const table = page.slice(page.indexOf('id="devices-table"'));
  assert.equal((table.match(/<tr>\s*<td>(desktop|mobile)<\/td>/g) ?? []).length, 2);
  assert.match(page, /id="chart-devices"/);
  assert.match(page, /untrusted <code>ed25519:[0-9a-f]{32}<\/code>/);
  assert.match(page, /Left out \(1\)/);
  const published = JSON.parse(
    /<script type="application\/json" id="device-published">([^<]*)<\/script>/.exec(page)![1],
  );
  assert.ok(Object.keys(published).length > 0, "the fixture's infer track has speed-ups");
  for (const v of Object.values(published) as Record<string, number>[]) {
    assert.ok(v["1"] > 0 && v["64"] > 0);
  }
  assert.equal(published.fp32, undefined);
});

Deno.test("devices: no device bundles is an empty state, not an error", () => {
  const d = { tracks: [], charts: {}, devices: { rows: [], excluded: [], published: {} } };
  const page = render(d as unknown as PageData);
  assert.match(page, /Measured devices \(0\)/);
  assert.match(page, /No device bundles yet/);
  assert.doesNotMatch(page, /chart-devices/);
});

Deno.test("devices: no published models: no measurement, no wasm, no worker", async () => {
  // The fixture site publishes no networks (no weights beside its bundles).
  const page = await read("device.html");
  assert.match(page, /id="device-none"/);
  assert.match(page, /publishes no MNIST networks/);
  assert.doesNotMatch(page, /id="device-start"|device-worker\.js|bibench-models\.js/);
  for (const f of (await listFiles(s.out)).filter((f) => f.endsWith(".html"))) {
    const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(await read(f))![1]
      .replaceAll("&#39;", "'");
    assert.equal(csp, CSP, f);
  }
  for (const a of ["device-worker.js", "bibench-models.js", "device-data.js"]) {
    assert.ok(!(await listFiles(s.out)).includes(`assets/${a}`), a);
  }
});

/** A manifest publishing `binarizers` of `task` (only what the Devices page reads). */
function manifest(task: string, binarizers: string[]): Manifest {
  const f = (file: string) => ({ file, sha256: "a".repeat(64), bytes: 1 });
  return {
    format: "bibench-models",
    version: 1,
    runtime: { tfjsWasm: f("assets/t.wasm"), kernels: f("assets/binary.wasm") },
    tasks: [],
    models: binarizers.map((binarizer) => ({
      task,
      binarizer,
      ...f(`models/${task}-${binarizer}.bbdm`),
      bundle: { id: "x", runId: "x", page: "x", weightsSha256: "a".repeat(64) },
      testAccuracy: null,
    })),
  };
}

Deno.test("devices: published MNIST networks: the page measures them, in a blob: worker", () => {
  const page = (m: Manifest) =>
    render(
      {
        tracks: [],
        charts: {},
        devices: { rows: [], excluded: [], published: {}, version: "9.9.9" },
        models: m,
      } as unknown as PageData & { models: Manifest },
    );
  const csp = (p: string) =>
    /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(p)![1].replaceAll("&#39;", "'");
  const yes = page(manifest("mnist", ["fp32", "bnn", "xnor"]));
  assert.match(yes, /id="device-start"/);
  assert.match(yes, /data-task="mnist"\s+data-version="9\.9\.9"/);
  assert.match(yes, /the\s+2 binarized ones/);
  for (const a of ["bibench-models.js", "device-worker.js", "device.js"]) {
    assert.match(yes, new RegExp(`<script src="assets/${a.replace(".", "\\.")}" defer>`), a);
  }
  assert.equal(csp(yes), CSP_WASM_WORKER);
  assert.doesNotMatch(CSP_WASM_WORKER, /'unsafe-eval'|'unsafe-inline'/);
  // Without fp32, without a binarized one, or for another task only: nothing to compare.
  for (
    const m of [
      manifest("mnist", ["bnn"]),
      manifest("mnist", ["fp32"]),
      manifest("fashion", ["fp32", "bnn"]),
    ]
  ) {
    const no = page(m);
    assert.match(no, /id="device-none"/);
    assert.doesNotMatch(no, /device-worker\.js/);
    assert.equal(csp(no), CSP);
  }
});
