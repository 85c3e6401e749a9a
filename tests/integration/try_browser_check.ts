/// <reference lib="dom" />
/**
 * The browser half of tests/integration/try_browser_test.ts, run as its own process with full
 * permissions (playwright, like site_browser_check.ts): `deno run -A
 * tests/integration/try_browser_check.ts`. Exit 0 when every check passes.
 *
 * Builds the site from the published task-track cnn bundles of `bundles/` with the weights
 * beside them, then, in chromium:
 * - agreement: every published network classifies 500 test images of its task in the page
 *   (assets/bibench-models.js, from file://) with exactly the predictions of the Deno deploy
 *   runtime on the same model file and inputs;
 * - the "Try it" pages on a desktop and a 390 px touch screen: no console error or failed
 *   request, no horizontal overflow, a test image and a drawing (mouse; touch) get nine
 *   predictions with confidence and latency;
 * - a model file whose digest does not match is refused with a visible message;
 * - the CSP: 'wasm-unsafe-eval' on the pages that run the published models only (the "Try it"
 *   pages, and the Devices page, which times them); scripts only from the site;
 * - served over http: what a "Try it" page transfers, models included, is within the budget.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Page } from "playwright-core";
import { watchPage } from "./page_watch.ts";
import { buildSite } from "../../site/build.ts";
import { TRY_PAGE_BUDGET } from "../../site/lib/models.ts";
import type { Manifest } from "../../site/browser/models.ts";
import { initBackend } from "../../engine/tf.ts";
import { argmaxRows, DeployRuntime } from "../../engine/deploy/runtime.ts";
import { BinaryKernels } from "../../engine/kernels/wasm.ts";
import { loadDataset } from "../../engine/data/mod.ts";
import { toBase64 } from "../../engine/bundle/canonical.ts";
import { PUBLISHED_TRUSTED, publishedSet } from "../../benches/fixtures/published.ts";

const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
const ARTIFACTS = Deno.env.get("SITE_ARTIFACTS") ??
  new URL("../artifacts/", import.meta.url).pathname;
/** Test images per network in the agreement check. */
const AGREEMENT_IMAGES = 500;
const DATASET: Record<string, string> = { mnist: "mnist", fashion: "fashion-mnist" };

