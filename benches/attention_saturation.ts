/**
 * Why some binarizers collapse on the spam task: the attention logits of the text encoder's first
 * block at initialisation, per binarizer. Binarized Q / K projections without a weight scale
 * (bnn; xnorpp, whose learned scale starts at 1; recu) give +/-1 x +/-1 dot products over the
 * model width, so the scores are ~100x larger than full precision's and softmax is one-hot from
 * the first step (the "attention degradation" BiBERT describes). Usage:
 *   deno run -A benches/attention_saturation.ts
 */
import { initBackend, tf } from "../engine/tf.ts";
import { buildModel } from "../engine/nn/model.ts";
import { loadDataset } from "../engine/data/mod.ts";
import type { TextTransformer } from "../engine/nn/models/transformer.ts";
import { installPlugins } from "../app/plugins.ts";

installPlugins();
await initBackend("wasm");
const ds = await loadDataset("spam");
const L = ds.shape[0];
const n = 64;
const x = tf.tensor2d(ds.train.x.subarray(0, n * L), [n, L]);
for (const b of ["fp32", "bnn", "xnor", "dorefa", "bireal", "xnorpp", "react", "recu", "fda"]) {
  const m = buildModel("transformer", {
    inputShape: ds.shape,
    numClasses: 2,
    binarizer: b,
    seed: 0,
    width: 1,
  });
  const t = m.root as unknown as TextTransformer;
  const ctx = { training: false, state: {}, bnUpdates: [] };
  const h = t.embedNorm.apply(t.position.apply(t.embed.apply(x)));
  const a = t.blocks[0].attn;
  const [bb, l] = h.shape;
  const split = (y: tf.Tensor) =>
    tf.transpose(tf.reshape(y, [bb, l, a.heads, a.headDim]), [0, 2, 1, 3]);
  const q = split(a.q.apply(h, ctx as never)), k = split(a.k.apply(h, ctx as never));
  const s = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(a.headDim));
  const p = tf.softmax(s);
  const maxp = tf.mean(tf.max(p, -1)).dataSync()[0];
  const { variance } = tf.moments(s);
  console.log(
    b.padEnd(7),
    "score std",
    Math.sqrt(variance.dataSync()[0]).toFixed(2),
    "mean max softmax prob",
    maxp.toFixed(3),
    "uniform =",
    (1 / l).toFixed(3),
  );
}
