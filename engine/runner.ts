/**
 * Runs a grid: one result file per run, written atomically; runs whose result file already holds
 * the same spec are skipped, so a killed benchmark resumes where it stopped and ends with the
 * same tables.
 */
import canonicalize from "canonicalize";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.ts";
import { executeRun, type RunEnv, type RunResult, type RunSpec } from "./run.ts";
import { encodeWeights } from "./weights.ts";
import { formatDuration, Progress } from "./progress.ts";

/** Path of a run's result file under an output directory. */
export function resultPath(out: string, spec: RunSpec): string {
  return join(out, "runs", `${spec.id}.json`);
}

/** Path of a run's trained weights (written before its result, which marks the run done). */
export function weightsPath(out: string, spec: RunSpec): string {
  return join(out, "runs", `${spec.id}.weights.bin`);
}

function sameSpec(a: RunSpec, b: RunSpec): boolean {
  return canonicalize(a) === canonicalize(b);
}

/** Reads a finished result if the file exists, parses, and was made from the same spec. */
export async function readResult(out: string, spec: RunSpec): Promise<RunResult | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(resultPath(out, spec));
  } catch {
    return null;
  }
  try {
    const r = JSON.parse(text) as RunResult;
    return r?.spec && sameSpec(r.spec, spec) ? r : null;
  } catch {
    return null;
  }
}

/** Options of `runGrid`. */
export interface GridRunOptions {
  out: string;
  env?: RunEnv;
  quiet?: boolean;
}

/** Batches a run will train (for progress units). */
function unitsOf(spec: RunSpec, trainSize?: number): number {
  if (!spec.train) return 1;
  const n = trainSize ?? spec.limit?.train ?? 10_000;
  return spec.train.epochs * Math.max(1, Math.floor(n / spec.train.batchSize));
}

/** Runs every spec not already finished in `out`; returns all results in spec order. */
export async function runGrid(specs: RunSpec[], opts: GridRunOptions): Promise<RunResult[]> {
  const results: (RunResult | null)[] = await Promise.all(
    specs.map((s) => readResult(opts.out, s)),
  );
  const todo = specs.filter((_, i) => results[i] === null);
  const progress = new Progress(specs.length, todo.reduce((a, s) => a + unitsOf(s), 0), opts.quiet);
  const skipped = specs.length - todo.length;
  if (skipped > 0) {
    progress.log(`resuming: ${skipped}/${specs.length} runs already done in ${opts.out}`);
  }
  let done = skipped;
  for (let i = 0; i < specs.length; i++) {
    if (results[i] !== null) continue;
    const spec = specs[i];
    const label = `[run ${done + 1}/${specs.length}] ${spec.id}`;
    progress.log(`${label} ...`);
    let counted = 0;
    const { result: r, weights } = await executeRun(spec, opts.env, {
      onBatch: (b) => {
        progress.advance(1);
        counted++;
        progress.status(
          `${label} epoch ${b.epoch + 1}/${b.epochs} batch ${b.batch + 1}/${b.batches} ` +
            `loss ${b.loss.toFixed(3)} acc ${(100 * b.accuracy).toFixed(1)}%`,
        );
      },
      onEpochEnd: (e) => {
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
    progress.advance(Math.max(0, unitsOf(spec, r.dataset?.sizes.train) - counted));
    if (weights) await writeFileAtomic(weightsPath(opts.out, spec), encodeWeights(weights));
    await writeFileAtomic(resultPath(opts.out, spec), JSON.stringify(r, null, 1) + "\n");
    results[i] = r;
    done++;
    const acc = r.metrics.testAccuracy;
    progress.log(
      `${label} done` + (acc === undefined ? "" : ` test ${(100 * acc).toFixed(2)}%`) +
        ` (${Object.values(r.timings).reduce((a, b) => a + b, 0).toFixed(1)}s)`,
    );
  }
  return results as RunResult[];
}
