/**
 * `deno task bench`: expands the chosen tracks' grids, runs them (resuming finished runs), writes
 * one signed result bundle per run, and prints each track's table.
 *
 * Exit status: 0 all runs done, 1 some runs failed (a worker died), 2 usage error (one line on
 * stderr, no stack trace).
 */
import { type BackendName, BACKENDS, initBackend } from "../engine/tf.ts";
import { RunFailure, TimeLimitReached, UserError } from "../engine/errors.ts";
import { parseDuration, TimeLimit } from "../engine/grid/time_limit.ts";
import { binarizerNames } from "../engine/binarizers/mod.ts";
import { runGrid } from "../engine/grid/runner.ts";
import { finishedRuns } from "../engine/store/results.ts";
import { loadDataset } from "../engine/data/mod.ts";
import { parseShard, type Shard, shardOf } from "../engine/grid/shard.ts";
import { DEFAULT_INIT, type InitName, parentId, parseInit } from "../engine/init.ts";
import { runWithWorkers } from "../engine/grid/pool.ts";
import {
  DEFAULT_TRUSTED_FILE,
  keyDir,
  loadSigningKey,
  loadTrustedKeys,
} from "../engine/bundle/keys.ts";
import type { RunResult, RunSpec } from "../engine/run.ts";
import { CostModel, formatDuration } from "../engine/grid/progress.ts";
import { getTrack, type Profile, PROFILES, trackNames } from "../tracks/registry.ts";
import { renderTables } from "../tracks/summary.ts";
import { installPlugins } from "./plugins.ts";
import { parseCli } from "./args.ts";

/** The usage text (it lists the registered tracks and binarizers). */
export function help(): string {
  return `Usage: deno task bench [options]

Trains fp32 and binarized networks on real data and prints each track's table.

Options:
  --profile smoke|quick|full  run size (default quick): smoke = tiny subsets, 1 seed, 1 epoch;
                              quick = whole grid at reduced size, 3 seeds; full = published setup
  --track NAME[,NAME...]      tracks to run (default: all): ${trackNames().join(", ")}
  --algo NAME[,NAME...]       binarizers (default: fp32 + ${defaultBinarizers().join(", ")});
                              fp32 is always added so ratios can be computed
  --seeds N                   number of seeds (default: the profile's)
  --init fp32|scratch         where binarized training runs start (default fp32): fp32 = from
                              the trained fp32 network of the same task, model, setting and
                              seed (its parent, trained first); scratch = seeded random weights
  --out DIR                   result directory (default results/PROFILE); finished runs are
                              skipped, so re-running the same command resumes
  --backend wasm|cpu          tfjs backend (default wasm)
  --data-dir DIR              directory holding Fashion-MNIST IDX files
                              (default /usr/share/datasets/fashion-mnist)
  --shard I/N                 run only shard I of N (0-based: every N-th run of the grid from
                              run I); merge the shards' --out directories with deno task merge
  --workers N                 run pending runs in N local processes (default: the number of
                              cores, ${defaultWorkers()} here; 1 runs them in this process)
  --time-limit DURATION       start only runs that end within DURATION (e.g. 2h30m, 90m, 5400)
                              by their cost estimate, then stop between runs; the same command
                              resumes with the rest (exit status 3 while runs are left)
  -h, --help                  show this help

Every run is written as a result bundle (OUT/runs/<id>.json, weights beside it), signed with
the key made by deno task keygen when there is one; check bundles with deno task verify.
Exit status: 0 done, 1 some runs failed, 2 usage error, 3 stopped at --time-limit.
`;
}

/** Every registered binarizer but fp32: a binarizer registered in app/plugins.ts runs by default. */
export function defaultBinarizers(): string[] {
  return binarizerNames().filter((b) => b !== "fp32");
}

/** One worker process per core: training is single-threaded (tfjs wasm), so cores are idle else. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(64, navigator.hardwareConcurrency || 1));
}

/** Parsed and validated command line. */
export interface BenchArgs {
  profile: Profile;
  tracks: string[];
  binarizers: string[];
  seeds?: number;
  init: InitName;
  out: string;
  backend: BackendName;
  dataDir?: string;
  shard?: Shard;
  workers: number;
  /** --time-limit in seconds. */
  timeLimit?: number;
}

function list(v: string | undefined): string[] | undefined {
  return v?.split(",").map((s) => s.trim()).filter(Boolean);
}

