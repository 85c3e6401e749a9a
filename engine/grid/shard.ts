/**
 * Sharding a grid: `--shard I/N` takes every N-th group of runs starting at I (0-based), groups
 * numbered in the order they first appear in the grid. A group is the runs that share a key:
 * bench keys a run by its fp32 parent's id when it has one (engine/init.ts) and by its own id
 * otherwise, so a parent and its fp32-initialised children always land in one shard (the child
 * reads the parent's weights from the shard's own output). The slices are disjoint, cover the
 * grid, hold the same number of groups give or take one, and depend only on the grid, so N
 * machines given I = 0..N-1 run each run exactly once.
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

/**
 * The runs of `shard` (all of them when no shard is given), whole groups of `group` at a time
 * (default: every item its own group, i.e. every N-th item).
 */
export function shardOf<T>(items: T[], shard?: Shard, group?: (item: T) => string): T[] {
  if (!shard) return items;
  if (!group) return items.filter((_, i) => i % shard.count === shard.index);
  const order = new Map<string, number>();
  return items.filter((item) => {
    const key = group(item);
    if (!order.has(key)) order.set(key, order.size);
    return order.get(key)! % shard.count === shard.index;
  });
}
