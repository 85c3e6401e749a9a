/**
 * The whole pipeline on the smoke grid: `bench --workers 2` (a worker crash is reported, exit 1,
 * and a re-run resumes), `bench --shard 0/2` + `--shard 1/2`, `merge` of the shards gives the same
 * tables and the same numbers as the unsharded run, every bundle bench wrote passes `verify`, a
 * smoke bundle reproduces exactly, and conflicting duplicates are refused.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tempKey } from "../../benches/fixtures/bundles.ts";
import { taskTrack } from "../../tracks/task/track.ts";
import { Dispatcher } from "../../engine/grid/pool.ts";
import { CostModel, PRIOR_RATES, workUnits } from "../../engine/grid/progress.ts";
import { reproducibleView } from "../../engine/bundle/make.ts";
import { canonicalJson, contentId } from "../../engine/bundle/canonical.ts";
import { signBundle } from "../../engine/bundle/sign.ts";
import type { Bundle } from "../../engine/bundle/schema.ts";
import { parseShard, shardOf } from "../../engine/grid/shard.ts";
import { parentId } from "../../engine/init.ts";
import { drainDispatcher } from "../pool_workers.ts";
import fc from "fast-check";
import { installPlugins } from "../../app/plugins.ts";

installPlugins();

const ROOT = new URL("../../", import.meta.url).pathname;
const PERMS = ["--allow-read", "--allow-write", "--allow-env", "--allow-sys", "--allow-run"];

async function cli(script: string, args: string[], env: Record<string, string> = {}) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, join(ROOT, "app", script), ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code, stdout: dec.decode(stdout), stderr: dec.decode(stderr) };
}

async function bundlesIn(out: string): Promise<Map<string, Bundle>> {
  const m = new Map<string, Bundle>();
  async function walk(d: string) {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.name.endsWith(".json")) {
        const b = JSON.parse(await Deno.readTextFile(p)) as Bundle;
        m.set(b.config.id, b);
      }
    }
  }
  await walk(join(out, "runs")).catch(() => {});
  return m;
}

const tables = (s: string) => s.slice(s.indexOf("Learning task"));

Deno.test("shards are disjoint, cover the grid and are balanced", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 20 }), (n, count) => {
      const items = Array.from({ length: n }, (_, i) => i);
      const parts = Array.from({ length: count }, (_, i) => shardOf(items, { index: i, count }));
      const all = parts.flat().sort((a, b) => a - b);
      const sizes = parts.map((p) => p.length);
      return JSON.stringify(all) === JSON.stringify(items) &&
        Math.max(...sizes) - Math.min(...sizes) <= 1;
    }),
  );
  assert.deepEqual(parseShard("1/4"), { index: 1, count: 4 });
  for (const bad of ["4/4", "1/0", "a/b", "-1/2", "1"]) {
    assert.throws(() => parseShard(bad), /--shard must be I\/N/);
  }
});

Deno.test("workers, shards, merge, verify and reproduce on the smoke grid", async (t) => {
  const k = await tempKey("ci");
  const env = { BIBENCH_KEY_DIR: join(k.dir, "keys") };
  const base = await Deno.makeTempDir({ prefix: "bibench-shard-" });
  const [full, s0, s1, merged] = ["full", "s0", "s1", "merged"].map((d) => join(base, d));
  const args = ["--profile", "smoke", "--algo", "bnn", "--track", "task"];
  const grid = taskTrack.grid({ profile: "smoke", binarizers: ["fp32", "bnn"] });
  const n = grid.length; // runs of the smoke task grid (every task x fp32, bnn)
  const crashId = grid.find((s) => s.binarizer === "bnn" && s.task === "mnist")!.id;

  await t.step("a worker that dies is reported, exit 1, the other runs finish", async () => {
    const r = await cli("bench.ts", [...args, "--out", full, "--workers", "2"], {
      ...env,
      BIBENCH_TEST_CRASH_RUN: crashId,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`worker \\d died \\(exit code 1\\) running ${crashId}`));
    assert.match(
      r.stderr.trim().split("\n").at(-1)!,
      /^bench: 1 run\(s\) failed: .*run the same command again/,
    );
    assert.doesNotMatch(
      r.stderr.split("\n").filter((l) => l.startsWith("bench:")).join("\n"),
      /\bat .*\.ts:\d+/,
    );
    assert.equal((await bundlesIn(full)).size, grid.length - 1);
  });

  await t.step("re-running with --workers 2 resumes and prints the tables", async () => {
    const r = await cli("bench.ts", [...args, "--out", full, "--workers", "2"], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`resuming: ${n - 1}/${n} runs already done`));
    assert.match(r.stderr, /signing bundles with key ed25519:/);
    assert.match(r.stdout, /OM_task/);
    assert.equal((await bundlesIn(full)).size, grid.length);
  });
  const fullRun = await cli("bench.ts", [...args, "--out", full], env); // all done: prints tables
  assert.equal(fullRun.code, 0, fullRun.stderr);

  await t.step("two shards run in parallel, merge into the same tables and numbers", async () => {
    const [a, b] = await Promise.all([
      cli("bench.ts", [...args, "--out", s0, "--shard", "0/2"], env),
      cli("bench.ts", [...args, "--out", s1, "--shard", "1/2"], env),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    // Whole groups: a parent and its fp32-initialised children (engine/init.ts) share a shard.
    const n0 = shardOf(grid, { index: 0, count: 2 }, (s) => parentId(s) ?? s.id).length;
    assert.match(a.stderr, new RegExp(`shard 0/2: ${n0} of ${n} runs`));
    assert.equal((await bundlesIn(s0)).size + (await bundlesIn(s1)).size, grid.length);
    const m = await cli("merge.ts", [s0, s1, "--out", merged], env);
    assert.equal(m.code, 0, m.stderr);
    assert.match(
      m.stderr,
      new RegExp(`merge: ${n} run\\(s\\) in .* \\(${n} written, 0 identical duplicate`),
    );
    assert.equal(tables(m.stdout), tables(fullRun.stdout));
    const one = await bundlesIn(full), two = await bundlesIn(merged);
    assert.deepEqual([...two.keys()].sort(), [...one.keys()].sort());
    for (const [id, b] of one) {
      assert.equal(
        canonicalJson(reproducibleView(two.get(id)!)),
        canonicalJson(reproducibleView(b)),
        `${id} differs between the sharded and the unsharded run`,
      );
    }
    // Weights files came along.
    for (const s of grid) {
      await Deno.stat(join(merged, "runs", `${s.id}.weights.bin`));
    }
  });

  await t.step("every bundle bench wrote passes verify", async () => {
    const r = await cli("verify.ts", ["--trusted", k.trustedFile, full, merged], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`verify: ${2 * n} bundle\\(s\\): ${2 * n} ok, 0 failed`));
  });

  await t.step("verify --reproduce on a smoke bundle: exact match", async () => {
    const file = join(merged, "runs", `${crashId}.json`);
    const r = await cli("verify.ts", ["--trusted", k.trustedFile, "--reproduce", file], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /reproduce: exact match \(same environment\)/);
  });

  await t.step("merge accepts identical duplicates and refuses conflicting ones", async () => {
    // --no-weights: the published set, bundles only.
    const m2 = join(base, "m2");
    const again = await cli("merge.ts", [full, merged, "--out", m2, "--no-weights"], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, new RegExp(`${n} identical duplicate\\(s\\) skipped`));
    assert.match(again.stderr, /weights not copied/);
    const copied: string[] = [];
    for await (const e of Deno.readDir(join(m2, "runs", "task", "mnist", "cnn", "fp32"))) {
      copied.push(e.name);
    }
    assert.ok(copied.length > 0 && copied.every((f) => f.endsWith(".json")), copied.join(", "));
    assert.equal(tables(again.stdout), tables(fullRun.stdout));
    // A valid, signed bundle of the same run with another number.
    const conflict = join(base, "conflict");
    const b = (await bundlesIn(full)).get(crashId)!;
    const { signature: _s, id: _i, ...rest } = b;
    const changed = {
      ...rest,
      results: { ...rest.results, metrics: { ...rest.results.metrics, params: 1 } },
    };
    const resigned = await signBundle({ ...changed, id: await contentId(changed) }, k.key);
    await Deno.mkdir(join(conflict, "runs"), { recursive: true });
    await Deno.writeTextFile(join(conflict, "runs", "x.json"), JSON.stringify(resigned));
    const r = await cli("merge.ts", [full, conflict, "--out", join(base, "m3")], env);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(`conflicting bundles for run ${crashId}: .* differ at /metrics/params`),
    );
    assert.match(r.stderr, /refused .* nothing was written/);
    assert.equal(await Deno.stat(join(base, "m3")).then(() => true, () => false), false);
    const usage = await cli("merge.ts", [full], env);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr.trim(), /^merge: --out DIR is required$/);
  });

  await Deno.remove(base, { recursive: true });
  await Deno.remove(k.dir, { recursive: true });
});

Deno.test("scale-out: the Slurm script and the Kubernetes manifests name the shard right", async () => {
  const { parseAllDocuments } = await import("yaml");
  const script = join(ROOT, "scale-out", "slurm-array.sh");
  const run = (env: Record<string, string>) =>
    new Deno.Command("bash", {
      args: [script],
      env: { DENO: "echo deno", ...env },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
  const r = await run({
    SLURM_ARRAY_TASK_ID: "6",
    SLURM_ARRAY_TASK_MIN: "3",
    SLURM_ARRAY_TASK_COUNT: "4",
    PROFILE: "smoke",
    SLURM_SUBMIT_DIR: ROOT,
  });
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
  assert.equal(
    new TextDecoder().decode(r.stdout).trim(),
    "deno task bench --profile smoke --shard 3/4 --out results/smoke-shards/shard-3",
  );
  const outside = await run({});
  assert.equal(outside.code, 2);

  for (const f of ["k8s-indexed-job.yaml", "k8s-merge-job.yaml"]) {
    const docs = parseAllDocuments(await Deno.readTextFile(join(ROOT, "scale-out", f)));
    for (const d of docs) assert.deepEqual(d.errors, [], `${f}: ${d.errors}`);
    const jobs = docs.map((d) => d.toJS()).filter((o) => o.kind === "Job");
    assert.equal(jobs.length, 1);
    const c = jobs[0].spec.template.spec.containers[0];
    if (f.startsWith("k8s-indexed")) {
      assert.equal(jobs[0].spec.completionMode, "Indexed");
      const shards = c.env.find((e: { name: string }) => e.name === "SHARDS").value;
      assert.equal(String(jobs[0].spec.completions), shards);
      assert.match(c.args[0], /--shard "\$JOB_COMPLETION_INDEX\/\$SHARDS"/);
    } else {
      assert.match(c.args[0], /deno task merge .* --out .* && deno task verify/);
    }
  }
});

Deno.test("worker pool: a run that measures time never runs beside another", async () => {
  const specs = taskTrack.grid({ profile: "smoke", binarizers: ["fp32", "bnn", "xnor"] });
  // Every third run is an "alone" run (in bench: the infer track's).
  const solo = new Set(specs.filter((_, i) => i % 3 === 1).map((s) => s.id));
  const d = new Dispatcher([...specs], (s) => solo.has(s.id));
  const running = new Set<string>();
  const log = await drainDispatcher(d, (s) => {
    running.add(s.id);
    if (solo.has(s.id)) assert.equal(running.size, 1, `${s.id} ran beside ${[...running]}`);
    for (const other of running) {
      assert.ok(other === s.id || !solo.has(other), `${s.id} started beside ${other}`);
    }
  }, (s) => running.delete(s.id));
  assert.deepEqual([...log].sort(), specs.map((s) => s.id).sort(), "every run ran once");
});

Deno.test("ETA: runs are priced per kind and model from the runs finished so far", () => {
  const [cnnA, cnnB] = taskTrack.grid({ profile: "smoke", binarizers: ["fp32", "bnn"] })
    .filter((s) => s.model === "cnn");
  const spam = taskTrack.grid({ profile: "smoke", binarizers: ["fp32"] })
    .find((s) => s.model === "transformer")!;
  // Before any run finished: the prior, a fixed part plus a part per batch of 64 samples.
  const prior = new CostModel();
  const p = PRIOR_RATES["train/cnn"];
  const batches64 = workUnits(cnnA) * cnnA.train!.batchSize / 64;
  assert.ok(Math.abs(prior.estimate(cnnA) - (p.run + p.unit * batches64)) < 1e-9);
  const costs = new CostModel({});
  assert.ok(Number.isNaN(costs.estimate(cnnA)), "no prior, nothing finished: no estimate");
  costs.record(cnnA, 30);
  assert.equal(costs.estimate(cnnB), 30, "same kind and model, same size: same price");
  // An unseen model is priced at the rate over all finished runs, per work unit.
  assert.ok(Math.abs(costs.estimate(spam) - (30 / workUnits(cnnA)) * workUnits(spam)) < 1e-9);
  costs.record(spam, 3);
  assert.equal(costs.estimate(spam), 3);
  assert.equal(costs.estimate(cnnB), 30);
});
