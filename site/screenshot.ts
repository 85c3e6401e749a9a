/**
 * `deno task screenshot [--site DIR] [--out FILE]`: the README's picture of the leaderboard, taken
 * from the built site (`deno task site` first) in Debian's chromium through playwright-core, so
 * that it is retaken the same way whenever the published set changes: the overview page from
 * file://, 1100 x 1000 CSS pixels, the top of the page.
 *
 * Exit status: 0 written, 1 the browser failed, 2 usage error (no site, no chromium).
 */
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseCli, runCli } from "../app/args.ts";
import { UserError } from "../engine/errors.ts";
import { writeFileAtomic } from "../engine/atomic.ts";

export const HELP = `Usage: deno task screenshot [--site DIR] [--out FILE]

Takes the README's screenshot of the leaderboard's overview page in chromium.

Options:
  --site DIR    the built site (default _site/, from deno task site)
  --out FILE    the PNG to write (default docs/leaderboard.png)
  -h, --help    show this help

Chromium: $CHROMIUM_PATH, else /usr/bin/chromium (Debian: apt-get install chromium).
`;

/** The picture's size in CSS pixels. */
export const VIEWPORT = { width: 1100, height: 1000 };

export function main(argv: string[]): Promise<number> {
  return runCli("screenshot", async () => {
    const { values, positionals } = parseCli(argv, {
      site: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (positionals.length) throw new UserError(`unexpected argument "${positionals[0]}"`);
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const index = resolve(values.site ?? "_site", "index.html");
    if (!(await Deno.stat(index).then((s) => s.isFile, () => false))) {
      throw new UserError(`no site at ${index}: build it with deno task site`);
    }
    const chromiumPath = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
    if (!(await Deno.stat(chromiumPath).then((s) => s.isFile, () => false))) {
      throw new UserError(
        `chromium not found at ${chromiumPath}: apt-get install -y chromium, or set CHROMIUM_PATH`,
      );
    }
    const out = values.out ?? join("docs", "leaderboard.png");
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
    try {
      const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
      await page.goto(pathToFileURL(index).href, { waitUntil: "load" });
      const png = await page.screenshot({ type: "png" });
      await writeFileAtomic(out, new Uint8Array(png));
    } finally {
      await browser.close();
    }
    console.log(`screenshot: wrote ${out} (${VIEWPORT.width} x ${VIEWPORT.height})`);
    return 0;
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
