/**
 * Bundles -> the site's data (`_data/`). One direction only: verified bundles become run results
 * (`bundleToResult`), the tracks summarize them with the same code the CLI tables use
 * (`summarizeTracks`, i.e. `canonicalOrder` + each track's `summarize()`), and everything the
 * pages show is taken from those tables and from the bundles themselves. Nothing here computes a
 * track metric of its own; the only extra aggregation is the per-epoch mean of training curves
 * (curves are not part of any track table) and the chart data derived from the tables.
 */
import { basename, relative, resolve } from "node:path";
import { bundleToResult } from "../../engine/bundle/make.ts";
import type { Bundle } from "../../engine/bundle/schema.ts";
import type { TrustedKeys } from "../../engine/bundle/keys.ts";
import { collectBundleFiles, verifyFile } from "../../engine/bundle/verify.ts";
import { isDeviceFile } from "./devices.ts";
import { checkParentLinks } from "../../engine/bundle/links.ts";
import { binarizerNames, getBinarizer } from "../../engine/binarizers/mod.ts";
import { renderTable } from "../../tracks/text_table.ts";
import type { RunResult } from "../../engine/run.ts";
import { mean } from "../../engine/stats.ts";
import { summarizeTracks } from "../../tracks/summary.ts";
import { getTrack, trackNames } from "../../tracks/registry.ts";
import type { Cell, TrackTable } from "../../tracks/track.ts";
import { presentationOf } from "./tracks.ts";
import type {
  CellData,
  CellFormat,
  CurvePoint,
  RowData,
  TrackView,
} from "../../tracks/presentation.ts";

export type { CellData, CurvePoint, RowData } from "../../tracks/presentation.ts";

/** A bundle that passed verification, with the file it came from. */
export interface Accepted {
  /** Path relative to the bundles directory (forward slashes). */
  file: string;
  /** Absolute or cwd-relative path, to copy the raw file. */
  path: string;
  bundle: Bundle;
  signer: { keyId: string; owner: string };
  notes: string[];
}

/** A file the site leaves out, and why. */
export interface Excluded {
  file: string;
  reason: string;
}

/** A reference to a bundle page. */
export interface BundleRef {
  slug: string;
  runId: string;
  track: string;
  binarizer: string;
  /** Slug of the binarizer's page. */
  binSlug: string;
  task: string;
  model: string;
  seed: number;
}

export interface TrackData extends TrackView {
  title: string;
  omName: string;
  metric: string;
  /** What the OM means (prose from oms.ts). */
  meaning: string;
  present: boolean;
  notes: string[];
  /** How cells read, the unit line under the table, what a column is (the track's presentation). */
  cells: CellFormat;
  legend: string;
  columnLabel: string;
  /** Ids of the track page's charts. */
  charts: string[];
  /** The table exactly as `bench` prints it. */
  text: string;
  runs: BundleRef[];
}

export interface BinarizerData {
  name: string;
  slug: string;
  known: boolean;
  summary: string | null;
  doc: string | null;
  deploy: Record<string, boolean> | null;
  oms: (number | null)[];
  results: { track: string; title: string; omName: string; columns: string[]; row: RowData }[];
  curves: CurvePoint[];
  bundles: BundleRef[];
}

export interface BundleData extends BundleRef {
  file: string;
  raw: string;
  id: string;
  created: string;
  knownTrack: boolean;
  signer: { keyId: string; owner: string };
  notes: string[];
  engine: Bundle["engine"];
  environment: Bundle["environment"];
  datasets: Bundle["datasets"];
  config: Bundle["config"];
  seeds: Bundle["seeds"];
  metrics: Record<string, number>;
  timings: Record<string, number>;
  curves: Bundle["results"]["curves"];
  weights: Bundle["results"]["weights"] | null;
  /** The fp32 network the run started from (engine/init.ts), or null. */
  parent: Bundle["results"]["parent"] | null;
}

