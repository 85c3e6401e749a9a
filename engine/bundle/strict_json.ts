/**
 * An exact RFC 8259 JSON parser for bundle bytes. JSON.parse keeps the last of two equal keys, so
 * a file could show one value and carry the signed one after it; this parser refuses a key that
 * appears twice in an object (compared after unescaping), nesting beyond a limit, and number
 * tokens whose value is not a plain finite number (overflow to Infinity, negative zero,
 * subnormals: no run writes them and JSON.stringify never does). What it accepts it reads exactly
 * as JSON.parse does: numbers are `Number()` of the same token, strings `JSON.parse` of the same
 * token, objects own data properties (`__proto__` included) in source order.
 */

/** Why a text is refused, with where: `kind` lets the caller phrase it. */
export class StrictJsonError extends Error {
  constructor(
    /** eof: the text ends early; nonfinite: a NaN / Infinity token; the rest as named. */
    readonly kind: "syntax" | "eof" | "nonfinite" | "duplicate" | "depth" | "number",
    message: string,
    /** Offset in the text (UTF-16 code units) where the problem is. */
    readonly pos: number,
  ) {
    super(message);
  }
}

/** Smallest positive normal double (2^-1022); nonzero magnitudes below it are subnormal. */
const MIN_NORMAL = 2.2250738585072014e-308;

// Control characters (U+0000-U+001F) may not appear raw in a JSON string.
// deno-lint-ignore no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const NUMBER_LIKE = /[-+0-9.eE]*/y;
const NON_FINITE = /-?Infinity|NaN/y;

/** JSON pointer segment of a key. */
function segment(k: string): string {
  return k.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * Parses `text` as one JSON value. Throws {@link StrictJsonError} for anything that is not
 * JSON, for duplicate keys, for nesting deeper than `maxDepth` and for degenerate numbers.
 */
export function parseStrictJson(text: string, maxDepth: number): unknown {
  let i = 0;
  const fail = (kind: StrictJsonError["kind"], message: string, pos = i): never => {
    throw new StrictJsonError(kind, message, pos);
  };
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const expect = (ch: string, what: string) => {
    if (i >= text.length) fail("eof", `unexpected end, expected ${what}`);
    if (text[i] !== ch) fail("syntax", `expected ${what}, found ${JSON.stringify(text[i])}`);
    i++;
  };

  function string(): string {
    STRING.lastIndex = i;
    const m = STRING.exec(text);
    if (m) {
      i += m[0].length;
      const raw = m[0];
      return raw.includes("\\") ? JSON.parse(raw) : raw.slice(1, -1);
    }
    // Find what went wrong, for the message.
    for (let j = i + 1; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c === 0x22) break;
      if (c < 0x20) fail("syntax", "control character in a string", j);
      if (c === 0x5c) {
        if (j + 1 >= text.length) break;
        const e = text[j + 1];
        if (e === "u") {
          const hex = text.slice(j + 2, j + 6);
          if (/^[0-9a-fA-F]{0,3}$/.test(hex) && j + 6 > text.length) break;
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("syntax", "bad \\u escape in a string", j);
          j += 5;
        } else if ('"\\/bfnrt'.includes(e)) j++;
        else fail("syntax", `bad escape \\${e} in a string`, j);
      }
    }
    return fail("eof", "unterminated string");
  }

  function number(path: string): number {
    const start = i;
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    NUMBER_LIKE.lastIndex = i;
    const like = NUMBER_LIKE.exec(text)![0];
    if (!m || m[0].length !== like.length) {
      if (start + like.length >= text.length) fail("eof", "unexpected end inside a number");
      fail("syntax", `bad number ${JSON.stringify(like.slice(0, 40))}`);
    }
    const token = m![0];
    i += token.length;
    const x = Number(token);
    const where = path || "/";
    if (!Number.isFinite(x)) {
      fail("number", `number out of range at ${where} (it overflows to ${x})`, start);
    }
    if (x === 0 && Object.is(x, -0)) {
      fail("number", `negative zero at ${where} (${token}; write 0)`, start);
    }
    if (x !== 0 && Math.abs(x) < MIN_NORMAL) {
      fail("number", `subnormal number ${token} at ${where} (no run produces it)`, start);
    }
    return x;
  }

  function value(depth: number, path: string): unknown {
    if (i >= text.length) return fail("eof", "unexpected end, expected a value");
    const c = text[i];
    if (c === "{" || c === "[") {
      if (depth >= maxDepth) fail("depth", `JSON nested deeper than ${maxDepth}`);
      i++;
      ws();
      return c === "{" ? object(depth + 1, path) : array(depth + 1, path);
    }
    if (c === '"') return string();
    NON_FINITE.lastIndex = i;
    const nf = NON_FINITE.exec(text);
    if (nf) fail("nonfinite", `non-finite number ${nf[0]}`);
    if (c === "-" || (c >= "0" && c <= "9")) return number(path);
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
      const rest = text.slice(i);
      if (rest.length < word.length && word.startsWith(rest)) fail("eof", "unexpected end");
    }
    return fail("syntax", `unexpected ${JSON.stringify(c)}`);
  }

  function object(depth: number, path: string): Record<string, unknown> {
    const entries: [string, unknown][] = [];
    const seen = new Set<string>();
    if (text[i] === "}") {
      i++;
      return {};
    }
    for (;;) {
      if (i >= text.length) fail("eof", "unexpected end, expected a key");
      if (text[i] !== '"') {
        fail("syntax", `expected a key string, found ${JSON.stringify(text[i])}`);
      }
      const at = i;
      const key = string();
      if (seen.has(key)) {
        fail("duplicate", `duplicate key ${JSON.stringify(key)} in ${path || "the top level"}`, at);
      }
      seen.add(key);
      ws();
      expect(":", "':'");
      ws();
      entries.push([key, value(depth, `${path}/${segment(key)}`)]);
      ws();
      if (i < text.length && text[i] === ",") {
        i++;
        ws();
        continue;
      }
      expect("}", "',' or '}'");
      // fromEntries defines own data properties, as JSON.parse does (a "__proto__" key too).
      return Object.fromEntries(entries);
    }
  }

  function array(depth: number, path: string): unknown[] {
    const out: unknown[] = [];
    if (text[i] === "]") {
      i++;
      return out;
    }
    for (;;) {
      out.push(value(depth, `${path}/${out.length}`));
      ws();
      if (i < text.length && text[i] === ",") {
        i++;
        ws();
        continue;
      }
      expect("]", "',' or ']'");
      return out;
    }
  }

  ws();
  const v = value(0, "");
  ws();
  if (i < text.length) fail("syntax", `unexpected ${JSON.stringify(text[i])} after the JSON value`);
  return v;
}
