/**
 * Speed-up of `bench --workers N` on a small grid: the same grid (default: smoke profile,
 * --algo bnn, 4 runs) into fresh directories with 1 worker (in process) and with N workers,
 * measured side by side in one run. tfjs wasm is single-threaded under Deno, so the ceiling is the
 * number of free cores.
 *
 *   deno task bench:workers [--workers 2] [--algo bnn] [--profile smoke]
 */
import { parseArgs } from "node:util";
import { BENCH_PERMISSIONS } from "../engine/grid/pool.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    workers: { type: "string", default: "2" },
    algo: { type: "string", default: "bnn" },
    profile: { type: "string", default: "smoke" },
  },
});
const cli = new URL("../app/bench.ts", import.meta.url).pathname;
const keys = await Deno.makeTempDir(); // no key: unsigned bundles, same work either way

async function timed(workers: number): Promise<number> {
  const out = await Deno.makeTempDir({ prefix: "bibench-workers-" });
  const t0 = performance.now();
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...BENCH_PERMISSIONS,
      cli,
      "--profile",
      values.profile,
      "--algo",
      values.algo,
      "--track",
      "task",
      "--out",
      out,
      "--workers",
      String(workers),
    ],
    env: { BIBENCH_KEY_DIR: keys },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const s = (performance.now() - t0) / 1000;
  await Deno.remove(out, { recursive: true });
  if (r.code !== 0) {
    throw new Error(`bench --workers ${workers} failed: ${new TextDecoder().decode(r.stderr)}`);
  }
  return s;
}

/** 1-minute load average: other work on the machine caps the speed-up (cores - load). */
function load(): string {
  try {
    return Deno.loadavg()[0].toFixed(2);
  } catch {
    return "?";
  }
}

const n = Number(values.workers);
console.log(
  `cores: ${navigator.hardwareConcurrency}; grid: --profile ${values.profile} --algo ` +
    `${values.algo}; load average before: ${load()}`,
);
const one = await timed(1);
console.log(`1 worker:  ${one.toFixed(1)} s (load average after: ${load()})`);
const many = await timed(n);
console.log(`${n} workers: ${many.toFixed(1)} s (load average after: ${load()})`);
console.log(`speed-up: ${(one / many).toFixed(2)}x`);
await Deno.remove(keys, { recursive: true });