export interface SiteInfo {
  /** Verified bundles shown. */
  bundleCount: number;
  /** Bundle files found. */
  fileCount: number;
  excluded: Excluded[];
  unknownTracks: string[];
  trustedKeys: { owner: string; fingerprint: string }[];
  omColumns: { track: string; title: string; omName: string; meaning: string; present: boolean }[];
  leaderboard: {
    binarizer: string;
    slug: string;
    oms: (number | null)[];
    /** Per OM: its interval, rank and tie (tracks/summary.ts), or null. */
    ranks: {
      interval: [number, number] | null;
      rank: number | null;
      tied: boolean;
      exact?: boolean;
    }[];
  }[];
}

/** Everything the pages read, one file per key in `_data/`. */
export interface SiteData {
  site: SiteInfo;
  tracks: TrackData[];
  binarizers: BinarizerData[];
  bundles: BundleData[];
}

const fin = (x: number | undefined | null): number | null =>
  x === undefined || x === null || !Number.isFinite(x) ? null : x;

function cellData(c: Cell | null): CellData | null {
  return c
    ? {
      mean: fin(c.mean),
      std: fin(c.std),
      n: c.n,
      ratio: fin(c.ratio),
      half: fin(c.half),
      excluded: c.excluded === true,
      unconverged: c.unconverged ?? 0,
    }
    : null;
}

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** A file-name-safe, case-insensitively unique slug for a binarizer name. */
export function binarizerSlug(name: string): string {
  if (/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name)) return name;
  return `${name.toLowerCase().replace(/[^a-z0-9_-]/g, "-").slice(0, 48)}-${fnv1a(name)}`;
}

