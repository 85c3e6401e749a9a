/**
 * A stratified pick that never separates a group: near-duplicate mails (one spam campaign) go
 * together to the picked side or to the rest, so no split holds a copy of another split's mail.
 */
import type { Rng } from "../rng.ts";

/**
 * Picks whole groups of `indices` until each class holds its share of `count` samples (shares
 * by largest remainder, as `stratifiedPick`). A group counts toward the class most of its
 * members have (ties: the lower class); groups are visited in a seeded order within each class
 * and taken while they fit the class's share, so the total is `count` whenever singleton groups
 * allow it, and never more. Returns the picked and the remaining indices, each in a seeded
 * shuffled order. `groups[i]` is the group id of sample i (any integer).
 */
export function groupedStratifiedPick(
  labels: Uint8Array,
  groups: Int32Array,
  indices: ArrayLike<number>,
  count: number,
  numClasses: number,
  rng: Rng,
): { picked: Int32Array; rest: Int32Array } {
  const total = indices.length;
  if (!Number.isInteger(count) || count < 0 || count > total) {
    throw new RangeError(`cannot pick ${count} of ${total} samples`);
  }
  const members = new Map<number, number[]>();
  const perClass = new Array<number>(numClasses).fill(0);
  for (let k = 0; k < total; k++) {
    const i = indices[k];
    if (!(labels[i] < numClasses)) throw new RangeError(`label ${labels[i]} out of range`);
    perClass[labels[i]]++;
    const g = members.get(groups[i]);
    if (g) g.push(i);
    else members.set(groups[i], [i]);
  }
  const quota = perClass.map((c) => Math.floor((c * count) / Math.max(total, 1)));
  let left = count - quota.reduce((a, b) => a + b, 0);
  const order = perClass
    .map((c, cls) => ({ cls, rem: (c * count) % Math.max(total, 1) }))
    .sort((a, b) => b.rem - a.rem || a.cls - b.cls);
  for (const { cls } of order) {
    if (left === 0) break;
    if (quota[cls] < perClass[cls]) {
      quota[cls]++;
      left--;
    }
  }
  // Groups by majority class, in order of first appearance in `indices` (then seeded).
  const byClass: number[][][] = Array.from({ length: numClasses }, () => []);
  for (const m of members.values()) {
    const votes = new Array<number>(numClasses).fill(0);
    for (const i of m) votes[labels[i]]++;
    byClass[votes.indexOf(Math.max(...votes))].push(m);
  }
  const picked: number[] = [];
  const rest: number[] = [];
  for (let cls = 0; cls < numClasses; cls++) {
    const gs = byClass[cls];
    const perm = rng.permutation(gs.length);
    let taken = 0;
    for (const p of perm) {
      const g = gs[p];
      if (taken + g.length <= quota[cls]) {
        picked.push(...g);
        taken += g.length;
      } else rest.push(...g);
    }
  }
  const out = { picked: Int32Array.from(picked), rest: Int32Array.from(rest) };
  rng.shuffle(out.picked);
  rng.shuffle(out.rest);
  return out;
}
