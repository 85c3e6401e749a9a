/**
 * When training stops, and whether it had converged: the plateau rule (stop when validation
 * accuracy has not improved by `minDelta` for `patience` epochs, after at least `minEpochs`, never
 * past the configured epochs, the cap) and the converged flag (the validation gain over the last
 * quarter of the epochs run is below {@link CONVERGED_GAIN}). Both are pure functions of the
 * per-epoch validation accuracies, so the loop, the bundle and the verifier compute the same
 * answer from the same numbers (docs/metrics.md, "Convergence").
 */
import type { EpochRecord } from "./train.ts";

/** The plateau rule of a run (TrainSettings.plateau); absent = train the configured epochs. */
export interface PlateauRule {
  /** Epochs in a row without an improvement of `minDelta` before training stops. */
  patience: number;
  /** Smallest validation-accuracy gain (a fraction: 0.002 = 0.2 pp) that counts. */
  minDelta: number;
  /** Epochs always trained before the rule may stop. */
  minEpochs: number;
}

/** Why training ended: fixed epochs (no rule), the rule fired, or the rule reached the cap. */
export type StopReason = "epochs" | "plateau" | "cap";

/** How a training run ended (RunResult.convergence, the bundle's results.convergence). */
export interface Convergence {
  epochsRun: number;
  stop: StopReason;
  /** The validation gain over the last quarter of the epochs is below {@link CONVERGED_GAIN}. */
  converged: boolean;
  /** That gain (absent with fewer than 2 epochs or no validation accuracy). */
  lastQuarterGain?: number;
}

/** The converged threshold: 0.5 pp of validation accuracy over the last quarter of the epochs. */
export const CONVERGED_GAIN = 0.005;

/**
 * The rule's state after the accuracies `vals` (one per epoch): whether it stops here. An epoch
 * improves when its accuracy exceeds the last improving epoch's by more than `minDelta` (the first
 * epoch always improves); the rule stops after `patience` epochs in a row without one, once
 * `minEpochs` have run. A missing validation accuracy (NaN: no validation split) never stops.
 */
export function plateauStops(vals: readonly number[], rule: PlateauRule): boolean {
  if (vals.length < rule.minEpochs) return false;
  let ref = -Infinity, wait = 0;
  for (const v of vals) {
    if (Number.isNaN(v)) return false;
    if (v > ref + rule.minDelta) {
      ref = v;
      wait = 0;
    } else wait++;
  }
  return wait >= rule.patience;
}

/**
 * Best validation accuracy over the last quarter of the epochs (ceil(E / 4) of E) minus the best
 * before it; NaN with fewer than 2 epochs or a missing accuracy.
 */
export function lastQuarterGain(vals: readonly number[]): number {
  const e = vals.length;
  if (e < 2 || vals.some((v) => Number.isNaN(v))) return NaN;
  const q = Math.ceil(e / 4);
  return Math.max(...vals.slice(e - q)) - Math.max(...vals.slice(0, e - q));
}

/**
 * How training over `curves` ended under the settings `train` (its `plateau` rule, if any, and its
 * `epochs`, the cap): the record a run's result carries, and what the verifier recomputes.
 */
export function convergenceOf(
  curves: readonly Pick<EpochRecord, "valAccuracy">[],
  train: { epochs: number; plateau?: PlateauRule },
): Convergence {
  const vals = curves.map((c) => c.valAccuracy);
  const gain = lastQuarterGain(vals);
  const stop: StopReason = !train.plateau
    ? "epochs"
    : plateauStops(vals, train.plateau)
    ? "plateau"
    : "cap";
  return {
    epochsRun: curves.length,
    stop,
    converged: Number.isFinite(gain) && gain < CONVERGED_GAIN,
    ...(Number.isFinite(gain) ? { lastQuarterGain: gain } : {}),
  };
}

/**
 * The epochs a run of these settings trains given the validation accuracies it would see: the
 * first epoch at which the rule stops, else the cap. What a consistent bundle's curves must
 * number.
 */
export function expectedEpochs(
  vals: readonly number[],
  train: { epochs: number; plateau?: PlateauRule },
): number {
  if (!train.plateau) return train.epochs;
  for (let e = 1; e <= Math.min(vals.length, train.epochs); e++) {
    if (plateauStops(vals.slice(0, e), train.plateau)) return e;
  }
  return train.epochs;
}