/** The bundle page / raw-copy name: the first 16 hex digits of the content id. */
export function bundleSlug(b: Bundle): string {
  return b.id.slice("sha256:".length, "sha256:".length + 16);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Verifies every bundle file under `dir` (engine/bundle/verify.ts, trusted signatures required)
 * and splits them into the accepted and the left out. Identical bundles (same content id) are
 * shown once; different bundles of the same run id are all left out (as `merge` refuses them).
 */
export async function loadBundles(
  dir: string,
  trusted: TrustedKeys,
): Promise<{ accepted: Accepted[]; excluded: Excluded[]; fileCount: number }> {
  const files = await collectBundleFiles([dir]);
  const rel = (p: string) => relative(dir, p).split("\\").join("/") || p;
  // Reasons name files: keep local paths (home directories, temp dirs) out of the site.
  const scrub = (reason: string) =>
    reason.split(trusted.path).join(basename(trusted.path)).split(resolve(dir)).join("…")
      .split(dir).join("…");
  const excluded: Excluded[] = [];
  const byId = new Map<string, Accepted>();
  const verdicts = [];
  for (const path of files) {
    verdicts.push(await verifyFile(path, { trusted, signatures: "trusted" }));
  }
  // A child whose parent in the set does not match its link is excluded like any failure.
  checkParentLinks(verdicts);
  let devices = 0;
  for (const v of verdicts) {
    const path = v.path;
    // Device bundles (bundles/devices/) have their own table (site/lib/devices.ts).
    if (v.device || isDeviceFile(dir, path)) {
      devices++;
      continue;
    }
    if (!v.ok || !v.bundle || !v.signer) {
      excluded.push({ file: rel(path), reason: scrub(v.reason ?? "not verified") });
      continue;
    }
    const first = byId.get(v.bundle.id);
    if (first) {
      excluded.push({
        file: rel(path),
        reason: `identical to ${first.file} (same content id), shown once`,
      });
      continue;
    }
    byId.set(v.bundle.id, {
      file: rel(path),
      path,
      bundle: v.bundle,
      signer: v.signer,
      notes: [...v.notes].sort(),
    });
  }
  // Conflicts: one run id, different content.
  const byRun = new Map<string, Accepted[]>();
  for (const a of byId.values()) {
    const list = byRun.get(a.bundle.config.id) ?? [];
    list.push(a);
    byRun.set(a.bundle.config.id, list);
  }
  const accepted: Accepted[] = [];
  for (const [runId, list] of byRun) {
    if (list.length === 1) {
      accepted.push(list[0]);
      continue;
    }
    const names = list.map((a) => a.file).sort(cmp);
    for (const a of list) {
      excluded.push({
        file: a.file,
        reason: `conflicting bundles for run ${runId} (${names.join(", ")}): same run, ` +
          `different content; none of them is shown`,
      });
    }
  }
  accepted.sort((a, b) => cmp(a.file, b.file));
  excluded.sort((a, b) => cmp(a.file, b.file) || cmp(a.reason, b.reason));
  return { accepted, excluded, fileCount: files.length - devices };
}

/** Binarizers in table order: fp32, then registry order, then unknown names sorted. */
function binarizerOrder(names: Iterable<string>): string[] {
  const registry = ["fp32", ...binarizerNames().filter((b) => b !== "fp32")];
  const set = new Set(names);
  return [
    ...registry.filter((b) => set.has(b)),
    ...[...set].filter((b) => !registry.includes(b)).sort(cmp),
  ];
}

function refOf(slug: string, r: RunResult): BundleRef {
  const s = r.spec;
  return {
    slug,
    runId: s.id,
    track: s.track,
    binarizer: s.binarizer,
    binSlug: binarizerSlug(s.binarizer),
    task: s.task,
    model: s.model,
    seed: s.seed,
  };
}

function refOrder(a: BundleRef, b: BundleRef): number {
  const tracks = trackNames();
  const rank = (t: string) => (tracks.indexOf(t) + 1 || 1e9);
  return rank(a.track) - rank(b.track) || cmp(a.track, b.track) || cmp(a.task, b.task) ||
    cmp(a.model, b.model) || a.seed - b.seed || cmp(a.runId, b.runId) || cmp(a.slug, b.slug);
}

/** Mean per-epoch curves over seeds, per (track, task, model, binarizer). */
function meanCurves(results: RunResult[]): CurvePoint[] {
  type Key = Pick<CurvePoint, "track" | "task" | "model" | "binarizer">;
  const groups = new Map<string, { key: Key; runs: RunResult[] }>();
  for (const r of results) {
    if (r.curves.length === 0) continue;
    const s = r.spec;
    const k = [s.track, s.task, s.model, s.binarizer].join("\u0000");
    if (!groups.has(k)) {
      groups.set(k, {
        key: { track: s.track, task: s.task, model: s.model, binarizer: s.binarizer },
        runs: [],
      });
    }
    groups.get(k)!.runs.push(r);
  }
  const out: CurvePoint[] = [];
  for (const { key, runs } of groups.values()) {
    const epochs = Math.max(...runs.map((r) => r.curves.length));
    for (let e = 0; e < epochs; e++) {
      const at = runs.map((r) => r.curves[e]).filter((c) => c !== undefined);
      out.push({
        ...key,
        epoch: e + 1,
        valAccuracy: fin(mean(at.map((c) => c.valAccuracy))),
        trainAccuracy: fin(mean(at.map((c) => c.trainAccuracy))),
        trainLoss: fin(mean(at.map((c) => c.trainLoss))),
        n: at.length,
      });
    }
  }
  return out;
}

/** The leading doc comment of a built-in binarizer's source file, as plain text. */
async function binarizerDoc(name: string): Promise<string | null> {
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) return null;
  try {
    const src = await Deno.readTextFile(
      new URL(`../../engine/binarizers/${name}.ts`, import.meta.url),
    );
    const m = /^\s*\/\*\*([\s\S]*?)\*\//.exec(src);
    if (!m) return null;
    return m[1].split("\n").map((l) => l.replace(/^\s*\* ?/, "").trimEnd()).join("\n").trim();
  } catch {
    return null;
  }
}

