/**
 * docs/findings.md cannot go stale: every number in a marker and every generated table must equal
 * what `deno task findings` makes of the published bundles now; the key scheme resolves the
 * quantities of the track tables and refuses what it cannot resolve.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DEFAULT_TRUSTED_FILE } from "../../engine/bundle/keys.ts";
import { UserError } from "../../engine/errors.ts";
import { join } from "node:path";
import {
  bundleTables,
  fill,
  PREVIOUS_FILE,
  readPrevious,
  TABLES,
  valueOf,
} from "../../site/findings.ts";
import { change, snapshotOf } from "../../site/previous_set.ts";
import type { TrackTable } from "../../tracks/track.ts";

const FINDINGS = fileURLToPath(new URL("../../docs/findings.md", import.meta.url));
const BUNDLES = fileURLToPath(new URL("../../bundles", import.meta.url));
const REPO = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("findings: docs/findings.md is what the published bundles give", async () => {
  const doc = await Deno.readTextFile(FINDINGS);
  const tables = await bundleTables(BUNDLES, DEFAULT_TRUSTED_FILE);
  const previous = await readPrevious(PREVIOUS_FILE);
  assert.ok(previous, "docs/previous-set.json is missing");
  assert.equal(
    fill(doc, tables, { previous }),
    doc,
    "docs/findings.md is stale: run deno task findings",
  );
  // Every generated table the generator knows is in the file.
  for (const name of Object.keys(TABLES)) {
    assert.ok(doc.includes(`<!-- findings:${name}:start`), `findings.md lacks the ${name} table`);
  }
  // A few of its ordering claims, checked against the tables.
  const om = (track: string) =>
    tables.find((t) => t.track === track)!.rows.filter((r) => r.binarizer !== "fp32");
  const best = (track: string) => om(track).reduce((a, b) => (b.om > a.om ? b : a)).binarizer;
  const worst = (track: string) => om(track).reduce((a, b) => (b.om < a.om ? b : a)).binarizer;
  assert.equal(best("task"), "fda", "the prose says fda is the most accurate on the task track");
  assert.equal(best("arch"), "fda", "the prose says fda leads the architecture track");
  assert.equal(best("train"), "xnorpp", "the prose says xnorpp has the best OM_train");
  assert.equal(worst("train"), "recu", "the prose says recu has the worst OM_train");
  const arch = tables.find((t) => t.track === "arch")!;
  arch.columns.forEach((col, i) => {
    const top = om("arch").reduce((a, b) => (b.cells[i]!.ratio > a.cells[i]!.ratio ? b : a));
    const said = col === "vgg-small" ? "xnorpp" : "fda";
    assert.equal(top.binarizer, said, `the prose says ${said} has the best ratio on ${col}`);
  });
});

const fake = [{
  track: "task",
  title: "",
  metric: "test accuracy",
  omName: "OM_task",
  columns: ["mnist", "cnn b64"],
  rows: [
    {
      binarizer: "fp32",
      om: 1,
      cells: [{ mean: 0.9, std: 0.01, n: 3, ratio: 1 }, { mean: 1, std: 0, n: 1, ratio: 1 }],
      extra: { "spam testF1": 0.5 },
    },
    {
      binarizer: "bnn",
      om: 0.81234,
      cells: [{ mean: 0.8, std: 0.02, n: 3, ratio: 0.8889 }, { mean: 1, std: 0, n: 1, ratio: 2 }],
      extra: { "spam testF1": 0.25 },
    },
    {
      binarizer: "xnor",
      om: 0.9,
      cells: [{ mean: 0.7, std: 0.03, n: 3, ratio: 0.7778 }, { mean: 1, std: 0, n: 1, ratio: 4 }],
      extra: { "spam testF1": 0.125 },
    },
  ],
}] as unknown as TrackTable[];

Deno.test("findings keys: kinds, lists, aggregates and formats", () => {
  assert.equal(valueOf("om:task:bnn", fake), "0.812");
  assert.equal(valueOf("omlist:task", fake), "xnor 0.900, bnn 0.812");
  assert.equal(valueOf("acc:task:fp32:mnist", fake), "90.00");
  assert.equal(valueOf("ratio:task:*:mnist:min", fake), "0.778");
  assert.equal(valueOf("ratio:task:*:cnn-b64:max|1", fake), "4.0");
  assert.equal(valueOf("acc:task:*:mnist:spread|1", fake), "10.0");
  assert.equal(valueOf("std:task:bnn,xnor:mnist:max", fake), "3.00");
  assert.equal(valueOf("x:task:all:spam-testF1:min|p1", fake), "12.5");
  assert.equal(valueOf("x:task:bnn:spam-testF1|i0", fake), "4");
  for (
    const bad of [
      "om:task",
      "nope:task:bnn",
      "om:arch:bnn",
      "acc:task:*:mnist",
      "acc:task:bnn:cifar",
    ]
  ) {
    assert.throws(() => valueOf(bad, fake), UserError, bad);
  }
  const doc =
    "a <!-- n om:task:xnor -->0.1<!-- /n --> b\n<!-- findings:nope:start -->\n<!-- findings:nope:end -->";
  assert.throws(() => fill(doc, fake), /unknown table/);
  assert.equal(
    fill("a <!-- n om:task:xnor -->0.1<!-- /n --> b", fake),
    "a <!-- n om:task:xnor -->0.900<!-- /n --> b",
  );
});

Deno.test("findings: the previous set's comparison (arrows only when the intervals part)", () => {
  const row = (om: number, iv: [number, number]) => ({ om, interval: iv, cells: {} });
  assert.equal(
    change(row(0.8, [0.78, 0.82]), { om: 0.9, interval: [0.88, 0.92] }, 3),
    "0.800 → 0.900 ↑",
  );
  assert.equal(
    change(row(0.8, [0.78, 0.82]), { om: 0.7, interval: [0.68, 0.72] }, 3),
    "0.800 → 0.700 ↓",
  );
  assert.equal(
    change(row(0.8, [0.78, 0.82]), { om: 0.81, interval: [0.79, 0.83] }, 3),
    "0.800 → 0.810",
  );
  assert.equal(change(row(0.8, [0.8, 0.8]), { om: 0.8 }, 3), "0.800 → 0.800 =");
  assert.equal(change(undefined, { om: 0.8 }, 2), "— → 0.80");
  const prev = snapshotOf(fake, "old");
  prev.tracks.task.bnn = row(0.5, [0.45, 0.55]);
  prev.tracks.task.bnn.cells = { mnist: 0.6 };
  const doc = "<!-- findings:previous:start -->\n<!-- findings:previous:end -->\n" +
    "<!-- findings:previous-cells:start -->\n<!-- findings:previous-cells:end -->";
  const out = fill(doc, fake, { previous: prev });
  assert.match(out, /\| bnn +\| 0\.500 → 0\.812 ↑ \|/);
  assert.match(
    out,
    /\| task mnist +\| 90\.00% → 90\.00% +\| 60\.00% – 70\.00% → 70\.00% – 80\.00% +\|/,
  );
  assert.throws(() => fill(doc, fake), /no snapshot of the previous set/);
});

Deno.test("findings: docs/previous-set.json is what its commit's bundles give", async () => {
  const snap = await readPrevious(PREVIOUS_FILE);
  assert.ok(snap, "docs/previous-set.json is missing");
  const commit = /commit ([0-9a-f]{7,40})/.exec(snap.label)?.[1];
  assert.ok(commit, `the snapshot's label names no commit: ${snap.label}`);
  const git = (args: string[]) =>
    new Deno.Command("git", { args, cwd: REPO, stdout: "piped", stderr: "null" }).output();
  if (
    !(await git(["cat-file", "-e", `${commit}^{commit}`]).catch(() => ({ success: false }))).success
  ) {
    console.log(`previous-set check SKIPPED: commit ${commit} is not in this clone's history`);
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "bibench-previous-" });
  try {
    const tar = await git(["archive", "--format=tar", commit, "bundles"]);
    const tarFile = join(dir, "b.tar");
    await Deno.writeFile(tarFile, tar.stdout);
    const x = await new Deno.Command("tar", { args: ["-xf", tarFile, "-C", dir] }).output();
    assert.ok(x.success, "tar failed");
    const tables = await bundleTables(join(dir, "bundles"), join(dir, "bundles/trusted-keys.json"));
    assert.deepEqual(snapshotOf(tables, snap.label), snap);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("findings: a set with a hole is refused in one line, not written from", () => {
  const doc = "<!-- findings:task:start -->\n<!-- findings:task:end -->";
  const onlyFp = [{ ...fake[0], rows: fake[0].rows.filter((r) => r.binarizer === "fp32") }];
  assert.throws(() => fill(doc, onlyFp), /"task" table is incomplete \(no binarized row\)/);
  const hole = [{
    ...fake[0],
    rows: fake[0].rows.map((r) => r.binarizer === "fp32" ? r : { ...r, cells: [r.cells[0], null] }),
  }];
  assert.throws(() => fill(doc, hole), /incomplete \(no runs for \w+ on cnn b64\)/);
});

Deno.test("findings: the convergence table counts converged cells and unconverged runs", () => {
  const t = {
    ...fake[0],
    rows: fake[0].rows.map((r) =>
      r.binarizer === "bnn" ? { ...r, cells: [{ ...r.cells[0]!, unconverged: 2 }, r.cells[1]] } : r
    ),
  };
  const out = fill("<!-- findings:convergence:start -->\n<!-- findings:convergence:end -->", [t]);
  assert.match(out, /\| task mnist +\| +2\/3 \| +2\/9 \|/);
  assert.match(out, /\| task cnn b64 +\| +3\/3 \| +0\/3 \|/);
  assert.match(out, /\| task, all +\| +5\/6 \| +2\/12 \|/);
});
