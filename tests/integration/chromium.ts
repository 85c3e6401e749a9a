/**
 * What the browser tests share: where Debian's chromium is (CHROMIUM_PATH overrides), whether this
 * run must have it (CI=true: a missing browser fails the test; elsewhere it is skipped with a
 * message), and running a check script as a child `deno run -A` process — playwright reads /proc
 * and opens pipes to chromium, which the test task's permissions do not allow.
 */
import assert from "node:assert/strict";

/** The chromium binary the checks drive. */
export const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
/** Whether it is there. */
export const HAVE_CHROMIUM = await Deno.stat(CHROMIUM).then((s) => s.isFile, () => false);
const IN_CI = /^(1|true|yes)$/i.test(Deno.env.get("CI") ?? "");
/** Skip the browser tests: no chromium, and not in CI. */
export const SKIP_BROWSER = !HAVE_CHROMIUM && !IN_CI;

/** Says once, for test file `name`, that its browser test is skipped (when it is). */
export function warnIfSkipped(name: string): void {
  if (!SKIP_BROWSER) return;
  console.warn(
    `${name}: SKIPPED: no chromium at ${CHROMIUM} (apt-get install -y chromium, or ` +
      `set CHROMIUM_PATH); with CI=true this test fails instead`,
  );
}

/** Fails the test, with how to get it, when chromium is missing. */
export function requireChromium(): void {
  assert.ok(
    HAVE_CHROMIUM,
    `chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set ` +
      `CHROMIUM_PATH; the site's browser tests cannot run without it`,
  );
}

/** Runs `deno ARGS` (e.g. ["run", "-A", script]) with CHROMIUM_PATH set; exit code and output. */
export async function runDeno(
  args: string[],
  cwd?: string,
): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    ...(cwd ? { cwd } : {}),
    env: { CHROMIUM_PATH: CHROMIUM },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
}
