/**
 * Corruption-robustness track: the networks the learning-task track trained on MNIST and
 * Fashion-MNIST, evaluated without retraining on their test sets corrupted by the 15 MNIST-C
 * corruptions (engine/corruptions/, the 28x28 counterpart of the reference's CIFAR-10-C;
 * docs/metrics.md).
 *
 * Runs: one "robust" run per task-track run on an image task (same task, model, binarizer, seed,
 * training settings and limits; the task spec itself is kept in `options.taskSpec`). The executor
 * reloads that run's saved weights from the output directory (`runs/<task id>.weights.bin`,
 * checked against the SHA-256 its bundle records); only when they are missing or do not match
 * does it train the task spec again (deterministic, so the same weights, the same metrics) —
 * `timings.retrainSeconds`, present only then, records that path.
 *
 * Metrics per run: cleanAccuracy, accuracy.<corruption>, gap.<corruption> = clean - corrupted,
 * taskTestAccuracy (the task run's accuracy on its whole test split). Clean and
 * corrupted accuracies are measured on the same `options.evalLimit` images of the test split
 * (a fixed stratified subset), corrupted with the fixed `options.corruptionSeed`: every run of a
 * profile sees the identical corrupted test set, as with MNIST-C's released files. The result's
 * dataset sizes record that evaluation subset as `test`, and its `generated` digests the SHA-256
 * of each corrupted set (`test/<corruption>`): the corruptions draw on Math.sin / cos / log, so a
 * different JavaScript engine could change the images, and `verify --reproduce` would say so.
 *
 * Metric (docs/metrics.md): G = A_clean - A_corrupted; OM_robust = sqrt((1/C) sum_i E[G_fp,i / G_bi,i]^2)
 * over the C = tasks x corruptions columns. Seeds are not paired, so E[G_fp / G_bi] is taken as
 * E[G_fp] / E[G_bi] (as stats.ts does for accuracies).
 *
 * Guard (gaps near zero or negative make the ratio blow up or change sign): both mean gaps are
 * floored at the noise level of the measurement before dividing,
 *   floor = max(MIN_GAP_FLOOR, 1 / sqrt(n)) = max(0.01, 2 * sqrt(0.5 * 0.5 / n)),
 * two standard errors of an accuracy measured on the n evaluation images (worst case p = 0.5):
 * 0.032 for n = 1,000 (full), 0.058 for 300 (quick), 0.1 for 100 (smoke). A gap inside that
 * band is indistinguishable from no gap, so two networks that both shrug a corruption off score
 * 1, and a network with no measurable gap scores at most G_fp / floor. The raw gaps (unfloored,
 * possibly negative) are the cells' means and are printed beside every ratio, with the clean
 * accuracies: a network that is poor on clean images has little left to lose, which shows up as
 * a small gap and a large ratio (the metric's definition, not a bug; look at the clean row).
 *
 * Chance guard: a corruption that leaves fp32 or the binarized network at chance says nothing
 * about robustness (both gaps are then "everything"), so it is left out of that binarizer's
 * OM_robust. A column is at chance for a network when the mean over seeds of its corrupted
 * accuracy is below the binomial bound 1/K + 2 sqrt(p (1 - p) / n), p = 1/K, K = classes, n =
 * evaluated images ({@link chanceBound}: 0.119 for K = 10 and n = 1,000). The excluded columns
 * are listed in the notes and marked in the cells; their ratios are still shown. Beside each OM,
 * the leave-one-corruption-out range (extra `loo.min` / `loo.max`): OM_robust recomputed without
 * each corruption in turn (its columns of every task), the smallest and largest.
 */
import { initNotes } from "../init_note.ts";
import { backendInfo } from "../../engine/tf.ts";
import { deriveSeed } from "../../engine/rng.ts";
import { UserError } from "../../engine/errors.ts";
import {
  datasetRecord,
  type RunEnv,
  type RunOutput,
  type RunResult,
  type RunSpec,
} from "../../engine/run.ts";
import { loadTrainedModel } from "../../engine/executors/trained.ts";
import { limitSplit, type Split } from "../../engine/data/mod.ts";
import { FIXED_TEST_SEED } from "../../engine/data/dataset.ts";
import { type GeneratedDigest, generatedDigest } from "../../engine/data/generated.ts";
import { evaluate, finalState, type TrainHooks } from "../../engine/nn/train.ts";
import { mean, quadraticMean, std } from "../../engine/stats.ts";
import { CORRUPTION_NAMES, corruptSplit, getCorruption } from "../../engine/corruptions/mod.ts";
import { taskTrack } from "../task/track.ts";
import { taskDefs } from "../task/tasks.ts";
import {
  type Cell,
  derivedSpec,
  type GridOptions,
  type Profile,
  seedCell,
  type Track,
  type TrackTable,
} from "../track.ts";
import { renderRobustTable } from "./view.ts";
import { fixOrDash } from "../text_table.ts";
import { robustPresentation } from "./presentation.ts";

