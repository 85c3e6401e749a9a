/** Text rendering of track tables for the terminal: the view `bench` and `merge` print. */
import type { Cell, TrackTable } from "./track.ts";
import { getTrack, trackNames } from "./registry.ts";

const pct = (x: number) => (100 * x).toFixed(2);

function cellText(c: Cell | null): string {
  if (!c) return "-";
  const ratio = Number.isNaN(c.ratio) ? "" : ` (${c.ratio.toFixed(3)})`;
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
