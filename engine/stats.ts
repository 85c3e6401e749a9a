/**
 * The arithmetic behind every reported number: means, standard deviations and the overall
 * metrics (OM) of docs/metrics.md. Views (CLI tables, site, verifier) call these;
 * none re-derives them.
 */
import { Rng } from "./rng.ts";

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

/**
 * Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom (the 95% interval's
 * multiplier), from the standard tables; above 30 the Cornish-Fisher expansion around the normal
 * quantile (error < 1e-4).
 */
const T975 = [
  12.706204736174698,
  4.302652729911275,
  3.182446305284263,
  2.776445105197793,
  2.570581835636314,
  2.446911848791681,
  2.364624251010299,
  2.306004135204166,
  2.262157162798204,
  2.228138851986274,
  2.200985160091640,
  2.178812829667228,
  2.160368656462793,
  2.144786687917804,
  2.131449545559774,
  2.119905299221254,
  2.109815577833317,
  2.100922040241036,
  2.093024054408263,
  2.085963447265837,
  2.079613844727662,
  2.073873067904015,
  2.068657610419041,
  2.063898561628021,
  2.059538552753294,
  2.055529438642871,
  2.051830516480283,
  2.048407141795244,
  2.045229642132703,
  2.042272456301238,
];

/** The 0.975 quantile of Student's t with `df` degrees of freedom (NaN for df < 1). */
export function tQuantile975(df: number): number {
  if (!(df >= 1)) return NaN;
  if (df <= 30 && Number.isInteger(df)) return T975[df - 1];
  const z = 1.959963984540054;
  const z3 = z ** 3, z5 = z ** 5, z7 = z ** 7;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3);
}

/**
 * 95% Student-t interval of the mean of `xs` (seeds of one cell): mean ± t_{0.975, n-1} s / sqrt(n)
 * with s the sample std. `half` is the half-width; n < 2 gives no interval (NaN bounds).
 */
export function tInterval(xs: readonly number[]): { lo: number; hi: number; half: number } {
  if (xs.length < 2) return { lo: NaN, hi: NaN, half: NaN };
  const m = mean(xs);
  const half = tQuantile975(xs.length - 1) * std(xs) / Math.sqrt(xs.length);
  return { lo: m - half, hi: m + half, half };
}

/** The q-quantile of ascending `sorted` values, linear between order statistics (NaN if empty). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const i = Math.floor(h);
  return i + 1 < sorted.length ? sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/** Resamples of an OM bootstrap: fixed, so the same results give bit-identical intervals. */
export const BOOTSTRAP_RESAMPLES = 1000;
/** Seed of an OM bootstrap's generator (fixed; see {@link BOOTSTRAP_RESAMPLES}). */
export const BOOTSTRAP_SEED = 20230714;

/**
 * Seeded percentile bootstrap over groups (the seeds of each cell): each resample draws every
 * group's members with replacement (as many as it has), `statistic` maps the resampled groups to
 * k numbers (one OM per binarizer), and each of the k gets the 95% percentile interval of its
 * resampled values (2.5% and 97.5% quantiles; resamples where it is not finite are left out; NaN
 * bounds when none is). Draws come from a fixed-seed generator in group order, so the same
 * groups give bit-identical intervals.
 */
export function bootstrapIntervals<T>(
  groups: readonly (readonly T[])[],
  statistic: (groups: T[][]) => number[],
  opts: { resamples?: number; seed?: number } = {},
): [number, number][] {
  return bootstrapDraws(
    (rng) => statistic(groups.map((g) => g.map(() => g[rng.int(g.length)]))),
    opts,
  );
}

/**
 * Seeded percentile bootstrap of any resampling scheme: `resampled` draws one resample with the
 * generator it is given and maps it to k numbers; each of the k gets the 95% percentile interval
 * of its values over the resamples (non-finite values left out; NaN bounds when none is finite).
 * One fixed-seed generator is passed to every call in turn, so the same inputs drawn in the same
 * order give bit-identical intervals ({@link bootstrapIntervals} is the seeds-per-group case).
 */
export function bootstrapDraws(
  resampled: (rng: Rng) => number[],
  opts: { resamples?: number; seed?: number } = {},
): [number, number][] {
  const rng = new Rng(opts.seed ?? BOOTSTRAP_SEED);
  const samples: number[][] = [];
  for (let b = 0; b < (opts.resamples ?? BOOTSTRAP_RESAMPLES); b++) {
    resampled(rng).forEach((v, i) => {
      samples[i] ??= [];
      if (Number.isFinite(v)) samples[i].push(v);
    });
  }
  return samples.map((vs) => {
    const s = [...vs].sort((a, b) => a - b);
    return [quantileSorted(s, 0.025), quantileSorted(s, 0.975)];
  });
}

/**
 * Ranks with ties from intervals (higher is better): rank = 1 + the number of others whose
 * interval lies entirely above this one's (their lower bound > its upper bound), so binarizers
 * whose intervals overlap are not ordered against each other. `tied` is true when another entry
 * has the same rank. An entry without a finite interval gets no rank (null).
 */
export function ranksWithTies(
  intervals: readonly ([number, number] | null)[],
): ({ rank: number; tied: boolean } | null)[] {
  const ok = (iv: [number, number] | null): iv is [number, number] =>
    iv !== null && Number.isFinite(iv[0]) && Number.isFinite(iv[1]);
  const ranks = intervals.map((iv) =>
    ok(iv) ? 1 + intervals.filter((o) => ok(o) && o[0] > iv[1]).length : null
  );
  return ranks.map((r, i) =>
    r === null ? null : { rank: r, tied: ranks.some((o, j) => j !== i && o === r) }
  );
}
