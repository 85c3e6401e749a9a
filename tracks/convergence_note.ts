/**
 * Convergence in the tables: whether a training run converged (its recorded
 * `results.convergence`, or, for bundles made before the field existed, the same rule applied to
 * its curves: engine/nn/convergence.ts), the count of a cell's seeds that did not, and the note
 * that counts converged cells and explains the mark (CLI and site print the same note).
 */
import type { RunResult } from "../engine/run.ts";
import { CONVERGED_GAIN, convergenceOf } from "../engine/nn/convergence.ts";
import type { Cell } from "./track.ts";

/** The mark of a cell with a seed that did not converge (CLI tables and site). */
export const UNCONVERGED_MARK = "†";

/** Whether run `r` converged; undefined for runs that did not train. */
export function runConverged(r: RunResult): boolean | undefined {
  if (r.convergence) return r.convergence.converged;
  if (r.spec.kind !== "train" || !r.spec.train || r.curves.length === 0) return undefined;
  return convergenceOf(r.curves, r.spec.train).converged;
}

/** A cell with the count of its runs that did not converge (set only when there are some). */
export function withConvergence(cell: Cell, runs: readonly RunResult[]): Cell {
  const k = runs.filter((r) => runConverged(r) === false).length;
  return k > 0 ? { ...cell, unconverged: k } : cell;
}

/** "k/n": of the cells present, those whose every seed converged (no {@link UNCONVERGED_MARK}). */
export function convergedCells(cells: readonly (Cell | null)[]): string {
  const all = cells.filter((c): c is Cell => c !== null);
  return `${all.filter((c) => !c.unconverged).length}/${all.length}`;
}

/**
 * The note under a table of training cells: how many cells converged (every seed) and what the
 * mark means; [] when no cell holds a training run.
 */
export function convergenceNotes(
  cells: readonly (Cell | null)[],
  results: readonly RunResult[],
): string[] {
  if (!results.some((r) => runConverged(r) !== undefined)) return [];
  return [
    `converged: ${
      convergedCells(cells)
    } cells; ${UNCONVERGED_MARK} = a cell with k seed(s) whose ` +
    `validation accuracy still gained >= ${100 * CONVERGED_GAIN} pp over the last quarter of ` +
    `its epochs (k/n: not converged).`,
  ];
}
