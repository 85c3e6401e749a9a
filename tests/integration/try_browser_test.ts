/**
 * The published models and the "Try it" pages in a real browser (Debian's chromium driven by
 * playwright-core; the checks are in tests/integration/try_browser_check.ts, run as a child
 * process with full permissions, as site_browser_test.ts does): every published network gives
 * the Deno runtime's predictions on 500 test images, drawing and test images get nine live
 * predictions on a desktop and a 390 px touch screen, a tampered model file is refused visibly,
 * the CSP allows wasm on those pages only, and a page with its models stays within its budget.
 *
 * Needs chromium at /usr/bin/chromium (`apt-get install -y chromium`; CHROMIUM_PATH overrides)
 * and the published weights beside the bundles (bundles/runs/task/{mnist,fashion}/cnn/*).
 * Without chromium the test fails in CI (CI=true) and is skipped, with a message, elsewhere.
 */
import assert from "node:assert/strict";

const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = await Deno.stat(CHROMIUM).then((s) => s.isFile, () => false);
const IN_CI = /^(1|true|yes)$/i.test(Deno.env.get("CI") ?? "");

if (!HAVE_CHROMIUM && !IN_CI) {
  console.warn(
    `try_browser_test: SKIPPED: no chromium at ${CHROMIUM} (apt-get install -y chromium, or ` +
      `set CHROMIUM_PATH); with CI=true this test fails instead`,
  );
}

Deno.test({
  name: "Try it in chromium: agreement with Deno, drawing, touch, digests, CSP, size",
  ignore: !HAVE_CHROMIUM && !IN_CI,
  async fn() {
    assert.ok(
      HAVE_CHROMIUM,
      `chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set ` +
        `CHROMIUM_PATH; the site's browser tests cannot run without it`,
    );
    const script = new URL("./try_browser_check.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script],
      env: { CHROMIUM_PATH: CHROMIUM },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `browser checks failed:\n${text}`);
    assert.match(text, /ok {2}try page/);
    console.log(text.split("\n").filter((l) => /^ {4}\S+ \S+: \d+\/|over http/.test(l)).join("\n"));
  },
});
