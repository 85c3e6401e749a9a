/**
 * The training loop: seeded shuffles, per-epoch binarizer schedules, optimizer steps, BatchNorm
 * moving averages, evaluation. Everything random derives from the run seed, and the wasm backend is
 * single-threaded, so the same seed gives bit-identical metrics. With a plateau rule
 * (convergence.ts) the loop stops when validation accuracy stops improving; `epochs` is then the
 * cap, and the learning-rate and binarizer schedules still run over the cap (docs/metrics.md).
 */
import { tf } from "../tf.ts";
import { deriveSeed, Rng } from "../rng.ts";
import type { Split } from "../data/dataset.ts";
import type { Ctx } from "./layers.ts";
import type { Model } from "./model.ts";
import { getBinarizer } from "../binarizers/mod.ts";
import { learningRate, makeOptimizer, type OptimConfig } from "./optim.ts";
import { type PlateauRule, plateauStops } from "./convergence.ts";

/** Everything that decides how a model is trained. */
export interface TrainConfig extends OptimConfig {
  /** Epochs to train; with `plateau`, the most (the cap). */
  epochs: number;
  batchSize: number;
  seed: number;
  /** Stop early when validation accuracy plateaus (absent: train `epochs` epochs). */
  plateau?: PlateauRule;
}

/** Reported after every training batch (for progress displays). */
export interface BatchInfo {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  accuracy: number;
}

/** Per-epoch record: what the curves in a result are made of. */
export interface EpochRecord {
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  valAccuracy: number;
  seconds: number;
}

/** Hooks a caller can attach; `onEpochStart` sees the schedule values the binarizer chose. */
export interface TrainHooks {
  onBatch?(info: BatchInfo): void;
  onEpochEnd?(rec: EpochRecord): void;
}

/** Result of `train`. */
export interface TrainResult {
  epochs: EpochRecord[];
  trainSeconds: number;
  /** Binarizer schedule state in force at the end (used for evaluation). */
  state: Record<string, number>;
}

/** Copies the samples `idx[from..to)` of a split into a batch tensor and one-hot labels. */
function batchOf(
  split: Split,
  shape: number[],
  numClasses: number,
  idx: ArrayLike<number>,
  from: number,
  to: number,
): { x: tf.Tensor; y: tf.Tensor2D; labels: Uint8Array } {
  const per = shape.reduce((a, b) => a * b, 1);
  const n = to - from;
  const xs = new Float32Array(n * per);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const j = idx[from + i];
    xs.set(split.x.subarray(j * per, (j + 1) * per), i * per);
    labels[i] = split.y[j];
  }
  const x = tf.tensor(xs, [n, ...shape]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, "int32"), numClasses) as tf.Tensor2D);
  return { x, y, labels };
}

function countCorrect(logits: tf.Tensor, labels: Uint8Array): number {
  const t = tf.argMax(logits, -1);
  const pred = t.dataSync();
  t.dispose();
  let c = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) c++;
  return c;
}

/** Accuracy of a model on a split, in evaluation mode, with the given schedule state. */
export function evaluate(
  model: Model,
  split: Split,
  state: Record<string, number> = {},
  batchSize = 256,
): number {
  if (split.n === 0) return NaN;
  const idx = Array.from({ length: split.n }, (_, i) => i);
  let correct = 0;
  for (let from = 0; from < split.n; from += batchSize) {
    const to = Math.min(split.n, from + batchSize);
    const { x, y, labels } = batchOf(split, model.inputShape, model.numClasses, idx, from, to);
    const ctx: Ctx = { training: false, state, bnUpdates: [] };
    const logits = tf.tidy(() => model.apply(x, ctx));
    correct += countCorrect(logits, labels);
    tf.dispose([x, y, logits]);
  }
  return correct / split.n;
}

