/**
 * The grid loop in one process: runs every spec of a grid that the result store does not already
 * hold, in order, and writes each run's bundle through the store (engine/store/results.ts), so a
 * killed benchmark resumes where it stopped and ends with the same tables. The worker pool
 * (pool.ts) runs the same loop, one spec at a time, in each worker process.
 */
import { executeRun, type RunEnv, type RunResult, type RunSpec } from "../run.ts";
import { CostModel, formatDuration, gridProgress, workUnits } from "./progress.ts";
import type { SigningKey } from "../bundle/keys.ts";
import { finishedRuns, writeRun } from "../store/results.ts";
import type { TimeLimit } from "./time_limit.ts";

/** What happens during a grid, for callers that report progress their own way (workers). */
export type GridEvent =
  | { type: "start"; id: string }
  | {
    type: "epoch";
    id: string;
    epoch: number;
    epochs: number;
    trainLoss: number;
    valAccuracy: number;
  }
  | { type: "done"; id: string; testAccuracy?: number; seconds: number };

/** Options of `runGrid`. */
export interface GridRunOptions {
  out: string;
  env?: RunEnv;
  quiet?: boolean;
  /** Key that signs every bundle written; null or absent writes unsigned bundles. */
  signer?: SigningKey | null;
  onEvent?: (e: GridEvent) => void;
  /**
   * Start only runs that end within this limit (by their cost estimate); at the first that would
   * not, stop: the runs left stay unfinished in `out` (their results are absent from the return).
   */
  timeLimit?: TimeLimit;
}

/**
 * Runs every spec not already finished in `out`; returns all results in spec order (only the
 * finished ones when a time limit stopped it).
 */
export async function runGrid(specs: RunSpec[], opts: GridRunOptions): Promise<RunResult[]> {
  const { results, todo } = await finishedRuns(opts.out, specs);
  const progress = gridProgress(specs, todo, opts.out, opts.quiet);
  let done = specs.length - todo.length;
  const costs = new CostModel();
  let at = 0;
  progress.estimator = () =>
    specs.reduce((a, s, j) => a + (j >= at && results[j] === null ? costs.estimate(s) : 0), 0);
  for (let i = 0; i < specs.length; i++) {
    if (results[i] !== null) continue;
    at = i;
    const started = performance.now();
    const spec = specs[i];
    if (opts.timeLimit && !opts.timeLimit.fits(costs.estimate(spec))) break;
    const label = `[run ${done + 1}/${specs.length}] ${spec.id}`;
    progress.log(`${label} ...`);
    opts.onEvent?.({ type: "start", id: spec.id });
    let counted = 0;
    const output = await executeRun(spec, { ...opts.env, out: opts.out }, {
      onBatch: (b) => {
        progress.advance(1);
        counted++;
        progress.status(
          `${label} epoch ${b.epoch + 1}/${b.epochs} batch ${b.batch + 1}/${b.batches} ` +
            `loss ${b.loss.toFixed(3)} acc ${(100 * b.accuracy).toFixed(1)}%`,
        );
      },
      onEpochEnd: (e) => {
        opts.onEvent?.({
          type: "epoch",
          id: spec.id,
          epoch: e.epoch,
          epochs: spec.train?.epochs ?? 1,
          trainLoss: e.trainLoss,
          valAccuracy: e.valAccuracy,
        });
        if (!progress.tty) {
          progress.log(
            `${label} epoch ${e.epoch + 1}/${spec.train?.epochs} loss ${e.trainLoss.toFixed(3)} ` +
              `train ${(100 * e.trainAccuracy).toFixed(1)}% val ${
                (100 * e.valAccuracy).toFixed(1)
              }% ` +
              `(${e.seconds.toFixed(1)}s) ETA ${formatDuration(progress.eta())}`,
          );
        }
      },
    });
    const r = output.result;
    progress.advance(Math.max(0, workUnits(spec, r.dataset?.sizes.train) - counted));
    await writeRun(opts.out, output, opts.signer);
    // Wall time of the whole run (timings hold other measurements too, e.g. latencies in ms).
    const seconds = (performance.now() - started) / 1000;
    costs.record(spec, seconds);
    results[i] = r;
    done++;
    const acc = r.metrics.testAccuracy;
    opts.onEvent?.({ type: "done", id: spec.id, testAccuracy: acc, seconds });
    progress.log(
      `${label} done` + (acc === undefined ? "" : ` test ${(100 * acc).toFixed(2)}%`) +
        ` (${seconds.toFixed(1)}s)`,
    );
  }
  return results.filter((r): r is RunResult => r !== null);
}
