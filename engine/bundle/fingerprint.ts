/**
 * The environment fingerprint and engine identity recorded in every bundle, and what "the same
 * environment" means for `verify --reproduce`.
 *
 * Recorded: Deno / V8 / TypeScript versions, tfjs version, backend and its SIMD flag, OS,
 * architecture and kernel release, CPU model, the instruction-set flags that matter to the
 * numeric kernels, core count and total memory. Never recorded: host name, user name, paths.
 *
 * Two fingerprints *match* when every field that can change a computed number is equal:
 * {@link NUMERIC_FIELDS} (Deno, V8, tfjs, backend, SIMD, OS, architecture, CPU model and flags).
 * TypeScript version, kernel release, core count and memory are recorded but do not take part:
 * runs are single-threaded and none of them reaches the arithmetic.
 */
import { sha256Hex } from "../data/digest.ts";
import type { EngineInfo, Environment } from "./schema.ts";

/** CPU flags (x86 /proc/cpuinfo `flags`, Arm `Features`) that the kernels and wasm SIMD use. */
const RELEVANT_FLAGS =
  /^(sse\d(_\d)?|ssse3|popcnt|avx|avx2|avx512.*|avx_vnni|fma|f16c|bmi[12]|lzcnt|abm|neon|asimd.*|sve.*)$/;

const ROOT = new URL("../../", import.meta.url);

async function readText(path: string | URL): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return null;
  }
}

let cpuinfo: Promise<string | null> | undefined;

/**
 * /proc/cpuinfo (read once per process). Deno asks for --allow-all to read /proc directly, so
 * this falls back to `cat` (--allow-run, which bench has); null when neither is allowed or the
 * system has no /proc/cpuinfo.
 */
export function readCpuinfo(): Promise<string | null> {
  cpuinfo ??= readCpuinfoNow();
  return cpuinfo;
}

async function readCpuinfoNow(): Promise<string | null> {
  if (Deno.build.os !== "linux") return null;
  const direct = await readText("/proc/cpuinfo");
  if (direct) return direct;
  try {
    const out = await new Deno.Command("cat", {
      args: ["/proc/cpuinfo"],
      stdout: "piped",
      stderr: "null",
      stdin: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  } catch {
    return null;
  }
}

/** CPU model and relevant flags from /proc/cpuinfo (Linux); "unknown" / [] elsewhere. */
export function parseCpuinfo(text: string | null): { model: string; flags: string[] } {
  if (!text) return { model: "unknown", flags: [] };
  const field = (re: RegExp) => text.match(re)?.[1]?.trim();
  const model = field(/^model name\s*:\s*(.+)$/m) ?? field(/^Model\s*:\s*(.+)$/m) ??
    field(/^Hardware\s*:\s*(.+)$/m) ?? field(/^CPU part\s*:\s*(.+)$/m) ?? "unknown";
  const flagLine = field(/^flags\s*:\s*(.*)$/m) ?? field(/^Features\s*:\s*(.*)$/m) ?? "";
  const flags = [...new Set(flagLine.split(/\s+/).filter((f) => RELEVANT_FLAGS.test(f)))].sort();
  return { model: model.slice(0, 200), flags };
}

function tryOr<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/** The fingerprint of this process, with the numeric backend's description. */
export async function collectEnvironment(
  backend: { backend: string; tfjs: string; simd: boolean },
): Promise<Environment> {
  const cpu = parseCpuinfo(Deno.build.os === "linux" ? await readCpuinfo() : null);
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    tfjs: backend.tfjs,
    backend: backend.backend,
    simd: backend.simd,
    os: Deno.build.os,
    arch: Deno.build.arch,
    kernel: tryOr(() => Deno.osRelease(), "unknown"),
    cpu: { ...cpu, cores: Math.max(1, navigator.hardwareConcurrency || 1) },
    memoryBytes: tryOr(() => Deno.systemMemoryInfo().total, 0),
  };
}

/** Fields of the fingerprint that must be equal for results to be bit-identical. */
export const NUMERIC_FIELDS = [
  "deno",
  "v8",
  "tfjs",
  "backend",
  "simd",
  "os",
  "arch",
  "cpu.model",
  "cpu.flags",
] as const;

function field(env: Environment, path: string): unknown {
  const v = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], env);
  return Array.isArray(v) ? v.join(" ") : v;
}

/** "field: recorded -> here" for a difference; flag lists show only what was added / removed. */
export function describeDiff(d: { field: string; a: unknown; b: unknown }): string {
  if (d.field === "cpu.flags") {
    const a = new Set(String(d.a).split(" ").filter(Boolean));
    const b = new Set(String(d.b).split(" ").filter(Boolean));
    const plus = [...b].filter((f) => !a.has(f)), minus = [...a].filter((f) => !b.has(f));
    const list = (xs: string[], sign: string) =>
      xs.length > 4
        ? `${sign}${xs.slice(0, 4).join(` ${sign}`)} (+${xs.length - 4} more)`
        : xs.map((x) => sign + x).join(" ");
    return `cpu.flags: ${[list(plus, "+"), list(minus, "-")].filter(Boolean).join(" ")}`;
  }
  return `${d.field}: ${String(d.a)} -> ${String(d.b)}`;
}

/** The numeric fields that differ between two fingerprints ([] = they match). */
export function environmentDiff(
  a: Environment,
  b: Environment,
): { field: string; a: unknown; b: unknown }[] {
  return NUMERIC_FIELDS.filter((f) => field(a, f) !== field(b, f)).map((f) => ({
    field: f,
    a: field(a, f),
    b: field(b, f),
  }));
}

async function git(args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command("git", {
      args,
      cwd: ROOT,
      stdout: "piped",
      stderr: "null",
      stdin: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null; // no git, not a checkout, or no --allow-run
  }
}

let engineInfo: Promise<EngineInfo> | undefined;

/** Engine version (deno.json), git commit and dirtiness, and the SHA-256 of deno.lock. */
export function collectEngine(): Promise<EngineInfo> {
  engineInfo ??= (async () => {
    let version = "unknown";
    const cfg = await readText(new URL("deno.json", ROOT));
    try {
      if (cfg) version = String(JSON.parse(cfg).version ?? "unknown");
    } catch { /* keep unknown */ }
    const head = await git(["rev-parse", "HEAD"]);
    const commit = head && /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(head) ? head : "unknown";
    const status = commit === "unknown"
      ? ""
      : await git(["status", "--porcelain", "--untracked-files=no"]);
    let denoLock = "unknown";
    try {
      denoLock = await sha256Hex(await Deno.readFile(new URL("deno.lock", ROOT)));
    } catch { /* keep unknown */ }
    return { version, commit, dirty: status === null ? false : status.length > 0, denoLock };
  })();
  return engineInfo;
}
