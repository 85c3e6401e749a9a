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
import { requireChromium, runDeno, SKIP_BROWSER, warnIfSkipped } from "./chromium.ts";

warnIfSkipped("try_browser_test");

Deno.test({
  name: "Try it in chromium: agreement with Deno, drawing, touch, digests, CSP, size",
  ignore: SKIP_BROWSER,
  async fn() {
    requireChromium();
    const script = new URL("./try_browser_check.ts", import.meta.url).pathname;
    const { code, text } = await runDeno(["run", "-A", script]);
    assert.equal(code, 0, `browser checks failed:\n${text}`);
    assert.match(text, /ok {2}try page/);
    console.log(text.split("\n").filter((l) => /^ {4}\S+ \S+: \d+\/|over http/.test(l)).join("\n"));
  },
});
