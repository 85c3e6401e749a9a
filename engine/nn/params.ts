/**
 * Named parameters of a model. tfjs variable names are process-global, so names live here
 * instead: they key saved weights (reload for the robustness track, export for deployment).
 */
import { tf } from "../tf.ts";

/** Every parameter of a model by name, as plain arrays (saved weights). */
export type WeightSnapshot = Record<string, { shape: number[]; data: Float32Array }>;

/** How a parameter is trained: `decay` parameters get weight decay (conv / dense kernels). */
export interface ParamEntry {
  variable: tf.Variable;
  trainable: boolean;
  decay: boolean;
}

/** A flat, ordered map of a model's parameters by path ("conv2/kernel", "bn2/mean", ...). */
export class ParamStore {
  readonly entries = new Map<string, ParamEntry>();

  /** Creates a variable from `init` (which it takes ownership of). */
  add(name: string, init: tf.Tensor, opts: { trainable?: boolean; decay?: boolean } = {}) {
    if (this.entries.has(name)) throw new Error(`duplicate parameter "${name}"`);
    const trainable = opts.trainable ?? true;
    const variable = tf.variable(init, trainable);
    init.dispose();
    this.entries.set(name, { variable, trainable, decay: opts.decay ?? false });
    return variable;
  }

  /** Trainable variables, in creation order (optimizer state follows this order). */
  trainable(): tf.Variable[] {
    return [...this.entries.values()].filter((e) => e.trainable).map((e) => e.variable);
  }

  /** Total number of scalar parameters, trainable or not. */
  count(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.variable.size;
    return n;
  }

  /** Copies every parameter out as plain arrays (for saving; deterministic order). */
  snapshot(): WeightSnapshot {
    const out: WeightSnapshot = {};
    for (const [name, e] of this.entries) {
      out[name] = { shape: e.variable.shape, data: e.variable.dataSync() as Float32Array };
    }
    return out;
  }

  /** Restores parameters saved by `snapshot`; names and shapes must match exactly. */
  restore(saved: WeightSnapshot): void {
    for (const [name, e] of this.entries) {
      const s = saved[name];
      if (!s) throw new Error(`saved weights lack parameter "${name}"`);
      if (s.shape.join("x") !== e.variable.shape.join("x")) {
        throw new Error(`parameter "${name}" has shape ${s.shape}, expected ${e.variable.shape}`);
      }
      tf.tidy(() => e.variable.assign(tf.tensor(s.data, s.shape)));
    }
  }

  /**
   * Copies the saved parameters that this model has with the same name and shape (fp32
   * initialisation, engine/init.ts): trainable weights and BatchNorm moving statistics alike, as
   * the reference's non-strict state-dict load does; the rest (a binarizer's own parameters:
   * react thresholds, xnor++ / recu scales, fda's noise-adaptation MLP) keeps its seeded init.
   */
  restoreMatching(saved: WeightSnapshot): { copied: number; kept: number } {
    let copied = 0, kept = 0;
    for (const [name, e] of this.entries) {
      const s = Object.hasOwn(saved, name) ? saved[name] : undefined;
      if (s && s.shape.join("x") === e.variable.shape.join("x")) {
        tf.tidy(() => e.variable.assign(tf.tensor(s.data, s.shape)));
        copied++;
      } else kept++;
    }
    return { copied, kept };
  }

  dispose(): void {
    for (const e of this.entries.values()) e.variable.dispose();
    this.entries.clear();
  }
}
