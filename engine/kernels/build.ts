/**
 * Compiles the hand-written binary.wat into binary.wasm (committed next to it), with wabt from npm.
 * `deno task build:kernels` runs this; tests/engine/kernels/build_test.ts rebuilds in memory and checks
 * the committed binary is not stale.
 */
import wabtInit from "wabt";

/** Path of the WAT source. */
export const WAT_URL: URL = new URL("./binary.wat", import.meta.url);
/** Path of the committed module. */
export const WASM_URL: URL = new URL("./binary.wasm", import.meta.url);

/** WebAssembly features the kernels use (wabt feature names). */
export const FEATURES = { simd: true, relaxed_simd: true } as const;

/** Compiles WAT text to a validated binary module (no names section, so output is stable). */
export async function compileWat(
  text: string,
  filename = "binary.wat",
): Promise<Uint8Array<ArrayBuffer>> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat(filename, text, FEATURES);
  try {
    mod.resolveNames();
    mod.validate();
    const { buffer } = mod.toBinary({ log: false, write_debug_names: false });
    return Uint8Array.from(buffer);
  } finally {
    mod.destroy();
  }
}

/** Builds binary.wasm from binary.wat, writing atomically (temp file + rename). */
export async function buildKernels(): Promise<Uint8Array> {
  const bytes = await compileWat(await Deno.readTextFile(WAT_URL));
  if (!WebAssembly.validate(bytes)) throw new Error("wabt produced a module V8 rejects");
  const tmp = new URL(`./binary.wasm.${Deno.pid}.tmp`, import.meta.url);
  await Deno.writeFile(tmp, bytes);
  await Deno.rename(tmp, WASM_URL);
  return bytes;
}

if (import.meta.main) {
  const bytes = await buildKernels();
  console.log(`wrote ${WASM_URL.pathname} (${bytes.length} bytes)`);
}