/** Parses argv; throws UserError with a one-line message on anything invalid. */
export function parseBenchArgs(argv: string[]): BenchArgs | "help" {
  const parsed = parseCli(
    argv,
    {
      profile: { type: "string", default: "quick" },
      track: { type: "string" },
      algo: { type: "string" },
      seeds: { type: "string" },
      init: { type: "string", default: DEFAULT_INIT },
      out: { type: "string" },
      backend: { type: "string", default: "wasm" },
      "data-dir": { type: "string" },
      shard: { type: "string" },
      workers: { type: "string", default: String(defaultWorkers()) },
      "time-limit": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    { positionals: false },
  );
  const v = parsed.values;
  if (v.help) return "help";
  const profile = v.profile as Profile;
  if (!PROFILES.includes(profile)) {
    throw new UserError(`unknown profile "${v.profile}" (expected one of: ${PROFILES.join(", ")})`);
  }
  const backend = v.backend as BackendName;
  if (!BACKENDS.includes(backend)) {
    throw new UserError(`unknown backend "${v.backend}" (expected one of: ${BACKENDS.join(", ")})`);
  }
  const tracks = list(v.track) ?? trackNames();
  tracks.forEach(getTrack);
  const algos = list(v.algo) ?? defaultBinarizers();
  const known = binarizerNames();
  for (const a of algos) {
    if (!known.includes(a)) {
      throw new UserError(`unknown binarizer "${a}" in --algo (known: ${known.join(", ")})`);
    }
  }
  const binarizers = ["fp32", ...algos.filter((a) => a !== "fp32")];
  let seeds: number | undefined;
  if (v.seeds !== undefined) {
    seeds = Number(v.seeds);
    if (!Number.isInteger(seeds) || seeds < 1 || seeds > 100) {
      throw new UserError(`--seeds must be an integer from 1 to 100, got "${v.seeds}"`);
    }
  }
  const workers = Number(v.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    throw new UserError(`--workers must be an integer from 1 to 64, got "${v.workers}"`);
  }
  return {
    profile,
    tracks,
    binarizers,
    seeds,
    init: parseInit(v.init as string),
    out: v.out ?? `results/${profile}`,
    backend,
    dataDir: v["data-dir"],
    shard: v.shard === undefined ? undefined : parseShard(v.shard),
    workers,
    ...(v["time-limit"] === undefined ? {} : { timeLimit: parseDuration(v["time-limit"]) }),
  };
}

/** Says on stderr whether bundles will be signed, and with which key. */
async function announceSigning(): Promise<void> {
  const key = await loadSigningKey();
  if (!key) {
    let dir = "the config directory";
    try {
      dir = keyDir();
    } catch { /* keep the generic name */ }
    console.error(
      `bench: no signing key in ${dir}: writing UNSIGNED bundles (verify rejects them); ` +
        `create a key with: deno task keygen`,
    );
    return;
  }
  let trusted = false;
  try {
    trusted = (await loadTrustedKeys()).keys.has(key.keyId);
  } catch { /* an unreadable trusted-keys file is verify's business */ }
  console.error(
    `bench: signing bundles with key ${key.keyId} (${key.owner})` +
      (trusted ? "" : `; it is not in ${DEFAULT_TRUSTED_FILE}: add it (keygen --trust) or ` +
        `verify with --trusted FILE`),
  );
}

/**
 * What bench is about to do, in one line: profile, tracks, rows, runs left, workers and the
 * estimated time (runs priced by {@link CostModel}'s measured rates; runs that must run alone
 * hold every worker).
 */
async function planLine(args: BenchArgs, specs: RunSpec[]): Promise<string> {
  const { todo } = await finishedRuns(args.out, specs);
  const costs = new CostModel();
  const workers = Math.max(1, Math.min(args.workers, todo.length));
  let seconds = 0;
  let unpriced = 0;
  for (const s of todo) {
    const e = costs.estimate(s);
    if (Number.isFinite(e)) seconds += e / (getTrack(s.track).alone ? 1 : workers);
    else unpriced++;
  }
  const rows = args.binarizers.length;
  return `bench: profile ${args.profile}; init ${args.init}; tracks ${
    args.tracks.join(", ")
  }; ${rows} rows ` +
    `(${args.binarizers.join(", ")}); ${specs.length} runs, ${todo.length} to do` +
    (todo.length < specs.length ? ` (${specs.length - todo.length} already in ${args.out})` : "") +
    `; ${args.workers} worker${args.workers === 1 ? "" : "s"}; estimated ` +
    `${formatDuration(seconds)}` + (unpriced ? ` + ${unpriced} runs of unknown cost` : "") +
    " (rates measured on a 2-core machine)" +
    (args.timeLimit === undefined ? "" : `; time limit ${formatDuration(args.timeLimit)}`);
}

/**
 * The run a run waits for under `--workers` while that one is queued or running: its fp32 parent,
 * else the run whose trained network its track reuses (robust, infer: their task run).
 */
export function dependencyOf(spec: RunSpec): string | undefined {
  return parentId(spec) ?? getTrack(spec.track).reuses?.(spec)?.id;
}

function timeLimitReached(left: number, total: number, args: BenchArgs): TimeLimitReached {
  return new TimeLimitReached(
    `time limit: ${total - left}/${total} runs done in ${args.out}, ${left} left (none of them ` +
      `would end within --time-limit by its estimate); run the same command again to resume`,
  );
}

/** Runs the benchmark for parsed arguments; returns the rendered tables. */
export async function bench(args: BenchArgs): Promise<string[]> {
  const grid = args.tracks.flatMap((name) =>
    getTrack(name).grid({
      profile: args.profile,
      binarizers: args.binarizers,
      seeds: args.seeds,
      init: args.init,
    })
  );
  // A parent and its fp32-initialised children share a shard (engine/init.ts).
  const specs = shardOf(grid, args.shard, (s) => parentId(s) ?? s.id);
  // Fail on a missing or corrupt dataset before any training starts.
  for (const name of new Set(specs.map((s) => s.dataset))) {
    await loadDataset(name, { dir: args.dataDir });
  }
  await announceSigning();
  console.error(await planLine(args, specs));
  if (args.shard) {
    console.error(
      `bench: shard ${args.shard.index}/${args.shard.count}: ${specs.length} of ${grid.length} ` +
        `runs; merge the shards' output directories with deno task merge for the full tables`,
    );
  }
  const timeLimit = args.timeLimit === undefined ? undefined : new TimeLimit(args.timeLimit);
  let results: RunResult[];
  if (args.workers > 1) {
    const failed = await runWithWorkers(specs, {
      entry: new URL("./worker.ts", import.meta.url),
      out: args.out,
      workers: args.workers,
      backend: args.backend,
      dataDir: args.dataDir,
      alone: (s) => getTrack(s.track).alone === true,
      dependsOn: dependencyOf,
      timeLimit,
    });
    if (failed.length > 0) {
      throw new RunFailure(
        `${failed.length} run(s) failed: ${failed.map((f) => `${f.id} (${f.reason})`).join("; ")}` +
          `; finished runs are kept in ${args.out}: run the same command again to resume`,
      );
    }
    const stored = await finishedRuns(args.out, specs);
    const missing = stored.todo[0];
    if (missing && timeLimit) throw timeLimitReached(stored.todo.length, specs.length, args);
    if (missing) {
      throw new RunFailure(`run ${missing.id} has no valid bundle in ${args.out} after the run`);
    }
    results = stored.results as RunResult[];
  } else {
    await initBackend(args.backend);
    results = await runGrid(specs, {
      out: args.out,
      env: { dataDir: args.dataDir },
      signer: await loadSigningKey(),
      timeLimit,
    });
    if (results.length < specs.length) {
      throw timeLimitReached(specs.length - results.length, specs.length, args);
    }
  }
  const { tables, overview } = renderTables(results, args.tracks);
  return [...tables, overview];
}

/**
 * Entry point: exit 0 on success, 1 when runs failed, 2 on a user error, 3 when --time-limit
 * stopped it with runs left (one line each).
 */
export async function main(argv: string[]): Promise<number> {
  try {
    const args = parseBenchArgs(argv);
    if (args === "help") {
      console.log(help());
      return 0;
    }
    for (const t of await bench(args)) console.log(`\n${t}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UserError) {
      console.error(`bench: ${e.message}`);
      return 2;
    }
    if (e instanceof RunFailure) {
      console.error(`bench: ${e.message}`);
      return 1;
    }
    if (e instanceof TimeLimitReached) {
      console.error(`bench: ${e.message}`);
      return 3;
    }
    throw e;
  }
}

if (import.meta.main) {
  installPlugins();
  Deno.exit(await main(Deno.args));
}
