import { type Builder, ch } from "../model.ts";
import { GlobalAvgPool, type Layer, Residual, Sequential } from "../layers.ts";

/**
 * ResNet-20 (3 stages x 3 basic blocks, stride-2 stage entries) at the reference's channel widths
 * 16-32-64 (He et al. 2016's CIFAR ResNet, as BiBench trains it); fp stem, fp 1x1 downsample
 * shortcuts, global average pooling and an fp head. Bundles made before this width (8-16-32, up
 * to engine commit 09d3497) reproduce only with that commit's engine.
 */
export const resnet20: Builder = (k, { inputShape, numClasses, width }) => {
  let s: [number, number] = [inputShape[0], inputShape[1]];
  const widths = [ch(16, width), ch(32, width), ch(64, width)];
  const layers: Layer[] = [...k.convBlock(inputShape[2], widths[0], s, { fp: true })];
  let cin = widths[0];
  widths.forEach((cout, stage) => {
    for (let block = 0; block < 3; block++) {
      const stride = stage > 0 && block === 0 ? 2 : 1;
      const conv1 = k.conv(cin, cout, s, { stride });
      const s2: [number, number] = [Math.ceil(s[0] / stride), Math.ceil(s[1] / stride)];
      const body = new Sequential([conv1, k.bn(cout), k.act, k.conv(cout, cout, s2), k.bn(cout)]);
      const shortcut = stride !== 1 || cin !== cout
        ? new Sequential([k.conv(cin, cout, s, { fp: true, stride, kernel: 1 }), k.bn(cout)])
        : null;
      layers.push(new Residual(body, shortcut, k.act));
      cin = cout;
      s = s2;
    }
  });
  layers.push(new GlobalAvgPool(), k.dense(cin, numClasses, true));
  return new Sequential(layers);
};