/** Datasets whose images the MNIST-C corruptions apply to (28x28 grayscale). */
export const ROBUST_DATASETS = ["mnist", "fashion-mnist"];

/** Classes of the robust datasets (both 10), for the chance guard. */
export const ROBUST_CLASSES: Record<string, number> = { mnist: 10, "fashion-mnist": 10 };

/**
 * Accuracy below which a network is at chance on `n` images of `classes` classes: the chance
 * rate p = 1/classes plus two binomial standard errors, p + 2 sqrt(p (1 - p) / n).
 */
export function chanceBound(classes: number, n: number): number {
  const p = 1 / classes;
  return p + 2 * Math.sqrt(p * (1 - p) / n);
}

/** The smallest gap floor (see the module doc). */
export const MIN_GAP_FLOOR = 0.01;

/** The gap floor for accuracies measured on `n` images: max(0.01, 1 / sqrt(n)). */
export function gapFloor(n: number): number {
  return n > 0 ? Math.max(MIN_GAP_FLOOR, 1 / Math.sqrt(n)) : MIN_GAP_FLOOR;
}

/**
 * Test images each run scores clean and corrupted, per profile. Planned time with the task
 * track's weights on disk (measured: cnn, 16 evaluations of 1,000 images ~13 CPU-s; the 15
 * corruptions of 1,000 images ~3 CPU-s, once per process and dataset): full 54 runs ~760 CPU-s,
 * ~6-7 min with 2 workers; quick 36 runs ~1.5 min with 2 workers; smoke 18 runs ~1 min. A run whose task
 * weights are missing costs its task run's training on top.
 */
const EVAL_LIMIT: Record<Profile, number> = { smoke: 100, quick: 300, full: 1000 };

/** Seed of the evaluation subset (fixed: the same images for every run). */
const EVAL_SUBSET_SEED = deriveSeed(FIXED_TEST_SEED, "robust-eval");

/** Executor options of a robust run. */
export interface RobustOptions {
  /** The task-track run whose trained network is evaluated. */
  taskSpec: RunSpec;
  corruptions: string[];
  corruptionSeed: number;
  /** Test images scored (a fixed stratified subset); absent = the whole test split. */
  evalLimit?: number;
}

/** The robust run of a task-track run. */
export function robustSpec(task: RunSpec, evalLimit?: number): RunSpec {
  const options: RobustOptions = {
    taskSpec: task,
    corruptions: [...CORRUPTION_NAMES],
    corruptionSeed: 0,
    ...(evalLimit ? { evalLimit } : {}),
  };
  return derivedSpec(task, "robust", "robust", options);
}

function robustOptions(spec: RunSpec): RobustOptions {
  const o = spec.options as Partial<RobustOptions> | undefined;
  if (!o?.taskSpec || !Array.isArray(o.corruptions) || typeof o.corruptionSeed !== "number") {
    throw new UserError(
      `robust run ${spec.id} lacks options.taskSpec / corruptions / corruptionSeed`,
    );
  }
  o.corruptions.forEach(getCorruption);
  return o as RobustOptions;
}

/** Corrupted copies of the evaluation split, cached per split content (2 splits at most). */
const cache = new Map<string, Map<string, Split>>();

function fingerprint(dataset: string, s: Split): string {
  let sum = 0;
  for (let i = 0; i < s.x.length; i += 7) sum += s.x[i] * ((i % 13) + 1);
  let labels = 0;
  for (let i = 0; i < s.n; i++) labels = (labels * 31 + s.y[i]) % 1_000_000_007;
  return `${dataset}|${s.n}|${sum}|${labels}`;
}

function corrupted(dataset: string, s: Split, name: string, seed: number): Split {
  const key = fingerprint(dataset, s);
  let m = cache.get(key);
  if (!m) {
    if (cache.size >= 2) cache.delete(cache.keys().next().value!);
    m = new Map();
    cache.set(key, m);
  }
  const k = `${name}#${seed}`;
  if (!m.has(k)) m.set(k, corruptSplit(s, name, seed));
  return m.get(k)!;
}

