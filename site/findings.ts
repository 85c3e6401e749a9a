/**
 * `deno task findings [--check]`: fills the numbers of docs/findings.md from the published bundles
 * (`bundles/`, verified against `bundles/trusted-keys.json`) through the computation the CLI tables
 * and the site use (`summarizeTracks` over `bundleToResult` of the verified bundles), so that the
 * findings cannot go stale. The prose stays hand-written; two kinds of markers hold what the
 * generator writes:
 *
 * - inline numbers, `<!-- n KEY -->0.843<!-- /n -->`, where KEY (see {@link valueOf}) names a
 *   quantity of a track table, e.g. `om:task:fda` or `ratio:task:*:spam:min`;
 * - whole tables, between `<!-- findings:NAME:start -->` and `<!-- findings:NAME:end -->` (NAME one
 *   of {@link TABLES}).
 *
 * The `previous` and `previous-cells` tables compare with the previous published set, read from its
 * snapshot (docs/previous-set.json, see previous_set.ts; `--snapshot FILE` makes one).
 *
 * `--check` changes nothing and exits 1 when the file is stale (tests/site/findings_test.ts).
 */
import { parseCli, runCli } from "../app/args.ts";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../engine/errors.ts";
import { writeFileAtomic } from "../engine/atomic.ts";
import { DEFAULT_TRUSTED_FILE, loadTrustedKeys } from "../engine/bundle/keys.ts";
import { bundleToResult } from "../engine/bundle/make.ts";
import { installPlugins } from "../app/plugins.ts";
import { loadBundles } from "./lib/aggregate.ts";
import { summarizeTracks } from "../tracks/summary.ts";
import { convergedCells } from "../tracks/convergence_note.ts";
import type { Cell, TrackTable } from "../tracks/track.ts";
import { change, parseSnapshot, type SetSnapshot, snapshotOf } from "./previous_set.ts";

const REPO_DIR = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");

export const HELP =
  `Usage: deno task findings [--check] [--bundles DIR] [--trusted FILE] [--file FILE]
       deno task findings --snapshot FILE --label TEXT [--bundles DIR] [--trusted FILE]

Fills the generated numbers and tables of docs/findings.md (its <!-- n KEY --> and
<!-- findings:NAME:start/end --> markers) from the verified bundles in --bundles (default bundles/).

Options:
  --check           change nothing; exit 1 when the file is stale
  --bundles DIR     bundle directory (default bundles/)
  --trusted FILE    trusted public keys (default bundles/trusted-keys.json)
  --file FILE       the file to update (default docs/findings.md)
  --previous FILE   snapshot of the previous published set, for the comparison tables
                    (default docs/previous-set.json)
  --snapshot FILE   write the snapshot of --bundles to FILE instead (for a later comparison),
                    with --label saying which set it is (e.g. the commit that holds it)
  -h, --help        show this help
`;

type Row = TrackTable["rows"][number];

/** Decimals of an OM per track (as the findings print them). */
const OM_DECIMALS: Record<string, number> = { infer: 2, comp: 1 };

/**
 * The table of `track`; a one-line error when the bundles lack it or it has a hole (no binarized
 * row, or a cell without runs): the text reads every cell, so it is written from a complete set.
 */
function tableOf(tables: TrackTable[], track: string): TrackTable {
  const t = tables.find((x) => x.track === track);
  if (!t) throw new UserError(`no "${track}" track in the bundles`);
  const incomplete = (what: string) =>
    new UserError(`the "${track}" table is incomplete (${what}): it needs a complete set`);
  if (!t.rows.some((r) => r.binarizer !== "fp32")) throw incomplete("no binarized row");
  for (const r of t.rows) {
    const i = r.cells.findIndex((c) => c === null);
    if (i >= 0) throw incomplete(`no runs for ${r.binarizer} on ${t.columns[i]}`);
  }
  return t;
}

/** Rows with fp32 first, then by OM, best first. */
const byOm = (t: TrackTable) =>
  [...t.rows].sort((
    a,
    b,
  ) => (a.binarizer === "fp32" ? -1 : b.binarizer === "fp32" ? 1 : b.om - a.om));

/** Column name as a key writes it: spaces become "-" ("cnn b64" -> "cnn-b64"). */
const colKey = (c: string) => c.replace(/\s+/g, "-");

