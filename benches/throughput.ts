/**
 * Training throughput: images/s of one training step (batch 64 by default: forward, backward,
 * Adam update, BatchNorm moving averages, loss read back) on the tfjs wasm backend, for each
 * architecture x binarizer. With `--baseline` it runs the same step on another checkout of the
 * engine (e.g. a worktree of an older commit) side by side: both engines live in child processes
 * (benches/throughput_child.ts), their samples are interleaved (A B, then B A, ...) so machine
 * load hits both alike. The ratio of a cell is the median over reps of each rep's paired ratio
 * (baseline ms / this ms of the same rep's steps, so a machine whose speed drifts between reps
 * hits both sides of a pair alike), with its distribution-free 95% interval (7 reps or more;
 * engine/deploy/timing.ts `medianInterval`), printed with the load average. `--profile` adds a
 * per-kernel table of one step (tf.profile) for each cell and engine.
 *
 *   deno task bench:throughput [--baseline DIR|COMMIT] [--arch cnn,vgg-small,resnet20,vit]
 *                              [--algo fp32,bnn,react] [--batch 64] [--steps 2] [--reps 7]
 *                              [--profile] [--top 12]
 *
 * A COMMIT is checked out into a temporary detached git worktree (removed afterwards). resnet20
 * is built at 16-32-64 channels on both engines (older engines reach that with their `width`
 * option), so both train the same network; `weights` says whether both engines' parameters are
 * bit-identical after the same steps from the same seed (against 05de7a1 they differ where a
 * conv net trains: the SIMD convolution gradients add in another order and MaxPoolGrad's bug is
 * fixed; `--baseline` on this same checkout checks that two processes agree bit for bit).
 */
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { fileURLToPath as fromFileUrl } from "node:url";
import { lines } from "../engine/lines.ts";
import { UserError } from "../engine/errors.ts";
import { runCli } from "../app/args.ts";
import { medianInterval } from "../engine/deploy/timing.ts";
import type { Answer, Request } from "./throughput_child.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    baseline: { type: "string" },
    arch: { type: "string", default: "cnn,vgg-small,resnet20,vit" },
    algo: { type: "string", default: "fp32,bnn,react" },
    batch: { type: "string", default: "64" },
    steps: { type: "string", default: "2" },
    reps: { type: "string", default: "7" },
    profile: { type: "boolean", default: false },
    top: { type: "string", default: "12" },
  },
});
const GOAL = 2;
const batch = Number(values.batch), steps = Number(values.steps), reps = Number(values.reps);
const archs = values.arch!.split(","), algos = values.algo!.split(",");
const HERE = fromFileUrl(new URL("../", import.meta.url));
const CHILD = fromFileUrl(new URL("./throughput_child.ts", import.meta.url));

/** One engine in a child process, answering one request at a time. */
class Engine {
  readonly #child: Deno.ChildProcess;
  readonly #in: WritableStreamDefaultWriter<Uint8Array>;
  readonly #out: AsyncGenerator<string>;
  constructor(readonly name: string, readonly root: string) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        `--config=${root}/deno.json`,
        "--allow-read",
        "--allow-env",
        "--allow-sys",
        CHILD,
        `--root=${root}`,
      ],
      cwd: root,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#in = this.#child.stdin.getWriter();
    this.#out = lines(this.#child.stdout);
  }
  async ask(r: Request): Promise<Answer> {
    await this.#in.write(new TextEncoder().encode(JSON.stringify(r) + "\n"));
    const next = await this.#out.next();
    if (next.done) throw new Error(`${this.name} engine (${this.root}) exited`);
    const a = JSON.parse(next.value) as Answer;
    if (a.error) throw new UserError(`${this.name} engine: ${a.error}`);
    return a;
  }
  async close(): Promise<void> {
    await this.#in.close();
    await this.#child.status;
  }
}

async function git(args: string[]): Promise<void> {
  const r = await new Deno.Command("git", { args, cwd: HERE, stdout: "null", stderr: "piped" })
    .output();
  if (!r.success) {
    throw new UserError(`git ${args.join(" ")}: ${new TextDecoder().decode(r.stderr).trim()}`);
  }
}

