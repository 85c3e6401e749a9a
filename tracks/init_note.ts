/**
 * The note that says where a table's binarized cells started training (engine/init.ts): from the
 * trained fp32 network of the same cell, or from scratch (bundles without the field: scratch).
 */
import type { RunResult } from "../engine/run.ts";
import { initOf } from "../engine/init.ts";

const MEANING: Record<string, string> = {
  fp32: "from the trained fp32 network of the same cell and seed",
  scratch: "from seeded random weights",
};

/**
 * The table note ("init: ...") naming the initialisation the binarized runs used (of the task run
 * they evaluate, for robust and infer); [] when there is none.
 */
export function initNotes(results: readonly RunResult[]): string[] {
  const byInit = new Map<string, Set<string>>();
  for (const r of results) {
    if (r.spec.binarizer === "fp32") continue;
    const init = initOf(r.spec);
    if (!byInit.has(init)) byInit.set(init, new Set());
    byInit.get(init)!.add(r.spec.binarizer);
  }
  if (byInit.size === 0) return [];
  if (byInit.size === 1) {
    const [init] = byInit.keys();
    return [`init: ${init} — binarized runs start ${MEANING[init] ?? init}.`];
  }
  const parts = [...byInit].map(([init, bs]) => `${init} (${[...bs].join(", ")})`);
  return [
    `init: mixed — ${parts.join("; ")}; fp32 = ${MEANING.fp32}, scratch = ${MEANING.scratch}.`,
  ];
}
