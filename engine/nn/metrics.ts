/**
 * Test metrics computed from predictions, beside accuracy: a run asks for them by name in
 * `spec.options.metrics` (e.g. `["f1"]` for the spam task), and the "train" executor adds each one
 * to its result's metrics under the metric's key (f1 -> `testF1`). Tasks whose score is not (only)
 * accuracy declare their metrics this way; the engine knows nothing task-specific.
 */
import { UserError } from "../errors.ts";

/** A metric of predicted vs true labels. */
export type PredictionMetric = (pred: Uint8Array, labels: Uint8Array, numClasses: number) => number;

const METRICS = new Map<string, { key: string; fn: PredictionMetric }>();

/** Registers a prediction metric under `name`, reported as `metrics[key]`. */
export function registerPredictionMetric(name: string, key: string, fn: PredictionMetric): void {
  if (METRICS.has(name)) throw new Error(`prediction metric "${name}" is already registered`);
  METRICS.set(name, { key, fn });
}

/** Share of predictions equal to the labels (NaN for none). */
export function accuracyOf(pred: Uint8Array, labels: Uint8Array): number {
  if (labels.length === 0) return NaN;
  let c = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) c++;
  return c / labels.length;
}

/** The metrics key a named metric is reported under (f1 -> testF1). */
export function metricKey(name: string): string {
  const m = METRICS.get(name);
  if (!m) {
    throw new UserError(`unknown test metric "${name}" (known: ${[...METRICS.keys()].join(", ")})`);
  }
  return m.key;
}

/** Counts of true / false positives and false negatives of class `positive`. */
function counts(pred: Uint8Array, labels: Uint8Array, positive: number) {
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < labels.length; i++) {
    if (pred[i] === positive) {
      if (labels[i] === positive) tp++;
      else fp++;
    } else if (labels[i] === positive) fn++;
  }
  return { tp, fp, fn };
}

/** F1 = 2TP / (2TP + FP + FN) of class `positive`; 0 when the class is neither true nor predicted. */
export function f1Score(pred: Uint8Array, labels: Uint8Array, positive = 1): number {
  const { tp, fp, fn } = counts(pred, labels, positive);
  const d = 2 * tp + fp + fn;
  return d === 0 ? 0 : (2 * tp) / d;
}

/** Unweighted mean of the per-class F1 scores. */
export function macroF1(pred: Uint8Array, labels: Uint8Array, numClasses: number): number {
  let s = 0;
  for (let c = 0; c < numClasses; c++) s += f1Score(pred, labels, c);
  return s / numClasses;
}

registerPredictionMetric("f1", "testF1", (p, l) => f1Score(p, l, 1));
registerPredictionMetric("macro-f1", "testMacroF1", macroF1);

/**
 * The metric names a run asks for (`options.metrics`), checked: a one-line UserError names an
 * unknown metric or a malformed list. [] when the run asks for none.
 */
export function requestedMetrics(options: Record<string, unknown> | undefined): string[] {
  const m = options?.metrics;
  if (m === undefined) return [];
  if (!Array.isArray(m) || !m.every((x) => typeof x === "string")) {
    throw new UserError(`options.metrics must be a list of metric names, got ${JSON.stringify(m)}`);
  }
  for (const name of m) {
    if (!METRICS.has(name)) {
      throw new UserError(
        `unknown test metric "${name}" (known: ${[...METRICS.keys()].join(", ")})`,
      );
    }
  }
  return m;
}

/** Scores `pred` against `labels` with each named metric: `{ [key]: value }`. */
export function scorePredictions(
  names: readonly string[],
  pred: Uint8Array,
  labels: Uint8Array,
  numClasses: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of names) {
    const m = METRICS.get(name);
    if (!m) throw new UserError(`unknown test metric "${name}"`);
    out[m.key] = m.fn(pred, labels, numClasses);
  }
  return out;
}