/** The "robust" executor (see the module doc). */
export async function robustRun(
  spec: RunSpec,
  env: RunEnv = {},
  hooks: TrainHooks = {},
): Promise<RunOutput> {
  const o = robustOptions(spec);
  if (!spec.train) throw new UserError(`run ${spec.id} has no training settings`);
  const { model, data, taskTestAccuracy, reused, weightsSeconds, epochsRun } =
    await loadTrainedModel(
      spec,
      o.taskSpec,
      env,
      hooks,
    );
  const test = o.evalLimit
    ? limitSplit(data.test, data.numClasses, o.evalLimit, EVAL_SUBSET_SEED)
    : data.test;
  const metrics: Record<string, number> = {};
  const generated: GeneratedDigest[] = [];
  let corruptSeconds = 0, evalSeconds = 0;
  try {
    // The binarizer schedule in force at the end of training (recu's tau, fda's alpha = 0).
    const state = finalState(spec.binarizer, spec.train.epochs, epochsRun);
    let t = performance.now();
    const clean = evaluate(model, test, state);
    evalSeconds += (performance.now() - t) / 1000;
    metrics.cleanAccuracy = clean;
    for (const name of o.corruptions) {
      t = performance.now();
      const split = corrupted(spec.dataset, test, name, o.corruptionSeed);
      generated.push(await generatedDigest(`test/${name}`, split));
      corruptSeconds += (performance.now() - t) / 1000;
      t = performance.now();
      const acc = evaluate(model, split, state);
      evalSeconds += (performance.now() - t) / 1000;
      metrics[`accuracy.${name}`] = acc;
      metrics[`gap.${name}`] = clean - acc;
    }
  } finally {
    model.store.dispose();
  }
  if (taskTestAccuracy !== undefined) metrics.taskTestAccuracy = taskTestAccuracy;
  const result: RunResult = {
    spec,
    metrics,
    curves: [],
    dataset: datasetRecord(data, test.n, generated),
    timings: {
      weightsSeconds,
      corruptSeconds,
      evalSeconds,
      ...(reused ? {} : { retrainSeconds: weightsSeconds }),
    },
    backend: backendInfo(),
  };
  return { result };
}

/** Guarded E[G_fp] / E[G_bi] of one column (see the module doc). */
export function gapRatio(
  fpGaps: readonly number[],
  biGaps: readonly number[],
  floor = MIN_GAP_FLOOR,
): number {
  if (fpGaps.length === 0 || biGaps.length === 0) return NaN;
  return Math.max(mean(fpGaps), floor) / Math.max(mean(biGaps), floor);
}

/**
 * OM_robust = sqrt(mean of squared guarded gap ratios over the columns not `excluded` (at chance,
 * see the module doc)); NaN if a kept one is missing, or none is kept.
 */
export function omRobust(ratios: readonly number[], excluded: readonly boolean[] = []): number {
  const kept = ratios.filter((_, i) => !excluded[i]);
  return kept.length === 0 || kept.some((r) => Number.isNaN(r)) ? NaN : quadraticMean(kept);
}

/**
 * Leave-one-corruption-out range of OM_robust: the OM without each corruption in turn (all
 * columns `corruptionOf` maps to it), as [min, max]; NaN bounds with fewer than two corruptions.
 */
export function leaveOneOutRange(
  ratios: readonly number[],
  excluded: readonly boolean[],
  corruptionOf: readonly string[],
): [number, number] {
  const names = [...new Set(corruptionOf)];
  if (names.length < 2) return [NaN, NaN];
  const oms = names.map((c) =>
    omRobust(ratios, ratios.map((_, i) => excluded[i] === true || corruptionOf[i] === c))
  ).filter((x) => Number.isFinite(x));
  return oms.length ? [Math.min(...oms), Math.max(...oms)] : [NaN, NaN];
}

