/**
 * A binary file the site's pages read (a model, a wasm module, the model manifest), written
 * twice: as itself, for any http(s) host, and as a classic script `FILE.js` that hands the same
 * bytes over as base64, for pages opened from file://, where the browser refuses to fetch
 * (site/browser/files.ts reads either).
 */
import { dirname, join } from "node:path";
import { toBase64 } from "../../engine/bundle/canonical.ts";

/** Writes `bytes` to `out/path` and its script copy to `out/path.js`. */
export async function writePublished(out: string, path: string, bytes: Uint8Array): Promise<void> {
  const file = join(out, path);
  await Deno.mkdir(dirname(file), { recursive: true });
  await Deno.writeFile(file, bytes);
  const script = `(self.bibenchFiles = self.bibenchFiles || {})[${JSON.stringify(path)}] = ` +
    `"${toBase64(bytes)}";\n`;
  await Deno.writeTextFile(`${file}.js`, script);
}
