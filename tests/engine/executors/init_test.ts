/**
 * fp32 initialisation (engine/init.ts): a binarized run starts from its fp32 parent's trained
 * weights, reads them from the result store or trains the parent again with identical results,
 * records the link in its bundle; verify checks the link; the pool and the shards keep parents
 * before / with their children.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { initBackend } from "../../../engine/tf.ts";
import { executeRun, type RunResult, type RunSpec } from "../../../engine/run.ts";
import { parentId, parentSpec, parseInit, withInit, withParentSize } from "../../../engine/init.ts";
import { runGrid } from "../../../engine/grid/runner.ts";
import { readBundle, resultPath, weightsPath } from "../../../engine/store/results.ts";
import { verifyFile } from "../../../engine/bundle/verify.ts";
import { checkParentLinks, PARENT_NOT_IN_SET } from "../../../engine/bundle/links.ts";
import { contentId } from "../../../engine/bundle/canonical.ts";
import { Dispatcher } from "../../../engine/grid/pool.ts";
import { shardOf } from "../../../engine/grid/shard.ts";
import { buildModel } from "../../../engine/nn/model.ts";
import { UserError } from "../../../engine/errors.ts";
import { DEFAULT_TRAIN, taskTrack } from "../../../tracks/task/track.ts";
import { drainDispatcher } from "../../pool_workers.ts";
import { trainTrack } from "../../../tracks/train/track.ts";
import { archTrack } from "../../../tracks/arch/track.ts";
import { robustTrack } from "../../../tracks/robust/track.ts";
import { inferTrack } from "../../../tracks/infer/track.ts";
import { installPlugins } from "../../../app/plugins.ts";
import { dependencyOf } from "../../../app/bench.ts";

installPlugins();
await initBackend("wasm");

function spec(binarizer: string, init: "fp32" | "scratch", seed = 1): RunSpec {
  const base = { track: "test", task: "mnist", model: "cnn", binarizer, seed };
  return withInit({
    id: `test/mnist/cnn/${binarizer}/seed${seed}`,
    kind: "train",
    ...base,
    dataset: "mnist",
    width: 1,
    profile: "smoke",
    train: { ...DEFAULT_TRAIN, epochs: 2, batchSize: 32 },
    limit: { train: 384, val: 128, test: 256 },
  }, init);
}

/** Everything but wall-clock timings and the parent bundle's content id. */
function numbers(r: RunResult) {
  const { id: _id, ...parent } = r.parent ?? { id: "" };
  return {
    metrics: r.metrics,
    curves: r.curves.map(({ seconds: _s, ...rest }) => rest),
    parent,
  };
}

const silent = { quiet: true };

Deno.test("--init values: fp32 and scratch; anything else is a one-line user error", () => {
  assert.equal(parseInit("fp32"), "fp32");
  assert.equal(parseInit("scratch"), "scratch");
  assert.throws(() => parseInit("imagenet"), UserError);
  assert.throws(() => parseInit("imagenet"), /^UserError: unknown --init "imagenet"/);
});

Deno.test("grids: binarized runs default to fp32 init, fp32 runs start from scratch", () => {
  for (
    const [track, profile] of [taskTrack, trainTrack, archTrack].flatMap((t) => [
      [t, "smoke"] as const,
      [t, "full"] as const,
    ])
  ) {
    const specs = track.grid({ profile, binarizers: ["fp32", "bnn", "react"] });
    for (const s of specs) {
      assert.equal(s.init, s.binarizer === "fp32" ? "scratch" : "fp32", s.id);
      const p = parentSpec(s);
      if (s.binarizer === "fp32") assert.equal(p, null);
      // The parent is the grid's own fp32 spec of the cell, exactly.
      else assert.deepEqual(p, specs.find((x) => x.id === p!.id), s.id);
    }
    const scratch = track.grid({ profile: "smoke", binarizers: ["fp32", "bnn"], init: "scratch" });
    assert.ok(scratch.every((s) => s.init === "scratch" && parentId(s) === undefined));
  }
});

Deno.test("parameters copied by name and shape; a binarizer's own ones keep their init", () => {
  const opts = { inputShape: [28, 28, 1], numClasses: 10, seed: 3, width: 1 };
  const fp = buildModel("cnn", { ...opts, binarizer: "fp32" });
  const saved = fp.store.snapshot();
  fp.store.dispose();
  for (const b of ["bnn", "react", "fda"]) {
    const m = buildModel("cnn", { ...opts, binarizer: b });
    const { copied, kept } = m.store.restoreMatching(saved);
    assert.equal(copied + kept, m.store.entries.size);
    assert.equal(copied, Object.keys(saved).length, `${b}: every fp32 parameter copied`);
    if (b !== "bnn") assert.ok(kept > 0, `${b} has parameters of its own`);
    m.store.dispose();
  }
});

