/**
 * Optimizers and learning-rate schedules, written out (torch semantics) rather than taken from
 * tfjs: the training-consumption track compares settings, so the update rules must be exact and
 * identical for every binarizer. Weight decay is L2 added to the gradient (torch's
 * `weight_decay`), applied to conv / dense kernels only.
 */
import { tf } from "../tf.ts";
import { UserError } from "../errors.ts";
import { adamUpdate } from "../tfjs/fused.ts";

export const OPTIMIZERS = ["sgd", "adam"] as const;
export type OptimizerName = typeof OPTIMIZERS[number];
export const SCHEDULES = ["cosine", "step", "constant"] as const;
export type ScheduleName = typeof SCHEDULES[number];

/** Optimisation hyperparameters of one run. */
export interface OptimConfig {
  optimizer: OptimizerName;
  lr: number;
  /** SGD momentum (ignored by Adam). */
  momentum: number;
  weightDecay: number;
  schedule: ScheduleName;
}

/** Learning rate at step `t` of `total` (cosine per step; step decays x0.1 at 50% and 75%). */
export function learningRate(cfg: OptimConfig, t: number, total: number): number {
  switch (cfg.schedule) {
    case "cosine":
      return cfg.lr * 0.5 * (1 + Math.cos((Math.PI * t) / total));
    case "step":
      return cfg.lr * (t < total * 0.5 ? 1 : t < total * 0.75 ? 0.1 : 0.01);
    case "constant":
      return cfg.lr;
    default:
      throw new UserError(`unknown schedule "${cfg.schedule}" (known: ${SCHEDULES.join(", ")})`);
  }
}

/** Applies one update to `vars` given `grads` (same order). */
export interface Optimizer {
  step(vars: tf.Variable[], grads: (tf.Tensor | null)[], lr: number, decay: boolean[]): void;
  dispose(): void;
}

/** SGD with (heavy-ball) momentum, torch style: buf = m*buf + g; w -= lr*buf. */
class Sgd implements Optimizer {
  #buf: tf.Variable[] = [];
  constructor(readonly momentum: number, readonly wd: number) {}
  step(vars: tf.Variable[], grads: (tf.Tensor | null)[], lr: number, decay: boolean[]): void {
    tf.tidy(() => {
      vars.forEach((v, i) => {
        let g = grads[i];
        if (!g) return; // unused this step (torch skips parameters whose grad is None)
        if (decay[i] && this.wd > 0) g = tf.add(g, tf.mul(v, this.wd));
        if (this.momentum > 0) {
          this.#buf[i] ??= tf.variable(tf.zerosLike(v), false);
          this.#buf[i].assign(tf.add(tf.mul(this.#buf[i], this.momentum), g));
          g = this.#buf[i];
        }
        v.assign(tf.sub(v, tf.mul(g, lr)));
      });
    });
  }
  dispose(): void {
    this.#buf.forEach((b) => b?.dispose());
  }
}

/** Adam (Kingma & Ba), torch style with bias correction and coupled L2 weight decay. */
class Adam implements Optimizer {
  #m: tf.Variable[] = [];
  #v: tf.Variable[] = [];
  #t = 0;
  constructor(readonly wd: number, readonly b1 = 0.9, readonly b2 = 0.999, readonly eps = 1e-8) {}
  step(vars: tf.Variable[], grads: (tf.Tensor | null)[], lr: number, decay: boolean[]): void {
    this.#t++;
    const c1 = 1 - this.b1 ** this.#t;
    const c2 = 1 - this.b2 ** this.#t;
    tf.tidy(() => {
      vars.forEach((w, i) => {
        let g = grads[i];
        if (!g) return; // unused this step (torch skips parameters whose grad is None)
        if (decay[i] && this.wd > 0) g = tf.add(g, tf.mul(w, this.wd));
        this.#m[i] ??= tf.variable(tf.zerosLike(w), false);
        this.#v[i] ??= tf.variable(tf.zerosLike(w), false);
        const m = this.#m[i], v = this.#v[i];
        // m = m b1 + g (1 - b1); v = v b2 + g^2 (1 - b2); w -= m / (sqrt(v / c2) + eps) * lr / c1,
        // in one fused pass with the same float32 roundings (engine/tfjs/fused.ts).
        const [w2, m2, v2] = adamUpdate(w, g, m, v, {
          b1: this.b1,
          b2: this.b2,
          eps: this.eps,
          c2,
          step: lr / c1,
        });
        m.assign(m2);
        v.assign(v2);
        w.assign(w2);
      });
    });
  }
  dispose(): void {
    [...this.#m, ...this.#v].forEach((b) => b?.dispose());
  }
}

/** Creates the optimizer a config names. */
export function makeOptimizer(cfg: OptimConfig): Optimizer {
  if (cfg.optimizer === "sgd") return new Sgd(cfg.momentum, cfg.weightDecay);
  if (cfg.optimizer === "adam") return new Adam(cfg.weightDecay);
  throw new UserError(`unknown optimizer "${cfg.optimizer}" (known: ${OPTIMIZERS.join(", ")})`);
}
