/**
 * Compiles train_kernels.wat into train_kernels.wasm (committed next to it), with the same wabt
 * settings as the deploy kernels; part of `deno task build:kernels`.
 */
import { compileWat } from "../kernels/build.ts";
import { TRAIN_WASM_URL, TRAIN_WAT_URL } from "./train_kernels.ts";

/** Builds train_kernels.wasm, writing atomically (temp file + rename). */
export async function buildTrainKernels(): Promise<Uint8Array> {
  const bytes = await compileWat(await Deno.readTextFile(TRAIN_WAT_URL), "train_kernels.wat");
  if (!WebAssembly.validate(bytes)) throw new Error("wabt produced a module V8 rejects");
  const tmp = new URL(`./train_kernels.wasm.${Deno.pid}.tmp`, import.meta.url);
  await Deno.writeFile(tmp, bytes);
  await Deno.rename(tmp, TRAIN_WASM_URL);
  return bytes;
}

if (import.meta.main) {
  const bytes = await buildTrainKernels();
  console.log(`wrote ${TRAIN_WASM_URL.pathname} (${bytes.length} bytes)`);
}
