/**
 * Result bundles: the schema (one source, generated file in sync, strict), keys, signatures,
 * content ids, and the verifier against every kind of bad input — each leaf of a real bundle
 * changed one at a time, random mutations (fast-check), and the named bad inputs of the issue.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { join } from "node:path";
import { initBackend } from "../../engine/tf.ts";
import { executeRun, type RunSpec } from "../../engine/run.ts";
import { bundleSchema, SCHEMA_FILE } from "../../engine/bundle/schema.ts";
import { contentId } from "../../engine/bundle/canonical.ts";
import { generateKey, loadSigningKey, loadTrustedKeys } from "../../engine/bundle/keys.ts";
import { signBundle } from "../../engine/bundle/sign.ts";
import { bundleToResult, makeBundle, seedsOf } from "../../engine/bundle/make.ts";
import { consistencyProblem, verifyBytes, type VerifyOptions } from "../../engine/bundle/verify.ts";
import { checkShape, MAX_BUNDLE_BYTES, parseJsonText } from "../../engine/bundle/validate.ts";
import { readResult, writeRun } from "../../engine/store/results.ts";
import { compareBundles } from "../../engine/reproduce.ts";
import { planMerge } from "../../engine/bundle/merge.ts";
import {
  bytesOf,
  changed,
  ENGINE,
  ENVIRONMENT,
  leafPaths,
  setAt,
  syntheticBundle,
  syntheticResult,
  tempKey,
} from "../../benches/fixtures/bundles.ts";
import type { Bundle } from "../../engine/bundle/schema.ts";
import { installPlugins } from "../../app/plugins.ts";

installPlugins();

const MERGE = new URL("../../app/merge.ts", import.meta.url).pathname;
const k1 = await tempKey("alice");
const k2 = await tempKey("mallory"); // a valid key nobody trusts
const opts: VerifyOptions = { trusted: k1.trusted };

async function check(v: unknown, o: VerifyOptions = opts) {
  return await verifyBytes(
    typeof v === "string" ? new TextEncoder().encode(v) : bytesOf(v),
    "mem.json",
    o,
  );
}

/** Re-derives the content id (a careful tamperer) and optionally re-signs. */
async function reId(b: Bundle, key = k1.key, sign = true): Promise<Bundle> {
  const { signature: _s, ...rest } = b;
  const id = await contentId(rest);
  return sign ? await signBundle({ ...rest, id }, key) : ({ ...rest, id } as Bundle);
}

Deno.test("the schema file is generated from schema.ts and up to date", async () => {
  const file = JSON.parse(
    await Deno.readTextFile(new URL(`../../engine/bundle/${SCHEMA_FILE}`, import.meta.url)),
  );
  assert.deepEqual(file, JSON.parse(JSON.stringify(bundleSchema)), "run: deno task schema");
});

Deno.test("keygen: private key mode 0600, fingerprint of the public key, no overwrite", async () => {
  const dir = await Deno.makeTempDir();
  const e = await generateKey("bob", { dir });
  assert.match(e.fingerprint, /^ed25519:[0-9a-f]{32}$/);
  const st = await Deno.stat(join(dir, "signing-key.json"));
  assert.equal(st.mode! & 0o777, 0o600);
  const k = await loadSigningKey(dir);
  assert.equal(k?.keyId, e.fingerprint);
  await assert.rejects(generateKey("bob", { dir }), /already exists/);
  await Deno.chmod(join(dir, "signing-key.json"), 0o644);
  await assert.rejects(loadSigningKey(dir), /readable by others .*chmod 600/);
  assert.equal(await loadSigningKey(join(dir, "none")), null);
  // A trusted-keys entry whose fingerprint is not its key's is refused.
  const bad = join(dir, "trusted.json");
  await Deno.writeTextFile(
    bad,
    JSON.stringify([{ ...e, fingerprint: "ed25519:" + "0".repeat(32) }]),
  );
  await assert.rejects(loadTrustedKeys(bad), /fingerprint does not match/);
  await Deno.remove(dir, { recursive: true });
});

