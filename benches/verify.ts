/**
 * Verifying 1,000 signed bundles (schema + content id + Ed25519 signature + consistency): the
 * issue asks for under 5 s. Writes 1,000 synthetic bundles to a temp directory, then times
 * (1) the library over the files, in process, and (2) `deno task verify DIR` end to end
 * (process start, module load, reading every file, one line per file).
 *
 *   deno task bench:verify [--n 1000]
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { bytesOf, syntheticBundle, tempKey } from "./fixtures/bundles.ts";
import { collectBundleFiles, verifyFile } from "../engine/bundle/verify.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { n: { type: "string", default: "1000" } },
});
const n = Number(values.n);
const k = await tempKey("bench");
const dir = await Deno.makeTempDir({ prefix: "bibench-verify-bench-" });
try {
  for (let i = 0; i < n; i++) {
    const b = await syntheticBundle(i, k.key, i % 2 ? "bnn" : "xnor");
    await Deno.writeFile(join(dir, `${String(i).padStart(4, "0")}.json`), bytesOf(b));
  }
  const files = await collectBundleFiles([dir]);
  const t0 = performance.now();
  let ok = 0;
  for (const f of files) if ((await verifyFile(f, { trusted: k.trusted })).ok) ok++;
  const lib = (performance.now() - t0) / 1000;
  if (ok !== n) throw new Error(`only ${ok}/${n} bundles verified`);

  const cli = new URL("../app/verify.ts", import.meta.url).pathname;
  const t1 = performance.now();
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      "--allow-run",
      cli,
      "-q",
      "--trusted",
      k.trustedFile,
      dir,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const end = (performance.now() - t1) / 1000;
  const summary = new TextDecoder().decode(r.stdout).trim().split("\n").at(-1);
  if (r.code !== 0) throw new Error(`verify exited ${r.code}: ${summary}`);
  console.log(
    `bundles: ${n} (${
      (bytesOf(await syntheticBundle(0, k.key)).length / 1024).toFixed(1)
    } KiB each)`,
  );
  console.log(
    `library (read + schema + id + signature + consistency): ${lib.toFixed(2)} s ` +
      `(${((1000 * lib) / n).toFixed(2)} ms/bundle)`,
  );
  console.log(`deno task verify DIR, end to end: ${end.toFixed(2)} s  [${summary}]`);
  console.log(`target: under 5 s for 1,000 bundles: ${end * (1000 / n) < 5 ? "met" : "NOT met"}`);
} finally {
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(k.dir, { recursive: true });
}
