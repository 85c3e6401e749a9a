/**
 * The path of a machine without a C compiler (issue 16: CI green without one): the native build
 * says why it skipped instead of failing, nothing is written, and loading says the library is not
 * built, the reason the infer track prints once before it runs on the WebAssembly kernels.
 */
import assert from "node:assert/strict";
import { buildNative, libName, loadNative } from "../../../engine/kernels/native.ts";

Deno.test("no C compiler: the build skips with a reason, loading falls back with one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bitwise-nocc-" });
  const before = Deno.env.get("CC");
  Deno.env.set("CC", "/nonexistent/bin/cc");
  try {
    const url = new URL(`file://${dir}/`);
    const built = await buildNative(url);
    assert.ok("skipped" in built, JSON.stringify(built));
    assert.match(built.skipped, /^native kernels: no C compiler \(\/nonexistent\/bin\/cc\) found$/);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [], "nothing written");
    const loaded = await loadNative(url);
    assert.ok("reason" in loaded);
    assert.match(loaded.reason, /not built/);
    assert.ok(!loaded.reason.includes("\n"), "one line");
    // A library file that is not the build of this source is refused as stale, not loaded.
    await Deno.writeFile(`${dir}/${libName()}`, new Uint8Array([0x7f, 0x45, 0x4c, 0x46]));
    const stale = await loadNative(url);
    assert.ok("reason" in stale);
    assert.match(stale.reason, /stale/);
  } finally {
    if (before === undefined) Deno.env.delete("CC");
    else Deno.env.set("CC", before);
    await Deno.remove(dir, { recursive: true });
  }
});
