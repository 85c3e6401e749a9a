/**
 * `deno task data:fashion-table [DIR]`: regenerates the committed table of the official
 * Fashion-MNIST images' pixel hashes (engine/data/fashion_mnist_hashes.ts) from the official IDX
 * files in DIR (default: Debian's /usr/share/datasets/fashion-mnist), each checked against its
 * SHA-256 first.
 */
import { writeFileAtomic } from "../engine/atomic.ts";
import { sha256Hex } from "../engine/data/digest.ts";
import { FASHION_MNIST_DEFAULT_DIR, readOfficialFiles } from "../engine/data/fashion_mnist.ts";
import {
  buildTable,
  encodeTable,
  FASHION_HASHES_PATH,
} from "../engine/data/fashion_mnist_hashes.ts";
import { parseCli, runCli } from "./args.ts";

/** Entry point: exit 0 on success, 2 on a user error (one line). */
export function main(argv: string[]): Promise<number> {
  return runCli("data:fashion-table", async () => {
    const { values, positionals } = parseCli(argv, { help: { type: "boolean", short: "h" } });
    if (values.help) {
      console.log("Usage: deno task data:fashion-table [DIR]");
      return 0;
    }
    const raw = await readOfficialFiles(positionals[0] ?? FASHION_MNIST_DEFAULT_DIR);
    const bytes = encodeTable(await buildTable(raw));
    await writeFileAtomic(FASHION_HASHES_PATH, bytes);
    console.log(
      `wrote ${FASHION_HASHES_PATH}: ${bytes.length} bytes, SHA-256 ${await sha256Hex(bytes)}`,
    );
    return 0;
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