// One real (tiny) training run, written by the runner: the bundle every later test mutates.
await initBackend("wasm");
const spec: RunSpec = {
  id: "task/mnist/mlp/bnn/seed3",
  kind: "train",
  track: "task",
  task: "mnist",
  dataset: "mnist",
  model: "mlp",
  width: 0.5,
  binarizer: "bnn",
  seed: 3,
  profile: "smoke",
  train: {
    optimizer: "adam",
    lr: 1e-3,
    momentum: 0.9,
    weightDecay: 0,
    schedule: "cosine",
    epochs: 2,
    batchSize: 32,
  },
  limit: { train: 96, val: 32, test: 64 },
};
const outDir = await Deno.makeTempDir({ prefix: "bibench-bundle-" });
const output = await executeRun(spec);
const real = await writeRun(outDir, output, k1.key);
const realPath = join(outDir, "runs", `${spec.id}.json`);

Deno.test("a bundle the runner writes verifies, reads back as the same result, and resumes", async () => {
  const v = await verifyBytes(await Deno.readFile(realPath), realPath, opts);
  assert.equal(v.ok, true, v.reason);
  assert.equal(v.signer?.owner, "alice");
  assert.deepEqual(v.notes, []); // weights file present and matching
  assert.deepEqual(real.seeds, seedsOf(spec));
  assert.equal(real.config.id, spec.id);
  const back = bundleToResult(real);
  assert.deepEqual(back.metrics, output.result.metrics);
  assert.deepEqual(back.curves, output.result.curves);
  assert.deepEqual((await readResult(outDir, spec))?.metrics, output.result.metrics);
  assert.equal(await readResult(outDir, { ...spec, seed: 4 }), null, "another spec is not done");
  // A changed weights file is caught.
  const wpath = join(outDir, "runs", "task/mnist/mlp/bnn/seed3.weights.bin");
  const w = await Deno.readFile(wpath);
  w[w.length - 1] ^= 1;
  const copy = join(outDir, "copy");
  await Deno.mkdir(copy, { recursive: true });
  await Deno.writeFile(join(copy, "seed3.json"), await Deno.readFile(realPath));
  await Deno.writeFile(join(copy, "seed3.weights.bin"), w);
  const bad = await verifyBytes(await Deno.readFile(realPath), join(copy, "seed3.json"), opts);
  assert.match(bad.reason ?? "", /weights file seed3.weights.bin does not match/);
});

Deno.test("every leaf of a real bundle changed one at a time is caught", async () => {
  const leaves = leafPaths(real);
  assert.ok(leaves.length > 60, `only ${leaves.length} leaves`);
  for (const [path, value] of leaves) {
    const mutated = setAt(real, path, changed(value)) as Bundle;
    const v = await check(mutated);
    assert.equal(v.ok, false, `change of /${path.join("/")} was not caught`);
    assert.doesNotMatch(v.reason!, /\n/);
    // A careful tamperer also fixes the content id: the signature still catches it...
    if (path[0] === "id" || path[0] === "signature") continue;
    const fixed = await reId(mutated, k1.key, false);
    fixed.signature = real.signature;
    const w = await check(fixed);
    assert.equal(w.ok, false, `re-id'd change of /${path.join("/")} was not caught`);
  }
});

