/// <reference lib="dom" />
/**
 * The browser half of tests/integration/device_browser_test.ts (its own process: playwright
 * needs more permissions than `deno test` grants): `deno run -A
 * tests/integration/device_browser_check.ts SITE_DIR OUT_DIR`.
 *
 * Opens SITE_DIR/device.html from disk (file://) in Debian's chromium on a desktop and on a
 * 390 px phone viewport, runs "Measure this device" at a small size (two binarizers, 20 ms per
 * pair of models), and saves the downloaded device bundles in OUT_DIR (desktop.json,
 * mobile.json). Fails on any console error, failed request or page overflow. Then flips a
 * byte of a published model file (both copies: the file and its file:// script copy) and
 * expects the page to refuse it, visibly, without starting the measurement. Exit 0 / 1.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Page } from "playwright-core";
import { toBase64 } from "../../engine/bundle/canonical.ts";

const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

function watch(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`failed request: ${r.url()}`));
  return errors;
}

async function measure(page: Page, url: string, out: string): Promise<void> {
  const errors = watch(page);
  await page.goto(url, { waitUntil: "load" });
  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: 240_000 }),
    (async () => {
      await page.click("#device-start");
      await page.waitForSelector("#device-download:not([hidden])", { timeout: 240_000 });
      await page.click("#device-download");
    })(),
  ]);
  await download.saveAs(out);
  const state = await page.evaluate(() => ({
    rows: document.querySelectorAll("#device-results tbody tr").length,
    progress: (document.getElementById("device-progress") as HTMLProgressElement).value,
    max: (document.getElementById("device-progress") as HTMLProgressElement).max,
    status: document.getElementById("device-status")?.textContent ?? "",
    overflow: document.documentElement.scrollWidth - globalThis.innerWidth,
  }));
  assert.deepEqual(errors, [], url);
  assert.equal(state.rows, 4, `results table: ${JSON.stringify(state)}`);
  assert.equal(state.progress, state.max, `progress bar: ${JSON.stringify(state)}`);
  assert.match(state.status, /^Done in/);
  assert.ok(state.overflow <= 0, `page is ${state.overflow}px wider than the viewport`);
  console.log(`ok  ${out}: ${state.status}`);
}

/** A model file whose SHA-256 is not the manifest's: the page says so and measures nothing. */
async function refused(page: Page, site: string, url: string): Promise<void> {
  const file = join(site, "models/mnist-xnor.bbdm");
  const [raw, js] = [await Deno.readFile(file), await Deno.readTextFile(`${file}.js`)];
  try {
    const bad = raw.slice();
    bad[bad.length - 1] ^= 0xff;
    await Deno.writeFile(file, bad);
    await Deno.writeTextFile(
      `${file}.js`,
      js.replace(/"[^"]*";\n$/, () => `"${toBase64(bad)}";\n`),
    );
    await page.goto(url, { waitUntil: "load" });
    await page.click("#device-start");
    await page.waitForFunction(() =>
      !(document.getElementById("device-start") as HTMLButtonElement).disabled
    );
    const status = await page.textContent("#device-status") ?? "";
    assert.match(status, /^The measurement failed: models\/mnist-xnor\.bbdm refused: its SHA-256/);
    assert.ok(await page.isHidden("#device-download"));
    console.log(`ok  tampered model refused: ${status}`);
  } finally {
    await Deno.writeFile(file, raw);
    await Deno.writeTextFile(`${file}.js`, js);
  }
}

async function run(site: string, outDir: string): Promise<void> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const url = pathToFileURL(join(site, "device.html")).href +
      "?budget=20&samples=3&batches=1,64&binarizers=bnn,xnor";
    const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await measure(await desktop.newPage(), url, join(outDir, "desktop.json"));
    const phone = await browser.newContext({
      viewport: { width: 390, height: 800 },
      isMobile: true,
      userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like " +
        "Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    });
    await measure(await phone.newPage(), url, join(outDir, "mobile.json"));
    await refused(await desktop.newPage(), site, url);
  } finally {
    await browser.close();
  }
}

if (import.meta.main) {
  try {
    await run(Deno.args[0], Deno.args[1]);
    Deno.exit(0);
  } catch (e) {
    console.error(`FAIL ${(e as Error).message}`);
    Deno.exit(1);
  }
}
