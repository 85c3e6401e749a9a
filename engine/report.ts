/** Text rendering of track tables for the terminal: the view `bench` and `merge` print. */
import type { Cell, TrackTable } from "../tracks/track.ts";
import { getTrack, trackNames } from "../tracks/mod.ts";

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
