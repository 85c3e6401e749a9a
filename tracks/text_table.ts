/**
 * Text rendering of track tables for the terminal: the view `bench` and `merge` print (a track's
 * own `render` when it has one, the accuracy view otherwise), and the helpers the tracks' own text
 * views (tracks/<name>/view.ts) share.
 */
import type { Cell, TrackTable } from "./track.ts";
import { getTrack, trackNames } from "./registry.ts";

const pct = (x: number) => (100 * x).toFixed(2);

function cellText(c: Cell | null): string {
  if (!c) return "-";
  const ratio = Number.isFinite(c.ratio) ? ` (${c.ratio.toFixed(3)})` : "";
  return `${pct(c.mean)} ± ${pct(c.std)}${ratio}`;
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
    `${t.title} track — ${t.metric}, mean ± std over ${
      seeds.join("/")
    } seed(s); ${t.omName} = quadratic mean of ratios`,
    line(header),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...body.map(line),
    ...(t.notes ?? []),
  ].join("\n");
}

/**
 * The overall metrics side by side: a row per binarizer (in the tables' order), a column per
 * track's OM, each with its meaning in one line below. What a reader compares first.
 */
export function renderOverview(tables: TrackTable[]): string {
  const bins = [...new Set(tables.flatMap((t) => t.rows.map((r) => r.binarizer)))];
  const header = ["binarizer", ...tables.map((t) => t.omName)];
  const body = bins.map((b) => [
    b,
    ...tables.map((t) => {
      const om = t.rows.find((r) => r.binarizer === b)?.om;
      return om === undefined || !Number.isFinite(om) ? "-" : om.toFixed(3);
    }),
  ]);
  const rows = [header, ...body];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((s, i) => (i === 0 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join("  ");
  return [
    "Overall metrics — one per track (fp32 = 1 on the accuracy tracks; higher is better)",
    line(header),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...body.map(line),
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
