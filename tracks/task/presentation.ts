/** How the site shows the task track: what OM_task means, how its cells read, its charts. */
import { curvesChart } from "../charts.ts";
import type { ChartDef, TrackPresentation, TrackView } from "../presentation.ts";

/** Training curves of every binarizer, one panel per task. */
function taskCurves(t: TrackView, binarizers: string[]): ChartDef | null {
  return curvesChart(
    "task-curves",
    "Training curves (learning task)",
    t.curves,
    "binarizer",
    binarizers,
  );
}

/** The task track's presentation (Track.presentation). */
export const taskPresentation: TrackPresentation = {
  omName: "OM_task",
  meaning: "Learning task: test accuracy of the binarized network divided by full precision's, " +
    "per task (MNIST, Fashion-MNIST, spam, point clouds, keyword spotting), combined as the " +
    "quadratic mean: sqrt(mean over tasks of (E[A_bi] / E[A_fp])²).",
  charts: [{ id: "task-curves", build: taskCurves }],
  binarizerCurves: true,
};
