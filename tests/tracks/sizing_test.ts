/**
 * The full profile's size against its budget (README, "Profiles"): 15 h on 2 cores, priced by the
 * plan's own estimate (engine/grid/progress.ts: prior rates per model, training-split sizes), the
 * one `deno task bench --profile full` prints. A profile that grows past it fails here, not after
 * a day of running; and every fp32 parent the children name is a run of the grid.
 */
import assert from "node:assert/strict";
import { CostModel, workUnits } from "../../engine/grid/progress.ts";
import { parentSpec } from "../../engine/init.ts";
import { binarizerNames } from "../../engine/binarizers/registry.ts";
import { tracks } from "../../tracks/registry.ts";
import { installPlugins } from "../../app/plugins.ts";

installPlugins();

const BUDGET_CORE_S = 15 * 3600 * 2;

Deno.test("full profile: the plan's estimate fits 15 h on 2 cores; parents are in the grid", () => {
  const cost = new CostModel();
  const binarizers = binarizerNames();
  assert.equal(binarizers.length, 9, "fp32 and the eight binarizers");
  let total = 0, runs = 0;
  const perTrack: Record<string, number> = {};
  for (const track of tracks()) {
    const specs = track.grid({ profile: "full", binarizers });
    const ids = new Map(specs.map((s) => [s.id, s]));
    for (const s of specs) {
      const est = cost.estimate(s);
      assert.ok(Number.isFinite(est) && est > 0, `${s.id}: priced (${est})`);
      perTrack[track.name] = (perTrack[track.name] ?? 0) + est;
      const p = parentSpec(s);
      if (p) assert.deepEqual(ids.get(p.id), p, `${s.id}: its parent is the grid's fp32 run`);
    }
    runs += specs.length;
  }
  total = Object.values(perTrack).reduce((a, b) => a + b, 0);
  console.log(
    `full: ${runs} runs, ${(total / 1000).toFixed(1)} k core-s = ${(total / 7200).toFixed(2)} h ` +
      `on 2 cores; ` +
      Object.entries(perTrack).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} k`).join(", "),
  );
  assert.equal(runs, 720);
  assert.ok(total <= BUDGET_CORE_S, `${total} core-s > ${BUDGET_CORE_S}`);
});

Deno.test("a run is priced on the samples it trains: the whole split without a limit", () => {
  const [mnist] = tracks().find((t) => t.name === "task")!
    .grid({ profile: "full", binarizers: ["fp32"] });
  assert.equal(mnist.dataset, "mnist");
  assert.equal(mnist.limit, undefined);
  // 7,200 training digits in batches of 64, 9 epochs.
  assert.equal(workUnits(mnist), 9 * Math.floor(7200 / 64));
  assert.equal(workUnits({ ...mnist, limit: { train: 1e6 } }), 9 * Math.floor(7200 / 64));
  assert.equal(workUnits({ ...mnist, limit: { train: 640 } }), 9 * 10);
});
