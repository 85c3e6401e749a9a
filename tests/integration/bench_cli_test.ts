/**
 * The `bench` command as a user meets it: bad input is one line and exit status 2 (never a stack
 * trace), and a run killed half-way resumes to the same table.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { taskTrack } from "../../tracks/task/track.ts";
import { BENCH_PERMISSIONS } from "../../engine/grid/pool.ts";
import { installPlugins } from "../../app/plugins.ts";

installPlugins();

const CLI = new URL("../../app/bench.ts", import.meta.url).pathname;

async function bench(
  args: string[],
  opts: { signalAfter?: (out: string) => Promise<boolean> } = {},
) {
  const cmd = new Deno.Command(Deno.execPath(), {
    // The permissions of `deno task bench` (--allow-run: worker processes).
    args: ["run", ...BENCH_PERMISSIONS, CLI, ...args],
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  if (opts.signalAfter) {
    const out = args[args.indexOf("--out") + 1];
    while (!(await opts.signalAfter(out))) await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGKILL");
  }
  const { code, stdout, stderr } = await child.output();
  const dec = new TextDecoder();
  return { code, stdout: dec.decode(stdout), stderr: dec.decode(stderr) };
}

for (
  const [args, pattern] of [
    [["--algo", "bnn,nosuch"], /unknown binarizer "nosuch" in --algo \(known: fp32, bnn/],
    [["--profile", "huge"], /unknown profile "huge" \(expected one of: smoke, quick, full\)/],
    [["--track", "nosuch"], /unknown track "nosuch"/],
    [["--backend", "webgl"], /unknown backend "webgl"/],
    [["--seeds", "0"], /--seeds must be an integer from 1 to 100/],
    [["--bogus"], /Unknown option '--bogus'/],
    [["--shard", "2/2"], /--shard must be I\/N with 0 <= I < N/],
    [["--shard", "x"], /--shard must be I\/N/],
    [["--workers", "0"], /--workers must be an integer from 1 to 64/],
    [["--init", "imagenet"], /unknown --init "imagenet" \(expected one of: fp32, scratch\)/],
    [["--time-limit", "soon"], /--time-limit must be a duration such as 2h30m, 90m or 5400/],
    [["--time-limit", "0m"], /--time-limit must be more than 0/],
  ] as const
) {
  Deno.test(`bench ${args.join(" ")}: one-line error, exit 2`, async () => {
    const r = await bench([...args]);
    assert.equal(r.code, 2);
    const lines = r.stderr.split("\n").filter((l) => l.trim() && !l.includes("Warning"));
    assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
    assert.match(lines[0], pattern);
    assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/, "no stack trace");
  });
}

Deno.test("bench --help documents every option", async () => {
  const r = await bench(["--help"]);
  assert.equal(r.code, 0);
  for (
    const opt of [
      "--profile",
      "--track",
      "--algo",
      "--seeds",
      "--out",
      "--backend",
      "--data-dir",
      "--shard",
      "--workers",
      "--init",
    ]
  ) {
    assert.ok(r.stdout.includes(opt), `--help lacks ${opt}`);
  }
});

Deno.test("bench with a corrupt Fashion-MNIST file: one-line error naming the file", async () => {
  const dir = await Deno.makeTempDir();
  for (
    const f of [
      "train-images-idx3-ubyte",
      "train-labels-idx1-ubyte",
      "t10k-images-idx3-ubyte",
      "t10k-labels-idx1-ubyte",
    ]
  ) {
    await Deno.writeFile(join(dir, `${f}.gz`), new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1]));
  }
  const out = await Deno.makeTempDir();
  const r = await bench(["--profile", "smoke", "--algo", "bnn", "--data-dir", dir, "--out", out]);
  assert.equal(r.code, 2);
  const last = r.stderr.trim().split("\n").at(-1)!;
  assert.match(last, /^bench: .*(idx|IDX).*ubyte/);
  assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/);
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(out, { recursive: true });
});

/** Result files under a run directory, path -> content. */
async function results(out: string): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  async function walk(d: string) {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else if (p.endsWith(".json")) m.set(p.slice(out.length), await Deno.readTextFile(p));
    }
  }
  await walk(join(out, "runs")).catch(() => {});
  return m;
}

Deno.test("a run killed half-way resumes, keeps finished runs and prints the same table", async () => {
  const full = await Deno.makeTempDir();
  const killed = await Deno.makeTempDir();
  const args = ["--profile", "smoke", "--algo", "bnn", "--track", "task"];
  const ref = await bench([...args, "--out", full]);
  assert.equal(ref.code, 0, ref.stderr);
  assert.match(ref.stdout, /OM_task/);
  // Says what it will run first; ends with the overall metrics of every row.
  const n = taskTrack.grid({ profile: "smoke", binarizers: ["fp32", "bnn"] }).length;
  const workers = navigator.hardwareConcurrency;
  assert.match(
    ref.stderr,
    new RegExp(
      `bench: profile smoke; init fp32; tracks task; 2 rows \\(fp32, bnn\\); ${n} runs, ${n} to do; ` +
        `${workers} workers?; estimated [0-9hms]+ \\(rates measured on a 2-core machine\\)`,
    ),
  );
  const overview = ref.stdout.slice(ref.stdout.indexOf("Overall metrics"));
  assert.match(overview, /\nbinarizer +OM_task\n-+ +-+\nfp32 +1\.000\nbnn +\d\.\d{3}\n/);
  // Kill after the first result file is written, then run again.
  const k = await bench([...args, "--out", killed], {
    signalAfter: async (o) => (await results(o)).size >= 1,
  });
  assert.notEqual(k.code, 0);
  const kept = await results(killed);
  // n: runs of the smoke task grid, every task x (fp32, bnn).
  assert.ok(kept.size >= 1 && kept.size < n, `killed run left ${kept.size} results`);
  const again = await bench([...args, "--out", killed]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`resuming: \\d+/${n} runs already done`));
  const table = (s: string) => s.slice(s.indexOf("Learning task"));
  assert.equal(table(again.stdout), table(ref.stdout));
  const after = await results(killed);
  for (const [p, text] of kept) assert.equal(after.get(p), text, `${p} was rewritten`);
  assert.equal(after.size, n);
  await Deno.remove(full, { recursive: true });
  await Deno.remove(killed, { recursive: true });
});

Deno.test("bench --time-limit: starts no run that would not end in time, exit 3, writes nothing", async () => {
  const n = taskTrack.grid({ profile: "smoke", binarizers: ["fp32", "bnn"] }).length;
  for (const workers of ["1", "2"]) {
    const out = await Deno.makeTempDir({ prefix: "bibench-limit-" });
    try {
      // Every smoke run is estimated at more than a second.
      const r = await bench([
        ...["--profile", "smoke", "--algo", "bnn", "--track", "task", "--out", out],
        ...["--workers", workers, "--time-limit", "1s"],
      ]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /; time limit 1s\n/);
      const last = r.stderr.trim().split("\n").at(-1)!;
      assert.match(
        last,
        new RegExp(`^bench: time limit: 0/${n} runs done in .*, ${n} left .*run the same command`),
      );
      const written = await Array.fromAsync(Deno.readDir(join(out, "runs"))).catch(() => []);
      assert.equal(written.length, 0, `workers ${workers}: something was written`);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  }
});
