/**
 * `deno task bench`: expands the chosen tracks' grids, runs them (resuming finished runs), and
 * prints each track's table. Bad input is one line on stderr and exit status 2.
 */
import { parseArgs } from "node:util";
import { type BackendName, BACKENDS, initBackend } from "./tf.ts";
import { UserError } from "./errors.ts";
import { BASELINE_BINARIZERS, binarizerNames } from "./binarizers/mod.ts";
import { runGrid } from "./runner.ts";
import { loadDataset } from "./data/mod.ts";
import { renderTable } from "./report.ts";
import { getTrack, type Profile, PROFILES, trackNames } from "../tracks/mod.ts";

export const HELP = `Usage: deno task bench [options]

Trains fp32 and binarized networks on real data and prints each track's table.

Options:
  --profile smoke|quick|full  run size (default quick): smoke = tiny subsets, 1 seed, 1 epoch;
                              quick = whole grid at reduced size, 3 seeds; full = published setup
  --track NAME[,NAME...]      tracks to run (default: all): ${trackNames().join(", ")}
  --algo NAME[,NAME...]       binarizers (default: fp32 + ${BASELINE_BINARIZERS.join(", ")});
                              fp32 is always added so ratios can be computed
  --seeds N                   number of seeds (default: the profile's)
  --out DIR                   result directory (default results/PROFILE); finished runs are
                              skipped, so re-running the same command resumes
  --backend wasm|cpu          tfjs backend (default wasm)
  --data-dir DIR              directory holding Fashion-MNIST IDX files
                              (default /usr/share/datasets/fashion-mnist)
  -h, --help                  show this help
`;

/** Parsed and validated command line. */
export interface BenchArgs {
  profile: Profile;
  tracks: string[];
  binarizers: string[];
  seeds?: number;
  out: string;
  backend: BackendName;
  dataDir?: string;
}

function list(v: string | undefined): string[] | undefined {
  return v?.split(",").map((s) => s.trim()).filter(Boolean);
}

/** Parses argv; throws UserError with a one-line message on anything invalid. */
export function parseBenchArgs(argv: string[]): BenchArgs | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        profile: { type: "string", default: "quick" },
        track: { type: "string" },
        algo: { type: "string" },
        seeds: { type: "string" },
        out: { type: "string" },
        backend: { type: "string", default: "wasm" },
        "data-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UserError(`${(e as Error).message.split("\n")[0]} (see --help)`);
  }
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
  const algos = list(v.algo) ?? [...BASELINE_BINARIZERS];
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
  return {
    profile,
    tracks,
    binarizers,
    seeds,
    out: v.out ?? `results/${profile}`,
    backend,
    dataDir: v["data-dir"],
  };
}

/** Runs the benchmark for parsed arguments; returns the rendered tables. */
export async function bench(args: BenchArgs): Promise<string[]> {
  await initBackend(args.backend);
  const tables: string[] = [];
  for (const name of args.tracks) {
    const track = getTrack(name);
    const specs = track.grid({
      profile: args.profile,
      binarizers: args.binarizers,
      seeds: args.seeds,
    });
    // Fail on a missing or corrupt dataset before any training starts.
    for (const name of new Set(specs.map((s) => s.dataset))) {
      await loadDataset(name, { dir: name === "mnist" ? undefined : args.dataDir });
    }
    const results = await runGrid(specs, { out: args.out, env: { dataDir: args.dataDir } });
    tables.push(renderTable(track.summarize(results)));
  }
  return tables;
}

/** Entry point: exit 0 on success, 2 on a user error (one line, no stack trace). */
export async function main(argv: string[]): Promise<number> {
  try {
    const args = parseBenchArgs(argv);
    if (args === "help") {
      console.log(HELP);
      return 0;
    }
    for (const t of await bench(args)) console.log(`\n${t}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UserError) {
      console.error(`bench: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
