/**
 * Text from a bundle or a file name is untrusted: control characters can drive a terminal (ESC
 * sequences) and bidi controls (U+202E and friends) reorder the text shown after them. This makes
 * such characters visible as `\uXXXX` escapes before the text is printed or shown; inside JSON
 * text the escape is the JSON one, so the value stays the same.
 */

/**
 * C0 and C1 controls, DEL, the bidi embedding / override / isolate / mark characters, and the
 * line and paragraph separators.
 */
const UNSAFE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `s` with every unsafe character written as `\uXXXX`: safe to print on a terminal. */
export function printable(s: string): string {
  return s.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