/** Builds the site's data from the accepted bundles. */
export async function aggregate(
  accepted: Accepted[],
  excluded: Excluded[],
  fileCount: number,
  trusted: TrustedKeys,
): Promise<SiteData> {
  const results = accepted.map((a) => bundleToResult(a.bundle));
  const slugOfResult = new Map<RunResult, string>();
  accepted.forEach((a, i) => slugOfResult.set(results[i], bundleSlug(a.bundle)));
  const { tables, unknownTracks } = summarizeTracks(results);
  const tableOf = new Map<string, TrackTable>(tables.map((t) => [t.track, t]));
  const curves = meanCurves(results);

  const allBinarizers = binarizerOrder(results.map((r) => r.spec.binarizer));
  const slugs = new Map(allBinarizers.map((b) => [b, binarizerSlug(b)]));
  const rowData = (r: TrackTable["rows"][number]): RowData => {
    const extra: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(r.extra ?? {})) extra[k] = fin(v);
    const u = r.uncertainty;
    return {
      binarizer: r.binarizer,
      slug: slugs.get(r.binarizer) ?? binarizerSlug(r.binarizer),
      cells: r.cells.map(cellData),
      om: fin(r.om),
      omInterval: u && Number.isFinite(u.interval[0]) && Number.isFinite(u.interval[1])
        ? u.interval
        : null,
      rank: u?.rank ?? null,
      tied: u?.tied ?? false,
      ...(u?.exact ? { exact: true } : {}),
      extra,
    };
  };

  const refs = results.map((r) => refOf(slugOfResult.get(r)!, r));
  const tracks: TrackData[] = trackNames().map((name) => {
    const track = getTrack(name);
    const t = tableOf.get(name);
    const info = presentationOf(name);
    return {
      name,
      title: t?.title ?? track.title,
      omName: t?.omName ?? info.omName,
      metric: t?.metric ?? "",
      meaning: info.meaning,
      present: t !== undefined,
      cells: info.cells,
      legend: info.legend(t?.metric ?? ""),
      columnLabel: info.columnLabel,
      charts: info.charts.map((c) => c.id),
      columns: t?.columns ?? [],
      rows: t ? t.rows.map(rowData) : [],
      notes: t?.notes ?? [],
      text: t ? renderTable(t) : "",
      runs: refs.filter((r) => r.track === name).sort(refOrder),
      curves: curves.filter((c) => c.track === name),
    };
  });

  const binarizers: BinarizerData[] = [];
  for (const name of allBinarizers) {
    let known = true;
    let summary: string | null = null;
    let deploy: Record<string, boolean> | null = null;
    try {
      const b = getBinarizer(name);
      summary = b.summary;
      deploy = { ...b.deploy };
    } catch {
      known = false;
    }
    binarizers.push({
      name,
      slug: slugs.get(name)!,
      known,
      summary,
      doc: known ? await binarizerDoc(name) : null,
      deploy,
      oms: tracks.map((t) => t.rows.find((r) => r.binarizer === name)?.om ?? null),
      results: tracks.flatMap((t) => {
        const row = t.rows.find((r) => r.binarizer === name);
        return row
          ? [{ track: t.name, title: t.title, omName: t.omName, columns: t.columns, row }]
          : [];
      }),
      curves: curves.filter((c) => c.binarizer === name),
      bundles: refs.filter((r) => r.binarizer === name).sort(refOrder),
    });
  }

  const known = new Set(trackNames());
  const bundles: BundleData[] = accepted.map((a, i) => {
    const b = a.bundle;
    return {
      ...refs[i],
      file: a.file,
      raw: `bundle/${refs[i].slug}.json`,
      id: b.id,
      created: b.created,
      knownTrack: known.has(b.config.track),
      signer: a.signer,
      notes: a.notes,
      engine: b.engine,
      environment: b.environment,
      datasets: b.datasets,
      config: b.config,
      seeds: b.seeds,
      metrics: b.results.metrics,
      timings: b.results.timings,
      curves: b.results.curves,
      weights: b.results.weights ?? null,
      parent: b.results.parent ?? null,
    };
  }).sort(refOrder);

  const site: SiteInfo = {
    bundleCount: accepted.length,
    fileCount,
    excluded,
    unknownTracks,
    trustedKeys: [...trusted.keys.values()]
      .map((k) => ({ owner: k.owner, fingerprint: k.fingerprint }))
      .sort((a, b) => cmp(a.fingerprint, b.fingerprint)),
    omColumns: tracks.map((t) => ({
      track: t.name,
      title: t.title,
      omName: t.omName,
      meaning: t.meaning,
      present: t.present,
    })),
    leaderboard: binarizers.map((b) => ({
      binarizer: b.name,
      slug: b.slug,
      oms: b.oms,
      ranks: tracks.map((t) => {
        const row = t.rows.find((r) => r.binarizer === b.name);
        return {
          interval: row?.omInterval ?? null,
          rank: row?.rank ?? null,
          tied: !!row?.tied,
          ...(row?.exact ? { exact: true } : {}),
        };
      }),
    })),
  };
  return { site, tracks, binarizers, bundles };
}
