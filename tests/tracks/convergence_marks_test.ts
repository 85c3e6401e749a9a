/**
 * Convergence marks in the tables (tracks/convergence_note.ts): a cell with seeds that did not
 * converge is marked "†k/n" in the CLI accuracy and train tables and on the site, the notes count
 * the converged cells, and a result without a recorded flag (bundles made before it) is judged by
 * the same rule from its curves.
 */
import assert from "node:assert/strict";
import { fakeResult } from "./fake_result.ts";
import type { RunResult } from "../../engine/run.ts";
import { accuracyTable } from "../../tracks/accuracy_table.ts";
import { renderTable } from "../../tracks/text_table.ts";
import { renderTrainTable } from "../../tracks/train/view.ts";
import { trainTable } from "../../tracks/train/track.ts";
import { cellHtml } from "../../site/lib/fragments.ts";
import { runConverged } from "../../tracks/convergence_note.ts";
import { installPlugins } from "../../app/plugins.ts";

installPlugins();

const FLAT = [0.7, 0.8, 0.85, 0.851]; // +0.1 pp over the last quarter: converged
const RISING = [0.5, 0.6, 0.7, 0.8]; // +10 pp: not converged

function run(binarizer: string, seed: number, vals: number[], task = "mnist"): RunResult {
  const train = {
    optimizer: "adam" as const,
    lr: 1e-3,
    momentum: 0.9,
    weightDecay: 0,
    schedule: "cosine" as const,
    epochs: vals.length,
    batchSize: 64,
  };
  return fakeResult({ binarizer, seed, task, train }, { testAccuracy: vals.at(-1)! }, {}, {
    curves: vals.map((valAccuracy, epoch) => ({
      epoch,
      lr: 1e-3,
      trainLoss: 1,
      trainAccuracy: valAccuracy,
      valAccuracy,
      seconds: 1,
    })),
  });
}

Deno.test("accuracy table: unconverged seeds mark the cell, the note counts converged cells", () => {
  const results = [
    run("fp32", 0, FLAT),
    run("fp32", 1, FLAT),
    run("bnn", 0, FLAT),
    run("bnn", 1, RISING),
    run("fp32", 0, FLAT, "fashion"),
    run("bnn", 0, RISING, "fashion"),
  ];
  const t = accuracyTable(
    { track: "task", title: "Learning task", omName: "OM_task" },
    results,
    (r) => r.spec.task,
    { binarizers: ["fp32", "bnn"], columns: ["mnist", "fashion"] },
  );
  const [fp, bnn] = t.rows;
  assert.deepEqual(fp.cells.map((c) => c?.unconverged), [undefined, undefined]);
  assert.deepEqual(bnn.cells.map((c) => c?.unconverged), [1, 1]);
  const text = renderTable(t);
  assert.match(text, /\(0\.\d{3}\) †1\/2/);
  assert.match(text, /\(0\.\d{3}\) †1\/1/);
  assert.equal((text.match(/†\d/g) ?? []).length, 2, text);
  assert.match(
    text,
    /converged: 2\/4 cells; † = a cell with k seed\(s\) whose validation accuracy/,
  );
  // A recorded flag wins over the curves (it is what the run's own rule said).
  const recorded = { ...run("bnn", 1, RISING) };
  recorded.convergence = { epochsRun: 4, stop: "epochs", converged: true };
  assert.equal(runConverged(recorded), true);
  assert.equal(runConverged(run("bnn", 1, RISING)), false);
  assert.equal(runConverged(fakeResult({ kind: "comp" }, {})), undefined);
});

Deno.test("train table: the same marks in its own view", () => {
  const results = ["sgd-0.1-cosine", "sgd-0.1-step"].flatMap((setting) => [
    {
      ...run("fp32", 0, FLAT, setting),
      spec: { ...run("fp32", 0, FLAT, setting).spec, track: "train" },
    },
    {
      ...run("bnn", 0, RISING, setting),
      spec: { ...run("bnn", 0, RISING, setting).spec, track: "train" },
    },
  ]);
  const text = renderTrainTable(trainTable(results));
  assert.equal((text.match(/†1\/1/g) ?? []).length, 2, text);
  assert.match(text, /converged: 2\/4 cells/);
});

Deno.test("site cell: the mark with its count and tooltip; none when every seed converged", () => {
  const base = { mean: 0.5, std: 0, n: 2, ratio: 0.9, half: null, excluded: false };
  const marked = cellHtml("percent", { ...base, unconverged: 1 }).value;
  assert.match(
    marked,
    /<span class="uc"\s+title="1 of 2 seed\(s\) did not converge \(see the notes\)"> <bdi>†1\/2<\/bdi><\/span>/,
  );
  assert.doesNotMatch(cellHtml("percent", { ...base, unconverged: 0 }).value, /class="uc"|†/);
});
