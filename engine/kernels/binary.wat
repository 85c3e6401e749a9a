;; Bit-packed binary (+/-1) GEMM and Conv2D kernels, WebAssembly SIMD (128-bit).
;;
;; Built by `deno task build:kernels` into binary.wasm (features: simd, relaxed_simd); loaded and
;; driven by wasm.ts, which owns the memory layout (bump allocator) and all shape checks. Nothing
;; here checks bounds beyond what WebAssembly itself traps on.
;;
;; Two kernel families compute the same numbers:
;;
;; 1. "popcnt" (pc_*): the textbook formulation. A and B rows are packed bits (bit set = -1),
;;    128-bit aligned rows; each output is sum_s popcnt(a[s] xor b[s]) over 128-bit words, with a
;;    4x2 register block (4 rows of A x 2 rows of B: 8 accumulators, 6 loads per 8 xor/popcnt/add),
;;    u8 lane accumulators widened every 31 steps (31 * 8 = 248 < 256) with
;;    i16x8.extadd_pairwise_i8x16_u + i32x4.extadd_pairwise_i16x8_u. Convolutions go through
;;    pc_im2col. Limit: V8 lowers i8x16.popcnt to a pshufb nibble lookup (no AVX-512 VPOPCNTB),
;;    about 8 vector uops per 128-bit xor/popcnt/add, which caps this family near 120 G/s.
;;
;; 2. "lut" (lut_*): the fast path, a nibble-table formulation with no popcount at all. For every
;;    4-bit nibble v of the A operand (activations) a 16-byte table T_v[u] = 4 - popcnt(u xor v)
;;    (the number of matching bits) is built once (lut_image). B (weights) is stored transposed:
;;    one byte lane per output channel holding that channel's nibble. Then a single
;;    i8x16.relaxed_swizzle(T_v, w) yields the matches of 16 output channels x 4 bits, i.e. 64
;;    binary MACs in 2 vector ops (swizzle + add) instead of 128 MACs in ~8. Indices are always
;;    0..15, where relaxed_swizzle is fully deterministic (it is plain pshufb on x86). Register
;;    block: 2 output pixels x 4 groups of 16 channels (8 accumulators, 6 loads per 8 swizzles);
;;    u8 accumulators (<= 4 per step) are widened to u16 every 63 steps (252 < 256).
;;    With S nibble steps and K real bits, dot = 2 * sum - 8 * S + K (padding bits are 0 on both
;;    sides, so they always "match": they add 4S - K to the sum, removed by the constant).
;;
;; Convolutions read out-of-bounds taps as +1 (bits 0; lut_image fills the border with the +1
;; table) and `epilogue` subtracts the exact zero-padding correction prepared in padding.ts.
;;
;; The epilogue turns raw sums into dots (dot = alpha + beta * raw - corr) and writes int32,
;; float32 (dot * scale + bias, two roundings, no FMA) or packed sign bits via integer thresholds
;; ((dot < thr) xor flip; see transform.ts).