Deno.test("fp32 init: starts near the parent, differs from scratch; parent on disk = retrained", async () => {
  const out = await Deno.makeTempDir({ prefix: "bibench-init-" });
  try {
    const parent = parentSpec(spec("bnn", "fp32"))!;
    // Retrained in-process (no store), then with the parent's weights on disk.
    const retrained = await executeRun(spec("bnn", "fp32"));
    const [fpResult] = await runGrid([parent], { out, ...silent });
    const onDisk = await executeRun(spec("bnn", "fp32"), { out });
    assert.deepEqual(numbers(onDisk.result), numbers(retrained.result));
    assert.equal(retrained.result.parent?.id, undefined);
    const pb = (await readBundle(out, parent))!;
    assert.equal(onDisk.result.parent?.id, pb.id);
    assert.equal(onDisk.result.parent?.sha256, pb.results.weights!.sha256);

    const scratch = await executeRun(spec("bnn", "scratch"));
    assert.equal(scratch.result.parent, undefined);
    assert.notDeepEqual(scratch.result.metrics, onDisk.result.metrics);
    const first = (r: RunResult) => r.curves[0].valAccuracy;
    console.log(
      `fp32 parent val ${first(fpResult)}..${fpResult.metrics.valAccuracy}; bnn first-epoch val: ` +
        `fp32 init ${first(onDisk.result)}, scratch ${first(scratch.result)}; test: fp32 init ` +
        `${onDisk.result.metrics.testAccuracy}, scratch ${scratch.result.metrics.testAccuracy}`,
    );
    assert.ok(first(onDisk.result) > first(scratch.result), "fp32 init starts ahead of scratch");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("parentSize: the fp32 run trains at its own size, the child names exactly that run", async () => {
  const size = { epochs: 3, limit: { train: 512 } };
  const child = withParentSize(spec("dorefa", "fp32", 4), size);
  const fp = withParentSize(spec("fp32", "fp32", 4), size);
  assert.deepEqual(child.parentSize, size);
  assert.equal(fp.parentSize, undefined);
  assert.deepEqual([fp.train!.epochs, fp.limit!.train, fp.limit!.val], [3, 512, 128]);
  assert.deepEqual([child.train!.epochs, child.limit!.train], [2, 384]);
  assert.deepEqual(parentSpec(child), fp);
  assert.equal(withParentSize(spec("dorefa", "scratch", 4), size).parentSize, undefined);
  const out = await Deno.makeTempDir({ prefix: "bibench-psize-" });
  try {
    await runGrid([fp, child], { out, ...silent });
    const cb = (await readBundle(out, child))!, pb = (await readBundle(out, fp))!;
    assert.deepEqual(cb.config.parentSize, size);
    assert.equal(pb.results.curves!.length, 3, "the parent trained its own epochs");
    assert.equal(cb.results.parent!.id, pb.id);
    const opts = {
      trusted: { path: "", keys: new Map() },
      signatures: "valid-if-present",
    } as const;
    const vs = await Promise.all([child, fp].map((s) => verifyFile(resultPath(out, s), opts)));
    checkParentLinks(vs);
    assert.ok(vs.every((v) => v.ok), vs.map((v) => v.reason).join(", "));
    assert.ok(!vs[0].notes.includes(PARENT_NOT_IN_SET));
    // The child's bundle with the parent size taken out names another parent: FAIL.
    const { parentSize: _p, ...plain } = cb.config;
    const { id: _id, ...rest } = { ...cb, config: plain };
    const edited = { ...rest, id: await contentId(rest as typeof cb) };
    await Deno.writeTextFile(resultPath(out, child), JSON.stringify(edited));
    const again = await Promise.all([child, fp].map((s) => verifyFile(resultPath(out, s), opts)));
    checkParentLinks(again);
    assert.equal(again[0].ok, false);
    assert.match(again[0].reason!, /is not the fp32 run of the child's cell/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("bundles link their parent; verify checks the link when the parent is in the set", async () => {
  const out = await Deno.makeTempDir({ prefix: "bibench-link-" });
  try {
    const child = spec("xnor", "fp32", 2);
    const parent = parentSpec(child)!;
    // Child first in the list: the single-process runner still finds or retrains the parent.
    await runGrid([parent, child], { out, ...silent });
    const cb = (await readBundle(out, child))!, pb = (await readBundle(out, parent))!;
    assert.deepEqual(
      { id: cb.results.parent!.id, sha256: cb.results.parent!.sha256, run: cb.results.parent!.run },
      { id: pb.id, sha256: pb.results.weights!.sha256, run: parent.id },
    );
    const opts = {
      trusted: { path: "", keys: new Map() },
      signatures: "valid-if-present",
    } as const;
    const verdicts = async (...specs: RunSpec[]) => {
      const vs = await Promise.all(specs.map((s) => verifyFile(resultPath(out, s), opts)));
      checkParentLinks(vs);
      return vs;
    };
    let [c, p] = await verdicts(child, parent);
    assert.ok(c.ok && p.ok, c.reason ?? p.reason);
    assert.ok(!c.notes.includes(PARENT_NOT_IN_SET));
    // The child alone: a note, not a failure.
    [c] = await verdicts(child);
    assert.ok(c.ok);
    assert.ok(c.notes.includes(PARENT_NOT_IN_SET), c.notes.join(", "));
    // Another (valid) parent bundle than the one linked: FAIL.
    const { id: _id, ...rest } = pb;
    const other = { ...rest, created: "2020-01-01T00:00:00.000Z" };
    const again = { ...other, id: await contentId(other as typeof pb) };
    await Deno.writeTextFile(resultPath(out, parent), JSON.stringify(again));
    [c, p] = await verdicts(child, parent);
    assert.ok(p.ok, p.reason);
    assert.equal(c.ok, false);
    assert.match(c.reason!, /parent link: its parent .* has content id sha256:.*, the link names/);
    // A parent that fails verification (its weights file changed): FAIL.
    await Deno.writeTextFile(resultPath(out, parent), JSON.stringify(pb));
    const w = await Deno.readFile(weightsPath(out, parent));
    w[w.length - 1] ^= 1;
    await Deno.writeFile(weightsPath(out, parent), w);
    [c, p] = await verdicts(child, parent);
    assert.equal(p.ok, false);
    assert.equal(c.ok, false);
    assert.match(c.reason!, /parent link: its parent .* fails verification \(weights file/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("pool: a child is never handed out while its parent is queued or running", async () => {
  const specs = taskTrack.grid({ profile: "smoke", binarizers: ["fp32", "bnn", "xnor"] });
  // Children first: the dispatcher must pass over them until their parent has finished.
  const queue = [...specs].reverse();
  const d = new Dispatcher(queue);
  const done = new Set<string>();
  const log = await drainDispatcher(d, (s) => {
    const p = parentId(s);
    if (p) assert.ok(done.has(p), `${s.id} handed out before its parent ${p} finished`);
  }, (s) => done.add(s.id));
  assert.deepEqual([...log].sort(), specs.map((s) => s.id).sort(), "every run ran once");
});

Deno.test("shards keep a parent and its children together, cover the grid, disjoint", () => {
  const grid = taskTrack.grid({ profile: "quick", binarizers: ["fp32", "bnn", "xnor", "react"] });
  const key = (s: RunSpec) => parentId(s) ?? s.id;
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 1000 }), (n, k) => {
      // A shuffled grid (any order a track might declare).
      const items = [...grid].sort((a, b) =>
        ((a.id.length * 31 + k) % 7) - ((b.id.length * 31 + k) % 7) || (a.id < b.id ? -1 : 1)
      );
      const parts = Array.from(
        { length: n },
        (_, i) => shardOf(items, { index: i, count: n }, key),
      );
      const ids = parts.flat().map((s) => s.id).sort();
      assert.deepEqual(ids, grid.map((s) => s.id).sort());
      for (const part of parts) {
        const here = new Set(part.map((s) => s.id));
        for (const s of part) {
          const p = parentId(s);
          if (p) assert.ok(here.has(p), `${s.id} without its parent ${p}`);
        }
      }
    }),
  );
  // Without groups: every n-th run, as before.
  assert.deepEqual(shardOf([0, 1, 2, 3, 4], { index: 1, count: 2 }), [1, 3]);
});

Deno.test("pool: robust and infer runs wait for the task run whose network they reuse", async () => {
  const opts = { profile: "smoke" as const, binarizers: ["fp32", "bnn"] };
  const task = taskTrack.grid(opts);
  const users = [...robustTrack.grid(opts), ...inferTrack.grid(opts)];
  assert.ok(users.length > 0);
  for (const s of users) assert.ok(task.some((t) => t.id === dependencyOf(s)), s.id);
  // Reusing runs first in the queue: each must still come after its task run.
  const d = new Dispatcher([...users, ...task], () => false, dependencyOf);
  const done = new Set<string>();
  const log = await drainDispatcher(d, (s) => {
    const dep = dependencyOf(s);
    if (dep) assert.ok(done.has(dep), `${s.id} handed out before ${dep} finished`);
  }, (s) => done.add(s.id));
  assert.equal(log.length, users.length + task.length);
});
