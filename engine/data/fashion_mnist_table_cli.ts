/**
 * `deno task data:fashion-table [DIR]`: regenerates the committed table of the official
 * Fashion-MNIST images' pixel hashes (fashion_mnist_hashes.ts) from the official IDX files in DIR
 * (default: Debian's /usr/share/datasets/fashion-mnist), each checked against its SHA-256 first.
 */
import { UserError } from "../errors.ts";
import { writeFileAtomic } from "../atomic.ts";
import { sha256Hex } from "./digest.ts";
import { FASHION_MNIST_DEFAULT_DIR, readOfficialFiles } from "./fashion_mnist.ts";
import { buildTable, encodeTable, FASHION_HASHES_PATH } from "./fashion_mnist_hashes.ts";

async function main(args: string[]): Promise<number> {
  try {
    const raw = await readOfficialFiles(args[0] ?? FASHION_MNIST_DEFAULT_DIR);
    const bytes = encodeTable(await buildTable(raw));
    await writeFileAtomic(FASHION_HASHES_PATH, bytes);
    console.log(
      `wrote ${FASHION_HASHES_PATH}: ${bytes.length} bytes, SHA-256 ${await sha256Hex(bytes)}`,
    );
    return 0;
  } catch (e) {
    if (e instanceof UserError) {
      console.error(`data:fashion-table: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
