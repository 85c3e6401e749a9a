/**
 * The arithmetic behind every reported number: means, standard deviations and the overall
 * metrics (OM) of docs/metrics.md. Views (CLI tables, site, verifier) call these;
 * none re-derives them.
 */

/** Arithmetic mean; NaN for an empty list. */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n - 1); 0 for a single value, NaN for none. */
export function std(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  if (xs.length === 1) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** Quadratic mean (root mean square): the form every OM takes. */
export function quadraticMean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x * x;
  return Math.sqrt(s / xs.length);
}

/**
 * E[A_bi / A_fp] for one setting. Seeds of the binarized and full-precision runs are not paired
 * (they are independent initialisations), so each binarized run is divided by the mean
 * full-precision accuracy: E[A_bi,s / E[A_fp]] = E[A_bi] / E[A_fp].
 */
export function accuracyRatio(bi: readonly number[], fp: readonly number[]): number {
  // A zero (or missing) reference has no ratio: NaN, shown as a dash, never Infinity.
  const ref = mean(fp);
  return ref > 0 ? mean(bi) / ref : NaN;
}

/**
 * OM_task / OM_arch = sqrt((1/N) sum_i E[A_bi,i / A_fp,i]^2) over tasks or architectures i
 * (docs/metrics.md, "learning task" and "neural architecture" rows).
 */
export function omAccuracy(ratios: readonly number[]): number {
  return quadraticMean(ratios);
}
