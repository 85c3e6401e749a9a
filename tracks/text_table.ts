/**
 * Text rendering of track tables for the terminal: the view `bench` and `merge` print (a track's
 * own `render` when it has one, the accuracy view otherwise), and the helpers the tracks' own text
 * views (tracks/<name>/view.ts) share.
 */
import type { Cell, TrackTable } from "./track.ts";
import { getTrack, trackNames } from "./registry.ts";
import { UNCONVERGED_MARK } from "./convergence_note.ts";

/** "mean ± h", h the 95% t-interval half-width in percent; "mean ± -" without one (n = 1). */
export function meanHalf(c: Cell): string {
  return `${pctOrDash(c.mean)} ± ${pctOrDash(c.half ?? NaN)}`;
}

/** What the "±" of {@link meanHalf} cells means, for a table's header line. */
export const HALF_LEGEND = "mean ± 95% Student-t interval half-width over seeds (± - : n = 1, " +
  "no interval)";

/** " †k/n" after a cell with k seeds that did not converge (tracks/convergence_note.ts). */
export function unconvergedMark(c: Cell): string {
  return c.unconverged ? ` ${UNCONVERGED_MARK}${c.unconverged}/${c.n}` : "";
}

function cellText(c: Cell | null): string {
  if (!c) return "-";
  const ratio = Number.isFinite(c.ratio) ? ` (${c.ratio.toFixed(3)})` : "";
  return `${meanHalf(c)}${ratio}${unconvergedMark(c)}`;
}

/** Renders a track table as aligned text: accuracy % mean ± std (ratio to fp32), then OM. */
export function renderTable(t: TrackTable): string {
  // Tracks whose numbers are not accuracies bring their own view (Track.render).
  const view = trackNames().includes(t.track) ? getTrack(t.track).render : undefined;
  if (view) return view(t);
  const header = ["binarizer", ...t.columns.map((c) => `${c} ${t.metric} % (÷fp32)`), t.omName];
  const body = t.rows.map((r) => [
    r.binarizer,
    ...r.cells.map(cellText),
    Number.isNaN(r.om) ? "-" : r.om.toFixed(3),
  ]);
  const rows = [header, ...body];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((s, i) => (i === 0 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join("  ");
  const seeds = [...new Set(t.rows.flatMap((r) => r.cells.map((c) => c?.n ?? 0)))].filter((n) =>
    n > 0
  );
  return [
    `${t.title} track — ${t.metric}, ${HALF_LEGEND}, ${
      seeds.join("/")
    } seed(s); ${t.omName} = quadratic mean of ratios`,
    line(header),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...body.map(line),
    ...(t.notes ?? []),
  ].join("\n");
}

/**
 * An OM with its 95% interval and rank: "0.812 [0.790, 0.830] #2=" ("=": a shared rank, it cannot
 * be told apart from another binarizer of that rank); "15.420 exact #3=" for an exact OM (counts);
 * the OM alone when there is no interval.
 */
export function omText(
  om: number,
  u?: { interval: [number, number] | null; rank: number | null; tied: boolean; exact?: boolean },
): string {
  if (!u?.interval || !Number.isFinite(u.interval[0])) return om.toFixed(3);
  const rank = u.rank === null ? "" : ` #${u.rank}${u.tied ? "=" : ""}`;
  if (u.exact) return `${om.toFixed(3)} exact${rank}`;
  return `${om.toFixed(3)} [${u.interval[0].toFixed(3)}, ${u.interval[1].toFixed(3)}]${rank}`;
}

/** {@link omText} of a row; "-" when it has no OM. */
export function omWithInterval(r: TrackTable["rows"][number] | undefined): string {
  return !r || !Number.isFinite(r.om) ? "-" : omText(r.om, r.uncertainty);
}

/** The rule behind the overview's intervals and ranks, in one paragraph (docs/metrics.md). */
export const OM_INTERVAL_RULE = "[lo, hi] = 95% percentile interval of the OM over 1,000 seeded " +
  "bootstrap resamples: task, arch, robust resample each cell's seeds; train each binarizer's " +
  "whole seeds (a seed's eight settings together) and, where recorded, each run's paired " +
  "step-time samples; infer each cell's seeds and, where recorded, each run's paired latency " +
  "ratios (none with one seed and no samples). #k = rank among binarizers (fp32 unranked): 1 + " +
  'the binarizers whose interval lies entirely above; "=" marks a shared rank (cannot be told ' +
  "apart). exact: comp's OMs are counts without sampling noise, ranked by value (docs/metrics.md).";

/**
 * The overall metrics side by side: a row per binarizer (in the tables' order), a column per
 * track's OM with its interval and rank (`omWithInterval`), and the rule below. What a reader
 * compares first.
 */
export function renderOverview(tables: TrackTable[]): string {
  const bins = [...new Set(tables.flatMap((t) => t.rows.map((r) => r.binarizer)))];
  const header = ["binarizer", ...tables.map((t) => t.omName)];
  const body = bins.map((b) => [
    b,
    ...tables.map((t) => omWithInterval(t.rows.find((r) => r.binarizer === b))),
  ]);
  return [
    "Overall metrics — one per track (fp32 = 1 on the accuracy tracks; higher is better)",
    ...alignRuled([header, ...body]),
    OM_INTERVAL_RULE,
  ].join("\n");
}

/** A fraction in percent, 2 decimals; "-" when not finite. */
export const pctOrDash = (x: number): string => (Number.isFinite(x) ? (100 * x).toFixed(2) : "-");
/** A number with `d` decimals (default 3); "-" when not finite. */
export const fixOrDash = (x: number, d = 3): string => (Number.isFinite(x) ? x.toFixed(d) : "-");

/** Aligned text: first column left, the others right. */
export function align(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) =>
    r.map((s, i) => (i === 0 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join("  ")
  );
}

/** A rule as long as `line`. */
export function rule(line: string): string {
  return "-".repeat(line.length);
}

/** The seed counts of a table's cells, "3" or "2/3" ("0" when empty). */
export function seedsOf(t: TrackTable): string {
  const ns = [...new Set(t.rows.flatMap((r) => r.cells.map((c) => c?.n ?? 0)))].filter((n) => n);
  return ns.join("/") || "0";
}

/** A number with `d` decimals (default 2); "-" when absent or not finite. */
export const fixed = (x: number | undefined, d = 2): string =>
  x !== undefined && Number.isFinite(x) ? x.toFixed(d) : "-";

/** Compact count: 1234567 -> 1.23M. */
export function si(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "-";
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)}K`;
  return String(Math.round(x));
}

/** Aligned text: first column left, the others right, a rule under the header. */
export function alignRuled(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const lines = rows.map((r) =>
    r.map((s, i) => (i === 0 ? (s ?? "").padEnd(widths[i]) : (s ?? "").padStart(widths[i])))
      .join("  ")
  );
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return lines;
}
