/**
 * "Measure this device" in a real browser (Debian's chromium driven by playwright-core, in
 * tests/integration/device_browser_check.ts, run as a child process with full permissions): a
 * site built from the published MNIST networks (bundles/runs/task/mnist/cnn, weights beside
 * them), its device.html opened from disk (file://, strict CSP), on a desktop and on a 390 px
 * phone viewport, times the published model files (the bundles record their SHA-256) at a small
 * size with no console error, and the downloaded bundles pass `deno task verify` as valid device
 * bundles by an untrusted key; one with a forged fingerprint field fails it; a published model
 * file that does not match the manifest's digest is refused, visibly, before anything runs.
 *
 * Needs chromium at /usr/bin/chromium (`apt-get install -y chromium`; CHROMIUM_PATH overrides)
 * and the published weights beside the bundles.
 * Without it the test fails in CI (CI=true) and is skipped, with a message, elsewhere.
 */
import assert from "node:assert/strict";
import { requireChromium, runDeno, SKIP_BROWSER, warnIfSkipped } from "./chromium.ts";
import { join } from "node:path";
import { buildSite } from "../../site/build.ts";
import { PUBLISHED_TRUSTED, publishedSet } from "../../benches/fixtures/published.ts";
import type { Manifest } from "../../site/browser/models.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

warnIfSkipped("device_browser_test");

/** `deno ARGS` from the repository root. */
const run = (args: string[]) => runDeno(args, ROOT);

Deno.test({
  name: "measure this device in chromium (desktop, 390 px phone); the bundles verify",
  ignore: SKIP_BROWSER,
  async fn() {
    requireChromium();
    const dir = await Deno.makeTempDir({ prefix: "bibench-device-" });
    const bundles = join(dir, "bundles"), out = join(dir, "site");
    assert.ok(await publishedSet(bundles, ["mnist"]) > 1, "no published MNIST cnn weights");
    await buildSite({
      bundles,
      trusted: PUBLISHED_TRUSTED,
      out,
      data: join(dir, "data"),
      log: () => {},
    });
    const manifest: Manifest = JSON.parse(await Deno.readTextFile(join(out, "models/index.json")));
    const got = join(dir, "downloads");
    await Deno.mkdir(got);
    const check = join(ROOT, "tests/integration/device_browser_check.ts");
    const browser = await run(["run", "-A", check, out, got]);
    assert.equal(browser.code, 0, `browser checks failed:\n${browser.text}`);

    const verify = await run(["task", "verify", got]);
    assert.equal(verify.code, 0, verify.text);
    assert.match(
      verify.text,
      /ok {4}\S+desktop\.json {2}device bundle: desktop, \d+ cores, 4 timings/,
    );
    assert.match(
      verify.text,
      /ok {4}\S+mobile\.json {2}device bundle: mobile, \d+ cores, 4 timings/,
    );
    assert.equal(verify.text.match(/untrusted key \(made in the browser\)/g)?.length, 2);

    // What was timed is what is published: the model files' SHA-256 are the manifest's.
    const b = JSON.parse(await Deno.readTextFile(join(got, "desktop.json")));
    const sha = (bin: string) =>
      manifest.models.find((m) => m.task === "mnist" && m.binarizer === bin)!.sha256;
    assert.equal(b.model.name, "cnn");
    assert.equal(b.model.fp32.sha256, sha("fp32"));
    assert.deepEqual(
      b.model.files.map((f: { binarizer: string; sha256: string }) => [f.binarizer, f.sha256]),
      [["bnn", sha("bnn")], ["xnor", sha("xnor")]],
    );
    // A forged fingerprint field: FAIL, like any tampered bundle.
    b.device.cores = b.device.cores + 1;
    await Deno.writeTextFile(join(got, "desktop.json"), JSON.stringify(b));
    const forged = await run(["task", "verify", got]);
    assert.equal(forged.code, 1, forged.text);
    assert.match(forged.text, /FAIL {2}\S+desktop\.json: content id mismatch/);
    await Deno.remove(dir, { recursive: true });
  },
});
