/**
 * `deno task verify [--trusted FILE] [--reproduce] [--data-dir DIR] FILE|DIR...`
 *
 * Checks result bundles: JSON, schema, content id, signature by a trusted key, internal
 * consistency, weights file (when beside the bundle); with --reproduce, re-runs each valid
 * bundle's configuration and compares. One line per file, then a summary.
 *
 * Exit status: 0 all valid, 1 some invalid, 2 usage error.
 */
import { parseCli } from "./args.ts";
import { UserError } from "../engine/errors.ts";
import { DEFAULT_TRUSTED_FILE, loadTrustedKeys } from "../engine/bundle/keys.ts";
import { collectBundleFiles, type Verdict, verifyFile } from "../engine/bundle/verify.ts";
import { checkParentLinks, PARENT_NOT_IN_SET } from "../engine/bundle/links.ts";
import { storeRoot } from "../engine/store/results.ts";
import { MAX_BUNDLE_BYTES } from "../engine/bundle/validate.ts";
import { printable } from "../engine/printable.ts";
import { UNTRUSTED_DEVICE_KEY } from "../engine/bundle/device.ts";
import { writeFileAtomic } from "../engine/atomic.ts";
import { sha256Hex } from "../engine/data/digest.ts";
import type { Bundle } from "../engine/bundle/schema.ts";
import type { Reproduction } from "../engine/reproduce.ts";
import { dirname, join } from "node:path";

export const HELP = `Usage: deno task verify [options] FILE|DIR...

Checks result bundles (directories are searched for *.json): JSON syntax, schema, content id,
Ed25519 signature by a trusted key, internal consistency (accuracies in range, times positive,
final metrics equal to the epoch records they come from, seeds, dataset digests), and the
weights file when it lies beside the bundle, and the parent link of a run that started from a
trained fp32 network when the parent's bundle is among those given (a parent that fails, or is
not the bundle the link names, fails the child; a parent not given is noted: "${PARENT_NOT_IN_SET}"). Files over ${MAX_BUNDLE_BYTES} bytes are refused.

Device bundles (bibench-device/1, from the site's "Measure this device" page) are checked
the same way against their own schema; their signature must be valid, and a key outside the
trusted list is accepted with the note "${UNTRUSTED_DEVICE_KEY}".

Options:
  --trusted FILE    trusted public keys (default ${DEFAULT_TRUSTED_FILE})
  --reproduce       re-run each valid bundle's configuration with its seeds and compare:
                    identical when the environment fingerprint matches, within tolerance
                    (accuracy ±0.05, loss ±25%) otherwise; the difference is reported either way
  --data-dir DIR    Fashion-MNIST directory for --reproduce
  --restore-weights with --reproduce: where the bundle's weights file is missing beside it and
                    the re-run's weights have exactly the SHA-256 the bundle records, write them
                    there (published bundles keep no weights; this brings back the ones they vouch for)
  -q, --quiet       print only failures and the summary
  -h, --help        show this help

Exit status: 0 all valid, 1 some invalid, 2 usage error.
`;

/** One line, whatever the reason holds, with control and bidi characters shown as escapes. */
function oneLine(s: string): string {
  return printable(s.replace(/\s+/g, " ").trim());
}

function okLine(v: Verdict): string {
  if (v.device) {
    const d = v.device.device;
    const who = v.signer
      ? `signed by ${v.signer.owner} (${v.signer.keyId})`
      : v.device.signature.keyId;
    const notes = v.notes.length ? `; ${v.notes.join(", ")}` : "";
    return printable(
      `ok    ${v.path}  device bundle: ${d.class}, ${d.cores} cores, ` +
        `${v.device.results.length} timings  ${who}${notes}`,
    );
  }
  const b = v.bundle!;
  const who = v.signer ? `signed by ${v.signer.owner} (${v.signer.keyId})` : "";
  const notes = v.notes.length ? `; ${v.notes.join(", ")}` : "";
  return printable(`ok    ${v.path}  ${b.config.id}  ${who}${notes}`);
}

