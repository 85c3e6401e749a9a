/**
 * The verifier's JSON parser (engine/bundle/strict_json.ts) reads what JSON.parse reads, exactly,
 * and refuses what JSON.parse would silently resolve: duplicate keys, degenerate numbers.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseStrictJson, StrictJsonError } from "../../engine/bundle/strict_json.ts";

const parse = (t: string) => parseStrictJson(t, 64);
const kind = (t: string) => {
  try {
    parse(t);
    return "ok";
  } catch (e) {
    assert.ok(e instanceof StrictJsonError, String(e));
    return e.kind;
  }
};
/** No negative zero or subnormal anywhere in a value (the parser refuses those on purpose). */
function plain(v: unknown): boolean {
  if (typeof v === "number") return !Object.is(v, -0) && (v === 0 || Math.abs(v) >= 2 ** -1022);
  if (v !== null && typeof v === "object") return Object.values(v).every(plain);
  return true;
}

Deno.test("strict JSON: the same values as JSON.parse, whatever the spacing", () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.constantFrom(undefined, 1, "\t", " \r\n"), (v, space) => {
      fc.pre(plain(v));
      const text = JSON.stringify(v, null, space);
      assert.deepEqual(parse(text), JSON.parse(text));
    }),
    { numRuns: 500 },
  );
  // Escapes, exponents and the __proto__ key read as JSON.parse reads them.
  for (
    const t of [
      '{"a\\u0062\\n\\ud83d\\ude00":"\\"\\/\\\\"}',
      "[1E+2, 1e-7, -0.5, 123456789012345678901234567890, 0.1]",
      '{"__proto__": {"x": 1}}',
      " \t\r\n{ } ",
    ]
  ) {
    const v = parse(t);
    assert.deepEqual(v, JSON.parse(t), t);
    assert.equal(JSON.stringify(v), JSON.stringify(JSON.parse(t)), t);
  }
  assert.ok(Object.hasOwn(parse('{"__proto__": 1}') as object, "__proto__"));
});

Deno.test("strict JSON: refusals, each with its kind", () => {
  const cases: [string, string][] = [
    ['{"a": 1, "a": 1}', "duplicate"],
    ['{"a": 1, "\\u0061": 2}', "duplicate"],
    ['{"x": {"a": [], "b": {}, "a": null}}', "duplicate"],
    ['{"a": -0}', "number"],
    ['{"a": -0.0e5}', "number"],
    ["[1e-320]", "number"],
    ["[1e999]", "number"],
    ["[NaN]", "nonfinite"],
    ["[-Infinity]", "nonfinite"],
    ['{"a": 1', "eof"],
    ['{"a": tr', "eof"],
    ['["abc', "eof"],
    ["[1.", "eof"],
    ["[01]", "syntax"],
    ["[1,]", "syntax"],
    ["{'a': 1}", "syntax"],
    ['["a\tb"]', "syntax"],
    ['["\\x"]', "syntax"],
    ["[] []", "syntax"],
    ["\u00a0[]", "syntax"],
    ["[".repeat(65) + "]".repeat(65), "depth"],
  ];
  for (const [text, want] of cases) {
    assert.equal(kind(text), want, text);
    if (want !== "duplicate" && want !== "number" && want !== "depth") {
      assert.throws(() => JSON.parse(text), text);
    }
  }
  assert.equal(kind("[".repeat(64) + "]".repeat(64)), "ok");
});