/** The baseline's checkout: a directory as given, or a temporary worktree of a commit. */
async function baselineRoot(ref: string): Promise<{ root: string; cleanup: () => Promise<void> }> {
  if (existsSync(`${ref}/deno.json`)) {
    return { root: Deno.realPathSync(ref), cleanup: async () => {} };
  }
  const dir = await Deno.makeTempDir({ prefix: "bibench-baseline-" });
  await git(["worktree", "add", "--detach", dir, ref]).catch(async (e) => {
    await Deno.remove(dir, { recursive: true });
    throw e;
  });
  return { root: dir, cleanup: () => git(["worktree", "remove", "--force", dir]) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const load = () => Deno.loadavg().map((v) => v.toFixed(2)).join(" ");
const ips = (ms: number) => (batch * 1000) / ms;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Per rep, baseline time / this time of the same rep's steps (> 1: this engine is faster). */
function pairedRatios(t: number[][][]): number[] {
  return t[0].map((mine, rep) => sum(t[1][rep]) / sum(mine));
}

/** A cell's ratio: the median paired ratio, its 95% interval and the pairs themselves. */
function ratioSummary(pairs: number[]) {
  return { ratio: median(pairs), ratio_interval: medianInterval(pairs), paired_ratios: pairs };
}

/** Kernel names that wrap other kernels (their time includes them): listed, never summed. */
const isWrapper = (name: string) => name === "forward" || name.endsWith("__op");

function profileTable(engine: string, cell: string, a: Answer, top: number): string[] {
  const kernels = [...a.kernels!].sort((x, y) => y.ms - x.ms);
  const total = kernels.filter((k) => !isWrapper(k.name))
    .reduce((s, k) => s + k.ms, 0);
  const out = [
    `  ${engine} ${cell}: profiled step ${a.profiledMs!.toFixed(1)} ms, kernels ${
      total.toFixed(1)
    } ms`,
  ];
  for (const k of kernels.slice(0, top)) {
    const share = isWrapper(k.name)
      ? "  (wraps)"
      : `${(100 * k.ms / a.profiledMs!).toFixed(1).padStart(5)}%`;
    out.push(
      `    ${k.name.padEnd(30)} ${k.ms.toFixed(1).padStart(8)} ms ${
        String(k.calls).padStart(5)
      } calls ${share}`,
    );
  }
  return out;
}

/** Runs the bench; bad arguments or a baseline that cannot be checked out are user errors. */
async function main(): Promise<number> {
  for (const [name, v] of [["batch", batch], ["steps", steps], ["reps", reps]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`--${name} must be a positive integer`);
  }
  const base = values.baseline ? await baselineRoot(values.baseline) : undefined;
  const engines = [new Engine("this", HERE.replace(/\/$/, ""))];
  if (base) engines.push(new Engine("baseline", base.root));
  try {
    console.log(
      `training step on tfjs wasm, batch ${batch}: ${steps} steps x ${reps} interleaved reps per cell ` +
        `and engine (img/s and ms: medians over steps; ratio: median over reps of the paired ` +
        `per-rep ratio, [95% interval] from 7 reps)`,
    );
    console.log(
      `this: ${engines[0].root}${base ? `\nbaseline: ${values.baseline} (${base.root})` : ""}`,
    );
    console.log(`load average (1/5/15 min) at start: ${load()}`);
    /** Step times per cell, [engine][rep] -> ms of that rep's steps. */
    const times = new Map<string, number[][][]>();
    const widths = new Map<string, (number | null)[]>();
    for (let rep = 0; rep < reps; rep++) {
      for (const arch of archs) {
        for (const algo of algos) {
          const key = `${arch}/${algo}`;
          const order = rep % 2 ? [...engines.keys()].reverse() : [...engines.keys()];
          for (const e of order) {
            const a = await engines[e].ask({ arch, algo, batch, steps });
            if (!times.has(key)) times.set(key, engines.map(() => []));
            times.get(key)![e].push(a.ms);
            widths.set(key, Object.assign(widths.get(key) ?? [], { [e]: a.firstChannels }));
          }
        }
      }
      console.log(`  rep ${rep + 1}/${reps} done, load average ${load()}`);
    }
    const digests = new Map<string, string[]>();
    for (const key of times.keys()) {
      const [arch, algo] = key.split("/");
      digests.set(
        key,
        await Promise.all(
          engines.map((e) =>
            e.ask({ arch, algo, batch, steps: 0, digest: true }).then((a) => a.digest!)
          ),
        ),
      );
    }
    console.log(`load average at end: ${load()}`);
    const head = base
      ? "arch       algo     this img/s  base img/s   this ms   base ms   ratio  95% interval  goal  weights"
      : "arch       algo     this img/s   this ms";
    console.log(head);
    const worst = new Map<string, number>();
    for (const [key, t] of times) {
      const [arch, algo] = key.split("/");
      const ms = t.map((perRep) => median(perRep.flat()));
      let line = `${arch.padEnd(10)} ${algo.padEnd(7)} ${ips(ms[0]).toFixed(1).padStart(11)}`;
      if (base) {
        const { ratio, ratio_interval: [lo, hi] } = ratioSummary(pairedRatios(t));
        worst.set(arch, Math.min(worst.get(arch) ?? Infinity, ratio));
        const interval = Number.isNaN(lo) ? "-" : `[${lo.toFixed(2)}, ${hi.toFixed(2)}]`;
        const same = digests.get(key)![0] === digests.get(key)![1] ? "identical" : "differ";
        line +=
          `${ips(ms[1]).toFixed(1).padStart(12)} ${ms[0].toFixed(1).padStart(9)} ${
            ms[1].toFixed(1).padStart(9)
          }` +
          `${ratio.toFixed(2).padStart(7)}x ${interval.padStart(13)} ${
            ratio >= GOAL ? " met" : "  no"
          }  ${same}`;
        const w = widths.get(key)!;
        if (w[0] !== w[1]) line += ` (first conv ${w[0]} vs ${w[1]} channels)`;
      } else line += ` ${ms[0].toFixed(1).padStart(9)}`;
      console.log(line);
    }
    if (base) {
      const verdicts = [...worst].map(([a, r]) =>
        `${a} ${r >= GOAL ? "met" : "not met"} (min ${r.toFixed(2)}x)`
      );
      console.log(
        `goal >= ${GOAL}x (median paired ratio) on every cell of an architecture: ${
          verdicts.join("; ")
        }`,
      );
    }
    if (values.profile) {
      console.log(`per-kernel profile of one step (top ${values.top} kernels by time):`);
      for (const arch of archs) {
        for (const algo of algos) {
          for (const e of engines) {
            const a = await e.ask({ arch, algo, batch, steps: 0, profile: true });
            console.log(profileTable(e.name, `${arch}/${algo}`, a, Number(values.top)).join("\n"));
          }
        }
      }
    }
    console.log(JSON.stringify({
      batch,
      load_average: Deno.loadavg(),
      cells: [...times].map(([key, t]) => ({
        cell: key,
        images_per_s: t.map((x) => ips(median(x.flat()))),
        ...(base ? ratioSummary(pairedRatios(t)) : {}),
      })),
    }));
  } finally {
    await Promise.all(engines.map((e) => e.close()));
    await base?.cleanup();
  }
  return 0;
}

Deno.exit(await runCli("bench:throughput", main));
