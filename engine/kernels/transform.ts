/**
 * The per-output-channel transform fused after a binary dot product: everything between two binary
 * layers (scale, BatchNorm, bias, the next layer's sign and ReAct threshold) folds into one
 * `y = dot * scale[c] + bias[c]`.
 *
 * Exact semantics, shared by every kernel so results can be compared bit for bit:
 * - float output: `y = fround(fround(dot * scale) + bias)` (two float32 roundings, no fused
 *   multiply-add; `dot` is an integer well inside float32's exact range).
 * - packed output: bit = `y < 0` (bit set = -1, the packing convention), with `y` as above.
 *
 * The WebAssembly kernels do not evaluate `y` for the packed output: because float rounding is
 * monotone, `y < 0` holds on a prefix of the integers when `scale > 0` (`dot < t`) and on a suffix
 * when `scale < 0` (`dot >= t`, i.e. the comparison flips); with `scale == 0` it is the constant
 * `bias < 0`. {@link signThresholds} finds each `t` by binary search over the reachable dot range
 * using the float definition itself, so the integer compare `(dot < t) xor flip` is exactly the
 * float rule, with no rounding subtleties.
 */

const f32 = Math.fround;

/** The fused float transform of one output. */
export function affine(dot: number, scale: number, bias: number): number {
  return f32(f32(dot * scale) + bias);
}

/** The packed-output bit (1 = -1) of one output, by the float definition. */
export function affineSignBit(dot: number, scale: number, bias: number): number {
  return affine(dot, scale, bias) < 0 ? 1 : 0;
}

/** Integer form of the packed-output rule: bit = `(dot < thr[c]) xor (flip[c] != 0)`. */
export interface SignThresholds {
  thr: Int32Array;
  /** 0 or -1 (all ones) per channel, ready for a SIMD xor. */
  flip: Int32Array;
}

const I32_MIN = -2147483648;

/**
 * Integer thresholds equivalent to {@link affineSignBit} for every `|dot| <= maxDot`. `cols`
 * (>= scale.length) pads the arrays with channels whose bit is always 0. Scales and biases must
 * be finite.
 */
export function signThresholds(
  scale: ArrayLike<number>,
  bias: ArrayLike<number>,
  maxDot: number,
  cols = scale.length,
): SignThresholds {
  if (bias.length !== scale.length) throw new RangeError("scale and bias lengths differ");
  const thr = new Int32Array(cols).fill(I32_MIN);
  const flip = new Int32Array(cols);
  for (let c = 0; c < scale.length; c++) {
    const s = f32(scale[c]), b = f32(bias[c]);
    if (!Number.isFinite(s) || !Number.isFinite(b)) {
      throw new RangeError(`channel ${c}: scale and bias must be finite`);
    }
    const neg = (d: number) => affine(d, s, b) < 0;
    if (s === 0) {
      // dot < +inf is always true: bit = bias < 0 for every dot.
      thr[c] = neg(0) ? 2147483647 : I32_MIN;
    } else if (s > 0) {
      // neg is true on a prefix [-maxDot, t): find t = first d with !neg(d) (maxDot + 1 if none).
      let lo = -maxDot, hi = maxDot + 1;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (neg(mid)) lo = mid + 1;
        else hi = mid;
      }
      thr[c] = lo;
    } else {
      // neg is true on a suffix [t, maxDot]: bit = !(dot < t).
      let lo = -maxDot, hi = maxDot + 1;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (neg(mid)) hi = mid;
        else lo = mid + 1;
      }
      thr[c] = lo;
      flip[c] = -1;
    }
  }
  return { thr, flip };
}
