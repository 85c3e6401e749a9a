/**
 * The summary shared by accuracy tracks (learning task, architecture): cells of test accuracy
 * over seeds, ratios to fp32 per column, and the quadratic-mean OM over columns. A column whose
 * fp32 reference is missing or zero has no ratios (NaN) and a note says so.
 */
import type { RunResult } from "../engine/run.ts";
import { accuracyRatio, mean, omAccuracy } from "../engine/stats.ts";
import { initNotes } from "./init_note.ts";
import { convergenceNotes, withConvergence } from "./convergence_note.ts";
import { type Cell, seedCell, type TrackTable } from "./track.ts";

/** Groups results by (binarizer, column) and aggregates them; `column` names a result's column. */
export function accuracyTable(
  meta: Pick<TrackTable, "track" | "title" | "omName">,
  results: RunResult[],
  column: (r: RunResult) => string,
  order: { binarizers: string[]; columns: string[] },
): TrackTable {
  const acc = new Map<string, number[]>();
  const runs = new Map<string, RunResult[]>();
  const key = (b: string, c: string) => `${b}\u0000${c}`;
  for (const r of results) {
    const k = key(r.spec.binarizer, column(r));
    if (!runs.has(k)) {
      acc.set(k, []);
      runs.set(k, []);
    }
    acc.get(k)!.push(r.metrics.testAccuracy);
    runs.get(k)!.push(r);
  }
  const columns = order.columns.filter((c) => results.some((r) => column(r) === c));
  const binarizers = order.binarizers.filter((b) => results.some((r) => r.spec.binarizer === b));
  const rows = binarizers.map((b) => {
    const cells: (Cell | null)[] = columns.map((c) => {
      const xs = acc.get(key(b, c));
      if (!xs) return null;
      const fp = acc.get(key("fp32", c));
      return withConvergence(seedCell(xs, fp ? accuracyRatio(xs, fp) : NaN), runs.get(key(b, c))!);
    });
    const ratios = cells.map((c) => c?.ratio ?? NaN);
    const om = ratios.some((r) => Number.isNaN(r)) ? NaN : omAccuracy(ratios);
    return { binarizer: b, cells, om };
  });
  const noReference = columns.filter((c) => {
    const fp = acc.get(key("fp32", c));
    return !fp || !(mean(fp) > 0);
  });
  const notes = [
    ...(noReference.length === 0 ? [] : [
      `No fp32 reference for ${noReference.join(", ")} (missing, or zero accuracy): ` +
      `ratios there and ${meta.omName} are shown as —.`,
    ]),
    ...initNotes(results),
    ...convergenceNotes(rows.flatMap((r) => r.cells), results),
  ];
  return { ...meta, metric: "test accuracy", columns, rows, ...(notes.length ? { notes } : {}) };
}