/** Predicted class of every sample of a split (evaluation mode). */
export function predict(
  model: Model,
  split: Split,
  state: Record<string, number> = {},
  batchSize = 256,
): Uint8Array {
  const out = new Uint8Array(split.n);
  const idx = Array.from({ length: split.n }, (_, i) => i);
  for (let from = 0; from < split.n; from += batchSize) {
    const to = Math.min(split.n, from + batchSize);
    const { x, y } = batchOf(split, model.inputShape, model.numClasses, idx, from, to);
    const ctx: Ctx = { training: false, state, bnUpdates: [] };
    const pred = tf.tidy(() => tf.argMax(model.apply(x, ctx), -1));
    out.set(pred.dataSync(), from);
    tf.dispose([x, y, pred]);
  }
  return out;
}

/**
 * The binarizer schedule state in force after training (what evaluation of a saved net uses):
 * that of the last epoch run (`epochsRun`, fewer than `epochs` when a plateau rule stopped it) of
 * a schedule over `epochs`.
 */
export function finalState(
  binarizer: string,
  epochs: number,
  epochsRun = epochs,
): Record<string, number> {
  return getBinarizer(binarizer).schedule?.(epochsRun - 1, epochs) ?? {};
}

/** Trains `model` in place on `train`, validating on `val` after every epoch. */
export function train(
  model: Model,
  data: { train: Split; val: Split },
  cfg: TrainConfig,
  hooks: TrainHooks = {},
): TrainResult {
  const binarizer = getBinarizer(model.binarizer);
  const entries = [...model.store.entries.values()].filter((e) => e.trainable);
  const vars = entries.map((e) => e.variable);
  const decay = entries.map((e) => e.decay);
  const opt = makeOptimizer(cfg);
  const rng = new Rng(deriveSeed(cfg.seed, "shuffle"));
  const n = data.train.n;
  // Full batches only (a batch of 1 has no BatchNorm statistics); the rest is reshuffled next epoch.
  const batches = Math.max(1, Math.floor(n / cfg.batchSize));
  const bs = Math.min(cfg.batchSize, n);
  const total = cfg.epochs * batches;
  const records: EpochRecord[] = [];
  let state: Record<string, number> = {};
  const t0 = performance.now();
  try {
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      const te = performance.now();
      state = binarizer.schedule?.(epoch, cfg.epochs) ?? {};
      const perm = rng.permutation(n);
      let lossSum = 0, correct = 0, seen = 0, lr = cfg.lr;
      for (let b = 0; b < batches; b++) {
        lr = learningRate(cfg, epoch * batches + b, total);
        const { x, y, labels } = batchOf(
          data.train,
          model.inputShape,
          model.numClasses,
          perm,
          b * bs,
          (b + 1) * bs,
        );
        const ctx: Ctx = { training: true, state, bnUpdates: [] };
        let logits: tf.Tensor | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const out = model.apply(x, ctx);
          logits = tf.keep(out);
          return tf.losses.softmaxCrossEntropy(y, out) as tf.Scalar;
        }, vars);
        opt.step(vars, vars.map((v) => grads[v.name] ?? null), lr, decay);
        for (const u of ctx.bnUpdates) {
          u.layer.update(u.mean, u.variance, u.count);
          tf.dispose([u.mean, u.variance]);
        }
        const loss = value.dataSync()[0];
        const c = countCorrect(logits!, labels);
        tf.dispose([x, y, value, logits!, ...Object.values(grads).filter((g) => g)]);
        lossSum += loss * labels.length;
        correct += c;
        seen += labels.length;
        hooks.onBatch?.({
          epoch,
          epochs: cfg.epochs,
          batch: b,
          batches,
          loss,
          accuracy: c / labels.length,
        });
      }
      const rec: EpochRecord = {
        epoch,
        lr,
        trainLoss: lossSum / seen,
        trainAccuracy: correct / seen,
        valAccuracy: evaluate(model, data.val, state),
        seconds: (performance.now() - te) / 1000,
      };
      records.push(rec);
      hooks.onEpochEnd?.(rec);
      if (cfg.plateau && plateauStops(records.map((r) => r.valAccuracy), cfg.plateau)) break;
    }
  } finally {
    opt.dispose();
  }
  return { epochs: records, trainSeconds: (performance.now() - t0) / 1000, state };
}