/** Builds the robustness table from robust runs (columns "task/corruption"). */
export function robustTable(results: RunResult[]): TrackTable {
  const taskOrder = taskDefs().map((t) => t.name);
  const tasks = [...new Set(results.map((r) => r.spec.task))].sort((a, b) =>
    (taskOrder.indexOf(a) + 1 || 1e9) - (taskOrder.indexOf(b) + 1 || 1e9) || (a < b ? -1 : 1)
  );
  const corruptions = CORRUPTION_NAMES.filter((c) =>
    results.some((r) => r.metrics[`gap.${c}`] !== undefined)
  );
  const columns = tasks.flatMap((t) => corruptions.map((c) => `${t}/${c}`));
  const binarizers = [...new Set(results.map((r) => r.spec.binarizer))];
  const runs = (b: string, t: string) =>
    results.filter((r) => r.spec.binarizer === b && r.spec.task === t);
  const gaps = (b: string, t: string, c: string) =>
    runs(b, t).map((r) => r.metrics[`gap.${c}`]).filter((g) => g !== undefined);
  // The floor of a task: from the smallest evaluation set of its runs (results record its size).
  const floors = new Map(tasks.map((t) => {
    const ns = results.filter((r) => r.spec.task === t).map((r) => r.dataset?.sizes.test ?? 0);
    return [t, gapFloor(Math.min(...ns))];
  }));
  // The chance bound of a task: from the smallest evaluation set of its runs, as the floor.
  const bounds = new Map(tasks.map((t) => {
    const rs = results.filter((r) => r.spec.task === t);
    const n = Math.min(...rs.map((r) => r.dataset?.sizes.test ?? 0));
    const classes = ROBUST_CLASSES[rs[0].spec.dataset] ?? 10;
    return [t, n > 0 ? chanceBound(classes, n) : NaN];
  }));
  /** Mean corrupted accuracy over seeds (NaN when the runs do not record it). */
  const accuracy = (b: string, t: string, c: string) =>
    mean(runs(b, t).map((r) => r.metrics[`accuracy.${c}`]).filter((a) => a !== undefined));
  const atChance = (b: string, t: string, c: string) => accuracy(b, t, c) < bounds.get(t)!;
  const corruptionOf = tasks.flatMap(() => corruptions);
  const excludedBy = new Map<string, string[]>();
  const rows = binarizers.map((b) => {
    const cells: (Cell | null)[] = tasks.flatMap((t) =>
      corruptions.map((c) => {
        const g = gaps(b, t, c);
        if (g.length === 0) return null;
        const cell = seedCell(g, gapRatio(gaps("fp32", t, c), g, floors.get(t)));
        if (!atChance("fp32", t, c) && !atChance(b, t, c)) return cell;
        const col = `${t}/${c}`;
        excludedBy.set(col, [...(excludedBy.get(col) ?? []), b]);
        return { ...cell, excluded: true };
      })
    );
    const ratios = cells.map((c) => c?.ratio ?? NaN);
    const excluded = cells.map((c) => c?.excluded === true);
    const [looMin, looMax] = leaveOneOutRange(ratios, excluded, corruptionOf);
    const extra: Record<string, number> = { "loo.min": looMin, "loo.max": looMax };
    for (const t of tasks) {
      const rs = runs(b, t);
      if (rs.length === 0) continue;
      extra[`${t}/clean`] = mean(rs.map((r) => r.metrics.cleanAccuracy));
      extra[`${t}/cleanStd`] = std(rs.map((r) => r.metrics.cleanAccuracy));
      extra[`${t}/reused`] = rs.filter((r) => r.timings.retrainSeconds === undefined).length;
      extra[`${t}/runs`] = rs.length;
    }
    return { binarizer: b, cells, om: omRobust(ratios, excluded), extra };
  });
  const all = binarizers.filter((b) => b !== "fp32");
  const excludedNote = excludedBy.size === 0
    ? "No corruption is at chance level: every column counts in OM_robust."
    : "Excluded from OM_robust (fp32 or the binarizer at chance: mean corrupted accuracy < " +
      "1/K + 2 sqrt(p(1-p)/n), p = 1/K; " +
      [...bounds].map(([t, x]) => `${t}: ${(100 * x).toFixed(1)}%`).join(", ") + "): " +
      [...excludedBy].map(([col, bs]) => {
        const bis = bs.filter((b) => b !== "fp32");
        return `${col} (${
          bs.includes("fp32") || all.every((b) => bis.includes(b)) ? "all" : bis.join(", ")
        })`;
      }).join("; ") + ".";
  const loo = rows.filter((r) => r.binarizer !== "fp32").map((r) =>
    `${r.binarizer} [${fixOrDash(r.extra["loo.min"])}, ${fixOrDash(r.extra["loo.max"])}]`
  );
  return {
    track: "robust",
    title: "Corruption robustness",
    metric: "robustness gap",
    omName: "OM_robust",
    columns,
    rows,
    notes: [
      "G = A_clean - A_corrupted (percentage points, mean ± 95% t-interval half-width over seeds); " +
      "ratio = " +
      "max(E[G_fp], f) / max(E[G_bi], f) with the noise floor f = max(0.01, 1/sqrt(n)), n = " +
      `evaluation images (${
        [...floors].map(([t, f]) => `${t}: f = ${(100 * f).toFixed(1)} pp`).join(", ")
      }); raw gaps are printed unfloored.`,
      "OM_robust = sqrt(mean over tasks x corruptions of ratio^2); above 1 = smaller gaps than " +
      "fp32 (a net that is poor on clean images has less to lose: read the clean row too).",
      excludedNote,
      ...(loo.length ? [`Leave-one-corruption-out OM_robust [min, max]: ${loo.join(", ")}.`] : []),
      ...initNotes(results),
    ],
  };
}

export const robustTrack: Track = {
  presentation: robustPresentation,
  resampleSeeds: true,
  executors: { robust: robustRun },
  reuses: (spec) => robustOptions(spec).taskSpec,
  name: "robust",
  title: "Corruption robustness",
  grid(opts: GridOptions): RunSpec[] {
    return taskTrack.grid(opts)
      .filter((s) => s.kind === "train" && ROBUST_DATASETS.includes(s.dataset))
      .map((s) => robustSpec(s, EVAL_LIMIT[opts.profile]));
  },
  summarize: robustTable,
  render: renderRobustTable,
};
