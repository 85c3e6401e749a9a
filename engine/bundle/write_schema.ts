/**
 * `deno task schema`: writes bundle-v1.schema.json and device-v1.schema.json from schema.ts (the
 * one source of the shapes). `--check` exits 1 when a file is stale instead of writing it.
 */
import { DEVICE_SCHEMA_FILE, deviceSchemaJsonText, SCHEMA_FILE, schemaJsonText } from "./schema.ts";

for (
  const [file, want] of [[SCHEMA_FILE, schemaJsonText()], [
    DEVICE_SCHEMA_FILE,
    deviceSchemaJsonText(),
  ]]
) {
  const path = new URL(`./${file}`, import.meta.url);
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
}
