/**
 * Text views of the tables whose numbers are not plain accuracies (the generic accuracy view is
 * tracks/text_table.ts `renderTable`): corruption robustness (gaps) and training consumption
 * (accuracy per setting, wall time, spread over settings). Tracks expose them as `render`.
 */
import type { Cell, TrackTable } from "../track.ts";

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(2) : "-");
const fix = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : "-");

/** Aligned text: first column left, the others right. */
function align(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) =>
    r.map((s, i) => (i === 0 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join("  ")
  );
}

function rule(line: string): string {
  return "-".repeat(line.length);
}

function seedsOf(t: TrackTable): string {
  const ns = [...new Set(t.rows.flatMap((r) => r.cells.map((c) => c?.n ?? 0)))].filter((n) => n);
  return ns.join("/") || "0";
}

/**
 * Robustness view: one block per task, a row per corruption and a column per binarizer, cells
 * "gap ± std (ratio)" in percentage points; the clean accuracy on top, OM_robust at the bottom.
 */
export function renderRobustTable(t: TrackTable): string {
  const tasks = [...new Set(t.columns.map((c) => c.split("/")[0]))];
  const out = [
    `${t.title} track — robustness gap G = A_clean - A_corrupted (pp), mean ± std over ` +
    `${seedsOf(t)} seed(s), (guarded G_fp / G_bi); ${t.omName} = quadratic mean of the ratios`,
  ];
  for (const task of tasks) {
    const header = [`task ${task}`, ...t.rows.map((r) => r.binarizer)];
    const clean = [
      "clean accuracy %",
      ...t.rows.map((r) => {
        const m = r.extra?.[`${task}/clean`];
        const s = r.extra?.[`${task}/cleanStd`];
        return m === undefined ? "-" : `${pct(m)} ± ${pct(s ?? NaN)}`;
      }),
    ];
    const lines: string[][] = [header, clean];
    t.columns.forEach((col, j) => {
      if (!col.startsWith(`${task}/`)) return;
      lines.push([
        col.slice(task.length + 1),
        ...t.rows.map((r) => {
          const c: Cell | null = r.cells[j];
          return c ? `${pct(c.mean)} ± ${pct(c.std)} (${fix(c.ratio)})` : "-";
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
    ["all tasks x corruptions", ...t.rows.map((r) => fix(r.om))],
  ]);
  out.push("", om[0], rule(om[0]), om[1]);
  if (t.notes?.length) out.push("", ...t.notes);
  return out.join("\n");
}

/**
 * Training-consumption view: a row per binarizer; test accuracy per setting (mean, ratio to fp32),
 * then mean training wall time, T_fp / T_bi, std of accuracy over settings, its ratio, OM_train.
 */
export function renderTrainTable(t: TrackTable): string {
  const header = [
    "binarizer",
    ...t.columns.map((c) => `${c} %`),
    "train s",
    "T_fp/T_bi",
    "std over settings %",
    "std_fp/std_bi",
    t.omName,
  ];
  const body = t.rows.map((r) => [
    r.binarizer,
    ...r.cells.map((c) => (c ? `${pct(c.mean)} (${fix(c.ratio)})` : "-")),
    fix(r.extra?.trainSeconds ?? NaN, 1),
    fix(r.extra?.timeRatio ?? NaN),
    pct(r.extra?.settingsStd ?? NaN),
    fix(r.extra?.stdRatio ?? NaN),
    fix(r.om),
  ]);
  const text = align([header, ...body]);
  return [
    `${t.title} track — test accuracy per setting, mean over ${seedsOf(t)} seed(s) (÷fp32); ` +
    `${t.omName} = sqrt(1/2 (E[T_fp/T_bi]^2 + E[std_fp/std_bi]^2))`,
    text[0],
    rule(text[0]),
    ...text.slice(1),
    ...(t.notes?.length ? ["", ...t.notes] : []),
  ].join("\n");
}
