/**
 * Atomic file writes: write a temp file beside the target, then rename over it. A run killed
 * half-way leaves either the old file or the new one, never a torn one, so resume can trust
 * every result file it finds.
 */
import { dirname } from "node:path";

/** Writes `text` to `path` atomically, creating parent directories. */
export async function writeFileAtomic(path: string, text: string | Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof text === "string") await Deno.writeTextFile(tmp, text);
    else await Deno.writeFile(tmp, text);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