Deno.test("named bad inputs: one clear line each, never a throw", async () => {
  const text = JSON.stringify(real, null, 1);
  const other = await syntheticBundle(7, k1.key);
  const cases: [string, unknown, RegExp][] = [
    ["malformed JSON", text.replace('"schema":', '"schema"'), /^not valid JSON/],
    ["truncated JSON", text.slice(0, text.length / 2), /^truncated JSON/],
    ["empty file", "", /^empty file/],
    ["top-level array", "[1, 2]", /top level must be a JSON object, got array/],
    [
      "wrong type",
      setAt(real, ["results", "metrics", "testAccuracy"], "0.9"),
      /\/results\/metrics\/testAccuracy: expected number, got string/,
    ],
    ["extra field", { ...real, extra: 1 }, /^schema: unexpected field \/extra$/],
    [
      "extra nested field",
      setAt(real, ["environment", "hostname"], "box"),
      /unexpected field \/environment\/hostname/,
    ],
    ["missing field", (({ seeds: _s, ...r }) => r)(real), /^schema: missing field \/seeds$/],
    [
      "NaN",
      text.replace(/"testAccuracy": [0-9.e-]+/, '"testAccuracy": NaN'),
      /non-finite number NaN at line \d+/,
    ],
    [
      "Infinity",
      text.replace(/"trainSeconds": [0-9.e-]+/, '"trainSeconds": -Infinity'),
      /non-finite number -Infinity/,
    ],
    [
      "overflowing number",
      text.replace(/"trainSeconds": [0-9.e-]+/, '"trainSeconds": 1e999'),
      /number out of range at \/results\/timings\/trainSeconds/,
    ],
    [
      "future schema",
      { ...real, schema: "bibench-bundle/2" },
      /unsupported schema version "bibench-bundle\/2"/,
    ],
    [
      "tampered number",
      setAt(real, ["results", "metrics", "testAccuracy"], 0.999),
      /^content id mismatch/,
    ],
    ["swapped signature", { ...real, signature: other.signature }, /^bad signature/],
    ["unsigned", (({ signature: _s, ...r }) => r)(real), /^unsigned bundle/],
    [
      "untrusted key, valid signature",
      await reId(real, k2.key),
      /^valid signature by untrusted key ed25519:[0-9a-f]{32}/,
    ],
    [
      "key id of another key",
      setAt(real, ["signature", "keyId"], k2.key.keyId),
      /keyId .* does not match its public key/,
    ],
    ["deep nesting", "[".repeat(100_000) + "]".repeat(100_000), /nested|top level/],
    [
      "path traversal id",
      setAt(real, ["config", "id"], "../../etc/x"),
      /\/config\/id: .* not of the expected form/,
    ],
  ];
  for (const [name, input, want] of cases) {
    const v = await check(input);
    assert.equal(v.ok, false, `${name} passed`);
    assert.match(v.reason!, want, `${name}: ${v.reason}`);
    assert.doesNotMatch(v.reason!, /\n|\bat .*\.ts:\d+/, `${name}: not one line`);
  }
  const huge = new Uint8Array(MAX_BUNDLE_BYTES + 1).fill(0x20);
  const v = await verifyBytes(huge, "huge.json", opts);
  assert.match(v.reason!, /over the 4194304-byte bundle limit/);
  const notUtf8 = await verifyBytes(new Uint8Array([0x7b, 0xff, 0x7d]), "x.json", opts);
  assert.match(notUtf8.reason!, /not UTF-8/);
});

Deno.test("internal consistency: out-of-range, recomputed and derived numbers", async () => {
  const cases: [string, (b: Bundle) => unknown, RegExp][] = [
    [
      "accuracy > 1",
      (b) => setAt(b, ["results", "metrics", "testAccuracy"], 1.5),
      /\/results\/metrics\/testAccuracy: 1.5 is out of range \(must be <= 1\)/,
    ],
    [
      "accuracy not k/n",
      (b) => setAt(b, ["results", "metrics", "testAccuracy"], 0.5001),
      /testAccuracy 0.5001 is not a whole count out of 64/,
    ],
    [
      "final metric not the last epoch's",
      (b) => setAt(b, ["results", "metrics", "valAccuracy"], 0.5),
      /valAccuracy 0.5 is not the last epoch's/,
    ],
    [
      "negative time",
      (b) => setAt(b, ["results", "timings", "trainSeconds"], -1),
      /trainSeconds: -1 is out of range/,
    ],
    [
      "epochs beyond train time",
      (b) => setAt(b, ["results", "timings", "trainSeconds"], 0.001),
      /epoch times add up to/,
    ],
    [
      "seed not derived",
      (b) => setAt(b, ["seeds", "init"], 5),
      /seeds.init is 5, but config.seed 3 gives/,
    ],
    [
      "missing epoch",
      (b) => setAt(b, ["results", "curves"], b.results.curves.slice(1)),
      /1 epoch records for 2 configured epochs/,
    ],
    [
      "dataset digest not official",
      (b) => setAt(b, ["datasets", 0, "files", 0, "sha256"], "0".repeat(64)),
      /SHA-256 is not the official one/,
    ],
  ];
  for (const [name, mutate, want] of cases) {
    const bad = await reId(mutate(real) as Bundle);
    const v = await check(bad);
    assert.equal(v.ok, false, `${name} passed`);
    assert.match(v.reason!, want, `${name}: ${v.reason}`);
  }
});

