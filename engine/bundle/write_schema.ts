/**
 * `deno task schema`: writes bundle-v1.schema.json from schema.ts (the one source of the shape).
 * `--check` exits 1 when the file is stale instead of writing it.
 */
import { SCHEMA_FILE, schemaJsonText } from "./schema.ts";

const path = new URL(`./${SCHEMA_FILE}`, import.meta.url);
const want = schemaJsonText();
if (Deno.args.includes("--check")) {
  const have = await Deno.readTextFile(path).catch(() => "");
  if (have !== want) {
    console.error(`schema: ${path.pathname} is stale; run deno task schema`);
    Deno.exit(1);
  }
  console.log(`schema: ${path.pathname} is up to date`);
} else {
  await Deno.writeTextFile(path, want);
  console.log(`schema: wrote ${path.pathname}`);
}
