/**
 * Every ISA path of the native kernels against their portable scalar path, in C
 * (native_isa_check.c): on this machine with the system compiler, and on ARM64 (NEON) under
 * qemu-aarch64 where `aarch64-linux-gnu-gcc` and `qemu-aarch64` exist. A missing tool skips that
 * case with a printed notice (the WebAssembly kernels need none of them).
 */
import assert from "node:assert/strict";
import { CFLAGS } from "../../../engine/kernels/native.ts";

const SRC = new URL("./native_isa_check.c", import.meta.url).pathname;

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; out: string } | null> {
  try {
    const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { ok: r.success, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Builds the check with `cc` and runs it (through `runner` when given); null if a tool is missing. */
async function check(cc: string, runner: string[]): Promise<string | null> {
  const dir = await Deno.makeTempDir({ prefix: "isa-check-" });
  try {
    const exe = `${dir}/check`;
    const flags = CFLAGS.filter((f) => f !== "-fPIC");
    const b = await run(cc, [...flags, "-o", exe, SRC]);
    if (b === null) return null;
    assert.ok(b.ok, `${cc} failed:\n${b.out}`);
    const r = runner.length ? await run(runner[0], [...runner.slice(1), exe]) : await run(exe, []);
    if (r === null) return null;
    assert.ok(r.ok, r.out);
    return r.out;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("native ISA paths (this CPU) equal the scalar path: tiles and convs, 1 and 3 threads", async () => {
  const out = await check(Deno.env.get("CC") || "cc", []);
  if (out === null) return console.warn("native ISA check SKIPPED: no C compiler");
  assert.match(out, /ok isa 0:/);
  if (Deno.build.arch === "x86_64") assert.match(out, /ok isa 1:/, "POPCNT path (x86-64-v2+)");
});

Deno.test("native NEON path equals the scalar path under qemu-aarch64 (when a cross compiler exists)", async () => {
  const out = await check("aarch64-linux-gnu-gcc", [
    "qemu-aarch64",
    "-L",
    "/usr/aarch64-linux-gnu",
  ]);
  if (out === null) {
    return console.warn("NEON check SKIPPED: needs aarch64-linux-gnu-gcc and qemu-aarch64");
  }
  assert.match(out, /ok isa 4:/);
});