function pick<T>(all: T[], name: (x: T) => string, spec: string, what: string, key: string): T[] {
  if (spec === "*") return all;
  const out: T[] = [];
  for (const s of spec.split(",")) {
    const star = s.endsWith("*");
    const hits = all.filter((x) => star ? name(x).startsWith(s.slice(0, -1)) : name(x) === s);
    if (hits.length === 0) throw new UserError(`key ${key}: no ${what} "${s}"`);
    out.push(...hits);
  }
  return out;
}

const KINDS = ["om", "omlo", "omhi", "acc", "ratio", "std", "gap", "x", "omlist"] as const;

/** Number text by a format: `N` decimals, `pN` x100 then N decimals, `iN` 1/x, `eN` exponent form. */
function fmtNum(v: number, f: string): string {
  const m = /^([pie]?)(\d+)$/.exec(f);
  if (!m) throw new UserError(`bad number format "${f}"`);
  const d = Number(m[2]);
  if (m[1] === "e") return v.toExponential(d);
  return (m[1] === "p" ? 100 * v : m[1] === "i" ? 1 / v : v).toFixed(d);
}

/**
 * The text of one generated number. KEY = `KIND:TRACK:BINARIZERS[:COLUMNS|EXTRA][:AGG][|DECIMALS]`:
 *
 * - KIND `om` (the row's OM), `omlo` / `omhi` (its 95% bootstrap interval), `acc` (cell mean in
 *   %), `ratio` (cell ratio to fp32), `std` (cell std over seeds in pp), `gap` (robust: cell mean
 *   gap in pp), `x` (a named extra of the row, e.g. `x:train:bnn:timeRatio`);
 * - `omlist:TRACK`: the binarizers and their OMs, best first (robust: with the interval);
 * - BINARIZERS one name, a comma list, `*` (every binarizer but fp32) or `all`; COLUMNS likewise, with
 *   `prefix*` matching by prefix (`fashion/*`), spaces written as "-";
 * - AGG `min` / `max` / `spread` (max - min; over the binarizers and columns named; required when
 *   they are several);
 * - DECIMALS overrides the kind's default: `N` decimals, `pN` x100, `iN` the inverse, `eN` exponent.
 */
export function valueOf(key: string, tables: TrackTable[]): string {
  const [body, dec] = key.split("|");
  const parts = body.split(":");
  const [kind, track, bins] = parts;
  if (kind === "omlist" && track && parts.length === 2) {
    const t = tableOf(tables, track);
    const d = OM_DECIMALS[track] ?? 3;
    return byOm(t).filter((r) => r.binarizer !== "fp32").map((r) => {
      const iv = track === "robust" || track === "train" ? r.uncertainty?.interval : undefined;
      const ivText = iv ? ` [${iv[0].toFixed(d)}, ${iv[1].toFixed(d)}]` : "";
      return `${r.binarizer} ${r.om.toFixed(d)}${ivText}`;
    }).join(", ");
  }
  if (!(KINDS as readonly string[]).includes(kind) || !track || !bins) {
    throw new UserError(`bad key "${key}"`);
  }
  const t = tableOf(tables, track);
  const nonFp = t.rows.filter((r) => r.binarizer !== "fp32");
  const rows = bins === "*"
    ? nonFp
    : bins === "all"
    ? t.rows
    : pick(t.rows, (r) => r.binarizer, bins, "binarizer", key);
  const rest = parts.slice(3);
  const agg =
    rest.length && (rest.at(-1) === "min" || rest.at(-1) === "max" || rest.at(-1) === "spread")
      ? rest.pop()
      : null;
  let values: number[];
  let decimals: number;
  if (kind === "om" || kind === "omlo" || kind === "omhi") {
    if (rest.length) throw new UserError(`key ${key}: an OM has no column`);
    values = rows.map((r) => {
      if (kind === "om") return r.om;
      const iv = r.uncertainty?.interval;
      if (!iv) throw new UserError(`key ${key}: ${r.binarizer} has no OM interval`);
      return iv[kind === "omlo" ? 0 : 1];
    });
    decimals = OM_DECIMALS[track] ?? 3;
  } else if (kind === "x") {
    if (rest.length !== 1) throw new UserError(`key ${key}: name one extra`);
    values = rows.map((r) => {
      const name = Object.keys(r.extra ?? {}).find((k) => colKey(k) === rest[0]);
      const v = name === undefined ? undefined : r.extra![name];
      if (v === undefined) throw new UserError(`key ${key}: no extra "${rest[0]}"`);
      return v;
    });
    decimals = 3;
  } else {
    if (rest.length !== 1) throw new UserError(`key ${key}: name the column(s)`);
    const idx = pick(
      t.columns.map((c, i) => ({ c, i })),
      (x) => colKey(x.c),
      rest[0],
      "column",
      key,
    )
      .map((x) => x.i);
    // tableOf refused tables with a missing cell.
    const cells: Cell[] = rows.flatMap((r) => idx.map((i) => r.cells[i]!));
    const f = { acc: (c: Cell) => 100 * c.mean, ratio: (c: Cell) => c.ratio };
    values = cells.map(
      kind === "acc"
        ? f.acc
        : kind === "ratio"
        ? f.ratio
        : (c: Cell) => 100 * (kind === "std" ? c.std : c.mean),
    );
    decimals = { acc: 2, ratio: track === "comp" ? 1 : 3, std: 2, gap: 0 }[kind as "acc"];
  }
  if (values.length > 1 && !agg) {
    throw new UserError(`key ${key}: several values, no min/max`);
  }
  const lo = Math.min(...values), hi = Math.max(...values);
  const v = agg === "min" ? lo : agg === "max" ? hi : agg === "spread" ? hi - lo : values[0];
  if (!Number.isFinite(v)) throw new UserError(`key ${key}: not a finite number`);
  return fmtNum(v, dec ?? String(decimals));
}

