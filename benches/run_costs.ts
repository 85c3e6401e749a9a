/**
 * Per-run training cost of every (task, model) the grids train: a short real run (the "train"
 * executor, one epoch on a fixed subset) per model and binarizer, reporting training images per
 * second of wall time and of this process's CPU time (engine/deploy/cpu_clock.ts), from the end
 * of the first batch to the end of the epoch, validation pass included. Training is single-threaded,
 * so on a machine shared with other jobs the CPU-time rate is what one idle core would do; the
 * wall rate is what this run got. What the profiles' SIZES are priced with (tracks/task/track.ts,
 * tracks/arch/track.ts, tracks/train/track.ts). Prints the load average beside each run.
 *
 *   deno task bench:costs [--train 1024] [--algo fp32,bnn,fda] [--only cnn,mlp]
 */
import { parseArgs } from "node:util";
import { initBackend } from "../engine/tf.ts";
import { executeRun, runId, type RunSpec } from "../engine/run.ts";
import { processCpuMs } from "../engine/deploy/cpu_clock.ts";
import { DEFAULT_TRAIN } from "../tracks/task/track.ts";
import { installPlugins } from "../app/plugins.ts";

installPlugins();
await initBackend("wasm");

const { values } = parseArgs({
  args: Deno.args,
  options: {
    train: { type: "string", default: "1024" },
    algo: { type: "string", default: "fp32,bnn,fda" },
    only: { type: "string" },
  },
});
const n = Number(values.train);
const algos = values.algo!.split(",");

/** The (task, dataset, model, batch) of every grid column that trains. */
const PAIRS = [
  { task: "mnist", dataset: "mnist", model: "cnn", batch: 64 },
  { task: "fashion", dataset: "fashion-mnist", model: "cnn", batch: 64 },
  { task: "fashion", dataset: "fashion-mnist", model: "mlp", batch: 64 },
  { task: "fashion", dataset: "fashion-mnist", model: "vgg-small", batch: 64 },
  { task: "fashion", dataset: "fashion-mnist", model: "resnet20", batch: 64 },
  { task: "fashion", dataset: "fashion-mnist", model: "vit", batch: 64 },
  { task: "spam", dataset: "spam", model: "transformer", batch: 32 },
  { task: "pointcloud", dataset: "pointcloud", model: "pointnet", batch: 32 },
  { task: "kws", dataset: "kws", model: "fsmn", batch: 32 },
].filter((p) => !values.only || values.only.split(",").includes(p.model));

/** User + system CPU seconds of this process. */
const cpuSeconds = () => processCpuMs() / 1000;

const load = () => Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
console.log(`load average before: ${load()}; ${n} training images, 1 epoch, per run`);
const rows: string[] = [];
for (const p of PAIRS) {
  for (const binarizer of algos) {
    const base = { track: "costs", task: p.task, model: p.model, binarizer, seed: 0 };
    const spec: RunSpec = {
      id: runId(base),
      kind: "train",
      ...base,
      dataset: p.dataset,
      width: 1,
      profile: "quick",
      train: { ...DEFAULT_TRAIN, epochs: 1, batchSize: p.batch },
      limit: { train: n, val: 256, test: 256 },
      init: "scratch",
    };
    let cpu0 = NaN, wall0 = NaN, cpu1 = NaN, wall1 = NaN;
    const { result } = await executeRun(spec, {}, {
      onBatch(b) {
        if (b.epoch === 0 && b.batch === 0) [cpu0, wall0] = [cpuSeconds(), performance.now()];
      },
      onEpochEnd() {
        [cpu1, wall1] = [cpuSeconds(), performance.now()];
      },
    });
    const images = (Math.floor(result.dataset!.sizes.train / p.batch) - 1) * p.batch;
    const cpu = cpu1 - cpu0, wall = (wall1 - wall0) / 1000;
    console.log(
      `${p.task}/${p.model}/${binarizer}: ${images} images: ${(images / wall).toFixed(1)} ` +
        `images/s wall, ${(images / cpu).toFixed(1)} images/s CPU (load ${load()})`,
    );
    rows.push(JSON.stringify({ task: p.task, model: p.model, binarizer, images, wall, cpu }));
  }
}
console.log(rows.join("\n"));
console.log(`load average after: ${load()}`);
