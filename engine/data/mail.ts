/**
 * The text a spam classifier should see of a raw e-mail: its Subject and its body, without what
 * tells where the mail was delivered rather than what it says. The other headers name the mailing
 * lists the ham came from; so does the Subject's list tag (`[ILUG] ...`, `Re: [SAtalk] ...`); and a
 * multipart body carries MIME part headers (`Content-Type: text/plain; charset=...`) that differ
 * by mailer, not by message. All of these would let a model tell ham from spam by the route a
 * mail took, so they are removed here.
 */

/** Bracketed groups in a Subject without a colon: list tags such as `[ILUG]`, `[Razor-users]`. */
const LIST_TAG = /\[[^\]:\n]*\]/g;

/**
 * The Subject with every bracketed group that holds no colon removed (list tags: `[ILUG]`,
 * `[Razor-users]`, `[SAtalk]`, `[use Perl]`, also numbered ones like `[2]`); a group with a colon
 * (`[was: old subject]`) quotes words of a subject and stays.
 */
export function stripListTags(subject: string): string {
  return subject.replace(LIST_TAG, " ");
}

/** The MIME boundaries a mail declares anywhere (top-level or part headers), in order. */
export function mimeBoundaries(raw: string): string[] {
  const re = /(?:^|[;\s])boundary\s*=\s*(?:"([^"\r\n]+)"|([^\s;"]+))/gim;
  const out: string[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(raw)) !== null) {
    const b = m[1] ?? m[2];
    if (!out.includes(b)) out.push(b);
  }
  return out;
}

/**
 * The body without its MIME structure: each boundary line (`--b`, `--b--`) and the header block
 * of the part it opens (up to the first blank line) are dropped, and so is the preamble before
 * the first boundary ("This is a multi-part message in MIME format."). A body without a declared
 * boundary is returned unchanged. Part contents are kept as they are (not decoded).
 */
export function stripMimeParts(body: string, boundaries: readonly string[]): string {
  if (boundaries.length === 0) return body;
  const lines = body.split(/\r?\n/);
  const isBoundary = (line: string) => {
    if (!line.startsWith("--")) return false;
    const rest = line.trimEnd().slice(2);
    return boundaries.some((b) => rest === b || rest === `${b}--`);
  };
  if (!lines.some(isBoundary)) return body;
  const out: string[] = [];
  let seenBoundary = false;
  let inPartHeaders = false;
  for (const line of lines) {
    if (isBoundary(line)) {
      seenBoundary = true;
      inPartHeaders = true;
      continue;
    }
    if (!seenBoundary) continue; // preamble
    if (inPartHeaders) {
      if (line.trim() === "") inPartHeaders = false;
      else if (/^[!-9;-~]+:/.test(line) || /^[ \t]/.test(line)) continue; // header or continuation
      else inPartHeaders = false; // a part without headers: this line is content
      if (!inPartHeaders && line.trim() === "") continue;
    }
    out.push(line);
  }
  return out.join("\n");
}

/** Splits a raw mail at its first blank line (LF or CRLF): [headers, body]. */
function splitHeaders(raw: string): [string, string] {
  let end = raw.indexOf("\n\n");
  let skip = 2;
  const crlf = raw.indexOf("\r\n\r\n");
  if (crlf >= 0 && (end < 0 || crlf < end)) {
    end = crlf;
    skip = 4;
  }
  return end < 0 ? [raw, ""] : [raw.slice(0, end), raw.slice(end + skip)];
}

/**
 * The text the model sees of a raw mail: its Subject line without list tags, a newline, and its
 * body without MIME part headers ({@link stripListTags}, {@link stripMimeParts}).
 */
export function mailText(raw: string): string {
  const [headers, body] = splitHeaders(raw);
  const subject = /^subject:(.*)$/im.exec(headers)?.[1] ?? "";
  return `${stripListTags(subject)}\n${stripMimeParts(body, mimeBoundaries(raw))}`;
}