/**
 * Writes a reproduced network's weights beside its bundle when none are there and their SHA-256
 * is the one the bundle records (never other bytes); returns what it did, for the output line.
 */
export async function restoreWeights(path: string, b: Bundle, r: Reproduction): Promise<string> {
  const w = b.results.weights;
  if (!w || !r.weights) return "; no weights to restore";
  const target = join(dirname(path), w.file);
  try {
    await Deno.stat(target);
    return `; ${w.file} already present`;
  } catch { /* absent: restore */ }
  if (r.weights.length !== w.bytes || await sha256Hex(r.weights) !== w.sha256) {
    return `; weights NOT restored: the re-run's SHA-256 differs from the recorded one`;
  }
  await writeFileAtomic(target, r.weights);
  return `; restored ${w.file} (SHA-256 as recorded)`;
}

/** Runs the verifier; returns the exit status. Output goes to the given sinks (tests). */
export async function main(
  argv: string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
): Promise<number> {
  let values, positionals: string[];
  try {
    ({ values, positionals } = parseCli(argv, {
      trusted: { type: "string" },
      reproduce: { type: "boolean", default: false },
      "data-dir": { type: "string" },
      "restore-weights": { type: "boolean", default: false },
      quiet: { type: "boolean", short: "q", default: false },
      help: { type: "boolean", short: "h" },
    }));
  } catch (e) {
    err(`verify: ${oneLine((e as Error).message)}`);
    return 2;
  }
  if (values.help) {
    out(HELP);
    return 0;
  }
  try {
    if (positionals.length === 0) throw new UserError("no bundle files or directories given");
    if (values["restore-weights"] && !values.reproduce) {
      throw new UserError("--restore-weights needs --reproduce");
    }
    const trusted = await loadTrustedKeys(values.trusted ?? DEFAULT_TRUSTED_FILE);
    const files = await collectBundleFiles(positionals);
    if (files.length === 0) {
      throw new UserError(`no bundle files (*.json) found in ${positionals.join(", ")}`);
    }
    let ok = 0, failed = 0;
    let reproduce: typeof import("../engine/reproduce.ts").reproduce | undefined;
    const verdicts: Verdict[] = [];
    for (const path of files) verdicts.push(await verifyFile(path, { trusted }));
    checkParentLinks(verdicts);
    for (const v of verdicts) {
      const path = v.path;
      if (!v.ok) {
        failed++;
        out(`FAIL  ${oneLine(`${path}: ${v.reason ?? "invalid"}`)}`);
        continue;
      }
      if (values.reproduce && v.bundle) {
        if (!reproduce) {
          // Runs need the executors (and so tfjs); load them only now.
          (await import("./plugins.ts")).installPlugins();
          reproduce = (await import("../engine/reproduce.ts")).reproduce;
        }
        let line: string, good: boolean;
        try {
          // The bundle's result store, where a parent's (or task run's) weights may be reused.
          const r = await reproduce(v.bundle!, {
            dataDir: values["data-dir"],
            out: storeRoot(path, v.bundle!.config),
          });
          good = r.ok;
          line = r.summary;
          if (good && values["restore-weights"]) line += await restoreWeights(path, v.bundle!, r);
        } catch (e) {
          good = false;
          line = `could not re-run: ${(e as Error)?.message ?? e}`;
        }
        if (!good) {
          failed++;
          out(`FAIL  ${oneLine(`${path}: reproduce: ${line}`)}`);
          continue;
        }
        ok++;
        if (!values.quiet) out(`${okLine(v)}\n      reproduce: ${oneLine(line)}`);
        continue;
      }
      ok++;
      if (!values.quiet) out(okLine(v));
    }
    out(
      `verify: ${files.length} bundle(s): ${ok} ok, ${failed} failed` +
        (failed === 0 ? "" : ` (trusted keys: ${trusted.path})`),
    );
    return failed === 0 ? 0 : 1;
  } catch (e) {
    if (e instanceof UserError) {
      err(`verify: ${oneLine(e.message)}`);
      return 2;
    }
    err(`verify: internal error: ${oneLine(String((e as Error)?.message ?? e))}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