Deno.test("fast-check: random mutations of a bundle are caught, one line, never a throw", async () => {
  const text = JSON.stringify(real, null, 1);
  const leaves = leafPaths(real);
  const jsonValue = fc.oneof(
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
  );
  const mutation = fc.oneof(
    // Replace a leaf with another JSON value.
    fc.record({
      kind: fc.constant("set" as const),
      leaf: fc.nat({ max: leaves.length - 1 }),
      value: jsonValue,
    }),
    // Delete an object field.
    fc.record({ kind: fc.constant("delete" as const), leaf: fc.nat({ max: leaves.length - 1 }) }),
    // Add a field somewhere.
    fc.record({
      kind: fc.constant("add" as const),
      leaf: fc.nat({ max: leaves.length - 1 }),
      name: fc.string({ minLength: 1, maxLength: 8 }),
      value: jsonValue,
    }),
    // Cut the text, or splice a character into it.
    fc.record({ kind: fc.constant("cut" as const), at: fc.nat({ max: text.length - 1 }) }),
    fc.record({
      kind: fc.constant("splice" as const),
      at: fc.nat({ max: text.length - 1 }),
      ch: fc.string({ minLength: 1, maxLength: 2 }),
    }),
  );
  await fc.assert(
    fc.asyncProperty(mutation, async (m) => {
      let input: string;
      if (m.kind === "cut") input = text.slice(0, m.at);
      else if (m.kind === "splice") input = text.slice(0, m.at) + m.ch + text.slice(m.at);
      else {
        const [path, old] = leaves[m.leaf];
        let v: unknown;
        if (m.kind === "set") {
          fc.pre(JSON.stringify(m.value) !== JSON.stringify(old));
          v = setAt(real, path, m.value);
        } else {
          const parent = path.slice(0, -1);
          v = structuredClone(real);
          let o = v as Record<string | number, unknown>;
          for (const k of parent) o = o[k] as Record<string | number, unknown>;
          if (m.kind === "delete") {
            fc.pre(!Array.isArray(o));
            delete o[path[path.length - 1]];
          } else {
            fc.pre(!Array.isArray(o) && !(m.name in o));
            o[m.name] = m.value;
          }
        }
        input = JSON.stringify(v, null, 1);
      }
      // Whitespace-only splices leave the same JSON: that bundle is still the genuine one
      // (read as verify reads it: "-0" for 0 or a repeated key is not the same JSON).
      const parsed = parseJsonText(input);
      const same = parsed.ok && JSON.stringify(parsed.value) === JSON.stringify(real);
      const v = await check(input);
      if (same) return v.ok;
      return !v.ok && typeof v.reason === "string" && v.reason.length > 0 &&
        !v.reason.includes("\n") && !v.reason.startsWith("internal error");
    }),
    { numRuns: 400 },
  );
});

