/**
 * Sharding a grid: `--shard I/N` takes every N-th run starting at I (0-based) of the grid in its
 * declared order. The slices are disjoint, cover the grid, differ in size by at most one run, and
 * depend only on the grid, so N machines given I = 0..N-1 run each run exactly once.
 */
import { UserError } from "../errors.ts";

/** A shard: index in [0, count). */
export interface Shard {
  index: number;
  count: number;
}

/** Parses "I/N" (0 <= I < N <= 100000); a UserError otherwise. */
export function parseShard(text: string): Shard {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || count > 100_000 || index >= count) {
    throw new UserError(
      `--shard must be I/N with 0 <= I < N (e.g. 0/4 ... 3/4), got "${text}"`,
    );
  }
  return { index, count };
}

/** The runs of `shard` (all of them when no shard is given). */
export function shardOf<T>(items: T[], shard?: Shard): T[] {
  if (!shard) return items;
  return items.filter((_, i) => i % shard.count === shard.index);
}
