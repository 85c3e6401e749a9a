/**
 * `deno task site [--bundles DIR] [--trusted FILE] [--out DIR] [--data DIR]`: builds the static
 * leaderboard site with Eleventy 3.
 *
 * One direction: bundles (verified, trusted signatures only) -> the tracks' own tables
 * (site/lib/aggregate.ts) -> `_data/*.json` -> charts rendered to SVG -> pages (site/pages/,
 * 11ty.ts templates) -> `_site/`. Assets (site/assets/, vega and vega-embed from node_modules)
 * and the canonical JSON of every shown bundle are copied in. Nothing depends on the time or the
 * machine: the same bundles give byte-identical output.
 *
 * Exit status: 0 built (bundles may have been left out: they are printed and listed on the
 * site), 2 usage error (unknown option, unreadable trusted-keys file, bad directories).
 */
import { parseCli, runCli } from "../app/args.ts";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Eleventy from "@11ty/eleventy";
import { UserError } from "../engine/errors.ts";
import { printable } from "../engine/printable.ts";
import { DEFAULT_TRUSTED_FILE, loadTrustedKeys } from "../engine/bundle/keys.ts";
import { canonicalJson } from "../engine/bundle/canonical.ts";
import { aggregate, type Excluded, loadBundles, type SiteData } from "./lib/aggregate.ts";
import { buildCharts, renderChart } from "./lib/charts.ts";
import { devicesChart, type DevicesData, loadDevices, publishedSpeedups } from "./lib/devices.ts";
import { installPlugins } from "../app/plugins.ts";
import { publishModels, TRY_PAGE_BUDGET, tryPageFiles } from "./lib/models.ts";
import { bundleBrowserScripts } from "./lib/browser_bundle.ts";
import { writePublished } from "./lib/published.ts";

const SITE_DIR = fileURLToPath(new URL(".", import.meta.url));
const REPO_DIR = resolve(SITE_DIR, "..");

export const HELP = `Usage: deno task site [options]

Builds the static leaderboard site from verified, signed result bundles.

Options:
  --bundles DIR    bundle directory, searched recursively (default: bundles/)
  --trusted FILE   trusted-keys file (default: bundles/trusted-keys.json)
  --out DIR        output directory (default: _site/); replaced on each build
  --data DIR       generated data directory (default: _data/)
  -h, --help       show this help
`;

export interface BuildOptions {
  bundles: string;
  trusted: string;
  out: string;
  data: string;
  /** Progress lines (default console.log). */
  log?: (line: string) => void;
}

export interface BuildReport {
  shown: number;
  files: number;
  excluded: Excluded[];
  pages: number;
  seconds: number;
}

/** The files of `_data/` the build owns (anything else there is left alone). */
const DATA_FILES = ["site", "tracks", "binarizers", "bundles", "charts", "devices", "models"];

/** Files copied from npm packages into assets/: [package, file in the package, name]. */
const VENDOR: [string, string, string][] = [
  ["vega", "build/vega.min.js", "vega.min.js"],
  ["vega", "LICENSE", "vega.LICENSE.txt"],
  ["vega-embed", "build/vega-embed.min.js", "vega-embed.min.js"],
  ["vega-embed", "LICENSE", "vega-embed.LICENSE.txt"],
];

function packageDir(name: string): string {
  const entry = fileURLToPath(import.meta.resolve(name));
  const marker = `/node_modules/${name}/`;
  const i = entry.lastIndexOf(marker);
  if (i < 0) throw new Error(`cannot locate the ${name} package (resolved to ${entry})`);
  return entry.slice(0, i + marker.length);
}

/** The version in deno.json (what a device bundle records as the site's version). */
async function engineVersion(): Promise<string> {
  const cfg = JSON.parse(await Deno.readTextFile(join(REPO_DIR, "deno.json")));
  return String(cfg.version ?? "unknown");
}

async function exists(p: string): Promise<boolean> {
  return await Deno.stat(p).then(() => true, () => false);
}

/** Empties the output directory, refusing one that is not a previous site build. */
async function resetOut(out: string): Promise<void> {
  if (await exists(out)) {
    const entries: string[] = [];
    for await (const e of Deno.readDir(out)) entries.push(e.name);
    const ours = await exists(join(out, "assets", "site.js"));
    if (entries.length > 0 && !ours) {
      throw new UserError(
        `--out ${out} is not empty and does not look like a site build; choose another directory`,
      );
    }
    await Deno.remove(out, { recursive: true });
  }
  await Deno.mkdir(out, { recursive: true });
}

async function writeData(dir: string, data: Record<string, unknown>): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const name of DATA_FILES) {
    await Deno.writeTextFile(join(dir, `${name}.json`), JSON.stringify(data[name], null, 1) + "\n");
  }
}

async function copyAssets(out: string): Promise<void> {
  const dest = join(out, "assets");
  await Deno.mkdir(dest, { recursive: true });
  const own: string[] = [];
  for await (const e of Deno.readDir(join(SITE_DIR, "assets"))) if (e.isFile) own.push(e.name);
  for (const f of own.sort()) await Deno.copyFile(join(SITE_DIR, "assets", f), join(dest, f));
  for (const [pkg, file, name] of VENDOR) {
    await Deno.copyFile(join(packageDir(pkg), file), join(dest, name));
  }
}