Deno.test("reproduction compare: exact in the same environment, tolerance otherwise", async () => {
  const a = await syntheticBundle(3, k1.key);
  assert.equal(compareBundles(a, a).exact, true);
  const timingOnly = await reId(setAt(a, ["results", "timings", "trainSeconds"], 99) as Bundle);
  const r0 = compareBundles(a, timingOnly);
  assert.equal(r0.exact, true, "timings are not compared");
  const moved = await reId(
    setAt(
      a,
      ["results", "metrics", "testAccuracy"],
      a.results.metrics.testAccuracy + 1 / 64,
    ) as Bundle,
  );
  const r1 = compareBundles(a, moved);
  assert.equal(r1.ok, false);
  assert.match(
    r1.summary,
    /^MISMATCH \(same environment\): 1 value\(s\) differ: \/metrics\/testAccuracy/,
  );
  const elsewhere = {
    ...moved,
    environment: { ...ENVIRONMENT, cpu: { ...ENVIRONMENT.cpu, flags: ["avx512f"] } },
  };
  const r2 = compareBundles(a, elsewhere);
  assert.equal(r2.ok, true, r2.summary);
  assert.match(r2.summary, /^within tolerance \(different environment \(cpu.flags/);
  const far = {
    ...elsewhere,
    results: { ...elsewhere.results, metrics: { ...elsewhere.results.metrics, testAccuracy: 0.1 } },
  };
  assert.equal(compareBundles(a, far).ok, false);
  const otherSeed = { ...elsewhere, seeds: { ...elsewhere.seeds, init: 1 } };
  assert.equal(compareBundles(a, otherSeed).ok, false, "seeds are always exact");
});

Deno.test("makeBundle records no local path, host or user name", async () => {
  const r = output.result;
  const b = await makeBundle({
    ...r,
    dataset: { ...r.dataset!, source: "/home/someone/data/fashion" },
  }, {
    engine: ENGINE,
    environment: ENVIRONMENT,
  });
  const text = JSON.stringify(b);
  assert.equal(b.datasets[0].source, "dir:fashion");
  assert.doesNotMatch(text, /\/home\/|hostname/);
  let host = "";
  try {
    host = Deno.hostname();
  } catch { /* no permission */ }
  if (host.length > 3) assert.ok(!JSON.stringify(real).includes(`"${host}"`));
});

Deno.test("consistency: runs that reuse a task run's training (robust, infer) need no curves", async () => {
  const task = syntheticResult(5);
  const derived = {
    ...task,
    spec: { ...task.spec, id: "robust/mnist/cnn/bnn/seed5", kind: "robust", track: "robust" },
    metrics: { cleanAccuracy: 0.5, testAccuracy: 0.5 },
    curves: [],
    timings: { evalSeconds: 0.2 },
  };
  const ctx = { engine: ENGINE, environment: ENVIRONMENT, created: new Date(Date.UTC(2025, 0, 1)) };
  const ok = await makeBundle(derived, ctx) as Bundle;
  assert.equal(consistencyProblem(ok), null);
  // A train run must still have one curve per configured epoch.
  const lost = await makeBundle({ ...task, curves: [] }, ctx) as Bundle;
  assert.match(consistencyProblem(lost) ?? "", /0 epoch records for 2 configured epochs/);
});

Deno.test("results.kernels (which binary kernels an inference run timed): optional, kept, checked", async () => {
  const r = syntheticResult(6);
  const ctx = { engine: ENGINE, environment: ENVIRONMENT, created: new Date(Date.UTC(2025, 0, 1)) };
  const kernels = { family: "native-avx2", cpuFeatures: ["popcnt", "avx2"], threads: 1 };
  const b = await makeBundle({ ...r, kernels }, ctx);
  assert.deepEqual(b.results.kernels, kernels);
  assert.deepEqual(bundleToResult(b).kernels, kernels);
  const withId = (x: unknown) => ({ ...(x as object), id: `sha256:${"0".repeat(64)}` });
  assert.equal(checkShape(withId(b)).ok, true, "a native record is valid");
  const plain = await makeBundle(r, ctx);
  assert.equal(plain.results.kernels, undefined, "absent when not recorded");
  const bad = { ...b, results: { ...b.results, kernels: { ...kernels, family: "gpu" } } };
  assert.equal(checkShape(withId(bad)).ok, false, "an unknown family is refused");
  // The race's record: lut kept because it was faster than the native path measured beside it.
  const raced = {
    family: "lut",
    cpuFeatures: ["popcnt", "avx2"],
    threads: 1,
    choice: "measured" as const,
    nativeFamily: "native-popcnt",
    nativeSpeedup: 0.78,
  };
  const rb = await makeBundle({ ...r, kernels: raced }, ctx);
  assert.deepEqual(bundleToResult(rb).kernels, raced);
  assert.equal(checkShape(withId(rb)).ok, true, "a raced record is valid");
  for (const k of [{ choice: "guessed" }, { nativeFamily: "lut" }, { nativeSpeedup: -1 }]) {
    const x = { ...rb, results: { ...rb.results, kernels: { ...raced, ...k } } };
    assert.equal(checkShape(withId(x)).ok, false, `refused: ${JSON.stringify(k)}`);
  }
});

// ---- issue 12: the bytes that were signed ----

const PUBLISHED = new URL("../../bundles/runs/task/mnist/cnn/bnn/seed0.json", import.meta.url);
const published = await Deno.readTextFile(PUBLISHED);
const publishedKeys = await loadTrustedKeys(
  new URL("../../bundles/trusted-keys.json", import.meta.url).pathname,
);

/**
 * JSON text of `v` (as bench writes it) with one more entry for `key` in the object at `path`,
 * written just before or just after the original entry.
 */
function withDuplicate(
  v: unknown,
  path: string[],
  key: string,
  dup: unknown,
  before: boolean,
): string {
  const write = (x: unknown, at: string[]): string => {
    if (Array.isArray(x)) return `[${x.map((y, i) => write(y, [...at, String(i)])).join(",\n")}]`;
    if (x === null || typeof x !== "object") return JSON.stringify(x);
    const entries: string[] = [];
    for (const [k, y] of Object.entries(x)) {
      const own = `${JSON.stringify(k)}: ${write(y, [...at, k])}`;
      const here = at.length === path.length && at.every((s, i) => s === path[i]) && k === key;
      const extra = `${JSON.stringify(k)}: ${JSON.stringify(dup)}`;
      entries.push(...(here ? (before ? [extra, own] : [own, extra]) : [own]));
    }
    return `{${entries.join(",\n")}}`;
  };
  return write(v, []);
}

/** Every object in `v` with its path and keys. */
function objectsOf(v: unknown, at: string[] = []): { path: string[]; keys: string[] }[] {
  if (v === null || typeof v !== "object") return [];
  const kids = Object.entries(v).flatMap(([k, y]) => objectsOf(y, [...at, k]));
  return Array.isArray(v) ? kids : [{ path: at, keys: Object.keys(v) }, ...kids];
}

Deno.test("fast-check: a duplicate key at any depth of a published bundle is refused", async () => {
  const trusted = { trusted: publishedKeys };
  const ok = await verifyBytes(new TextEncoder().encode(published), PUBLISHED.pathname, trusted);
  assert.ok(ok.ok, ok.reason);
  const value = JSON.parse(published);
  // The rewriter itself changes nothing: without a duplicate the text still verifies.
  const plain = withDuplicate(value, ["no such object"], "x", 0, true);
  assert.ok((await verifyBytes(new TextEncoder().encode(plain), "p.json", trusted)).ok);
  const objects = objectsOf(value);
  assert.ok(objects.length > 10 && Math.max(...objects.map((o) => o.path.length)) >= 3);
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: objects.length - 1 }),
      fc.nat(),
      fc.boolean(),
      // Any JSON value the parser reads (no negative zero or subnormal: refused on their own).
      fc.oneof(
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true })
          .filter((x) => !Object.is(x, -0) && (x === 0 || Math.abs(x) >= 2 ** -1022)),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 3 }),
        fc.array(fc.string(), { maxLength: 3 }),
        fc.constant("copy"),
      ),
      async (o, k, before, dupValue) => {
        const { path, keys } = objects[o];
        fc.pre(keys.length > 0);
        const key = keys[k % keys.length];
        type Obj = Record<string, unknown>;
        const original = path.reduce<Obj>((x, s) => x[s] as Obj, value)[key];
        const dup = dupValue === "copy" ? original : dupValue;
        const text = withDuplicate(value, path, key, dup, before);
        const v = await verifyBytes(new TextEncoder().encode(text), "dup.json", trusted);
        return !v.ok && /^duplicate key /.test(v.reason!) && !v.reason!.includes("\n");
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("issue 12 cases: each degenerate value is refused with one line", async () => {
  const zero = await reId(setAt(real, ["results", "metrics", "testAccuracy"], 0) as Bundle);
  assert.ok((await check(zero)).ok, "testAccuracy 0 is a whole count and verifies");
  const zeroText = JSON.stringify(zero, null, 1);
  const sig = real.signature!.value;
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const flipped = sig.slice(0, 85) + B64[B64.indexOf(sig[85]) ^ 1] + "==";
  const resigned = async (path: (string | number)[], v: unknown) =>
    await reId(setAt(real, path, v) as Bundle);
  const cases: [string, unknown, RegExp][] = [
    [
      "signature in non-canonical base64 (padding bits set)",
      setAt(real, ["signature", "value"], flipped),
      /^schema: \/signature\/value: .* is not of the expected form/,
    ],
    [
      "1 MB executor option",
      await resigned(["config", "options"], { x: "a".repeat(1_000_000) }),
      /^schema: \/config\/options\/x: 1000000 characters, over the limit of 256$/,
    ],
    [
      "evalSeconds 1e308",
      await resigned(["results", "timings", "evalSeconds"], 1e308),
      /^schema: \/results\/timings\/evalSeconds: 1e\+308 is out of range \(must be <= 1000000\)/,
    ],
    [
      "testF1 1e308",
      await resigned(["results", "metrics", "testF1"], 1e308),
      /^schema: \/results\/metrics\/testF1: 1e\+308 is out of range \(must be <= 1\)/,
    ],
    [
      "testAccuracy 1e308",
      await resigned(["results", "metrics", "testAccuracy"], 1e308),
      /testAccuracy: 1e\+308 is out of range/,
    ],
    [
      "params 1e15",
      await resigned(["results", "metrics", "params"], 1e15),
      /^schema: \/results\/metrics\/params: 1000000000000000 is out of range/,
    ],
    [
      "width 1e-320 (subnormal)",
      JSON.stringify(await resigned(["config", "width"], 1e-320), null, 1),
      /^subnormal number 1e-320 at \/config\/width/,
    ],
    [
      "width 0.001",
      await resigned(["config", "width"], 0.001),
      /\/config\/width: 0.001 is out of range \(must be >= 0.015625\)/,
    ],
    [
      "testAccuracy -0",
      zeroText.replace('"testAccuracy": 0,', '"testAccuracy": -0,'),
      /^negative zero at \/results\/metrics\/testAccuracy \(-0; write 0\)$/,
    ],
    [
      "testAccuracy 5e-324 (subnormal)",
      zeroText.replace('"testAccuracy": 0,', '"testAccuracy": 5e-324,'),
      /^subnormal number 5e-324 at \/results\/metrics\/testAccuracy/,
    ],
    [
      "testAccuracy 1e-13 (not a whole count)",
      await resigned(["results", "metrics", "testAccuracy"], 1e-13),
      /testAccuracy 1e-13 is not a whole count out of 64/,
    ],
    [
      "long environment string",
      await resigned(["environment", "kernel"], `\u202e${"k".repeat(300)}`),
      /^schema: \/environment\/kernel: 301 characters/,
    ],
    [
      "bidi key in a duplicate",
      JSON.stringify(real, null, 1).replace(
        '"results": {',
        '"results": {"a\u202eb": 1, "a\u202eb": 2,',
      ),
      /^duplicate key "a\\u202eb" in \/results/,
    ],
  ];
  for (const [name, input, want] of cases) {
    const v = await check(input);
    assert.equal(v.ok, false, `${name} passed`);
    assert.match(v.reason!, want, `${name}: ${v.reason}`);
    assert.doesNotMatch(v.reason!, /[\n\u202e]/, `${name}: not one escaped line`);
  }
});

Deno.test("merge copies only bundles that verify: a duplicate key is a problem", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bibench-merge-" });
  const good = await syntheticBundle(5, k1.key);
  await Deno.writeFile(join(dir, "good.json"), bytesOf(good));
  const ok = await planMerge([dir], k1.trusted);
  assert.deepEqual(ok.problems, []);
  assert.equal(ok.items.length, 1);
  const text = new TextDecoder().decode(bytesOf(await syntheticBundle(6, k1.key)));
  await Deno.writeTextFile(
    join(dir, "forged.json"),
    text.replace('"results": {', '"results": {"metrics": {"testAccuracy": 1},'),
  );
  const plan = await planMerge([dir], k1.trusted);
  assert.equal(plan.problems.length, 1, plan.problems.join("\n"));
  assert.match(plan.problems[0], /forged\.json: duplicate key "metrics" in \/results/);
});

