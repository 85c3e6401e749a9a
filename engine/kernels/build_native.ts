/**
 * `deno task build:kernels`, native part: compiles native/bitwise.c with the system C compiler
 * when there is one. Without one it prints a one-line notice and exits 0 (the WebAssembly kernels
 * are the portable default).
 */
import { buildNative } from "./native.ts";

if (import.meta.main) {
  const r = await buildNative();
  console.log("path" in r ? `wrote ${r.path} (${r.compiler})` : `${r.skipped}; WebAssembly only`);
}
