/**
 * docs/findings.md cannot go stale: every number in a marker and every generated table must equal
 * what `deno task findings` makes of the published bundles now; the key scheme resolves the
 * quantities of the track tables and refuses what it cannot resolve.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DEFAULT_TRUSTED_FILE } from "../../engine/bundle/keys.ts";
import { bundleTables, fill, TABLES, valueOf } from "../../site/findings.ts";
import type { TrackTable } from "../../tracks/track.ts";

const FINDINGS = fileURLToPath(new URL("../../docs/findings.md", import.meta.url));
const BUNDLES = fileURLToPath(new URL("../../bundles", import.meta.url));

Deno.test("findings: docs/findings.md is what the published bundles give", async () => {
  const doc = await Deno.readTextFile(FINDINGS);
  const tables = await bundleTables(BUNDLES, DEFAULT_TRUSTED_FILE);
  assert.equal(fill(doc, tables), doc, "docs/findings.md is stale: run deno task findings");
  // Every generated table the generator knows is in the file.
  for (const name of Object.keys(TABLES)) {
    assert.ok(doc.includes(`<!-- findings:${name}:start`), `findings.md lacks the ${name} table`);
  }
  // A few of its ordering claims, checked against the tables.
  const om = (track: string) =>
    tables.find((t) => t.track === track)!.rows.filter((r) => r.binarizer !== "fp32");
  const best = (track: string) => om(track).reduce((a, b) => (b.om > a.om ? b : a)).binarizer;
  assert.equal(best("task"), "fda", "the prose says fda is the most accurate on the task track");
  assert.equal(best("arch"), "bireal", "the prose says bireal leads the architecture track");
  assert.equal(best("train"), "bnn", "the prose says bnn has the best OM_train");
  const arch = tables.find((t) => t.track === "arch")!;
  for (const col of ["mlp", "vgg-small", "resnet20"]) {
    const i = arch.columns.indexOf(col);
    const last = om("arch").reduce((a, b) => (b.cells[i]!.ratio < a.cells[i]!.ratio ? b : a));
    assert.equal(last.binarizer, "recu", `the prose says recu is last on ${col}`);
  }
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
    assert.throws(() => valueOf(bad, fake), /findings/, bad);
  }
  const doc =
    "a <!-- n om:task:xnor -->0.1<!-- /n --> b\n<!-- findings:nope:start -->\n<!-- findings:nope:end -->";
  assert.throws(() => fill(doc, fake), /unknown table/);
  assert.equal(
    fill("a <!-- n om:task:xnor -->0.1<!-- /n --> b", fake),
    "a <!-- n om:task:xnor -->0.900<!-- /n --> b",
  );
});