Deno.test("merge --sign: runs signed by other keys or unsigned are published under one key", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bibench-sign-" });
  const inDir = join(dir, "in"), out = join(dir, "out");
  await Deno.mkdir(inDir);
  const inputs = [
    await syntheticBundle(7, null),
    await syntheticBundle(8, k2.key),
    await syntheticBundle(9, k1.key),
  ];
  for (const b of inputs) await Deno.writeFile(join(inDir, `${b.config.seed}.json`), bytesOf(b));
  const merge = (args: string[], keyDir = join(k1.dir, "keys")) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-sys", MERGE, ...args],
      env: { BIBENCH_KEY_DIR: keyDir },
      stdout: "piped",
      stderr: "piped",
    }).output().then((o) => ({ code: o.code, stderr: new TextDecoder().decode(o.stderr) }));

  const r = await merge([
    inDir,
    "--out",
    out,
    "--sign",
    "--no-weights",
    "--trusted",
    k1.trustedFile,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`3 run\\(s\\) in .*3 written.*2 signed with ${k1.key.keyId}\\b`),
  );
  for (const b of inputs) {
    const path = join(out, "runs", `${b.config.id}.json`);
    const bytes = await Deno.readFile(path);
    const v = await verifyBytes(bytes, path, { trusted: k1.trusted });
    assert.equal(v.ok, true, v.reason);
    assert.equal(v.bundle!.id, b.id, "signing changed the content id");
    assert.deepEqual(v.bundle!.results, b.results);
    assert.equal(v.bundle!.signature!.keyId, k1.key.keyId);
    if (b.signature?.keyId === k1.key.keyId) assert.deepEqual(bytes, bytesOf(b), "re-signed");
  }

  // A bundle whose content changed after its id was made is refused: nothing is written.
  const forged = structuredClone(inputs[0]);
  forged.results.metrics.testAccuracy = 0.99;
  await Deno.writeFile(join(inDir, "7.json"), bytesOf(forged));
  const out2 = join(dir, "out2");
  const bad = await merge([inDir, "--out", out2, "--sign", "--trusted", k1.trustedFile]);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /content id/);
  assert.equal(await Deno.stat(out2).then(() => true, () => false), false);

  // No key: one line, exit 2.
  const none = await merge([inDir, "--out", out2, "--sign"], await Deno.makeTempDir());
  assert.equal(none.code, 2, none.stderr);
  assert.equal(
    none.stderr.trim(),
    "merge: --sign: no signing key; create one with deno task keygen",
  );
});
