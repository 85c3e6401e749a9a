/**
 * `pointnet`: PointNet-vanilla (Qi et al. 2017, without the T-Nets) for point clouds [N, d]. A
 * shared per-point MLP 64-64-128-256 with BatchNorm, max over the points (straight after the last
 * BatchNorm), then an MLP head 128 -> classes. The per-point layers are convolutions with kernel 1
 * ({@link PointwiseConv}), as the reference builds them (Conv1d, kernel 1), so binarizers apply
 * their convolution formulas there (per-output-channel weight scales over every input, xnor's
 * activation scale per sample over all points and channels, xnorpp's scale per point), not the
 * dense-layer ones; the head is dense. As the reference's rule: the first per-point layer and the
 * head are full precision, the middle per-point layers carry the binarizer, and binarized networks
 * use Hardtanh where fp uses ReLU.
 */
import type { Builder } from "../model.ts";
import { type Layer, Sequential } from "../layers.ts";
import { GlobalMaxPool1D, PointwiseConv } from "../layers_seq.ts";
import { UserError } from "../../errors.ts";

/** Per-point widths at width multiplier 1 (the first is the fp layer). */
export const POINTNET_WIDTHS = [64, 64, 128, 256] as const;
/** Hidden width of the head. */
export const POINTNET_HEAD = 128;

export const pointnet: Builder = (k, { inputShape, numClasses, width }) => {
  if (inputShape.length !== 2) {
    throw new UserError(`model pointnet expects point clouds of shape [N, d], got [${inputShape}]`);
  }
  const ch = (c: number) => Math.max(1, Math.round(c * (width ?? 1)));
  const layers: Layer[] = [];
  const [points, dims] = inputShape;
  let cin = dims;
  POINTNET_WIDTHS.forEach((c, i) => {
    const cout = ch(c);
    const conv = new PointwiseConv(
      {
        name: k.uniqueName("conv"),
        inChannels: cin,
        outChannels: cout,
        points,
        binarizer: i === 0 ? "fp32" : k.binarizer,
      },
      k.store,
      k.rng,
    );
    layers.push(conv, k.bn(cout));
    // No activation before the max: Hardtanh's max over N points would be 1 in nearly every
    // channel, a constant global feature (ReLU commutes with max, so fp loses nothing).
    if (i < POINTNET_WIDTHS.length - 1) layers.push(k.act);
    cin = cout;
  });
  const hidden = ch(POINTNET_HEAD);
  layers.push(
    new GlobalMaxPool1D(),
    k.dense(cin, hidden, true),
    k.bn(hidden),
    k.act,
    k.dense(hidden, numClasses, true),
  );
  return new Sequential(layers);
};
