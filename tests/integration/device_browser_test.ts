/**
 * "Measure this device" in a real browser (Debian's chromium driven by playwright-core, in
 * tests/integration/device_browser_check.ts, run as a child process with full permissions): the
 * fixture site's device.html opened from disk (file://, strict CSP), on a desktop and on a 390 px
 * phone viewport, runs the measurement at a small size with no console error, and the downloaded
 * bundles pass `deno task verify` as valid device bundles by an untrusted key; one with a forged
 * fingerprint field fails it.
 *
 * Needs chromium at /usr/bin/chromium (`apt-get install -y chromium`; CHROMIUM_PATH overrides).
 * Without it the test fails in CI (CI=true) and is skipped, with a message, elsewhere.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fixtureSite } from "../../benches/fixtures/site.ts";

const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = await Deno.stat(CHROMIUM).then((s) => s.isFile, () => false);
const IN_CI = /^(1|true|yes)$/i.test(Deno.env.get("CI") ?? "");
const ROOT = new URL("../../", import.meta.url).pathname;

if (!HAVE_CHROMIUM && !IN_CI) {
  console.warn(
    `device_browser_test: SKIPPED: no chromium at ${CHROMIUM} (apt-get install -y chromium, or ` +
      `set CHROMIUM_PATH); with CI=true this test fails instead`,
  );
}

async function run(args: string[]): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { CHROMIUM_PATH: CHROMIUM },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test({
  name: "measure this device in chromium (desktop, 390 px phone); the bundles verify",
  ignore: !HAVE_CHROMIUM && !IN_CI,
  async fn() {
    assert.ok(HAVE_CHROMIUM, `chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
    const s = await fixtureSite();
    const got = join(s.dir, "downloads");
    await Deno.mkdir(got);
    const check = join(ROOT, "tests/integration/device_browser_check.ts");
    const browser = await run(["run", "-A", check, s.out, got]);
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

    // A forged fingerprint field: FAIL, like any tampered bundle.
    const b = JSON.parse(await Deno.readTextFile(join(got, "desktop.json")));
    b.device.cores = b.device.cores + 1;
    await Deno.writeTextFile(join(got, "desktop.json"), JSON.stringify(b));
    const forged = await run(["task", "verify", got]);
    assert.equal(forged.code, 1, forged.text);
    assert.match(forged.text, /FAIL {2}\S+desktop\.json: content id mismatch/);
    await Deno.remove(s.dir, { recursive: true });
  },
});
