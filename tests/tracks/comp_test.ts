/**
 * Theoretical complexity: parameter, FLOP and BOP counts of hand-computed layers for every
 * binarizer's inference extras, the r_c / r_s / OM_comp formulas, and the comp track end to end.
 */
import assert from "node:assert/strict";
import { initBackend } from "../../engine/tf.ts";
import { ParamStore } from "../../engine/nn/params.ts";
import { Rng } from "../../engine/rng.ts";
import { Conv2D, Dense } from "../../engine/nn/layers.ts";
import { buildModel } from "../../engine/nn/model.ts";
import {
  complexityRatios,
  countLinear,
  countModel,
  type ModelCount,
  omComp,
} from "../../engine/deploy/complexity.ts";
import { compRun, compTrack } from "../../tracks/comp/track.ts";
import { renderCompTable } from "../../tracks/comp/view.ts";
import { installPlugins } from "../../app/plugins.ts";

installPlugins();

await initBackend("wasm");

function conv(binarizer: string, o: { cin: number; cout: number; hw: number; stride?: number }) {
  const store = new ParamStore();
  const layer = new Conv2D(
    {
      name: "c",
      inChannels: o.cin,
      outChannels: o.cout,
      kernel: 3,
      stride: o.stride ?? 1,
      inSpatial: [o.hw, o.hw],
      binarizer,
    },
    store,
    new Rng(1),
  );
  const count = countLinear(layer);
  store.dispose();
  return count;
}

Deno.test("3x3 conv 16->32 on 14x14: parameters, MACs, BOPs and each binarizer's extras", () => {
  // weights 3*3*16*32 = 4608; MACs 14*14*4608 = 903168; outputs 14*14*32 = 6272; inputs 3136.
  const fp = conv("fp32", { cin: 16, cout: 32, hw: 14 });
  assert.deepEqual(
    [fp.fpParams, fp.binaryParams, fp.flops, fp.bops, fp.extraFlops],
    [4608, 0, 903168, 0, 0],
  );
  const want: Record<string, [number, number]> = {
    // [extra float params, extra FLOPs]
    bnn: [0, 0],
    xnor: [32, 3136 + 6272 + 6272], // weight scale; mean|x| over inputs + per-sample scale
    dorefa: [32, 6272],
    bireal: [32, 6272],
    xnorpp: [32 + 14 + 14, 6272], // alpha[c], beta[h], gamma[w]; one multiply per output
    react: [32 + 16, 6272 + 3136], // weight scale; threshold per input element
    recu: [32, 6272], // alpha[c]
    fda: [32, 6272], // weight scale (noise term off at inference)
  };
  for (const [b, [params, flops]] of Object.entries(want)) {
    const c = conv(b, { cin: 16, cout: 32, hw: 14 });
    assert.equal(c.binaryParams, 4608, b);
    assert.equal(c.bops, 903168, b);
    assert.equal(c.flops, 0, b);
    assert.equal(c.extraParams, params, `${b} params`);
    assert.equal(c.fpParams, params, `${b} fp params`);
    assert.equal(c.extraFlops, flops, `${b} flops`);
  }
});

Deno.test("stride-2 conv and a dense layer with bias", () => {
  // 3x3/2 8->16 on 28x28 -> 14x14: 196 * 3*3*8*16 = 225792 BOPs.
  const s2 = conv("bireal", { cin: 8, cout: 16, hw: 28, stride: 2 });
  assert.equal(s2.bops, 225792);
  assert.equal(s2.extraFlops, 14 * 14 * 16);
  const store = new ParamStore();
  const d = countLinear(
    new Dense(
      { name: "d", inFeatures: 256, outFeatures: 256, binarizer: "react" },
      store,
      new Rng(1),
    ),
  );
  store.dispose();
  assert.equal(d.binaryParams, 65536);
  assert.equal(d.bops, 65536);
  assert.equal(d.fpParams, 256 + 256 + 256); // bias, weight scale, threshold
  assert.equal(d.extraFlops, 256 + 256);
});

Deno.test("r_c, r_s and OM_comp follow docs/metrics.md", () => {
  const m = (fpParams: number, binaryParams: number, flopsLeft: number, bops: number) =>
    ({ layers: [], fpParams, binaryParams, flopsLeft, bops, extraFlops: 0 }) as ModelCount;
  const { rc, rs } = complexityRatios(m(1000, 0, 64000, 0), m(100, 3200, 1000, 64000));
  assert.equal(rc, 1000 / (3200 / 32 + 100));
  assert.equal(rs, 64000 / (64000 / 64 + 1000));
  assert.equal(omComp([5, 7], [30, 34]), Math.sqrt((6 ** 2 + 32 ** 2) / 2));
});

Deno.test("model totals: cnn in full precision and binarized", () => {
  const input = { inputShape: [28, 28, 1], numClasses: 10, seed: 0, width: 1 };
  const fp = buildModel("cnn", { ...input, binarizer: "fp32" });
  const bi = buildModel("cnn", { ...input, binarizer: "bnn" });
  try {
    const a = countModel(fp), b = countModel(bi);
    const stem = 28 * 28 * 9 * 16, head = 576 * 10;
    const body = 14 * 14 * 9 * (16 * 32 + 32 * 32) + 7 * 7 * 9 * (32 * 64 + 64 * 64);
    assert.equal(a.flopsLeft, stem + head + body);
    assert.equal(b.flopsLeft, stem + head);
    assert.equal(b.bops, body);
    // Every parameter of the fp model is counted (BatchNorm as stored: 4 per channel).
    assert.equal(a.fpParams, fp.store.count());
    assert.equal(b.binaryParams, 9 * (16 * 32 + 32 * 32 + 32 * 64 + 64 * 64));
  } finally {
    fp.store.dispose();
    bi.store.dispose();
  }
});

Deno.test("comp track: grid, runs, table and view", async () => {
  const specs = compTrack.grid({ profile: "smoke", binarizers: ["fp32", "xnor", "react"] });
  assert.ok(specs.every((s) => s.kind === "comp" && s.track === "comp"));
  const results = [];
  for (const s of specs) results.push((await compRun(s)).result);
  const table = compTrack.summarize(results);
  assert.deepEqual(table.rows.map((r) => r.binarizer), ["fp32", "xnor", "react"]);
  assert.equal(table.rows[0].om, 1);
  for (const r of table.rows.slice(1)) assert.ok(r.om > 1 && Number.isFinite(r.om));
  const cnn = results.find((r) => r.spec.model === "cnn" && r.spec.binarizer === "xnor")!;
  assert.ok(cnn.metrics.rs < cnn.metrics.flopsFp / (cnn.metrics.bops / 64 + 1));
  assert.ok(Object.keys(cnn.metrics).every((k) => /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(k)));
  const text = renderCompTable(table);
  assert.match(text, /OM_comp/);
  assert.match(text, /cnn per model/);
});