/** Markdown table, columns padded as `deno fmt` pads them. */
function mdTable(head: string[], rows: string[][], right: boolean[]): string {
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(3, ...all.map((r) => r[i].length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i]))).join(" | ")} |`;
  const rule = `| ${
    w.map((n, i) => (right[i] ? "-".repeat(n - 1) + ":" : "-".repeat(n))).join(" | ")
  } |`;
  return [line(head), rule, ...rows.map(line)].join("\n");
}

/** "0.935 (recu, react)": the extreme ratio of a column and the binarizers that print it. */
function extreme(rows: Row[], i: number, which: "min" | "max"): string {
  const vals = rows.map((r) => r.cells[i]!.ratio.toFixed(3));
  const nums = vals.map(Number);
  const v = (which === "min" ? Math.min : Math.max)(...nums).toFixed(3);
  return `${v} (${rows.filter((_, k) => vals[k] === v).map((r) => r.binarizer).join(", ")})`;
}

function accuracyTable(t: TrackTable, labels: Record<string, string>, fpHead: string): string {
  const fp = t.rows.find((r) => r.binarizer === "fp32");
  const bins = t.rows.filter((r) => r.binarizer !== "fp32");
  const rows = t.columns.map((c, i) => {
    const best = bins.reduce((a, b) => (b.cells[i]!.mean > a.cells[i]!.mean ? b : a));
    return [
      labels[c] ?? c,
      fp?.cells[i] ? `${(100 * fp.cells[i]!.mean).toFixed(2)}%` : "—",
      `${extreme(bins, i, "min")} – ${extreme(bins, i, "max")}`,
      `${best.binarizer} ${(100 * best.cells[i]!.mean).toFixed(2)}%`,
    ];
  });
  return mdTable(
    [
      t.omName.replace("OM_", "") === "task" ? "task (model)" : "architecture",
      fpHead,
      "binarized / fp32, range over the binarizers",
      "best binarized",
    ],
    rows,
    [false, false, false, false],
  );
}

function needPrevious(prev: SetSnapshot | undefined): SetSnapshot {
  if (!prev) throw new UserError("no snapshot of the previous set (--previous FILE)");
  return prev;
}

/** Each binarizer's OM per track, previous set -> now. */
function previousTable(ts: TrackTable[], prev: SetSnapshot): string {
  // The tracks in the tables' order (the registry's) that the snapshot has too.
  const tracks = ts.map((t) => t.track).filter((t) => prev.tracks[t]);
  const bins = tableOf(ts, tracks[0]).rows.map((r) => r.binarizer).filter((b) => b !== "fp32");
  return mdTable(
    ["binarizer", ...tracks.map((t) => tableOf(ts, t).omName)],
    bins.map((b) => [
      b,
      ...tracks.map((t) => {
        const r = tableOf(ts, t).rows.find((x) => x.binarizer === b);
        return change(
          prev.tracks[t][b],
          r && { om: r.om, interval: r.uncertainty?.interval },
          OM_DECIMALS[t] ?? 3,
        );
      }),
    ]),
    [false, ...tracks.map(() => false)],
  );
}

/** fp32 accuracy and the binarized range per task / architecture cell, previous set -> now. */
function previousCells(ts: TrackTable[], prev: SetSnapshot): string {
  const pct = (v: number | undefined) => (v === undefined ? "—" : `${(100 * v).toFixed(2)}%`);
  const rows: string[][] = [];
  for (const track of ["task", "arch"].filter((x) => ts.some((t) => t.track === x))) {
    const t = tableOf(ts, track), p = prev.tracks[track] ?? {};
    t.columns.forEach((c, i) => {
      const fp = t.rows.find((r) => r.binarizer === "fp32")?.cells[i]?.mean;
      const bins = t.rows.filter((r) => r.binarizer !== "fp32");
      const now = bins.map((r) => r.cells[i]?.mean).filter((v): v is number => v !== undefined);
      const old = bins.map((r) => p[r.binarizer]?.cells[c]).filter((v): v is number =>
        v !== undefined
      );
      const range = (v: number[]) =>
        v.length ? `${pct(Math.min(...v))} – ${pct(Math.max(...v))}` : "—";
      rows.push([
        `${track} ${c}`,
        `${pct(p.fp32?.cells[c])} → ${pct(fp)}`,
        `${range(old)} → ${range(now)}`,
      ]);
    });
  }
  return mdTable(
    ["cell", "fp32 accuracy", "binarized accuracy, range over the binarizers"],
    rows,
    [false, false, false],
  );
}

/**
 * Per task / architecture column: the cells (fp32 and every binarizer) all of whose seeds
 * converged by the documented mark, and the runs that did not, with a total per track.
 */
function convergenceTable(ts: TrackTable[]): string {
  const rows: string[][] = [];
  for (const track of ["task", "arch"].filter((x) => ts.some((t) => t.track === x))) {
    const t = tableOf(ts, track);
    const count = (cells: Cell[]) => [
      convergedCells(cells),
      `${cells.reduce((s, x) => s + (x.unconverged ?? 0), 0)}/${
        cells.reduce((s, x) => s + x.n, 0)
      }`,
    ];
    // tableOf refused tables with a missing cell.
    t.columns.forEach((c, i) =>
      rows.push([`${track} ${c}`, ...count(t.rows.map((r) => r.cells[i]!))])
    );
    rows.push([`${track}, all`, ...count(t.rows.flatMap((r) => r.cells.map((x) => x!)))]);
  }
  return mdTable(
    ["cell", "cells converged (every seed)", "runs not converged"],
    rows,
    [false, true, true],
  );
}

/** What a generated table is made from: this set's tables and the previous set's snapshot. */
export interface TableInput {
  previous?: SetSnapshot;
}

/** The generated tables, by marker name. */
export const TABLES: Record<string, (tables: TrackTable[], input: TableInput) => string> = {
  previous: (ts, i) => previousTable(ts, needPrevious(i.previous)),
  "previous-cells": (ts, i) => previousCells(ts, needPrevious(i.previous)),
  convergence: convergenceTable,
  task: (ts) =>
    accuracyTable(tableOf(ts, "task"), {
      mnist: "MNIST (cnn)",
      fashion: "Fashion-MNIST (cnn)",
      spam: "Spam (transformer)",
      pointcloud: "Point clouds (pointnet)",
      kws: "Keyword spotting (fsmn)",
    }, "fp32 accuracy"),
  arch: (ts) => accuracyTable(tableOf(ts, "arch"), {}, "fp32 (Fashion-MNIST)"),
  train: (ts) => {
    const t = tableOf(ts, "train");
    const x = (r: Row, k: string) => r.extra?.[k] ?? NaN;
    return mdTable(
      [
        "binarizer",
        "mean train time (s)",
        "T_fp / T_bi",
        "std of accuracy over the settings (pp)",
        "OM_train",
      ],
      byOm(t).map((r) => [
        r.binarizer,
        x(r, "trainSeconds").toFixed(1),
        x(r, "timeRatio").toFixed(2),
        (100 * x(r, "settingsStd")).toFixed(2),
        r.om.toFixed(3),
      ]),
      [false, true, true, true, true],
    );
  },
  infer: (ts) => {
    const t = tableOf(ts, "infer");
    const col = (name: string) => t.columns.indexOf(name);
    const x = (r: Row, c: string) => `${r.cells[col(c)]?.ratio.toFixed(2) ?? "—"}x`;
    return mdTable(
      ["binarizer", "batch 1", "batch 64", "file size", "OM_infer"],
      byOm(t).filter((r) => r.binarizer !== "fp32").map((r) => [
        r.binarizer,
        x(r, "cnn b1"),
        x(r, "cnn b64"),
        x(r, "cnn size"),
        r.om.toFixed(2),
      ]),
      [false, true, true, true, true],
    );
  },
};

const INLINE = /<!-- n ([^\s>]+) -->([\s\S]*?)<!-- \/n -->/g;
const BLOCK = /(<!-- findings:([a-z-]+):start[^>]*-->)\n(?:[\s\S]*?\n)?(<!-- findings:\2:end -->)/g;

/** `doc` with every marker filled from `tables`; throws on an unknown key or table. */
export function fill(doc: string, tables: TrackTable[], input: TableInput = {}): string {
  const blocks = doc.replace(BLOCK, (_m, start: string, name: string, end: string) => {
    const make = TABLES[name];
    if (!make) throw new UserError(`unknown table "${name}"`);
    return `${start}\n\n${make(tables, input)}\n\n${end}`;
  });
  return blocks.replace(
    INLINE,
    (_m, key: string) => `<!-- n ${key} -->${valueOf(key, tables)}<!-- /n -->`,
  );
}

/** The track tables of the verified bundles in `bundles`. */
export async function bundleTables(bundles: string, trustedFile: string): Promise<TrackTable[]> {
  installPlugins();
  const trusted = await loadTrustedKeys(trustedFile);
  const { accepted } = await loadBundles(bundles, trusted);
  return summarizeTracks(accepted.map((a) => bundleToResult(a.bundle))).tables;
}

/** The default snapshot of the previous published set. */
export const PREVIOUS_FILE = join(REPO_DIR, "docs", "previous-set.json");

/** The snapshot at `path`; undefined when there is no such file. */
export async function readPrevious(path: string): Promise<SetSnapshot | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new UserError(`cannot read ${path}`);
  }
  try {
    return parseSnapshot(text, path);
  } catch (e) {
    throw new UserError((e as Error).message.split("\n")[0]);
  }
}

/** The CLI; returns the exit status. */
export function main(argv: string[]): Promise<number> {
  return runCli("findings", async () => {
    const { values, positionals } = parseCli(argv, {
      check: { type: "boolean" },
      bundles: { type: "string" },
      trusted: { type: "string" },
      file: { type: "string" },
      previous: { type: "string" },
      snapshot: { type: "string" },
      label: { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (positionals.length) throw new UserError(`unexpected argument "${positionals[0]}"`);
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    if (values.snapshot) {
      if (!values.label) throw new UserError("--snapshot needs --label TEXT (which set this is)");
      const tables = await bundleTables(
        values.bundles ?? join(REPO_DIR, "bundles"),
        values.trusted ?? DEFAULT_TRUSTED_FILE,
      );
      const snap = snapshotOf(tables, values.label);
      await writeFileAtomic(values.snapshot, JSON.stringify(snap, null, 1) + "\n");
      console.log(
        `findings: wrote the snapshot of ${tables.length} track tables to ${values.snapshot}`,
      );
      return 0;
    }
    const path = values.file ?? join(REPO_DIR, "docs", "findings.md");
    const doc = await Deno.readTextFile(path).catch(() => {
      throw new UserError(`cannot read ${path}`);
    });
    const tables = await bundleTables(
      values.bundles ?? join(REPO_DIR, "bundles"),
      values.trusted ?? DEFAULT_TRUSTED_FILE,
    );
    const previous = await readPrevious(values.previous ?? PREVIOUS_FILE);
    const next = fill(doc, tables, { previous });
    if (values.check) {
      if (next === doc) return 0;
      console.error(`findings: ${path} is stale: run deno task findings`);
      return 1;
    }
    if (next !== doc) await writeFileAtomic(path, new TextEncoder().encode(next));
    console.log(`findings: ${next === doc ? "already up to date" : `updated ${path}`}`);
    return 0;
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