/** Runs Eleventy over site/pages with `dataDir` as its data directory. */
async function runEleventy(dataDir: string, out: string): Promise<number> {
  const input = join(SITE_DIR, "pages");
  const elev = new Eleventy(input, out, {
    quietMode: true,
    // deno-lint-ignore no-explicit-any
    config(c: any) {
      c.addExtension(["11ty.ts"], { key: "11ty.js" });
      c.setTemplateFormats(["11ty.ts"]);
      c.setDataDirectory(relative(input, dataDir));
      c.setQuietMode(true);
    },
  });
  // The build prints its own summary.
  elev.disableLogger();
  // deno-lint-ignore no-explicit-any
  const written = await elev.write() as any;
  const list = Array.isArray(written) ? written.flat(2) : [];
  return list.filter((x: unknown) => x && typeof x === "object").length;
}

/** Builds the site; returns what it did. UserError for bad options. */
export async function buildSite(opts: BuildOptions): Promise<BuildReport> {
  installPlugins();
  const log = opts.log ?? ((l: string) => console.log(l));
  const t0 = performance.now();
  const trusted = await loadTrustedKeys(opts.trusted);
  const info = await Deno.stat(opts.bundles).catch(() => null);
  if (!info?.isDirectory) throw new UserError(`--bundles ${opts.bundles} is not a directory`);
  const out = resolve(opts.out), dataDir = resolve(opts.data);
  if (out === dataDir || out === REPO_DIR || out === SITE_DIR) {
    throw new UserError(`--out ${opts.out} would overwrite the repository or the data directory`);
  }

  const { accepted, excluded, fileCount } = await loadBundles(opts.bundles, trusted);
  const data: SiteData = await aggregate(accepted, excluded, fileCount, trusted);
  const charts = await buildCharts(data);
  // Device bundles (bundles/devices/): their own table and chart, beside the published speed-ups.
  const devices: DevicesData = {
    ...await loadDevices(opts.bundles, trusted),
    published: publishedSpeedups(data.tracks.find((t) => t.name === "infer")),
    version: await engineVersion(),
  };
  const dc = devicesChart(devices);
  if (dc) charts[dc.id] = await renderChart(dc);
  // The published networks (task-track cnns whose weights lie beside their bundles).
  const models = await publishModels(accepted);
  await writeData(dataDir, { ...data, charts, devices, models: models.manifest });

  await resetOut(out);
  const pages = await runEleventy(dataDir, out);
  await copyAssets(out);
  await Deno.mkdir(join(out, "bundle"), { recursive: true });
  // The raw JSON offered for download is the canonical form of the verified value: what was
  // signed, whatever else the file's bytes held (key order, spacing).
  for (const b of data.bundles) {
    const a = accepted.find((x) => x.file === b.file)!;
    await Deno.writeTextFile(join(out, b.raw), canonicalJson(a.bundle));
  }

  if (models.manifest.models.length) {
    for (const [path, bytes] of models.files) await writePublished(out, path, bytes);
    const index = new TextEncoder().encode(JSON.stringify(models.manifest, null, 1) + "\n");
    await writePublished(out, "models/index.json", index);
    // The scripts that run the published models: the "Try it" pages and "Measure this device".
    for (const [name, bytes] of await bundleBrowserScripts()) {
      await Deno.writeFile(join(out, "assets", name), bytes);
    }
  }

  const seconds = (performance.now() - t0) / 1000;
  log(
    `site: ${accepted.length} verified bundle(s) shown, of ${fileCount} file(s) in ${opts.bundles}`,
  );
  if (excluded.length) {
    log(`site: ${excluded.length} file(s) left out:`);
    for (const e of excluded) log(`  ${printable(`${e.file}: ${e.reason}`)}`);
  }
  log(`site: wrote ${pages} page(s) to ${opts.out} in ${seconds.toFixed(1)} s`);
  if (models.manifest.models.length) {
    log(`site: published ${models.manifest.models.length} model file(s) (models/index.json)`);
  }
  for (const t of models.manifest.tasks) {
    const files = tryPageFiles(models.manifest, t.task);
    let total = 0;
    for (const f of files) total += (await Deno.stat(join(out, f))).size;
    const verdict = total <= TRY_PAGE_BUDGET ? "within" : "OVER";
    log(
      `site: try-${t.task}.html with its models and runtime: ${files.length} files, ` +
        `${total.toLocaleString("en-US")} bytes (${verdict} the ${
          TRY_PAGE_BUDGET.toLocaleString("en-US")
        }-byte budget)`,
    );
  }
  return { shown: accepted.length, files: fileCount, excluded, pages, seconds };
}

/** The CLI; returns the exit status. */
export function main(argv: string[]): Promise<number> {
  return runCli("site", async () => {
    const { values, positionals } = parseCli(argv, {
      bundles: { type: "string" },
      trusted: { type: "string" },
      out: { type: "string" },
      data: { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (positionals.length) throw new UserError(`unexpected argument "${positionals[0]}"`);
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    await buildSite({
      bundles: values.bundles ?? join(REPO_DIR, "bundles"),
      trusted: values.trusted ?? DEFAULT_TRUSTED_FILE,
      out: values.out ?? "_site",
      data: values.data ?? join(REPO_DIR, "_data"),
    });
    return 0;
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