(module
  (memory (export "memory") 2)

  ;; ---------------------------------------------------------------------------------------------
  ;; popcnt family
  ;; ---------------------------------------------------------------------------------------------

  ;; Sum of the four i32 lanes.
  (func $hsum (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))

  ;; raw[i * ldr + j * 4] = sum_s popcnt(A_i[s] xor B_j[s]) for i < ceil4(m), j < ceil2(n).
  ;; A: m rows of lda bytes, B: n rows of ldb bytes (both multiples of 16), steps 128-bit words per
  ;; row. Rows past m (columns past n) repeat the last one; raw must hold the padded block.
  ;; sc: 128 bytes of scratch (i32x4 partial sums).
  (func (export "pc_gemm")
    (param $a i32) (param $lda i32) (param $m i32)
    (param $b i32) (param $ldb i32) (param $n i32)
    (param $steps i32) (param $raw i32) (param $ldr i32) (param $sc i32)
    (local $i i32) (local $j i32) (local $last i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $b0 i32) (local $b1 i32)
    (local $s i32) (local $end i32) (local $tot i32) (local $d i32)
    (local $c00 v128) (local $c10 v128) (local $c20 v128) (local $c30 v128)
    (local $c01 v128) (local $c11 v128) (local $c21 v128) (local $c31 v128)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $y v128)
    (local.set $tot (i32.shl (local.get $steps) (i32.const 4)))
    (local.set $last (i32.sub (local.get $m) (i32.const 1)))
    (local.set $i (i32.const 0))
    (loop $li
      (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $lda))))
      (local.set $a1 (i32.add (local.get $a) (i32.mul (local.get $lda)
        (select (i32.add (local.get $i) (i32.const 1)) (local.get $last)
          (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $m))))))
      (local.set $a2 (i32.add (local.get $a) (i32.mul (local.get $lda)
        (select (i32.add (local.get $i) (i32.const 2)) (local.get $last)
          (i32.lt_s (i32.add (local.get $i) (i32.const 2)) (local.get $m))))))
      (local.set $a3 (i32.add (local.get $a) (i32.mul (local.get $lda)
        (select (i32.add (local.get $i) (i32.const 3)) (local.get $last)
          (i32.lt_s (i32.add (local.get $i) (i32.const 3)) (local.get $m))))))
      (local.set $j (i32.const 0))
      (loop $lj
        (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $ldb))))
        (local.set $b1 (select (i32.add (local.get $b0) (local.get $ldb)) (local.get $b0)
          (i32.lt_s (i32.add (local.get $j) (i32.const 1)) (local.get $n))))
        (v128.store offset=0 (local.get $sc) (v128.const i64x2 0 0))
        (v128.store offset=16 (local.get $sc) (v128.const i64x2 0 0))
        (v128.store offset=32 (local.get $sc) (v128.const i64x2 0 0))
        (v128.store offset=48 (local.get $sc) (v128.const i64x2 0 0))
        (v128.store offset=64 (local.get $sc) (v128.const i64x2 0 0))
        (v128.store offset=80 (local.get $sc) (v128.const i64x2 0 0))
        (v128.store offset=96 (local.get $sc) (v128.const i64x2 0 0))
        (v128.store offset=112 (local.get $sc) (v128.const i64x2 0 0))
        (local.set $s (i32.const 0))
        (loop $lc
          ;; a chunk of at most 31 steps: u8 lanes gain <= 8 per step
          (local.set $end (i32.add (local.get $s) (i32.const 496)))
          (if (i32.gt_u (local.get $end) (local.get $tot)) (then (local.set $end (local.get $tot))))
          (local.set $c00 (v128.const i64x2 0 0)) (local.set $c10 (v128.const i64x2 0 0))
          (local.set $c20 (v128.const i64x2 0 0)) (local.set $c30 (v128.const i64x2 0 0))
          (local.set $c01 (v128.const i64x2 0 0)) (local.set $c11 (v128.const i64x2 0 0))
          (local.set $c21 (v128.const i64x2 0 0)) (local.set $c31 (v128.const i64x2 0 0))
          (loop $lk
            (local.set $x0 (v128.load (i32.add (local.get $a0) (local.get $s))))
            (local.set $x1 (v128.load (i32.add (local.get $a1) (local.get $s))))
            (local.set $x2 (v128.load (i32.add (local.get $a2) (local.get $s))))
            (local.set $x3 (v128.load (i32.add (local.get $a3) (local.get $s))))
            (local.set $y (v128.load (i32.add (local.get $b0) (local.get $s))))
            (local.set $c00 (i8x16.add (local.get $c00)
              (i8x16.popcnt (v128.xor (local.get $x0) (local.get $y)))))
            (local.set $c10 (i8x16.add (local.get $c10)
              (i8x16.popcnt (v128.xor (local.get $x1) (local.get $y)))))
            (local.set $c20 (i8x16.add (local.get $c20)
              (i8x16.popcnt (v128.xor (local.get $x2) (local.get $y)))))
            (local.set $c30 (i8x16.add (local.get $c30)
              (i8x16.popcnt (v128.xor (local.get $x3) (local.get $y)))))
            (local.set $y (v128.load (i32.add (local.get $b1) (local.get $s))))
            (local.set $c01 (i8x16.add (local.get $c01)
              (i8x16.popcnt (v128.xor (local.get $x0) (local.get $y)))))
            (local.set $c11 (i8x16.add (local.get $c11)
              (i8x16.popcnt (v128.xor (local.get $x1) (local.get $y)))))
            (local.set $c21 (i8x16.add (local.get $c21)
              (i8x16.popcnt (v128.xor (local.get $x2) (local.get $y)))))
            (local.set $c31 (i8x16.add (local.get $c31)
              (i8x16.popcnt (v128.xor (local.get $x3) (local.get $y)))))
            (br_if $lk (i32.lt_u (local.tee $s (i32.add (local.get $s) (i32.const 16)))
              (local.get $end))))
          ;; widen u8 -> u16 -> u32 pairwise (lanes are bit positions, so pairing is fine)
          (v128.store offset=0 (local.get $sc) (i32x4.add (v128.load offset=0 (local.get $sc))
            (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $c00)))))
          (v128.store offset=16 (local.get $sc) (i32x4.add (v128.load offset=16 (local.get $sc))
            (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $c01)))))
          (v128.store offset=32 (local.get $sc) (i32x4.add (v128.load offset=32 (local.get $sc))
            (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $c10)))))
          (v128.store offset=48 (local.get $sc) (i32x4.add (v128.load offset=48 (local.get $sc))
            (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $c11)))))
          (v128.store offset=64 (local.get $sc) (i32x4.add (v128.load offset=64 (local.get $sc))
            (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $c20)))))
          (v128.store offset=80 (local.get $sc) (i32x4.add (v128.load offset=80 (local.get $sc))
            (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $c21)))))
          (v128.store offset=96 (local.get $sc) (i32x4.add (v128.load offset=96 (local.get $sc))
            (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $c30)))))
          (v128.store offset=112 (local.get $sc) (i32x4.add (v128.load offset=112 (local.get $sc))
            (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $c31)))))
          (br_if $lc (i32.lt_u (local.get $s) (local.get $tot))))
        ;; raw block: rows i..i+3, columns j, j+1
        (local.set $d (i32.add (i32.add (local.get $raw) (i32.mul (local.get $i) (local.get $ldr)))
          (i32.shl (local.get $j) (i32.const 2))))
        (i32.store offset=0 (local.get $d) (call $hsum (v128.load offset=0 (local.get $sc))))
        (i32.store offset=4 (local.get $d) (call $hsum (v128.load offset=16 (local.get $sc))))
        (local.set $d (i32.add (local.get $d) (local.get $ldr)))
        (i32.store offset=0 (local.get $d) (call $hsum (v128.load offset=32 (local.get $sc))))
        (i32.store offset=4 (local.get $d) (call $hsum (v128.load offset=48 (local.get $sc))))
        (local.set $d (i32.add (local.get $d) (local.get $ldr)))
        (i32.store offset=0 (local.get $d) (call $hsum (v128.load offset=64 (local.get $sc))))
        (i32.store offset=4 (local.get $d) (call $hsum (v128.load offset=80 (local.get $sc))))
        (local.set $d (i32.add (local.get $d) (local.get $ldr)))
        (i32.store offset=0 (local.get $d) (call $hsum (v128.load offset=96 (local.get $sc))))
        (i32.store offset=4 (local.get $d) (call $hsum (v128.load offset=112 (local.get $sc))))
        (br_if $lj (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 2))) (local.get $n))))
      (br_if $li (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 4))) (local.get $m)))))

  ;; im2col for the popcnt conv: for output pixels p0 .. p0+count-1 of one image (p = oy*ow + ox),
  ;; writes a row of kh*kw*cw words (tap-major, like the OHWI weight rows) at dst + i*ldd, zero
  ;; (= +1) for out-of-bounds taps and past the taps up to ldd bytes (a multiple of 16).
  (func (export "pc_im2col")
    (param $x i32) (param $h i32) (param $w i32) (param $cw i32)
    (param $kh i32) (param $kw i32) (param $sy i32) (param $sx i32)
    (param $padT i32) (param $padL i32) (param $ow i32)
    (param $p0 i32) (param $count i32) (param $dst i32) (param $ldd i32)
    (local $i i32) (local $p i32) (local $oy i32) (local $ox i32) (local $d i32) (local $q i32)
    (local $ky i32) (local $kx i32) (local $iy i32) (local $ix i32) (local $src i32)
    (local $tapd i32) (local $cwb i32)
    (local.set $cwb (i32.shl (local.get $cw) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $li
        (br_if $done (i32.ge_s (local.get $i) (local.get $count)))
        (local.set $p (i32.add (local.get $p0) (local.get $i)))
        (local.set $oy (i32.div_u (local.get $p) (local.get $ow)))
        (local.set $ox (i32.sub (local.get $p) (i32.mul (local.get $oy) (local.get $ow))))
        (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $i) (local.get $ldd))))
        (local.set $q (i32.const 0))
        (loop $lz
          (v128.store (i32.add (local.get $d) (local.get $q)) (v128.const i64x2 0 0))
          (br_if $lz (i32.lt_u (local.tee $q (i32.add (local.get $q) (i32.const 16)))
            (local.get $ldd))))
        (local.set $ky (i32.const 0))
        (loop $lky
          (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oy) (local.get $sy))
            (local.get $padT)) (local.get $ky)))
          (if (i32.lt_u (local.get $iy) (local.get $h))
            (then
              (local.set $kx (i32.const 0))
              (loop $lkx
                (local.set $ix (i32.add (i32.sub (i32.mul (local.get $ox) (local.get $sx))
                  (local.get $padL)) (local.get $kx)))
                (if (i32.lt_u (local.get $ix) (local.get $w))
                  (then
                    (local.set $src (i32.add (local.get $x) (i32.mul (local.get $cwb)
                      (i32.add (i32.mul (local.get $iy) (local.get $w)) (local.get $ix)))))
                    (local.set $tapd (i32.add (local.get $d) (i32.mul (local.get $cwb)
                      (i32.add (i32.mul (local.get $ky) (local.get $kw)) (local.get $kx)))))
                    (local.set $q (i32.const 0))
                    (loop $lq
                      (i32.store (i32.add (local.get $tapd) (local.get $q))
                        (i32.load (i32.add (local.get $src) (local.get $q))))
                      (br_if $lq (i32.lt_u (local.tee $q (i32.add (local.get $q) (i32.const 4)))
                        (local.get $cwb))))))
                (br_if $lkx (i32.lt_u (local.tee $kx (i32.add (local.get $kx) (i32.const 1)))
                  (local.get $kw))))))
          (br_if $lky (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1)))
            (local.get $kh))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $li))))

  ;; ---------------------------------------------------------------------------------------------
  ;; lut family
  ;; ---------------------------------------------------------------------------------------------

  ;; Table image of one NHWC image: pixel (y, x) of the h x w input goes to padded pixel
  ;; (y + padT, x + padL) of an hp x wp image of cq tables (16 bytes each) per pixel; table q of a
  ;; pixel is T_v for its channel nibble q (channels 4q .. 4q+3 of the cw-word pixel at src).
  ;; Border pixels get the table of the +1 input (v = 0).
  (func (export "lut_image")
    (param $src i32) (param $h i32) (param $w i32) (param $cw i32) (param $cq i32)
    (param $padT i32) (param $padL i32) (param $hp i32) (param $wp i32) (param $dst i32)
    (local $e i32) (local $end i32) (local $y i32) (local $x i32) (local $s i32) (local $d i32)
    (local $q i32) (local $word i32) (local $pixb i32) (local $lutm v128) (local $iota v128)
    (local.set $lutm (v128.const i8x16 4 3 3 2 3 2 2 1 3 2 2 1 2 1 1 0))
    (local.set $iota (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15))
    (local.set $pixb (i32.shl (local.get $cq) (i32.const 4)))
    (if (i32.or (i32.ne (local.get $hp) (local.get $h)) (i32.ne (local.get $wp) (local.get $w)))
      (then
        (local.set $e (local.get $dst))
        (local.set $end (i32.add (local.get $dst)
          (i32.mul (i32.mul (local.get $hp) (local.get $wp)) (local.get $pixb))))
        (loop $lf
          (v128.store (local.get $e) (local.get $lutm))
          (br_if $lf (i32.lt_u (local.tee $e (i32.add (local.get $e) (i32.const 16)))
            (local.get $end))))))
    (local.set $s (local.get $src))
    (local.set $y (i32.const 0))
    (loop $ly
      (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $pixb)
        (i32.add (i32.mul (i32.add (local.get $y) (local.get $padT)) (local.get $wp))
          (local.get $padL)))))
      (local.set $x (i32.const 0))
      (loop $lx
        (local.set $q (i32.const 0))
        (loop $lq
          (if (i32.eqz (i32.and (local.get $q) (i32.const 7)))
            (then (local.set $word (i32.load (i32.add (local.get $s)
              (i32.shl (i32.shr_u (local.get $q) (i32.const 3)) (i32.const 2)))))))
          (v128.store (i32.add (local.get $d) (i32.shl (local.get $q) (i32.const 4)))
            (i8x16.relaxed_swizzle (local.get $lutm) (v128.xor (local.get $iota)
              (i8x16.splat (i32.and (local.get $word) (i32.const 15))))))
          (local.set $word (i32.shr_u (local.get $word) (i32.const 4)))
          (br_if $lq (i32.lt_u (local.tee $q (i32.add (local.get $q) (i32.const 1)))
            (local.get $cq))))
        (local.set $s (i32.add (local.get $s) (i32.shl (local.get $cw) (i32.const 2))))
        (local.set $d (i32.add (local.get $d) (local.get $pixb)))
        (br_if $lx (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 1))) (local.get $w))))
      (br_if $ly (i32.lt_u (local.tee $y (i32.add (local.get $y) (i32.const 1))) (local.get $h)))))

  ;; Micro-kernels: two output pixels (tables at t0, t1) x G groups of 16 channels (weights at pw,
  ;; [step][group][16 lanes]). kh runs of `run` steps each, run ky starting ky*rowb after t0/t1.
  ;; Accumulate u16 sums into sc: sc + ((r * 4 + g) * 2 + half) * 16. Return the advanced pw.
  (func $lut_mk4
    (param $t0 i32) (param $t1 i32) (param $rowb i32) (param $kh i32) (param $run i32)
    (param $pw i32) (param $sc i32) (result i32)
    (local $ky i32) (local $r0 i32) (local $r1 i32) (local $left i32) (local $cnt i32)
    (local $end i32)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128)
    (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (local $x0 v128) (local $x1 v128) (local $w v128)
    (v128.store offset=0 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=16 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=32 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=48 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=64 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=80 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=96 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=112 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=128 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=144 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=160 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=176 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=192 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=208 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=224 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=240 (local.get $sc) (v128.const i64x2 0 0))
    (local.set $ky (i32.const 0))
    (loop $lrow
      (local.set $r0 (i32.add (local.get $t0) (i32.mul (local.get $ky) (local.get $rowb))))
      (local.set $r1 (i32.add (local.get $t1) (i32.mul (local.get $ky) (local.get $rowb))))
      (local.set $left (local.get $run))
      (loop $lchunk
        ;; at most 63 steps: u8 lanes gain <= 4 per step
        (local.set $cnt (select (i32.const 63) (local.get $left)
          (i32.gt_u (local.get $left) (i32.const 63))))
        (local.set $left (i32.sub (local.get $left) (local.get $cnt)))
        (local.set $end (i32.add (local.get $r0) (i32.shl (local.get $cnt) (i32.const 4))))
        (local.set $c00 (v128.const i64x2 0 0)) (local.set $c01 (v128.const i64x2 0 0))
        (local.set $c02 (v128.const i64x2 0 0)) (local.set $c03 (v128.const i64x2 0 0))
        (local.set $c10 (v128.const i64x2 0 0)) (local.set $c11 (v128.const i64x2 0 0))
        (local.set $c12 (v128.const i64x2 0 0)) (local.set $c13 (v128.const i64x2 0 0))
        (loop $lk
          (local.set $x0 (v128.load (local.get $r0)))
          (local.set $x1 (v128.load (local.get $r1)))
          (local.set $w (v128.load offset=0 (local.get $pw)))
          (local.set $c00 (i8x16.add (local.get $c00)
            (i8x16.relaxed_swizzle (local.get $x0) (local.get $w))))
          (local.set $c10 (i8x16.add (local.get $c10)
            (i8x16.relaxed_swizzle (local.get $x1) (local.get $w))))
          (local.set $w (v128.load offset=16 (local.get $pw)))
          (local.set $c01 (i8x16.add (local.get $c01)
            (i8x16.relaxed_swizzle (local.get $x0) (local.get $w))))
          (local.set $c11 (i8x16.add (local.get $c11)
            (i8x16.relaxed_swizzle (local.get $x1) (local.get $w))))
          (local.set $w (v128.load offset=32 (local.get $pw)))
          (local.set $c02 (i8x16.add (local.get $c02)
            (i8x16.relaxed_swizzle (local.get $x0) (local.get $w))))
          (local.set $c12 (i8x16.add (local.get $c12)
            (i8x16.relaxed_swizzle (local.get $x1) (local.get $w))))
          (local.set $w (v128.load offset=48 (local.get $pw)))
          (local.set $c03 (i8x16.add (local.get $c03)
            (i8x16.relaxed_swizzle (local.get $x0) (local.get $w))))
          (local.set $c13 (i8x16.add (local.get $c13)
            (i8x16.relaxed_swizzle (local.get $x1) (local.get $w))))
          (local.set $r1 (i32.add (local.get $r1) (i32.const 16)))
          (local.set $pw (i32.add (local.get $pw) (i32.const 64)))
          (br_if $lk (i32.lt_u (local.tee $r0 (i32.add (local.get $r0) (i32.const 16)))
            (local.get $end))))
        ;; widen u8 -> u16 keeping lanes apart (lanes are output channels)
        (v128.store offset=0 (local.get $sc) (i16x8.add (v128.load offset=0 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c00))))
        (v128.store offset=16 (local.get $sc) (i16x8.add (v128.load offset=16 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c00))))
        (v128.store offset=32 (local.get $sc) (i16x8.add (v128.load offset=32 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c01))))
        (v128.store offset=48 (local.get $sc) (i16x8.add (v128.load offset=48 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c01))))
        (v128.store offset=64 (local.get $sc) (i16x8.add (v128.load offset=64 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c02))))
        (v128.store offset=80 (local.get $sc) (i16x8.add (v128.load offset=80 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c02))))
        (v128.store offset=96 (local.get $sc) (i16x8.add (v128.load offset=96 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c03))))
        (v128.store offset=112 (local.get $sc) (i16x8.add (v128.load offset=112 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c03))))
        (v128.store offset=128 (local.get $sc) (i16x8.add (v128.load offset=128 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c10))))
        (v128.store offset=144 (local.get $sc) (i16x8.add (v128.load offset=144 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c10))))
        (v128.store offset=160 (local.get $sc) (i16x8.add (v128.load offset=160 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c11))))
        (v128.store offset=176 (local.get $sc) (i16x8.add (v128.load offset=176 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c11))))
        (v128.store offset=192 (local.get $sc) (i16x8.add (v128.load offset=192 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c12))))
        (v128.store offset=208 (local.get $sc) (i16x8.add (v128.load offset=208 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c12))))
        (v128.store offset=224 (local.get $sc) (i16x8.add (v128.load offset=224 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c13))))
        (v128.store offset=240 (local.get $sc) (i16x8.add (v128.load offset=240 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c13))))
        (br_if $lchunk (local.get $left)))
      (br_if $lrow (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1)))
        (local.get $kh))))
    (local.get $pw))

  ;; Same as $lut_mk4 for 2 groups (32 channels).
  (func $lut_mk2
    (param $t0 i32) (param $t1 i32) (param $rowb i32) (param $kh i32) (param $run i32)
    (param $pw i32) (param $sc i32) (result i32)
    (local $ky i32) (local $r0 i32) (local $r1 i32) (local $left i32) (local $cnt i32)
    (local $end i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $x0 v128) (local $x1 v128) (local $w v128)
    (v128.store offset=0 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=16 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=32 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=48 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=128 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=144 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=160 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=176 (local.get $sc) (v128.const i64x2 0 0))
    (local.set $ky (i32.const 0))
    (loop $lrow
      (local.set $r0 (i32.add (local.get $t0) (i32.mul (local.get $ky) (local.get $rowb))))
      (local.set $r1 (i32.add (local.get $t1) (i32.mul (local.get $ky) (local.get $rowb))))
      (local.set $left (local.get $run))
      (loop $lchunk
        (local.set $cnt (select (i32.const 63) (local.get $left)
          (i32.gt_u (local.get $left) (i32.const 63))))
        (local.set $left (i32.sub (local.get $left) (local.get $cnt)))
        (local.set $end (i32.add (local.get $r0) (i32.shl (local.get $cnt) (i32.const 4))))
        (local.set $c00 (v128.const i64x2 0 0)) (local.set $c01 (v128.const i64x2 0 0))
        (local.set $c10 (v128.const i64x2 0 0)) (local.set $c11 (v128.const i64x2 0 0))
        (loop $lk
          (local.set $x0 (v128.load (local.get $r0)))
          (local.set $x1 (v128.load (local.get $r1)))
          (local.set $w (v128.load offset=0 (local.get $pw)))
          (local.set $c00 (i8x16.add (local.get $c00)
            (i8x16.relaxed_swizzle (local.get $x0) (local.get $w))))
          (local.set $c10 (i8x16.add (local.get $c10)
            (i8x16.relaxed_swizzle (local.get $x1) (local.get $w))))
          (local.set $w (v128.load offset=16 (local.get $pw)))
          (local.set $c01 (i8x16.add (local.get $c01)
            (i8x16.relaxed_swizzle (local.get $x0) (local.get $w))))
          (local.set $c11 (i8x16.add (local.get $c11)
            (i8x16.relaxed_swizzle (local.get $x1) (local.get $w))))
          (local.set $r1 (i32.add (local.get $r1) (i32.const 16)))
          (local.set $pw (i32.add (local.get $pw) (i32.const 32)))
          (br_if $lk (i32.lt_u (local.tee $r0 (i32.add (local.get $r0) (i32.const 16)))
            (local.get $end))))
        (v128.store offset=0 (local.get $sc) (i16x8.add (v128.load offset=0 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c00))))
        (v128.store offset=16 (local.get $sc) (i16x8.add (v128.load offset=16 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c00))))
        (v128.store offset=32 (local.get $sc) (i16x8.add (v128.load offset=32 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c01))))
        (v128.store offset=48 (local.get $sc) (i16x8.add (v128.load offset=48 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c01))))
        (v128.store offset=128 (local.get $sc) (i16x8.add (v128.load offset=128 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c10))))
        (v128.store offset=144 (local.get $sc) (i16x8.add (v128.load offset=144 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c10))))
        (v128.store offset=160 (local.get $sc) (i16x8.add (v128.load offset=160 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c11))))
        (v128.store offset=176 (local.get $sc) (i16x8.add (v128.load offset=176 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c11))))
        (br_if $lchunk (local.get $left)))
      (br_if $lrow (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1)))
        (local.get $kh))))
    (local.get $pw))

  ;; Same as $lut_mk4 for 1 group (16 channels).
  (func $lut_mk1
    (param $t0 i32) (param $t1 i32) (param $rowb i32) (param $kh i32) (param $run i32)
    (param $pw i32) (param $sc i32) (result i32)
    (local $ky i32) (local $r0 i32) (local $r1 i32) (local $left i32) (local $cnt i32)
    (local $end i32)
    (local $c00 v128) (local $c10 v128) (local $w v128)
    (v128.store offset=0 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=16 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=128 (local.get $sc) (v128.const i64x2 0 0))
    (v128.store offset=144 (local.get $sc) (v128.const i64x2 0 0))
    (local.set $ky (i32.const 0))
    (loop $lrow
      (local.set $r0 (i32.add (local.get $t0) (i32.mul (local.get $ky) (local.get $rowb))))
      (local.set $r1 (i32.add (local.get $t1) (i32.mul (local.get $ky) (local.get $rowb))))
      (local.set $left (local.get $run))
      (loop $lchunk
        (local.set $cnt (select (i32.const 63) (local.get $left)
          (i32.gt_u (local.get $left) (i32.const 63))))
        (local.set $left (i32.sub (local.get $left) (local.get $cnt)))
        (local.set $end (i32.add (local.get $r0) (i32.shl (local.get $cnt) (i32.const 4))))
        (local.set $c00 (v128.const i64x2 0 0)) (local.set $c10 (v128.const i64x2 0 0))
        (loop $lk
          (local.set $w (v128.load (local.get $pw)))
          (local.set $c00 (i8x16.add (local.get $c00)
            (i8x16.relaxed_swizzle (v128.load (local.get $r0)) (local.get $w))))
          (local.set $c10 (i8x16.add (local.get $c10)
            (i8x16.relaxed_swizzle (v128.load (local.get $r1)) (local.get $w))))
          (local.set $r1 (i32.add (local.get $r1) (i32.const 16)))
          (local.set $pw (i32.add (local.get $pw) (i32.const 16)))
          (br_if $lk (i32.lt_u (local.tee $r0 (i32.add (local.get $r0) (i32.const 16)))
            (local.get $end))))
        (v128.store offset=0 (local.get $sc) (i16x8.add (v128.load offset=0 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c00))))
        (v128.store offset=16 (local.get $sc) (i16x8.add (v128.load offset=16 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c00))))
        (v128.store offset=128 (local.get $sc) (i16x8.add (v128.load offset=128 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c10))))
        (v128.store offset=144 (local.get $sc) (i16x8.add (v128.load offset=144 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c10))))
        (br_if $lchunk (local.get $left)))
      (br_if $lrow (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1)))
        (local.get $kh))))
    (local.get $pw))

  ;; Writes the u16 sums of G groups x 2 pixels from sc as int32 to rows d0 and d1.
  (func $lut_store (param $sc i32) (param $g i32) (param $d0 i32) (param $d1 i32)
    (local $lo v128) (local $hi v128) (local $s i32)
    (local.set $s (local.get $sc))
    (loop $lg
      (local.set $lo (v128.load offset=0 (local.get $s)))
      (local.set $hi (v128.load offset=16 (local.get $s)))
      (v128.store offset=0 (local.get $d0) (i32x4.extend_low_i16x8_u (local.get $lo)))
      (v128.store offset=16 (local.get $d0) (i32x4.extend_high_i16x8_u (local.get $lo)))
      (v128.store offset=32 (local.get $d0) (i32x4.extend_low_i16x8_u (local.get $hi)))
      (v128.store offset=48 (local.get $d0) (i32x4.extend_high_i16x8_u (local.get $hi)))
      (local.set $lo (v128.load offset=128 (local.get $s)))
      (local.set $hi (v128.load offset=144 (local.get $s)))
      (v128.store offset=0 (local.get $d1) (i32x4.extend_low_i16x8_u (local.get $lo)))
      (v128.store offset=16 (local.get $d1) (i32x4.extend_high_i16x8_u (local.get $lo)))
      (v128.store offset=32 (local.get $d1) (i32x4.extend_low_i16x8_u (local.get $hi)))
      (v128.store offset=48 (local.get $d1) (i32x4.extend_high_i16x8_u (local.get $hi)))
      (local.set $s (i32.add (local.get $s) (i32.const 32)))
      (local.set $d0 (i32.add (local.get $d0) (i32.const 64)))
      (local.set $d1 (i32.add (local.get $d1) (i32.const 64)))
      (br_if $lg (local.tee $g (i32.sub (local.get $g) (i32.const 1))))))

  ;; Raw LUT sums for output pixels p0 .. p0+count-1 (p = oy*ow + ox) of one table image (wp
  ;; pixels wide, pixb bytes per pixel): row i of raw (ldr bytes) gets, for each of `groups` x 16
  ;; channels, the sum over kh runs of `run` steps of the table matches. Weights: blocks of 4, then
  ;; 2, then 1 groups, each [step][group][16]. raw needs an even number of rows; sc: 256 bytes.
  ;; A GEMM is the case kh = 1, sy = sx = 1, ow = count, wp = count, run = nibbles per row.
  (func (export "lut_conv")
    (param $img i32) (param $wp i32) (param $pixb i32) (param $kh i32) (param $run i32)
    (param $sy i32) (param $sx i32) (param $ow i32) (param $p0 i32) (param $count i32)
    (param $wts i32) (param $groups i32) (param $raw i32) (param $ldr i32) (param $sc i32)
    (local $i i32) (local $p i32) (local $q i32) (local $oy i32) (local $t0 i32) (local $t1 i32)
    (local $rowb i32) (local $pw i32) (local $g i32) (local $d0 i32) (local $d1 i32)
    (local.set $rowb (i32.mul (local.get $wp) (local.get $pixb)))
    (local.set $i (i32.const 0))
    (loop $lp
      (local.set $p (i32.add (local.get $p0) (local.get $i)))
      (local.set $q (i32.add (local.get $p) (i32.const 1)))
      (if (i32.ge_s (i32.add (local.get $i) (i32.const 1)) (local.get $count))
        (then (local.set $q (local.get $p))))
      (local.set $oy (i32.div_u (local.get $p) (local.get $ow)))
      (local.set $t0 (i32.add (local.get $img) (i32.mul (local.get $pixb) (i32.add
        (i32.mul (i32.mul (local.get $oy) (local.get $sy)) (local.get $wp))
        (i32.mul (i32.sub (local.get $p) (i32.mul (local.get $oy) (local.get $ow)))
          (local.get $sx))))))
      (local.set $oy (i32.div_u (local.get $q) (local.get $ow)))
      (local.set $t1 (i32.add (local.get $img) (i32.mul (local.get $pixb) (i32.add
        (i32.mul (i32.mul (local.get $oy) (local.get $sy)) (local.get $wp))
        (i32.mul (i32.sub (local.get $q) (i32.mul (local.get $oy) (local.get $ow)))
          (local.get $sx))))))
      (local.set $d0 (i32.add (local.get $raw) (i32.mul (local.get $i) (local.get $ldr))))
      (local.set $d1 (i32.add (local.get $d0) (local.get $ldr)))
      (local.set $pw (local.get $wts))
      (local.set $g (local.get $groups))
      (block $done
        (loop $lg
          (br_if $done (i32.eqz (local.get $g)))
          (if (i32.ge_u (local.get $g) (i32.const 4))
            (then
              (local.set $pw (call $lut_mk4 (local.get $t0) (local.get $t1) (local.get $rowb)
                (local.get $kh) (local.get $run) (local.get $pw) (local.get $sc)))
              (call $lut_store (local.get $sc) (i32.const 4) (local.get $d0) (local.get $d1))
              (local.set $d0 (i32.add (local.get $d0) (i32.const 256)))
              (local.set $d1 (i32.add (local.get $d1) (i32.const 256)))
              (local.set $g (i32.sub (local.get $g) (i32.const 4))))
            (else
              (if (i32.ge_u (local.get $g) (i32.const 2))
                (then
                  (local.set $pw (call $lut_mk2 (local.get $t0) (local.get $t1) (local.get $rowb)
                    (local.get $kh) (local.get $run) (local.get $pw) (local.get $sc)))
                  (call $lut_store (local.get $sc) (i32.const 2) (local.get $d0) (local.get $d1))
                  (local.set $d0 (i32.add (local.get $d0) (i32.const 128)))
                  (local.set $d1 (i32.add (local.get $d1) (i32.const 128)))
                  (local.set $g (i32.sub (local.get $g) (i32.const 2))))
                (else
                  (local.set $pw (call $lut_mk1 (local.get $t0) (local.get $t1) (local.get $rowb)
                    (local.get $kh) (local.get $run) (local.get $pw) (local.get $sc)))
                  (call $lut_store (local.get $sc) (i32.const 1) (local.get $d0) (local.get $d1))
                  (local.set $d0 (i32.add (local.get $d0) (i32.const 64)))
                  (local.set $d1 (i32.add (local.get $d1) (i32.const 64)))
                  (local.set $g (i32.sub (local.get $g) (i32.const 1)))))))
          (br $lg)))
      (br_if $lp (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 2)))
        (local.get $count)))))

  ;; ---------------------------------------------------------------------------------------------
  ;; fused output transform
  ;; ---------------------------------------------------------------------------------------------

  ;; For rows r < rows of raw (ldr bytes each) and channels j < n:
  ;;   dot = alpha + beta * raw[r][j] - corr[cls[r] * ldr + j]   (cls read with byte step clsStep)
  ;; mode 0: out int32 dot; mode 1: out float32 dot * scale[j] + bias[j];
  ;; mode 2: out packed bits, bit j = (dot < thr[j]) xor flip[j], ceil(n/32) words then zeros up
  ;;         to ldo bytes (thr, flip, raw and corr rows must cover ceil(n/32)*32 channels).
  ;; Output rows are ldo bytes apart.
  (func (export "epilogue")
    (param $raw i32) (param $ldr i32) (param $rows i32) (param $n i32)
    (param $alpha i32) (param $beta i32) (param $corr i32) (param $cls i32) (param $clsStep i32)
    (param $mode i32) (param $out i32) (param $ldo i32)
    (param $scale i32) (param $bias i32) (param $thr i32) (param $flip i32)
    (local $r i32) (local $j i32) (local $src i32) (local $crow i32) (local $dst i32)
    (local $n4 i32) (local $nw i32) (local $word i32) (local $k i32) (local $dot i32)
    (local $va v128) (local $vb v128) (local $v v128)
    (local.set $va (i32x4.splat (local.get $alpha)))
    (local.set $vb (i32x4.splat (local.get $beta)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $nw (i32.shr_u (i32.add (local.get $n) (i32.const 31)) (i32.const 5)))
    (local.set $r (i32.const 0))
    (block $done
      (loop $lr
        (br_if $done (i32.ge_s (local.get $r) (local.get $rows)))
        (local.set $src (i32.add (local.get $raw) (i32.mul (local.get $r) (local.get $ldr))))
        (local.set $crow (i32.add (local.get $corr) (i32.mul (local.get $ldr)
          (i32.load (i32.add (local.get $cls) (i32.mul (local.get $r) (local.get $clsStep)))))))
        (local.set $dst (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $ldo))))
        (if (i32.eq (local.get $mode) (i32.const 2))
          (then
            (local.set $j (i32.const 0))
            (loop $lw
              (local.set $word (i32.const 0))
              (local.set $k (i32.const 0))
              (loop $lq
                (local.set $v (i32x4.sub (i32x4.add (local.get $va) (i32x4.mul (local.get $vb)
                  (v128.load (i32.add (local.get $src) (local.get $j)))))
                  (v128.load (i32.add (local.get $crow) (local.get $j)))))
                (local.set $word (i32.or (local.get $word) (i32.shl
                  (i32x4.bitmask (v128.xor
                    (i32x4.lt_s (local.get $v) (v128.load (i32.add (local.get $thr) (local.get $j))))
                    (v128.load (i32.add (local.get $flip) (local.get $j)))))
                  (local.get $k))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br_if $lq (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 4)))
                  (i32.const 32))))
              (i32.store (local.get $dst) (local.get $word))
              (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
              (br_if $lw (i32.lt_u (local.get $j) (i32.shl (local.get $nw) (i32.const 7)))))
            ;; zero the row padding words
            (block $zd
              (loop $lz
                (br_if $zd (i32.ge_u (local.get $dst)
                  (i32.add (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $ldo)))
                    (local.get $ldo))))
                (i32.store (local.get $dst) (i32.const 0))
                (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                (br $lz))))
          (else
            (local.set $j (i32.const 0))
            (block $vd
              (loop $lv
                (br_if $vd (i32.ge_s (local.get $j) (local.get $n4)))
                (local.set $k (i32.shl (local.get $j) (i32.const 2)))
                (local.set $v (i32x4.sub (i32x4.add (local.get $va) (i32x4.mul (local.get $vb)
                  (v128.load (i32.add (local.get $src) (local.get $k)))))
                  (v128.load (i32.add (local.get $crow) (local.get $k)))))
                (if (local.get $mode)
                  (then
                    (v128.store (i32.add (local.get $dst) (local.get $k))
                      (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s (local.get $v))
                        (v128.load (i32.add (local.get $scale) (local.get $k))))
                        (v128.load (i32.add (local.get $bias) (local.get $k))))))
                  (else (v128.store (i32.add (local.get $dst) (local.get $k)) (local.get $v))))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $lv)))
            (block $sd
              (loop $ls
                (br_if $sd (i32.ge_s (local.get $j) (local.get $n)))
                (local.set $k (i32.shl (local.get $j) (i32.const 2)))
                (local.set $dot (i32.sub (i32.add (local.get $alpha) (i32.mul (local.get $beta)
                  (i32.load (i32.add (local.get $src) (local.get $k)))))
                  (i32.load (i32.add (local.get $crow) (local.get $k)))))
                (if (local.get $mode)
                  (then
                    (f32.store (i32.add (local.get $dst) (local.get $k))
                      (f32.add (f32.mul (f32.convert_i32_s (local.get $dot))
                        (f32.load (i32.add (local.get $scale) (local.get $k))))
                        (f32.load (i32.add (local.get $bias) (local.get $k))))))
                  (else (i32.store (i32.add (local.get $dst) (local.get $k)) (local.get $dot))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $ls)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $lr))))
)
