/**
 * HTML for the site's templates, escaped and bidi-isolated by construction: `html` is a tagged
 * template whose interpolations are HTML-escaped (text and double-quoted attribute values alike)
 * unless they are already `Html` (the output of another `html` call, or `trusted()` markup the
 * build made itself, such as the SVG vega renders). In element content, a string with any
 * character beyond printable ASCII is also wrapped in `<bdi>`, so right-to-left text or a bidi
 * override (U+202E) in it cannot reorder the page's text around it; printable ASCII has no
 * strong right-to-left character and needs no isolation. Every string that comes from a bundle
 * goes through it: interpolate it on its own, never glued to the site's own words.
 */

/** Markup that is safe to insert as is. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Markup the build produced itself (never a string from a bundle). */
export function trusted(markup: string): Html {
  return new Html(markup);
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

/** Escapes text for HTML content and double- or single-quoted attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"'`]/g, (c) => ENTITIES[c]);
}

/** Printable ASCII only: text that cannot change the direction of what surrounds it. */
const PLAIN = /^[\x20-\x7e]*$/;

/** Escaped text, isolated in `<bdi>` unless it is plain ASCII (element content only). */
export function isolated(s: string): string {
  return PLAIN.test(s) ? esc(s) : `<bdi>${esc(s)}</bdi>`;
}

function part(v: unknown, content: boolean): string {
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map((x) => part(x, content)).join("");
  if (v === null || v === undefined || v === false) return "";
  return content ? isolated(String(v)) : esc(v);
}

/**
 * Whether markup ending in `out` continues in element content: not inside a tag (an attribute
 * value) and not inside `<title>` (text only, where `<bdi>` would show as characters).
 */
function inContent(out: string): boolean {
  if (out.lastIndexOf("<") > out.lastIndexOf(">")) return false;
  return out.lastIndexOf("<title>") <= out.lastIndexOf("</title>");
}

/**
 * Tagged template: interpolations are escaped unless they are `Html` (and isolated in element
 * content, see above); arrays are joined.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) {
    out += part(values[i], inContent(out)) + strings[i + 1];
  }
  return new Html(out);
}

/**
 * A link target from data: only absolute http(s) URLs are links; anything else (javascript:,
 * data:, relative paths, malformed URLs) is null and must be shown as text.
 */
export function safeHref(url: unknown): string | null {
  if (typeof url !== "string" || !/^https?:\/\//i.test(url)) return null;
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

/** A string from data as a link when it is an http(s) URL, else as text. */
export function linkOrText(s: unknown): Html {
  const href = safeHref(s);
  return href ? html`<a href="${href}" rel="nofollow noopener">${s}</a>` : html`${s}`;
}

/**
 * JSON for a `<script type="application/json">` data block: `<`, `>`, `&` and the line
 * separators are \u-escaped so the text can never close the element or start a comment.
 */
export function jsonBlock(value: unknown): Html {
  const text = JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
  return new Html(text);
}

/** A number for display: fixed digits, or an em dash when missing. */
export function num(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(digits);
}

/** A fraction as a percentage with two decimals, or an em dash. */
export function pct(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "—" : (100 * x).toFixed(2);
}

/** Integer with thousands separators (locale-independent), or an em dash. */
export function int(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  const s = Math.round(Math.abs(x)).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return x < 0 ? `-${s}` : s;
}

/** A general number: integers grouped, others with up to 4 significant decimals. */
export function value(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  if (Number.isInteger(x)) return int(x);
  const a = Math.abs(x);
  if (a >= 1000) return int(x);
  if (a >= 1) return x.toFixed(3);
  if (a >= 1e-3) return x.toFixed(4);
  return x.toExponential(2);
}
