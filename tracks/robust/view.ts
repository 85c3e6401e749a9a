/** The robust track's text view (`Track.render`): gaps per task and corruption, not accuracies. */
import type { Cell, TrackTable } from "../track.ts";
import {
  align,
  fixOrDash,
  HALF_LEGEND,
  meanHalf,
  pctOrDash,
  rule,
  seedsOf,
} from "../text_table.ts";

/**
 * Robustness view: one block per task, a row per corruption and a column per binarizer, cells
 * "gap ± std (ratio)" in percentage points; the clean accuracy on top, OM_robust at the bottom.
 */
export function renderRobustTable(t: TrackTable): string {
  const tasks = [...new Set(t.columns.map((c) => c.split("/")[0]))];
  const out = [
    `${t.title} track — robustness gap G = A_clean - A_corrupted (pp), ${HALF_LEGEND}, ` +
    `${seedsOf(t)} seed(s), (guarded G_fp / G_bi; * = at chance, left out of ${t.omName}); ` +
    `${t.omName} = quadratic mean of the kept ratios`,
  ];
  for (const task of tasks) {
    const header = [`task ${task}`, ...t.rows.map((r) => r.binarizer)];
    const clean = [
      "clean accuracy %",
      ...t.rows.map((r) => {
        const m = r.extra?.[`${task}/clean`];
        const s = r.extra?.[`${task}/cleanStd`];
        return m === undefined ? "-" : `${pctOrDash(m)} ± ${pctOrDash(s ?? NaN)}`;
      }),
    ];
    const lines: string[][] = [header, clean];
    t.columns.forEach((col, j) => {
      if (!col.startsWith(`${task}/`)) return;
      lines.push([
        col.slice(task.length + 1),
        ...t.rows.map((r) => {
          const c: Cell | null = r.cells[j];
          return c ? `${meanHalf(c)} (${fixOrDash(c.ratio)}${c.excluded ? "*" : ""})` : "-";
        }),
      ]);
    });
    lines.push([
      "weights reused / runs",
      ...t.rows.map((r) =>
        r.extra?.[`${task}/runs`] === undefined
          ? "-"
          : `${r.extra[`${task}/reused`]}/${r.extra[`${task}/runs`]}`
      ),
    ]);
    const text = align(lines);
    out.push("", text[0], rule(text[0]), ...text.slice(1));
  }
  const om = align([
    [t.omName, ...t.rows.map((r) => r.binarizer)],
    ["kept tasks x corruptions", ...t.rows.map((r) => fixOrDash(r.om))],
    ["95% interval", ...t.rows.map((r) => interval(r.uncertainty?.interval))],
    [
      "leave one corruption out",
      ...t.rows.map((r) => interval([r.extra?.["loo.min"] ?? NaN, r.extra?.["loo.max"] ?? NaN])),
    ],
  ]);
  out.push("", om[0], rule(om[0]), ...om.slice(1));
  if (t.notes?.length) out.push("", ...t.notes);
  return out.join("\n");
}

function interval(iv: [number, number] | undefined): string {
  return iv && Number.isFinite(iv[0]) ? `[${fixOrDash(iv[0])}, ${fixOrDash(iv[1])}]` : "-";
}
