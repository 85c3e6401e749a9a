/**
 * The leaderboard site in a real browser (Debian's chromium driven by playwright-core; the checks
 * are in tests/integration/site_browser_check.ts, run as a child process with full permissions because
 * playwright needs more than this suite's permission set). Pages are opened from disk
 * (file://): every page loads without console errors or failed requests, every internal link
 * resolves, charts become interactive and hold marks, the leaderboard sorts, the hostile bundle
 * runs no script and its long strings do not widen the page. Screenshots: tests/artifacts/.
 *
 * Needs chromium at /usr/bin/chromium (`apt-get install -y chromium`; CHROMIUM_PATH overrides).
 * Without it the test fails in CI (CI=true) and is skipped, with a message, elsewhere.
 */
import assert from "node:assert/strict";
import { requireChromium, runDeno, SKIP_BROWSER, warnIfSkipped } from "./chromium.ts";

warnIfSkipped("site_browser_test");

Deno.test({
  name: "site in chromium: pages, links, charts, sorting, hostile strings, layout",
  ignore: SKIP_BROWSER,
  async fn() {
    requireChromium();
    const script = new URL("./site_browser_check.ts", import.meta.url).pathname;
    const { code, text } = await runDeno(["run", "-A", script]);
    assert.equal(code, 0, `browser checks failed:\n${text}`);
    assert.match(text, /ok {2}screenshots/);
  },
});
