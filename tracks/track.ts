/**
 * What a track is: a grid of runs it declares, and how its metric is computed from their
 * results. The engine runs grids; tracks never run anything themselves, and nothing downstream
 * of a track's summary reaches back into runs.
 */
import { type Executor, runId, type RunResult, type RunSpec } from "../engine/run.ts";
import { mean, std, tInterval } from "../engine/stats.ts";
import type { InitName } from "../engine/init.ts";
import type { Rng } from "../engine/rng.ts";
import type { PlateauRule } from "../engine/nn/convergence.ts";
import type { TrackPresentation } from "./presentation.ts";

/** Run-size profiles. */
export const PROFILES = ["smoke", "quick", "full"] as const;
export type Profile = typeof PROFILES[number];

/** What the user chose that shapes a grid. */
export interface GridOptions {
  profile: Profile;
  /** Binarizers to run, fp32 included when ratios are wanted. */
  binarizers: string[];
  /** Override of the profile's number of seeds. */
  seeds?: number;
  /**
   * Where binarized training runs start (engine/init.ts): the trained fp32 network of the same
   * cell (default) or scratch. Tracks that train record it in every training spec.
   */
  init?: InitName;
}

/** One aggregated cell: a metric over seeds, and its ratio to the fp32 cell of its column. */
export interface Cell {
  mean: number;
  std: number;
  n: number;
  /**
   * The cell's ratio to fp32, oriented so that higher is better (NaN when fp32 is missing):
   * mean / fp32 mean for accuracy tracks; the track documents its own otherwise (robustness:
   * guarded fp32 gap / gap).
   */
  ratio: number;
  /**
   * Half-width of the 95% Student-t interval of the mean over the cell's seeds
   * (engine/stats.ts `tInterval`); NaN or absent when there is none (n = 1, or not a seed mean).
   */
  half?: number;
  /** Left out of the row's OM (the table's notes say why), e.g. a corruption at chance level. */
  excluded?: boolean;
  /**
   * Seeds of the cell whose training did not converge (tracks/convergence_note.ts); absent when
   * every seed converged or the cell is not a training result.
   */
  unconverged?: number;
}

/** A cell of values over seeds: mean, std, n, the 95% t-interval half-width, and its ratio. */
export function seedCell(xs: readonly number[], ratio: number): Cell {
  return { mean: mean(xs), std: std(xs), n: xs.length, ratio, half: tInterval(xs).half };
}

/** An OM's 95% bootstrap interval and its rank among the binarizers (tracks/summary.ts). */
export interface OmUncertainty {
  /** The percentile interval of the OM over seeded resamples of each cell's seeds. */
  interval: [number, number];
  /** 1 + the binarizers whose interval lies entirely above (fp32 is not ranked: null). */
  rank: number | null;
  /** Another binarizer has the same rank: their OMs cannot be told apart. */
  tied: boolean;
  /**
   * The OM is exact (counts: no sampling noise, `Track.exactOm`); the interval is [om, om] and
   * ranks order the values, tied only when equal.
   */
  exact?: boolean;
}

/** A track's summary: a row per binarizer, a column per task / architecture / setting. */
export interface TrackTable {
  track: string;
  title: string;
  /** What the cells hold, e.g. "test accuracy". */
  metric: string;
  /** Name of the overall metric, e.g. "OM_task". */
  omName: string;
  columns: string[];
  /** `extra`: optional named numbers beside the cells (raw gaps, times, ...), per row. */
  rows: {
    binarizer: string;
    cells: (Cell | null)[];
    om: number;
    extra?: Record<string, number>;
    /** Set by `summarizeTracks` for tracks that resample seeds (`Track.resampleSeeds`). */
    uncertainty?: OmUncertainty;
  }[];
  /** Optional lines printed under the table (guards, conventions). */
  notes?: string[];
}

/** A benchmark track. */
export interface Track {
  name: string;
  title: string;
  /** The runs this track needs for a profile. */
  grid(opts: GridOptions): RunSpec[];
  /** Aggregates finished runs (of this track) into its table. */
  summarize(results: RunResult[]): TrackTable;
  /**
   * True when the track's runs measure time (latency): `bench --workers N` then runs each of
   * them with no other run beside it.
   */
  alone?: boolean;
  /**
   * The run whose trained network a run of this track builds on (robust and infer: the task run
   * they evaluate); `bench --workers N` hands such a run out after that one finished, so that it
   * reads the network instead of training it again.
   */
  reuses?(spec: RunSpec): RunSpec | undefined;
  /** Optional text view of the table, for tracks whose numbers are not accuracies. */
  render?(table: TrackTable): string;
  /**
   * Executors of the run kinds this track's grid uses besides the engine's "train", by kind;
   * registering the track registers them.
   */
  executors?: Record<string, Executor>;
  /**
   * True when the OM is a function of per-cell means over seeds, so that resampling each cell's
   * seeds with replacement (results with the same binarizer, task, model, dataset and width) and
   * summarizing again propagates the seed noise into an OM interval (tracks/summary.ts). Tracks
   * without seeds (comp) or whose runs are paired across cells leave it unset: no interval.
   */
  resampleSeeds?: boolean;
  /**
   * The track's own bootstrap, for results whose noise is not (only) independent seeds per cell
   * (seeds paired across settings, repeated timing samples inside a run): given the results in
   * canonical order, a function that draws one resample with the generator it is given, or null
   * when nothing in them varies (no interval). Takes precedence over `resampleSeeds`.
   */
  resample?(results: RunResult[]): ((rng: Rng) => RunResult[]) | null;
  /** The OM is a count without sampling noise (comp): shown as exact, ranked by value. */
  exactOm?: boolean;
  /** How the site shows the track (prose, cell format, column label, charts). */
  presentation?: TrackPresentation;
}

/**
 * The spec of a run that evaluates task-track run `task`'s network in another track (robust,
 * infer): the same data, model, binarizer, seed and training settings, so its id names the task
 * run it reuses and `options` carry what the track adds.
 */
export function derivedSpec(
  task: RunSpec,
  track: string,
  kind: string,
  options: object,
): RunSpec {
  const base = { track, task: task.task, model: task.model, binarizer: task.binarizer };
  return {
    ...task,
    id: runId({ ...base, seed: task.seed }),
    kind,
    track,
    options: options as Record<string, unknown>,
  };
}

/**
 * How much a training track trains per profile: seeds, epochs (the cap under a plateau rule),
 * batch size, sample limits, and the plateau rule (absent: fixed epochs; docs/metrics.md,
 * "Convergence").
 */
export interface TrainSize {
  seeds: number;
  epochs: number;
  batchSize: number;
  limit: { train?: number; val?: number; test?: number };
  plateau?: PlateauRule;
}
