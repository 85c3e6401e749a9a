/**
 * bench --time-limit's parts: the duration syntax, whether a run fits before the limit, and the
 * dispatcher leaving the runs that do not fit (with the children that wait on them) queued
 * without hanging.
 */
import assert from "node:assert/strict";
import { parseDuration, TimeLimit } from "../../engine/grid/time_limit.ts";
import { Dispatcher } from "../../engine/grid/pool.ts";
import { parentId } from "../../engine/init.ts";
import { taskTrack } from "../../tracks/task/track.ts";
import { drainDispatcher } from "../pool_workers.ts";
import { installPlugins } from "../../app/plugins.ts";

installPlugins();

Deno.test("time limit: durations and fits", () => {
  assert.equal(parseDuration("2h30m"), 9000);
  assert.equal(parseDuration("90m"), 5400);
  assert.equal(parseDuration("45s"), 45);
  assert.equal(parseDuration("1h"), 3600);
  assert.equal(parseDuration("5400"), 5400);
  assert.equal(parseDuration("1h0m5s"), 3605);
  for (const bad of ["", "h", "1.5h", "-5", "0", "2d", "30m1h", "31000000"]) {
    assert.throws(() => parseDuration(bad), /--time-limit must be/, bad);
  }
  let now = 1_000_000;
  const limit = new TimeLimit(100, () => now);
  assert.equal(limit.fits(100), true);
  assert.equal(limit.fits(100.001), false);
  assert.equal(limit.fits(NaN), true, "an unpriced run fits while time is left");
  now += 60_000;
  assert.equal(limit.fits(40), true);
  assert.equal(limit.fits(41), false);
  now += 40_000;
  assert.equal(limit.fits(NaN), false);
});

Deno.test("time limit: runs that do not fit stay queued, with the children waiting on them", async () => {
  const specs = taskTrack.grid({ profile: "smoke", binarizers: ["fp32", "bnn", "xnor"] });
  const tooLong = (s: (typeof specs)[number]) => s.task === "mnist" && s.binarizer === "fp32";
  const queue = [...specs];
  const d = new Dispatcher(queue, () => false, parentId, (s) => !tooLong(s));
  const log = await drainDispatcher(d, (s) => assert.ok(!tooLong(s), `${s.id} handed out`));
  const left = queue.map((s) => s.id).sort();
  const want = specs.filter((s) => s.task === "mnist").map((s) => s.id).sort();
  assert.deepEqual(left, want, "the mnist parent and its children are left");
  assert.equal(log.length, specs.length - want.length);
});
