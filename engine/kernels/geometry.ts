/**
 * Convolution shape arithmetic, identical to TensorFlow's (`tf.conv2d`), so packed kernels and the
 * float reference agree on output sizes and on where the zero padding sits.
 */

/** TensorFlow padding modes. */
export type Padding = "same" | "valid";

/** Stride (one number for both axes, or `[sy, sx]`) and padding of a 2-D convolution. */
export interface ConvOptions {
  stride?: number | [number, number];
  padding?: Padding;
}

/** Everything a kernel needs to know about where a conv reads. */
export interface ConvGeometry {
  h: number;
  w: number;
  kh: number;
  kw: number;
  sy: number;
  sx: number;
  oh: number;
  ow: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

/** Output size and padding of a conv on an `h x w` input with a `kh x kw` kernel. */
export function convGeometry(
  h: number,
  w: number,
  kh: number,
  kw: number,
  opts: ConvOptions = {},
): ConvGeometry {
  const s = opts.stride ?? 1;
  const [sy, sx] = typeof s === "number" ? [s, s] : s;
  const padding = opts.padding ?? "valid";
  if (!(sy >= 1 && sx >= 1 && Number.isInteger(sy) && Number.isInteger(sx))) {
    throw new RangeError(`conv stride must be a positive integer, got ${s}`);
  }
  let oh: number, ow: number, padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
  if (padding === "same") {
    oh = Math.ceil(h / sy);
    ow = Math.ceil(w / sx);
    const th = Math.max((oh - 1) * sy + kh - h, 0);
    const tw = Math.max((ow - 1) * sx + kw - w, 0);
    padTop = Math.floor(th / 2);
    padLeft = Math.floor(tw / 2);
    padBottom = th - padTop;
    padRight = tw - padLeft;
  } else if (padding === "valid") {
    oh = Math.floor((h - kh) / sy) + 1;
    ow = Math.floor((w - kw) / sx) + 1;
    if (h < kh || w < kw) throw new RangeError(`valid conv: ${kh}x${kw} kernel on ${h}x${w} input`);
  } else {
    throw new RangeError(`unknown padding "${padding}"`);
  }
  return { h, w, kh, kw, sy, sx, oh, ow, padTop, padLeft, padBottom, padRight };
}
