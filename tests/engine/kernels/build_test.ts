/**
 * The committed engine/kernels/binary.wasm must be exactly what binary.wat compiles to, so a WAT
 * edit without `deno task build:kernels` fails CI instead of silently running stale code.
 */
import { compileWat, WASM_URL, WAT_URL } from "../../../engine/kernels/build.ts";

Deno.test("binary.wasm is up to date with binary.wat", async () => {
  const built = await compileWat(await Deno.readTextFile(WAT_URL));
  const committed = await Deno.readFile(WASM_URL);
  const same = built.length === committed.length && built.every((b, i) => b === committed[i]);
  if (!same) {
    throw new Error(
      `engine/kernels/binary.wasm is stale (${committed.length} bytes committed, ${built.length} ` +
        "built): run `deno task build:kernels`",
    );
  }
  if (!WebAssembly.validate(built)) throw new Error("module does not validate in this V8");
});

Deno.test("binary.wasm exports the kernels wasm.ts drives", async () => {
  const mod = await WebAssembly.compile(await Deno.readFile(WASM_URL));
  const names = WebAssembly.Module.exports(mod).map((e) => e.name).sort();
  const want = [
    "act_f32",
    "affine_f32",
    "conv_f32_pack16",
    "dense_f32",
    "dots_f32",
    "epilogue",
    "lut_conv",
    "lut_image",
    "mean_abs_f32",
    "memory",
    "pack_f32",
    "pc_gemm",
    "pc_im2col",
    "pool_bits",
    "pool_f32",
  ];
  if (names.join() !== want.join()) throw new Error(`exports: ${names.join()}`);
});
