/**
 * The machine facts a latency number needs beside it, as numbers (run metrics are numeric): the
 * instruction-set flags the kernels and tfjs-wasm can use, core count and load average. The CPU
 * model name is in every result bundle's environment (engine/bundle/fingerprint.ts).
 */
import { readCpuinfo } from "../bundle/fingerprint.ts";

/** Flags reported as `cpu.<flag>` = 0 / 1. */
export const CPU_FLAGS = [
  "popcnt",
  "ssse3",
  "avx2",
  "fma",
  "avx512f",
  "avx512bw",
  "avx512vl",
  "avx512_vpopcntdq",
  "avx512_bitalg",
  "avx512vbmi",
] as const;

/** `cpu.<flag>` (0 / 1), `cpu.cores`, `loadavg1`: numeric metrics describing the machine. */
export async function machineMetrics(): Promise<Record<string, number>> {
  const text = (await readCpuinfo()) ?? "";
  const flags = new Set((text.match(/^flags\s*:\s*(.*)$/m)?.[1] ?? "").split(/\s+/));
  const out: Record<string, number> = {};
  for (const f of CPU_FLAGS) out[`cpu.${f}`] = flags.has(f) ? 1 : 0;
  out["cpu.cores"] = navigator.hardwareConcurrency ?? 1;
  try {
    out.loadavg1 = Deno.loadavg()[0];
  } catch {
    out.loadavg1 = -1;
  }
  return out;
}
