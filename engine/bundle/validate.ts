/**
 * From bytes to a schema-valid bundle, with a one-line reason for anything else: size limit,
 * UTF-8, JSON syntax (truncation, NaN / Infinity tokens, duplicate keys), degenerate numbers
 * (overflow, negative zero, subnormal), then the schema
 * (Ajv, strict, first error only), phrased for a person.
 */
import { Ajv, type ErrorObject } from "ajv";
import {
  type Bundle,
  bundleSchema,
  type DeviceBundle,
  deviceBundleSchema,
  SCHEMA_VERSION,
} from "./schema.ts";
import { parseStrictJson, StrictJsonError } from "./strict_json.ts";

/** Largest bundle file the verifier reads; a run's bundle is a few KiB. */
export const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;

/** Deepest nesting accepted (the schema's is 5). */
const MAX_DEPTH = 64;

/** Either a value or the reason there is none. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

// Union types: executor options are any JSON value of bounded size (schema.ts, optionValue).
const ajv = new Ajv({ strict: true, allErrors: false, allowUnionTypes: true });
const validate = ajv.compile<Bundle>(bundleSchema);
const validateDevice = ajv.compile<DeviceBundle>(deviceBundleSchema);

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Parses bundle text as JSON (engine/bundle/strict_json.ts), refusing what JSON.parse would
 * accept or misreport silently: duplicate keys, NaN / Infinity tokens, overflowing, negative-zero
 * and subnormal numbers, nesting beyond any bundle's.
 */
export function parseJsonText(text: string): Checked<unknown> {
  if (text.trim() === "") return { ok: false, reason: "empty file (not a JSON bundle)" };
  try {
    return { ok: true, value: parseStrictJson(text, MAX_DEPTH) };
  } catch (e) {
    if (!(e instanceof StrictJsonError)) throw e;
    const where = `at line ${lineOf(text, e.pos)}`;
    switch (e.kind) {
      case "eof":
        return { ok: false, reason: `truncated JSON (${e.message} ${where})` };
      case "nonfinite":
        return {
          ok: false,
          reason: `${e.message} ${where} (JSON numbers must be finite)`,
        };
      case "duplicate":
        return {
          ok: false,
          reason: `${e.message} ${where} (a key may appear once: JSON readers disagree on which ` +
            `one counts)`,
        };
      case "depth":
      case "number":
        return { ok: false, reason: e.message };
      default:
        return { ok: false, reason: `not valid JSON: ${e.message} ${where}` };
    }
  }
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function at(root: unknown, pointer: string): unknown {
  if (!pointer) return root;
  return pointer.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], root);
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** One line for Ajv's first error. */
function describe(e: ErrorObject, root: unknown): string {
  const where = e.instancePath || "(top level)";
  const p = e.params as Record<string, unknown>;
  const value = at(root, e.instancePath);
  switch (e.keyword) {
    case "additionalProperties":
      return `unexpected field ${e.instancePath}/${p.additionalProperty}`;
    case "required":
      return `missing field ${e.instancePath}/${p.missingProperty}`;
    case "type":
      return `${where}: expected ${p.type}, got ${typeName(value)} ${show(value)}`;
    case "const":
      return `${where}: must be ${show(p.allowedValue)}, got ${show(value)}`;
    case "enum":
      return `${where}: must be one of ${(p.allowedValues as unknown[]).map(show).join(", ")}, ` +
        `got ${show(value)}`;
    case "pattern":
      return `${where}: ${show(value)} is not of the expected form`;
    case "propertyNames":
      return `${where}: bad field name ${show(p.propertyName)}`;
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return `${where}: ${show(value)} is out of range (must be ${p.comparison} ${p.limit})`;
    case "maxLength":
      return typeof value === "string"
        ? `${where}: ${value.length} characters, over the limit of ${p.limit}`
        : `${where}: a field name is over ${p.limit} characters`;
    case "maxItems":
    case "maxProperties":
      return `${where}: more than ${p.limit} entries`;
    default:
      return `${where}: ${e.message ?? "invalid"}`;
  }
}

/** Checks a parsed value against the bundle schema; the first problem as one line. */
export function checkShape(value: unknown): Checked<Bundle> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: `top level must be a JSON object, got ${typeName(value)}` };
  }
  const version = (value as Record<string, unknown>).schema;
  if (typeof version === "string" && version !== SCHEMA_VERSION) {
    return {
      ok: false,
      reason: `unsupported schema version ${show(version)} (this verifier reads ${SCHEMA_VERSION})`,
    };
  }
  if (validate(value)) return { ok: true, value: value as Bundle };
  const first = validate.errors?.[0];
  return { ok: false, reason: first ? `schema: ${describe(first, value)}` : "schema: invalid" };
}

/** Bytes -> a JSON value (size limit, UTF-8, strict JSON), before any schema. */
export function parseJsonBytes(bytes: Uint8Array): Checked<unknown> {
  if (bytes.length > MAX_BUNDLE_BYTES) {
    return {
      ok: false,
      reason: `file is ${bytes.length} bytes, over the ${MAX_BUNDLE_BYTES}-byte bundle limit`,
    };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, reason: "not UTF-8 text" };
  }
  return parseJsonText(text);
}

/** Bytes -> schema-valid bundle (size, UTF-8, JSON, finiteness, schema). */
export function parseBundleBytes(bytes: Uint8Array): Checked<Bundle> {
  const parsed = parseJsonBytes(bytes);
  return parsed.ok ? checkShape(parsed.value) : parsed;
}

/** Checks a parsed value against the device-bundle schema; the first problem as one line. */
export function checkDeviceShape(value: unknown): Checked<DeviceBundle> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: `top level must be a JSON object, got ${typeName(value)}` };
  }
  if (validateDevice(value)) return { ok: true, value: value as DeviceBundle };
  const first = validateDevice.errors?.[0];
  return { ok: false, reason: first ? `schema: ${describe(first, value)}` : "schema: invalid" };
}
