/**
 * Latency measurement for side-by-side comparisons on a shared machine: two functions are timed
 * in alternating samples after warm-up, so both see the same load from other processes, and the
 * speed-up is the median of the per-pair ratios. Each sample repeats its function until it lasts
 * at least `minSampleMs` (timer resolution, call overhead at batch 1).
 *
 * Platform-neutral (it runs in the site's "Measure this device" worker too): process CPU time
 * comes from a {@link CpuClock} the caller passes (engine/deploy/cpu_clock.ts under Deno).
 */

/** Process CPU milliseconds so far (any origin); `() => 0` where the platform has none. */
export type CpuClock = () => number;

/** Timing of one function. */
export interface Timing {
  /** Median wall-clock milliseconds per call. */
  median: number;
  /** Fastest sample (ms per call). */
  min: number;
  /** Median process CPU milliseconds per call (insensitive to time-slicing by other processes). */
  cpu: number;
  samples: number;
}

/** Median of a list (upper median for even lengths). */
export function median(a: readonly number[]): number {
  return [...a].sort((x, y) => x - y)[a.length >> 1];
}

/** Repetitions of `fn` that make one sample last at least `minMs`. */
export function calibrate(fn: () => void, warm = 3, minMs = 2): number {
  for (let i = 0; i < warm; i++) fn();
  let reps = 1;
  for (;;) {
    const s = performance.now();
    for (let i = 0; i < reps; i++) fn();
    if (performance.now() - s >= minMs || reps >= 1 << 14) return reps;
    reps *= 2;
  }
}

/** One sample: wall and CPU milliseconds per call. */
export function sample(fn: () => void, reps: number, cpu: CpuClock = () => 0): [number, number] {
  const c = cpu();
  const s = performance.now();
  for (let i = 0; i < reps; i++) fn();
  const wall = (performance.now() - s) / reps;
  return [wall, (cpu() - c) / reps];
}

function summarize(wall: number[], cpu: number[]): Timing {
  return { median: median(wall), min: Math.min(...wall), cpu: median(cpu), samples: wall.length };
}

/**
 * Distribution-free 95% interval of the median of `xs` (independent samples): the order statistics
 * x_(k) and x_(n+1-k), k the largest rank with P(Binomial(n, 1/2) < k) <= 0.025, so the interval
 * covers the true median with probability >= 95% whatever the distribution. Needs n >= 6
 * (n = 6: [min, max], 96.9%); fewer samples give NaN bounds.
 */
export function medianInterval(xs: readonly number[]): [number, number] {
  const n = xs.length;
  // P(X <= j) for X ~ Binomial(n, 1/2), accumulated until it passes 2.5%.
  let k = 0, cdf = 0, term = 0.5 ** n;
  for (let j = 0; j < n; j++) {
    cdf += term;
    if (cdf > 0.025) break;
    k = j + 1;
    term = term * (n - j) / (j + 1);
  }
  if (k === 0) return [NaN, NaN];
  const s = [...xs].sort((x, y) => x - y);
  return [s[k - 1], s[n - k]];
}

/**
 * Times `a` and `b` in alternating samples for about `budgetMs` (at least `minSamples` pairs)
 * and returns each timing plus the median of the per-pair ratios b / a (the speed-up of a), and
 * the ratios themselves in measurement order (what an interval is resampled from). Samples last
 * at least `minSampleMs` (more where the clock is coarse: browsers round `performance.now()` to
 * 0.1 ms).
 */
export function measurePair(
  a: () => void,
  b: () => void,
  budgetMs: number,
  minSamples = 7,
  cpu: CpuClock = () => 0,
  minSampleMs = 2,
): { a: Timing; b: Timing; ratio: number; ratios: number[] } {
  const ra = calibrate(a, 3, minSampleMs), rb = calibrate(b, 3, minSampleMs);
  const aw: number[] = [], ac: number[] = [], bw: number[] = [], bc: number[] = [];
  const ratios: number[] = [];
  const start = performance.now();
  while (aw.length < minSamples || (performance.now() - start < budgetMs && aw.length < 200)) {
    const [w1, c1] = sample(a, ra, cpu);
    const [w2, c2] = sample(b, rb, cpu);
    aw.push(w1), ac.push(c1), bw.push(w2), bc.push(c2);
    ratios.push(w2 / w1);
  }
  return { a: summarize(aw, ac), b: summarize(bw, bc), ratio: median(ratios), ratios };
}
