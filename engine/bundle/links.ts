/**
 * Parent links across a set of bundles (fp32 initialisation, engine/init.ts): a run that started
 * from a trained fp32 network records that network's bundle (content id) and weights (SHA-256) in
 * `results.parent`. When the parent's bundle is in the set being verified, the link is checked:
 * the child FAILs when the parent fails verification itself, or is not the bundle the link names
 * (another content id, other weights, or a configuration that is not the child's parent). When
 * the parent is not in the set, the child keeps its verdict with the note "parent not in the set:
 * link not checked" (a bundle can be published and verified on its own).
 */
import { resolve } from "node:path";
import canonicalize from "canonicalize";
import { parentSpec } from "../init.ts";
import { printable } from "../printable.ts";
import type { Verdict } from "./verify.ts";

/** The note on a child whose parent is not among the verified bundles. */
export const PARENT_NOT_IN_SET = "parent not in the set: link not checked";

/**
 * Why `parent` is not the bundle `child`'s link names, or null when it is. Both have bundles.
 */
function linkProblem(child: Verdict, parent: Verdict): string | null {
  const link = child.bundle!.results.parent!;
  const p = parent.bundle!;
  if (!parent.ok) return `its parent ${parent.path} fails verification (${parent.reason})`;
  if (link.id !== undefined && p.id !== link.id) {
    return `its parent ${parent.path} has content id ${p.id}, the link names ${link.id}`;
  }
  if (p.results.weights?.sha256 !== link.sha256 || p.results.weights?.bytes !== link.bytes) {
    return `its parent ${parent.path} records other weights than the link (${link.sha256})`;
  }
  const expected = parentSpec(child.bundle!.config);
  if (!expected || canonicalize(expected) !== canonicalize(p.config)) {
    return `its parent ${parent.path} is not the fp32 run of the child's cell`;
  }
  return null;
}

/**
 * Checks the parent link of every ok verdict against the set (turning it into a failure or
 * adding a note); verdicts without a link are left as they are.
 */
export function checkParentLinks(verdicts: Verdict[]): void {
  const byPath = new Map(verdicts.map((v) => [resolve(v.path), v]));
  const byRun = new Map<string, Verdict[]>();
  for (const v of verdicts) {
    if (!v.bundle) continue;
    const list = byRun.get(v.bundle.config.id) ?? [];
    list.push(v);
    byRun.set(v.bundle.config.id, list);
  }
  for (const v of verdicts) {
    const link = v.ok ? v.bundle?.results.parent : undefined;
    if (!link) continue;
    // Where the result store puts it: OUT/runs/<parent id>.json, beside OUT/runs/<child id>.json.
    const own = resolve(v.path), suffix = `${v.bundle!.config.id}.json`;
    const beside = own.endsWith(suffix)
      ? byPath.get(own.slice(0, own.length - suffix.length) + `${link.run}.json`)
      : undefined;
    const candidates = beside ? [beside] : (byRun.get(link.run) ?? []);
    if (candidates.length === 0) {
      v.notes.push(PARENT_NOT_IN_SET);
      continue;
    }
    const problems = candidates.map((c) =>
      c.bundle ? linkProblem(v, c) : `its parent ${c.path} fails verification (${c.reason})`
    );
    if (problems.some((p) => p === null)) continue;
    v.ok = false;
    v.reason = printable(`parent link: ${problems[0]}`);
  }
}