async function step(name: string, fn: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  await fn();
  console.log(`ok  ${name} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

async function ready(page: Page): Promise<void> {
  await page.waitForFunction(
    () => document.querySelector(".try.is-ready") || document.querySelector(".try-error"),
    null,
    { timeout: 120_000 },
  );
}

/** The prediction rows: [binarizer, prediction, confidence, latency]. */
async function rows(page: Page): Promise<string[][]> {
  return await page.$$eval(
    "#predictions tbody tr",
    (trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? "").trim())),
  );
}

function filled(r: string[][]): boolean {
  return r.length > 0 &&
    r.every(([, p, c, ms]) => p !== "—" && /%$/.test(c) && /^\d+\.\d\d ms$/.test(ms));
}

async function run(): Promise<void> {
  const tmp = await Deno.makeTempDir({ prefix: "bibench-try-" });
  try {
    const bundles = join(tmp, "bundles"), out = join(tmp, "site"), data = join(tmp, "data");
    const n = await publishedSet(bundles);
    assert.ok(n > 0, "no published cnn weights under bundles/ (seed0.weights.bin)");
    await buildSite({
      bundles,
      trusted: PUBLISHED_TRUSTED,
      out,
      data,
      log: (l) => console.log(`    ${l}`),
    });
    const manifest: Manifest = JSON.parse(
      await Deno.readTextFile(join(out, "models/index.json")),
    );
    assert.equal(manifest.models.length, n, "every network with weights is published");
    const url = (root: string, f: string) => pathToFileURL(join(root, f)).href;

    await initBackend("wasm");
    const kernels = await BinaryKernels.load();
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
    try {
      const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await desktop.newPage();
      const errors = watchPage(page);

      await step(
        `agreement: every network, ${AGREEMENT_IMAGES} test images, browser = Deno`,
        async () => {
          for (const t of manifest.tasks) {
            const d = await loadDataset(DATASET[t.task], {
              dir: Deno.env.get("FASHION_MNIST_DIR"),
            });
            const per = d.shape.reduce((a, b) => a * b, 1);
            const x = d.test.x.slice(0, AGREEMENT_IMAGES * per);
            await page.goto(url(out, `try-${t.task}.html`));
            await ready(page);
            for (const m of manifest.models.filter((e) => e.task === t.task)) {
              const bytes = await Deno.readFile(join(out, m.file));
              const rt = await DeployRuntime.load(bytes, { kernels });
              const deno = rt.run(x, AGREEMENT_IMAGES);
              rt.dispose();
              const got = await page.evaluate(async ([file, sha, b64, count]) => {
                const api = (globalThis as unknown as {
                  bibenchModels: typeof import("../../site/browser/models.ts");
                }).bibenchModels;
                const bin = atob(b64 as string);
                const u8 = new Uint8Array(bin.length);
                for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
                const model = await api.loadModel(file as string, sha as string);
                const p = model.predict(new Float32Array(u8.buffer), count as number);
                model.dispose();
                return { classes: p.classes, logits: [...p.logits] };
              }, [m.file, m.sha256, toBase64(new Uint8Array(x.buffer)), AGREEMENT_IMAGES]);
              const want = [...argmaxRows(deno, t.classNames.length)];
              const same = want.filter((c, i) => c === got.classes[i]).length;
              let maxDiff = 0;
              for (let i = 0; i < deno.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(deno[i] - got.logits[i]));
              }
              const correct = want.filter((c, i) => c === d.test.y[i]).length;
              console.log(
                `    ${t.task} ${m.binarizer}: ${same}/${AGREEMENT_IMAGES} equal predictions, ` +
                  `max |logit diff| ${maxDiff}, accuracy ${
                    (correct / AGREEMENT_IMAGES).toFixed(3)
                  }`,
              );
              assert.equal(same, AGREEMENT_IMAGES, `${t.task} ${m.binarizer}: predictions differ`);
            }
          }
          assert.deepEqual(errors, []);
        },
      );

      await step("desktop: a test image and a mouse drawing get every prediction", async () => {
        for (const t of manifest.tasks) {
          errors.length = 0;
          await page.goto(url(out, `try-${t.task}.html`));
          await ready(page);
          assert.doesNotMatch(await page.textContent("#try-status") ?? "", /refused|Cannot/);
          const before = await rows(page);
          assert.ok(before.every(([, p]) => p === "—"));
          await page.click(".sample >> nth=0");
          const r = await rows(page);
          assert.ok(filled(r), JSON.stringify(r));
          assert.equal(r.length, manifest.models.filter((m) => m.task === t.task).length);
          await page.click("#clear");
          const box = (await (await page.$("#pad"))!.boundingBox())!;
          await page.mouse.move(box.x + box.width / 2, box.y + 30);
          await page.mouse.down();
          for (let i = 1; i <= 12; i++) {
            await page.mouse.move(box.x + box.width / 2, box.y + 30 + i * (box.height - 60) / 12);
          }
          await page.mouse.up();
          await page.waitForFunction(() =>
            [...document.querySelectorAll("#predictions td.pred")].every((td) =>
              td.textContent !== "—"
            )
          );
          assert.ok(filled(await rows(page)));
          const overflow = await page.evaluate(() =>
            document.documentElement.scrollWidth - globalThis.innerWidth
          );
          assert.ok(overflow <= 0, `try-${t.task}.html: ${overflow}px too wide`);
          assert.deepEqual(errors, []);
        }
        await Deno.mkdir(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, "site-try.png"), fullPage: true });
      });

      await step("390 px touch screen: a finger drawing gets every prediction", async () => {
        const phone = await browser.newContext({
          viewport: { width: 390, height: 844 },
          hasTouch: true,
          isMobile: true,
        });
        const p = await phone.newPage();
        const perr = watchPage(p);
        await p.goto(url(out, `try-${manifest.tasks[0].task}.html`));
        await ready(p);
        const box = (await (await p.$("#pad"))!.boundingBox())!;
        const cdp = await phone.newCDPSession(p);
        const pt = (i: number) => [{
          x: box.x + box.width / 2,
          y: box.y + 30 + i * (box.height - 60) / 10,
        }];
        await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: pt(0) });
        for (let i = 1; i <= 10; i++) {
          await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: pt(i) });
        }
        await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
        await p.waitForFunction(() =>
          [...document.querySelectorAll("#predictions td.pred")].every((td) =>
            td.textContent !== "—"
          )
        );
        assert.ok(filled(await rows(p)));
        // Against 390 itself: a mobile browser widens its layout viewport to fit a wide page.
        const width = await p.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 390, `phone: the page is ${width}px wide`);
        assert.deepEqual(perr, []);
        await Deno.mkdir(ARTIFACTS, { recursive: true });
        await p.screenshot({ path: join(ARTIFACTS, "site-try-phone.png"), fullPage: true });
        await phone.close();
      });

      await step("a model file whose digest does not match is refused, visibly", async () => {
        const victim = manifest.models[manifest.models.length > 1 ? 1 : 0];
        const file = join(out, victim.file);
        const [raw, js] = [await Deno.readFile(file), await Deno.readTextFile(`${file}.js`)];
        try {
          // Both copies of the file (fetched over http, script from file://) get one byte flipped.
          const bad = raw.slice();
          bad[bad.length - 1] ^= 0xff;
          await Deno.writeFile(file, bad);
          await Deno.writeTextFile(
            `${file}.js`,
            js.replace(/"[^"]*";\n$/, () => `"${toBase64(bad)}";\n`),
          );
          errors.length = 0;
          await page.goto(url(out, `try-${victim.task}.html`));
          await ready(page);
          const status = await page.textContent("#try-status") ?? "";
          assert.match(status, new RegExp(`${victim.binarizer}: .*refused`));
          assert.equal(await page.getAttribute("#try-status", "role"), "alert");
          assert.ok(await page.isVisible("#try-status"));
          const r = await rows(page);
          const row = r.find(([b]) => b === victim.binarizer)!;
          assert.equal(row[1], "refused: SHA-256 mismatch");
          await page.click(".sample >> nth=0");
          const after = await rows(page);
          assert.ok(filled(after.filter(([b]) => b !== victim.binarizer)));
        } finally {
          await Deno.writeFile(file, raw);
          await Deno.writeTextFile(`${file}.js`, js);
        }
      });

      await step(
        "CSP: 'wasm-unsafe-eval' on the Try and Devices pages only; site scripts only",
        async () => {
          for await (const e of Deno.readDir(out)) {
            if (!e.name.endsWith(".html")) continue;
            const html = await Deno.readTextFile(join(out, e.name));
            const csp = (html.match(/Content-Security-Policy" content="([^"]*)"/)?.[1] ?? "")
              .replaceAll("&#39;", "'");
            assert.match(csp, /default-src 'none'; script-src 'self'/, e.name);
            assert.doesNotMatch(csp, /(^|[ ;])'unsafe-eval'|'unsafe-inline'/, e.name);
            const runsModels = e.name.startsWith("try-") || e.name === "device.html";
            assert.equal(/'wasm-unsafe-eval'/.test(csp), runsModels, e.name);
            for (const [, src] of html.matchAll(/<script[^>]*\ssrc="([^"]*)"/g)) {
              assert.doesNotMatch(src, /^(https?:)?\/\//, `${e.name}: script from ${src}`);
            }
          }
        },
      );

      await step(`served over http: a Try page transfers <= ${TRY_PAGE_BUDGET} bytes`, async () => {
        const server = Deno.serve(
          { hostname: "127.0.0.1", port: 0, onListen() {} },
          async (req) => {
            const path = decodeURIComponent(new URL(req.url).pathname);
            try {
              const body = await Deno.readFile(join(out, path));
              const type = path.endsWith(".html")
                ? "text/html"
                : path.endsWith(".js")
                ? "text/javascript"
                : path.endsWith(".css")
                ? "text/css"
                : path.endsWith(".wasm")
                ? "application/wasm"
                : "application/octet-stream";
              return new Response(body, { headers: { "content-type": type } });
            } catch {
              return new Response("not found", { status: 404 });
            }
          },
        );
        try {
          for (const t of manifest.tasks) {
            const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
            const p = await ctx.newPage();
            const perr = watchPage(p);
            let total = 0;
            const sizes: Promise<number>[] = [];
            p.on("response", (r) => sizes.push(r.body().then((b) => b.length, () => 0)));
            await p.goto(`http://127.0.0.1:${server.addr.port}/try-${t.task}.html`);
            await ready(p);
            await p.click(".sample >> nth=0");
            const r = await rows(p);
            assert.ok(filled(r), `${await p.textContent("#try-status")} ${JSON.stringify(r)}`);
            total = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
            console.log(
              `    try-${t.task}.html over http: ${sizes.length} requests, ${total} bytes`,
            );
            assert.ok(total <= TRY_PAGE_BUDGET, `try-${t.task}.html transfers ${total} bytes`);
            assert.deepEqual(perr, []);
            await ctx.close();
          }
        } finally {
          await server.shutdown();
        }
      });
    } finally {
      await browser.close();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  try {
    await run();
    console.log("ok  try page");
    Deno.exit(0);
  } catch (e) {
    console.error(`FAIL ${(e as Error).message}`);
    Deno.exit(1);
  }
}
