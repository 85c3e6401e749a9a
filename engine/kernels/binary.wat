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
;;    about 8 vector uops per 128-bit xor/popcnt/add, which caps this family near 100-120 G/s.
;;
;; 2. "lut" (lut_*): the fast path, a nibble-table formulation with no popcount at all. For every
;;    4-bit nibble v of the A operand (activations) the 16-byte table T_v[u] = 4 - popcnt(u xor v)
;;    (matching bits) is copied into a table image (lut_image; the 16 tables live in a data
;;    segment). B (weights) is stored transposed: one byte lane per output channel holding that
;;    channel's nibble. Then a single i8x16.relaxed_swizzle(T_v, w) yields the matches of 16
;;    output channels x 4 bits, i.e. 64 binary MACs in 2 vector ops (swizzle + add) instead of 128
;;    MACs in ~8. Indices are always 0..15, where relaxed_swizzle is fully deterministic (plain
;;    pshufb on x86). Register blocks of 8 accumulators: 2 pixels x 4 groups of 16 channels,
;;    4 x 2 or 8 x 1 (so 16- and 32-channel layers keep the same work per loaded value), inner
;;    loop unrolled by 2; u8 accumulators (<= 4 per step) are widened to u16 every 63 steps
;;    (252 < 256), u16 sums are exact for up to 16383 steps (K <= 65532).
;;    With S nibble steps and K real bits, dot = 2 * sum - 8 * S + K (padding bits are 0 on both
;;    sides, so they always "match": they add 4S - K to the sum, removed by the constant).
;;    Limit: two vector ops per 64 MACs on three vector ports, ~96 MACs/cycle.
;;
;; Both families write the +/-1 dots themselves (int32 rows). Convolutions read out-of-bounds taps
;; as +1 (bits 0; lut_image fills the border with T_0, pc_im2col with zero words) and `epilogue`
;; subtracts the exact zero-padding correction prepared in padding.ts, then writes int32, float32
;; (dot * scale + bias, two roundings, no FMA) or packed sign bits via integer thresholds
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

  ;; alpha - 2 * (sum of the four lanes of v)
  (func $dot (param $alpha i32) (param $v v128) (result i32)
    (i32.sub (local.get $alpha) (i32.shl (call $hsum (local.get $v)) (i32.const 1))))

  ;; raw[i * ldr + j * 4] = alpha - 2 * sum_s popcnt(A_i[s] xor B_j[s]) for i < ceil4(m),
  ;; j < ceil2(n) (alpha = K, the real bit count, makes it the +/-1 dot).
  ;; A: m rows of lda bytes, B: n rows of ldb bytes (both multiples of 16), steps 128-bit words per
  ;; row. Rows past m (columns past n) repeat the last one; raw must hold the padded block.
  ;; sc: 128 bytes of scratch (i32x4 partial sums).
  (func (export "pc_gemm")
    (param $a i32) (param $lda i32) (param $m i32)
    (param $b i32) (param $ldb i32) (param $n i32)
    (param $steps i32) (param $alpha i32) (param $raw i32) (param $ldr i32) (param $sc i32)
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
        (i32.store offset=0 (local.get $d)
          (call $dot (local.get $alpha) (v128.load offset=0 (local.get $sc))))
        (i32.store offset=4 (local.get $d)
          (call $dot (local.get $alpha) (v128.load offset=16 (local.get $sc))))
        (local.set $d (i32.add (local.get $d) (local.get $ldr)))
        (i32.store offset=0 (local.get $d)
          (call $dot (local.get $alpha) (v128.load offset=32 (local.get $sc))))
        (i32.store offset=4 (local.get $d)
          (call $dot (local.get $alpha) (v128.load offset=48 (local.get $sc))))
        (local.set $d (i32.add (local.get $d) (local.get $ldr)))
        (i32.store offset=0 (local.get $d)
          (call $dot (local.get $alpha) (v128.load offset=64 (local.get $sc))))
        (i32.store offset=4 (local.get $d)
          (call $dot (local.get $alpha) (v128.load offset=80 (local.get $sc))))
        (local.set $d (i32.add (local.get $d) (local.get $ldr)))
        (i32.store offset=0 (local.get $d)
          (call $dot (local.get $alpha) (v128.load offset=96 (local.get $sc))))
        (i32.store offset=4 (local.get $d)
          (call $dot (local.get $alpha) (v128.load offset=112 (local.get $sc))))
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

  ;; The 16 possible tables, T_v at 256 + 16 v: T_v[u] = 4 - popcnt(u xor v), the number of
  ;; matching bits between nibbles u and v. Building a table image is then a copy per nibble.
  ;; (Bytes 0..1023 of memory are reserved for this module; the TS allocator starts above.)
  (data (i32.const 256)
    "\04\03\03\02\03\02\02\01\03\02\02\01\02\01\01\00"
    "\03\04\02\03\02\03\01\02\02\03\01\02\01\02\00\01"
    "\03\02\04\03\02\01\03\02\02\01\03\02\01\00\02\01"
    "\02\03\03\04\01\02\02\03\01\02\02\03\00\01\01\02"
    "\03\02\02\01\04\03\03\02\02\01\01\00\03\02\02\01"
    "\02\03\01\02\03\04\02\03\01\02\00\01\02\03\01\02"
    "\02\01\03\02\03\02\04\03\01\00\02\01\02\01\03\02"
    "\01\02\02\03\02\03\03\04\00\01\01\02\01\02\02\03"
    "\03\02\02\01\02\01\01\00\04\03\03\02\03\02\02\01"
    "\02\03\01\02\01\02\00\01\03\04\02\03\02\03\01\02"
    "\02\01\03\02\01\00\02\01\03\02\04\03\02\01\03\02"
    "\01\02\02\03\00\01\01\02\02\03\03\04\01\02\02\03"
    "\02\01\01\00\03\02\02\01\03\02\02\01\04\03\03\02"
    "\01\02\00\01\02\03\01\02\02\03\01\02\03\04\02\03"
    "\01\00\02\01\02\01\03\02\02\01\03\02\03\02\04\03"
    "\00\01\01\02\01\02\02\03\01\02\02\03\02\03\03\04")

  ;; Fills [d, end) with the +1-input table T_0.
  (func $fill_t0 (param $d i32) (param $end i32)
    (local $t v128)
    (local.set $t (v128.load (i32.const 256)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $d) (local.get $end)))
        (v128.store (local.get $d) (local.get $t))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (br $l))))

  ;; Table image of one NHWC image: pixel (y, x) of the h x w input goes to padded pixel
  ;; (y + padT, x + padL) of an hp x wp image of cq tables (16 bytes each) per pixel; table q of a
  ;; pixel is T_v for its channel nibble q (channels 4q .. 4q+3 of the pixel, which starts at
  ;; src + (y * w + x) * cw * 4). Border pixels get T_0, the table of a +1 input.
  (func (export "lut_image")
    (param $src i32) (param $h i32) (param $w i32) (param $cw i32) (param $cq i32)
    (param $padT i32) (param $padL i32) (param $hp i32) (param $wp i32) (param $dst i32)
    (local $y i32) (local $x i32) (local $s i32) (local $d i32) (local $q i32) (local $word i32)
    (local $pixb i32) (local $rowb i32) (local $row i32) (local $full i32) (local $ws i32)
    (local.set $pixb (i32.shl (local.get $cq) (i32.const 4)))
    (local.set $rowb (i32.mul (local.get $wp) (local.get $pixb)))
    (local.set $full (i32.and (local.get $cq) (i32.const -8)))
    (local.set $y (i32.const 0))
    (loop $ly
      (local.set $row (i32.add (local.get $dst) (i32.mul (local.get $y) (local.get $rowb))))
      (if (i32.or (i32.lt_u (local.get $y) (local.get $padT))
            (i32.ge_u (local.get $y) (i32.add (local.get $padT) (local.get $h))))
        (then (call $fill_t0 (local.get $row) (i32.add (local.get $row) (local.get $rowb))))
        (else
          (call $fill_t0 (local.get $row)
            (i32.add (local.get $row) (i32.mul (local.get $padL) (local.get $pixb))))
          (local.set $d (i32.add (local.get $row) (i32.mul (local.get $padL) (local.get $pixb))))
          (call $fill_t0 (i32.add (local.get $d) (i32.mul (local.get $w) (local.get $pixb)))
            (i32.add (local.get $row) (local.get $rowb)))
          (local.set $s (i32.add (local.get $src) (i32.shl (i32.mul (i32.mul
            (i32.sub (local.get $y) (local.get $padT)) (local.get $w)) (local.get $cw))
            (i32.const 2))))
          (local.set $x (i32.const 0))
          (loop $lx
            ;; 8 nibbles per word: table offset = nibble * 16 = (word >> (4q - 4)) & 0xf0
            (local.set $q (i32.const 0))
            (local.set $ws (local.get $s))
            (block $wd
              (loop $lw
                (br_if $wd (i32.ge_u (local.get $q) (local.get $full)))
                (local.set $word (i32.load (local.get $ws)))
                (v128.store offset=0 (local.get $d) (v128.load offset=256
                  (i32.and (i32.shl (local.get $word) (i32.const 4)) (i32.const 0xf0))))
                (v128.store offset=16 (local.get $d) (v128.load offset=256
                  (i32.and (local.get $word) (i32.const 0xf0))))
                (v128.store offset=32 (local.get $d) (v128.load offset=256
                  (i32.and (i32.shr_u (local.get $word) (i32.const 4)) (i32.const 0xf0))))
                (v128.store offset=48 (local.get $d) (v128.load offset=256
                  (i32.and (i32.shr_u (local.get $word) (i32.const 8)) (i32.const 0xf0))))
                (v128.store offset=64 (local.get $d) (v128.load offset=256
                  (i32.and (i32.shr_u (local.get $word) (i32.const 12)) (i32.const 0xf0))))
                (v128.store offset=80 (local.get $d) (v128.load offset=256
                  (i32.and (i32.shr_u (local.get $word) (i32.const 16)) (i32.const 0xf0))))
                (v128.store offset=96 (local.get $d) (v128.load offset=256
                  (i32.and (i32.shr_u (local.get $word) (i32.const 20)) (i32.const 0xf0))))
                (v128.store offset=112 (local.get $d) (v128.load offset=256
                  (i32.and (i32.shr_u (local.get $word) (i32.const 24)) (i32.const 0xf0))))
                (local.set $ws (i32.add (local.get $ws) (i32.const 4)))
                (local.set $d (i32.add (local.get $d) (i32.const 128)))
                (local.set $q (i32.add (local.get $q) (i32.const 8)))
                (br $lw)))
            ;; the last cq % 8 nibbles
            (if (i32.lt_u (local.get $q) (local.get $cq))
              (then
                (local.set $word (i32.shl (i32.load (local.get $ws)) (i32.const 4)))
                (loop $lt
                  (v128.store (local.get $d) (v128.load offset=256
                    (i32.and (local.get $word) (i32.const 0xf0))))
                  (local.set $word (i32.shr_u (local.get $word) (i32.const 4)))
                  (local.set $d (i32.add (local.get $d) (i32.const 16)))
                  (br_if $lt (i32.lt_u (local.tee $q (i32.add (local.get $q) (i32.const 1)))
                    (local.get $cq))))))
            (local.set $s (i32.add (local.get $s) (i32.shl (local.get $cw) (i32.const 2))))
            (br_if $lx (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 1)))
              (local.get $w))))))
      (br_if $ly (i32.lt_u (local.tee $y (i32.add (local.get $y) (i32.const 1))) (local.get $hp)))))

  ;; Micro-kernels: P output pixels (tables at t0 .. t(P-1)) x G groups of 16 channels (weights at
  ;; pw, [step][group][16 lanes]), P * G = 8 accumulators: 2 x 4, 4 x 2 and 8 x 1. kh runs of
  ;; `run` steps, run ky starting ky * rowb after each t. The u16 sums go to
  ;; sc + ((r * G + g) * 2 + half) * 16. Returns the advanced pw (the next weight block).
  (func $lut_mk4
    (param $t0 i32) (param $t1 i32)
    (param $rowb i32) (param $kh i32) (param $run i32) (param $pw i32) (param $sc i32)
    (result i32)
    (local $ky i32) (local $left i32) (local $cnt i32) (local $end i32) (local $off i32)
    (local $budget i32)
    (local $r0 i32) (local $r1 i32)
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
    (local.set $c00 (v128.const i64x2 0 0)) (local.set $c01 (v128.const i64x2 0 0))
    (local.set $c02 (v128.const i64x2 0 0)) (local.set $c03 (v128.const i64x2 0 0))
    (local.set $c10 (v128.const i64x2 0 0)) (local.set $c11 (v128.const i64x2 0 0))
    (local.set $c12 (v128.const i64x2 0 0)) (local.set $c13 (v128.const i64x2 0 0))
    (local.set $budget (i32.const 63))
    (local.set $ky (i32.const 0))
    (loop $lrow
      (local.set $off (i32.mul (local.get $ky) (local.get $rowb)))
      (local.set $r0 (i32.add (local.get $t0) (local.get $off)))
      (local.set $r1 (i32.add (local.get $t1) (local.get $off)))
      (local.set $left (local.get $run))
      (loop $lchunk
        ;; u8 lanes gain <= 4 per step: widen every 63 steps (chunks span runs)
        (local.set $cnt (select (local.get $budget) (local.get $left)
          (i32.gt_u (local.get $left) (local.get $budget))))
        (local.set $left (i32.sub (local.get $left) (local.get $cnt)))
        (local.set $budget (i32.sub (local.get $budget) (local.get $cnt)))
        ;; pairs of steps, then the odd one
        (local.set $end (i32.add (local.get $r0)
          (i32.shl (i32.and (local.get $cnt) (i32.const -2)) (i32.const 4))))
        (if (i32.lt_u (local.get $r0) (local.get $end))
          (then
            (loop $lk
              (local.set $x0 (v128.load offset=0 (local.get $r0)))
              (local.set $x1 (v128.load offset=0 (local.get $r1)))
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
              (local.set $x0 (v128.load offset=16 (local.get $r0)))
              (local.set $x1 (v128.load offset=16 (local.get $r1)))
              (local.set $w (v128.load offset=64 (local.get $pw)))
              (local.set $c00 (i8x16.add (local.get $c00)
                (i8x16.relaxed_swizzle (local.get $x0) (local.get $w))))
              (local.set $c10 (i8x16.add (local.get $c10)
                (i8x16.relaxed_swizzle (local.get $x1) (local.get $w))))
              (local.set $w (v128.load offset=80 (local.get $pw)))
              (local.set $c01 (i8x16.add (local.get $c01)
                (i8x16.relaxed_swizzle (local.get $x0) (local.get $w))))
              (local.set $c11 (i8x16.add (local.get $c11)
                (i8x16.relaxed_swizzle (local.get $x1) (local.get $w))))
              (local.set $w (v128.load offset=96 (local.get $pw)))
              (local.set $c02 (i8x16.add (local.get $c02)
                (i8x16.relaxed_swizzle (local.get $x0) (local.get $w))))
              (local.set $c12 (i8x16.add (local.get $c12)
                (i8x16.relaxed_swizzle (local.get $x1) (local.get $w))))
              (local.set $w (v128.load offset=112 (local.get $pw)))
              (local.set $c03 (i8x16.add (local.get $c03)
                (i8x16.relaxed_swizzle (local.get $x0) (local.get $w))))
              (local.set $c13 (i8x16.add (local.get $c13)
                (i8x16.relaxed_swizzle (local.get $x1) (local.get $w))))
              (local.set $r1 (i32.add (local.get $r1) (i32.const 32)))
              (local.set $pw (i32.add (local.get $pw) (i32.const 128)))
              (br_if $lk (i32.lt_u (local.tee $r0 (i32.add (local.get $r0) (i32.const 32)))
                (local.get $end))))))
        (if (i32.and (local.get $cnt) (i32.const 1))
          (then
            (local.set $x0 (v128.load offset=0 (local.get $r0)))
            (local.set $x1 (v128.load offset=0 (local.get $r1)))
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
            (local.set $r0 (i32.add (local.get $r0) (i32.const 16)))
            (local.set $r1 (i32.add (local.get $r1) (i32.const 16)))
            (local.set $pw (i32.add (local.get $pw) (i32.const 64)))))
        (if (i32.eqz (local.get $budget))
          (then
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
            (local.set $c00 (v128.const i64x2 0 0)) (local.set $c01 (v128.const i64x2 0 0))
            (local.set $c02 (v128.const i64x2 0 0)) (local.set $c03 (v128.const i64x2 0 0))
            (local.set $c10 (v128.const i64x2 0 0)) (local.set $c11 (v128.const i64x2 0 0))
            (local.set $c12 (v128.const i64x2 0 0)) (local.set $c13 (v128.const i64x2 0 0))
            (local.set $budget (i32.const 63))))
        (br_if $lchunk (local.get $left)))
      (br_if $lrow (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1)))
        (local.get $kh))))
    (if (i32.lt_u (local.get $budget) (i32.const 63))
      (then
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
          (i16x8.extend_high_i8x16_u (local.get $c13))))))
    (local.get $pw))

  (func $lut_mk2
    (param $t0 i32) (param $t1 i32) (param $t2 i32) (param $t3 i32)
    (param $rowb i32) (param $kh i32) (param $run i32) (param $pw i32) (param $sc i32)
    (result i32)
    (local $ky i32) (local $left i32) (local $cnt i32) (local $end i32) (local $off i32)
    (local $budget i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $w v128)
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
    (local.set $c00 (v128.const i64x2 0 0)) (local.set $c01 (v128.const i64x2 0 0))
    (local.set $c10 (v128.const i64x2 0 0)) (local.set $c11 (v128.const i64x2 0 0))
    (local.set $c20 (v128.const i64x2 0 0)) (local.set $c21 (v128.const i64x2 0 0))
    (local.set $c30 (v128.const i64x2 0 0)) (local.set $c31 (v128.const i64x2 0 0))
    (local.set $budget (i32.const 63))
    (local.set $ky (i32.const 0))
    (loop $lrow
      (local.set $off (i32.mul (local.get $ky) (local.get $rowb)))
      (local.set $r0 (i32.add (local.get $t0) (local.get $off)))
      (local.set $r1 (i32.add (local.get $t1) (local.get $off)))
      (local.set $r2 (i32.add (local.get $t2) (local.get $off)))
      (local.set $r3 (i32.add (local.get $t3) (local.get $off)))
      (local.set $left (local.get $run))
      (loop $lchunk
        ;; u8 lanes gain <= 4 per step: widen every 63 steps (chunks span runs)
        (local.set $cnt (select (local.get $budget) (local.get $left)
          (i32.gt_u (local.get $left) (local.get $budget))))
        (local.set $left (i32.sub (local.get $left) (local.get $cnt)))
        (local.set $budget (i32.sub (local.get $budget) (local.get $cnt)))
        ;; pairs of steps, then the odd one
        (local.set $end (i32.add (local.get $r0)
          (i32.shl (i32.and (local.get $cnt) (i32.const -2)) (i32.const 4))))
        (if (i32.lt_u (local.get $r0) (local.get $end))
          (then
            (loop $lk
              (local.set $x0 (v128.load offset=0 (local.get $r0)))
              (local.set $x1 (v128.load offset=0 (local.get $r1)))
              (local.set $x2 (v128.load offset=0 (local.get $r2)))
              (local.set $x3 (v128.load offset=0 (local.get $r3)))
              (local.set $w (v128.load offset=0 (local.get $pw)))
              (local.set $c00 (i8x16.add (local.get $c00)
                (i8x16.relaxed_swizzle (local.get $x0) (local.get $w))))
              (local.set $c10 (i8x16.add (local.get $c10)
                (i8x16.relaxed_swizzle (local.get $x1) (local.get $w))))
              (local.set $c20 (i8x16.add (local.get $c20)
                (i8x16.relaxed_swizzle (local.get $x2) (local.get $w))))
              (local.set $c30 (i8x16.add (local.get $c30)
                (i8x16.relaxed_swizzle (local.get $x3) (local.get $w))))
              (local.set $w (v128.load offset=16 (local.get $pw)))
              (local.set $c01 (i8x16.add (local.get $c01)
                (i8x16.relaxed_swizzle (local.get $x0) (local.get $w))))
              (local.set $c11 (i8x16.add (local.get $c11)
                (i8x16.relaxed_swizzle (local.get $x1) (local.get $w))))
              (local.set $c21 (i8x16.add (local.get $c21)
                (i8x16.relaxed_swizzle (local.get $x2) (local.get $w))))
              (local.set $c31 (i8x16.add (local.get $c31)
                (i8x16.relaxed_swizzle (local.get $x3) (local.get $w))))
              (local.set $x0 (v128.load offset=16 (local.get $r0)))
              (local.set $x1 (v128.load offset=16 (local.get $r1)))
              (local.set $x2 (v128.load offset=16 (local.get $r2)))
              (local.set $x3 (v128.load offset=16 (local.get $r3)))
              (local.set $w (v128.load offset=32 (local.get $pw)))
              (local.set $c00 (i8x16.add (local.get $c00)
                (i8x16.relaxed_swizzle (local.get $x0) (local.get $w))))
              (local.set $c10 (i8x16.add (local.get $c10)
                (i8x16.relaxed_swizzle (local.get $x1) (local.get $w))))
              (local.set $c20 (i8x16.add (local.get $c20)
                (i8x16.relaxed_swizzle (local.get $x2) (local.get $w))))
              (local.set $c30 (i8x16.add (local.get $c30)
                (i8x16.relaxed_swizzle (local.get $x3) (local.get $w))))
              (local.set $w (v128.load offset=48 (local.get $pw)))
              (local.set $c01 (i8x16.add (local.get $c01)
                (i8x16.relaxed_swizzle (local.get $x0) (local.get $w))))
              (local.set $c11 (i8x16.add (local.get $c11)
                (i8x16.relaxed_swizzle (local.get $x1) (local.get $w))))
              (local.set $c21 (i8x16.add (local.get $c21)
                (i8x16.relaxed_swizzle (local.get $x2) (local.get $w))))
              (local.set $c31 (i8x16.add (local.get $c31)
                (i8x16.relaxed_swizzle (local.get $x3) (local.get $w))))
              (local.set $r1 (i32.add (local.get $r1) (i32.const 32)))
              (local.set $r2 (i32.add (local.get $r2) (i32.const 32)))
              (local.set $r3 (i32.add (local.get $r3) (i32.const 32)))
              (local.set $pw (i32.add (local.get $pw) (i32.const 64)))
              (br_if $lk (i32.lt_u (local.tee $r0 (i32.add (local.get $r0) (i32.const 32)))
                (local.get $end))))))
        (if (i32.and (local.get $cnt) (i32.const 1))
          (then
            (local.set $x0 (v128.load offset=0 (local.get $r0)))
            (local.set $x1 (v128.load offset=0 (local.get $r1)))
            (local.set $x2 (v128.load offset=0 (local.get $r2)))
            (local.set $x3 (v128.load offset=0 (local.get $r3)))
            (local.set $w (v128.load offset=0 (local.get $pw)))
            (local.set $c00 (i8x16.add (local.get $c00)
              (i8x16.relaxed_swizzle (local.get $x0) (local.get $w))))
            (local.set $c10 (i8x16.add (local.get $c10)
              (i8x16.relaxed_swizzle (local.get $x1) (local.get $w))))
            (local.set $c20 (i8x16.add (local.get $c20)
              (i8x16.relaxed_swizzle (local.get $x2) (local.get $w))))
            (local.set $c30 (i8x16.add (local.get $c30)
              (i8x16.relaxed_swizzle (local.get $x3) (local.get $w))))
            (local.set $w (v128.load offset=16 (local.get $pw)))
            (local.set $c01 (i8x16.add (local.get $c01)
              (i8x16.relaxed_swizzle (local.get $x0) (local.get $w))))
            (local.set $c11 (i8x16.add (local.get $c11)
              (i8x16.relaxed_swizzle (local.get $x1) (local.get $w))))
            (local.set $c21 (i8x16.add (local.get $c21)
              (i8x16.relaxed_swizzle (local.get $x2) (local.get $w))))
            (local.set $c31 (i8x16.add (local.get $c31)
              (i8x16.relaxed_swizzle (local.get $x3) (local.get $w))))
            (local.set $r0 (i32.add (local.get $r0) (i32.const 16)))
            (local.set $r1 (i32.add (local.get $r1) (i32.const 16)))
            (local.set $r2 (i32.add (local.get $r2) (i32.const 16)))
            (local.set $r3 (i32.add (local.get $r3) (i32.const 16)))
            (local.set $pw (i32.add (local.get $pw) (i32.const 32)))))
        (if (i32.eqz (local.get $budget))
          (then
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
              (i16x8.extend_low_i8x16_u (local.get $c10))))
            (v128.store offset=80 (local.get $sc) (i16x8.add (v128.load offset=80 (local.get $sc))
              (i16x8.extend_high_i8x16_u (local.get $c10))))
            (v128.store offset=96 (local.get $sc) (i16x8.add (v128.load offset=96 (local.get $sc))
              (i16x8.extend_low_i8x16_u (local.get $c11))))
            (v128.store offset=112 (local.get $sc) (i16x8.add (v128.load offset=112 (local.get $sc))
              (i16x8.extend_high_i8x16_u (local.get $c11))))
            (v128.store offset=128 (local.get $sc) (i16x8.add (v128.load offset=128 (local.get $sc))
              (i16x8.extend_low_i8x16_u (local.get $c20))))
            (v128.store offset=144 (local.get $sc) (i16x8.add (v128.load offset=144 (local.get $sc))
              (i16x8.extend_high_i8x16_u (local.get $c20))))
            (v128.store offset=160 (local.get $sc) (i16x8.add (v128.load offset=160 (local.get $sc))
              (i16x8.extend_low_i8x16_u (local.get $c21))))
            (v128.store offset=176 (local.get $sc) (i16x8.add (v128.load offset=176 (local.get $sc))
              (i16x8.extend_high_i8x16_u (local.get $c21))))
            (v128.store offset=192 (local.get $sc) (i16x8.add (v128.load offset=192 (local.get $sc))
              (i16x8.extend_low_i8x16_u (local.get $c30))))
            (v128.store offset=208 (local.get $sc) (i16x8.add (v128.load offset=208 (local.get $sc))
              (i16x8.extend_high_i8x16_u (local.get $c30))))
            (v128.store offset=224 (local.get $sc) (i16x8.add (v128.load offset=224 (local.get $sc))
              (i16x8.extend_low_i8x16_u (local.get $c31))))
            (v128.store offset=240 (local.get $sc) (i16x8.add (v128.load offset=240 (local.get $sc))
              (i16x8.extend_high_i8x16_u (local.get $c31))))
            (local.set $c00 (v128.const i64x2 0 0)) (local.set $c01 (v128.const i64x2 0 0))
            (local.set $c10 (v128.const i64x2 0 0)) (local.set $c11 (v128.const i64x2 0 0))
            (local.set $c20 (v128.const i64x2 0 0)) (local.set $c21 (v128.const i64x2 0 0))
            (local.set $c30 (v128.const i64x2 0 0)) (local.set $c31 (v128.const i64x2 0 0))
            (local.set $budget (i32.const 63))))
        (br_if $lchunk (local.get $left)))
      (br_if $lrow (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1)))
        (local.get $kh))))
    (if (i32.lt_u (local.get $budget) (i32.const 63))
      (then
        (v128.store offset=0 (local.get $sc) (i16x8.add (v128.load offset=0 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c00))))
        (v128.store offset=16 (local.get $sc) (i16x8.add (v128.load offset=16 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c00))))
        (v128.store offset=32 (local.get $sc) (i16x8.add (v128.load offset=32 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c01))))
        (v128.store offset=48 (local.get $sc) (i16x8.add (v128.load offset=48 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c01))))
        (v128.store offset=64 (local.get $sc) (i16x8.add (v128.load offset=64 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c10))))
        (v128.store offset=80 (local.get $sc) (i16x8.add (v128.load offset=80 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c10))))
        (v128.store offset=96 (local.get $sc) (i16x8.add (v128.load offset=96 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c11))))
        (v128.store offset=112 (local.get $sc) (i16x8.add (v128.load offset=112 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c11))))
        (v128.store offset=128 (local.get $sc) (i16x8.add (v128.load offset=128 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c20))))
        (v128.store offset=144 (local.get $sc) (i16x8.add (v128.load offset=144 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c20))))
        (v128.store offset=160 (local.get $sc) (i16x8.add (v128.load offset=160 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c21))))
        (v128.store offset=176 (local.get $sc) (i16x8.add (v128.load offset=176 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c21))))
        (v128.store offset=192 (local.get $sc) (i16x8.add (v128.load offset=192 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c30))))
        (v128.store offset=208 (local.get $sc) (i16x8.add (v128.load offset=208 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c30))))
        (v128.store offset=224 (local.get $sc) (i16x8.add (v128.load offset=224 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c31))))
        (v128.store offset=240 (local.get $sc) (i16x8.add (v128.load offset=240 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c31))))))
    (local.get $pw))

  (func $lut_mk1
    (param $t0 i32) (param $t1 i32) (param $t2 i32) (param $t3 i32)
    (param $t4 i32) (param $t5 i32) (param $t6 i32) (param $t7 i32)
    (param $rowb i32) (param $kh i32) (param $run i32) (param $pw i32) (param $sc i32)
    (result i32)
    (local $ky i32) (local $left i32) (local $cnt i32) (local $end i32) (local $off i32)
    (local $budget i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local $r4 i32) (local $r5 i32) (local $r6 i32) (local $r7 i32)
    (local $c00 v128) (local $c10 v128) (local $c20 v128) (local $c30 v128)
    (local $c40 v128) (local $c50 v128) (local $c60 v128) (local $c70 v128)
    (local $w v128)
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
    (local.set $c00 (v128.const i64x2 0 0)) (local.set $c10 (v128.const i64x2 0 0))
    (local.set $c20 (v128.const i64x2 0 0)) (local.set $c30 (v128.const i64x2 0 0))
    (local.set $c40 (v128.const i64x2 0 0)) (local.set $c50 (v128.const i64x2 0 0))
    (local.set $c60 (v128.const i64x2 0 0)) (local.set $c70 (v128.const i64x2 0 0))
    (local.set $budget (i32.const 63))
    (local.set $ky (i32.const 0))
    (loop $lrow
      (local.set $off (i32.mul (local.get $ky) (local.get $rowb)))
      (local.set $r0 (i32.add (local.get $t0) (local.get $off)))
      (local.set $r1 (i32.add (local.get $t1) (local.get $off)))
      (local.set $r2 (i32.add (local.get $t2) (local.get $off)))
      (local.set $r3 (i32.add (local.get $t3) (local.get $off)))
      (local.set $r4 (i32.add (local.get $t4) (local.get $off)))
      (local.set $r5 (i32.add (local.get $t5) (local.get $off)))
      (local.set $r6 (i32.add (local.get $t6) (local.get $off)))
      (local.set $r7 (i32.add (local.get $t7) (local.get $off)))
      (local.set $left (local.get $run))
      (loop $lchunk
        ;; u8 lanes gain <= 4 per step: widen every 63 steps (chunks span runs)
        (local.set $cnt (select (local.get $budget) (local.get $left)
          (i32.gt_u (local.get $left) (local.get $budget))))
        (local.set $left (i32.sub (local.get $left) (local.get $cnt)))
        (local.set $budget (i32.sub (local.get $budget) (local.get $cnt)))
        ;; pairs of steps, then the odd one
        (local.set $end (i32.add (local.get $r0)
          (i32.shl (i32.and (local.get $cnt) (i32.const -2)) (i32.const 4))))
        (if (i32.lt_u (local.get $r0) (local.get $end))
          (then
            (loop $lk
              (local.set $w (v128.load offset=0 (local.get $pw)))
              (local.set $c00 (i8x16.add (local.get $c00)
                (i8x16.relaxed_swizzle (v128.load offset=0 (local.get $r0)) (local.get $w))))
              (local.set $c10 (i8x16.add (local.get $c10)
                (i8x16.relaxed_swizzle (v128.load offset=0 (local.get $r1)) (local.get $w))))
              (local.set $c20 (i8x16.add (local.get $c20)
                (i8x16.relaxed_swizzle (v128.load offset=0 (local.get $r2)) (local.get $w))))
              (local.set $c30 (i8x16.add (local.get $c30)
                (i8x16.relaxed_swizzle (v128.load offset=0 (local.get $r3)) (local.get $w))))
              (local.set $c40 (i8x16.add (local.get $c40)
                (i8x16.relaxed_swizzle (v128.load offset=0 (local.get $r4)) (local.get $w))))
              (local.set $c50 (i8x16.add (local.get $c50)
                (i8x16.relaxed_swizzle (v128.load offset=0 (local.get $r5)) (local.get $w))))
              (local.set $c60 (i8x16.add (local.get $c60)
                (i8x16.relaxed_swizzle (v128.load offset=0 (local.get $r6)) (local.get $w))))
              (local.set $c70 (i8x16.add (local.get $c70)
                (i8x16.relaxed_swizzle (v128.load offset=0 (local.get $r7)) (local.get $w))))
              (local.set $w (v128.load offset=16 (local.get $pw)))
              (local.set $c00 (i8x16.add (local.get $c00)
                (i8x16.relaxed_swizzle (v128.load offset=16 (local.get $r0)) (local.get $w))))
              (local.set $c10 (i8x16.add (local.get $c10)
                (i8x16.relaxed_swizzle (v128.load offset=16 (local.get $r1)) (local.get $w))))
              (local.set $c20 (i8x16.add (local.get $c20)
                (i8x16.relaxed_swizzle (v128.load offset=16 (local.get $r2)) (local.get $w))))
              (local.set $c30 (i8x16.add (local.get $c30)
                (i8x16.relaxed_swizzle (v128.load offset=16 (local.get $r3)) (local.get $w))))
              (local.set $c40 (i8x16.add (local.get $c40)
                (i8x16.relaxed_swizzle (v128.load offset=16 (local.get $r4)) (local.get $w))))
              (local.set $c50 (i8x16.add (local.get $c50)
                (i8x16.relaxed_swizzle (v128.load offset=16 (local.get $r5)) (local.get $w))))
              (local.set $c60 (i8x16.add (local.get $c60)
                (i8x16.relaxed_swizzle (v128.load offset=16 (local.get $r6)) (local.get $w))))
              (local.set $c70 (i8x16.add (local.get $c70)
                (i8x16.relaxed_swizzle (v128.load offset=16 (local.get $r7)) (local.get $w))))
              (local.set $r1 (i32.add (local.get $r1) (i32.const 32)))
              (local.set $r2 (i32.add (local.get $r2) (i32.const 32)))
              (local.set $r3 (i32.add (local.get $r3) (i32.const 32)))
              (local.set $r4 (i32.add (local.get $r4) (i32.const 32)))
              (local.set $r5 (i32.add (local.get $r5) (i32.const 32)))
              (local.set $r6 (i32.add (local.get $r6) (i32.const 32)))
              (local.set $r7 (i32.add (local.get $r7) (i32.const 32)))
              (local.set $pw (i32.add (local.get $pw) (i32.const 32)))
              (br_if $lk (i32.lt_u (local.tee $r0 (i32.add (local.get $r0) (i32.const 32)))
                (local.get $end))))))
        (if (i32.and (local.get $cnt) (i32.const 1))
          (then
            (local.set $w (v128.load offset=0 (local.get $pw)))
            (local.set $c00 (i8x16.add (local.get $c00)
              (i8x16.relaxed_swizzle (v128.load offset=0 (local.get $r0)) (local.get $w))))
            (local.set $c10 (i8x16.add (local.get $c10)
              (i8x16.relaxed_swizzle (v128.load offset=0 (local.get $r1)) (local.get $w))))
            (local.set $c20 (i8x16.add (local.get $c20)
              (i8x16.relaxed_swizzle (v128.load offset=0 (local.get $r2)) (local.get $w))))
            (local.set $c30 (i8x16.add (local.get $c30)
              (i8x16.relaxed_swizzle (v128.load offset=0 (local.get $r3)) (local.get $w))))
            (local.set $c40 (i8x16.add (local.get $c40)
              (i8x16.relaxed_swizzle (v128.load offset=0 (local.get $r4)) (local.get $w))))
            (local.set $c50 (i8x16.add (local.get $c50)
              (i8x16.relaxed_swizzle (v128.load offset=0 (local.get $r5)) (local.get $w))))
            (local.set $c60 (i8x16.add (local.get $c60)
              (i8x16.relaxed_swizzle (v128.load offset=0 (local.get $r6)) (local.get $w))))
            (local.set $c70 (i8x16.add (local.get $c70)
              (i8x16.relaxed_swizzle (v128.load offset=0 (local.get $r7)) (local.get $w))))
            (local.set $r0 (i32.add (local.get $r0) (i32.const 16)))
            (local.set $r1 (i32.add (local.get $r1) (i32.const 16)))
            (local.set $r2 (i32.add (local.get $r2) (i32.const 16)))
            (local.set $r3 (i32.add (local.get $r3) (i32.const 16)))
            (local.set $r4 (i32.add (local.get $r4) (i32.const 16)))
            (local.set $r5 (i32.add (local.get $r5) (i32.const 16)))
            (local.set $r6 (i32.add (local.get $r6) (i32.const 16)))
            (local.set $r7 (i32.add (local.get $r7) (i32.const 16)))
            (local.set $pw (i32.add (local.get $pw) (i32.const 16)))))
        (if (i32.eqz (local.get $budget))
          (then
            ;; widen u8 -> u16 keeping lanes apart (lanes are output channels)
            (v128.store offset=0 (local.get $sc) (i16x8.add (v128.load offset=0 (local.get $sc))
              (i16x8.extend_low_i8x16_u (local.get $c00))))
            (v128.store offset=16 (local.get $sc) (i16x8.add (v128.load offset=16 (local.get $sc))
              (i16x8.extend_high_i8x16_u (local.get $c00))))
            (v128.store offset=32 (local.get $sc) (i16x8.add (v128.load offset=32 (local.get $sc))
              (i16x8.extend_low_i8x16_u (local.get $c10))))
            (v128.store offset=48 (local.get $sc) (i16x8.add (v128.load offset=48 (local.get $sc))
              (i16x8.extend_high_i8x16_u (local.get $c10))))
            (v128.store offset=64 (local.get $sc) (i16x8.add (v128.load offset=64 (local.get $sc))
              (i16x8.extend_low_i8x16_u (local.get $c20))))
            (v128.store offset=80 (local.get $sc) (i16x8.add (v128.load offset=80 (local.get $sc))
              (i16x8.extend_high_i8x16_u (local.get $c20))))
            (v128.store offset=96 (local.get $sc) (i16x8.add (v128.load offset=96 (local.get $sc))
              (i16x8.extend_low_i8x16_u (local.get $c30))))
            (v128.store offset=112 (local.get $sc) (i16x8.add (v128.load offset=112 (local.get $sc))
              (i16x8.extend_high_i8x16_u (local.get $c30))))
            (v128.store offset=128 (local.get $sc) (i16x8.add (v128.load offset=128 (local.get $sc))
              (i16x8.extend_low_i8x16_u (local.get $c40))))
            (v128.store offset=144 (local.get $sc) (i16x8.add (v128.load offset=144 (local.get $sc))
              (i16x8.extend_high_i8x16_u (local.get $c40))))
            (v128.store offset=160 (local.get $sc) (i16x8.add (v128.load offset=160 (local.get $sc))
              (i16x8.extend_low_i8x16_u (local.get $c50))))
            (v128.store offset=176 (local.get $sc) (i16x8.add (v128.load offset=176 (local.get $sc))
              (i16x8.extend_high_i8x16_u (local.get $c50))))
            (v128.store offset=192 (local.get $sc) (i16x8.add (v128.load offset=192 (local.get $sc))
              (i16x8.extend_low_i8x16_u (local.get $c60))))
            (v128.store offset=208 (local.get $sc) (i16x8.add (v128.load offset=208 (local.get $sc))
              (i16x8.extend_high_i8x16_u (local.get $c60))))
            (v128.store offset=224 (local.get $sc) (i16x8.add (v128.load offset=224 (local.get $sc))
              (i16x8.extend_low_i8x16_u (local.get $c70))))
            (v128.store offset=240 (local.get $sc) (i16x8.add (v128.load offset=240 (local.get $sc))
              (i16x8.extend_high_i8x16_u (local.get $c70))))
            (local.set $c00 (v128.const i64x2 0 0)) (local.set $c10 (v128.const i64x2 0 0))
            (local.set $c20 (v128.const i64x2 0 0)) (local.set $c30 (v128.const i64x2 0 0))
            (local.set $c40 (v128.const i64x2 0 0)) (local.set $c50 (v128.const i64x2 0 0))
            (local.set $c60 (v128.const i64x2 0 0)) (local.set $c70 (v128.const i64x2 0 0))
            (local.set $budget (i32.const 63))))
        (br_if $lchunk (local.get $left)))
      (br_if $lrow (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1)))
        (local.get $kh))))
    (if (i32.lt_u (local.get $budget) (i32.const 63))
      (then
        (v128.store offset=0 (local.get $sc) (i16x8.add (v128.load offset=0 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c00))))
        (v128.store offset=16 (local.get $sc) (i16x8.add (v128.load offset=16 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c00))))
        (v128.store offset=32 (local.get $sc) (i16x8.add (v128.load offset=32 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c10))))
        (v128.store offset=48 (local.get $sc) (i16x8.add (v128.load offset=48 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c10))))
        (v128.store offset=64 (local.get $sc) (i16x8.add (v128.load offset=64 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c20))))
        (v128.store offset=80 (local.get $sc) (i16x8.add (v128.load offset=80 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c20))))
        (v128.store offset=96 (local.get $sc) (i16x8.add (v128.load offset=96 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c30))))
        (v128.store offset=112 (local.get $sc) (i16x8.add (v128.load offset=112 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c30))))
        (v128.store offset=128 (local.get $sc) (i16x8.add (v128.load offset=128 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c40))))
        (v128.store offset=144 (local.get $sc) (i16x8.add (v128.load offset=144 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c40))))
        (v128.store offset=160 (local.get $sc) (i16x8.add (v128.load offset=160 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c50))))
        (v128.store offset=176 (local.get $sc) (i16x8.add (v128.load offset=176 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c50))))
        (v128.store offset=192 (local.get $sc) (i16x8.add (v128.load offset=192 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c60))))
        (v128.store offset=208 (local.get $sc) (i16x8.add (v128.load offset=208 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c60))))
        (v128.store offset=224 (local.get $sc) (i16x8.add (v128.load offset=224 (local.get $sc))
          (i16x8.extend_low_i8x16_u (local.get $c70))))
        (v128.store offset=240 (local.get $sc) (i16x8.add (v128.load offset=240 (local.get $sc))
          (i16x8.extend_high_i8x16_u (local.get $c70))))))
    (local.get $pw))

  ;; Writes the dots alpha + 2 * sum of P pixels x G groups from the u16 sums in sc (layout of the
  ;; micro-kernels) as int32: pixel r goes to the row address stored at rows + 4 r (a repeated
  ;; pixel repeats its row, writing the same values twice).
  (func $lut_store
    (param $sc i32) (param $p i32) (param $g i32) (param $alpha i32) (param $rows i32)
    (local $lo v128) (local $hi v128) (local $s i32) (local $va v128) (local $r i32) (local $k i32)
    (local $d i32)
    (local.set $va (i32x4.splat (local.get $alpha)))
    (local.set $s (local.get $sc))
    (local.set $r (i32.const 0))
    (loop $lr
      (local.set $d (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $k (local.get $g))
      (loop $lg
        (local.set $lo (i16x8.shl (v128.load offset=0 (local.get $s)) (i32.const 1)))
        (local.set $hi (i16x8.shl (v128.load offset=16 (local.get $s)) (i32.const 1)))
        (v128.store offset=0 (local.get $d)
          (i32x4.add (local.get $va) (i32x4.extend_low_i16x8_u (local.get $lo))))
        (v128.store offset=16 (local.get $d)
          (i32x4.add (local.get $va) (i32x4.extend_high_i16x8_u (local.get $lo))))
        (v128.store offset=32 (local.get $d)
          (i32x4.add (local.get $va) (i32x4.extend_low_i16x8_u (local.get $hi))))
        (v128.store offset=48 (local.get $d)
          (i32x4.add (local.get $va) (i32x4.extend_high_i16x8_u (local.get $hi))))
        (local.set $s (i32.add (local.get $s) (i32.const 32)))
        (local.set $d (i32.add (local.get $d) (i32.const 64)))
        (br_if $lg (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
      (br_if $lr (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $p)))))

  ;; Dots for output pixels p0 .. p0+count-1 (p = oy*ow + ox) of one table image (wp pixels wide,
  ;; pixb bytes per pixel): row i of raw (ldr bytes) gets, for each of `groups` x 16 channels,
  ;; alpha + 2 * (the sum over kh runs of `run` steps of the table matches); alpha = K - 8 * steps.
  ;; Weights: blocks of 4, then 2, then 1 groups, each [step][group][16], computed 2, 4 and 8
  ;; pixels at a time. Rows are written only up to count, columns up to groups * 16.
  ;; sc: 512 bytes of scratch (sums, then table and row addresses of the current pixels at +256
  ;; and +288). Loop order: weight block outer (it stays in L1), pixels inner.
  ;; A GEMM is the case kh = 1, sy = sx = 1, ow = count, wp = count, run = nibbles per row.
  (func (export "lut_conv")
    (param $img i32) (param $wp i32) (param $pixb i32) (param $kh i32) (param $run i32)
    (param $sy i32) (param $sx i32) (param $ow i32) (param $p0 i32) (param $count i32)
    (param $wts i32) (param $groups i32) (param $alpha i32) (param $raw i32) (param $ldr i32)
    (param $sc i32)
    (local $i i32) (local $k i32) (local $np i32) (local $g i32) (local $gb i32) (local $pw i32)
    (local $pend i32) (local $col i32) (local $oy i32) (local $ox i32) (local $rowb i32)
    (local $tp i32) (local $rp i32)
    (local.set $rowb (i32.mul (local.get $wp) (local.get $pixb)))
    (local.set $tp (i32.add (local.get $sc) (i32.const 256)))
    (local.set $rp (i32.add (local.get $sc) (i32.const 288)))
    (local.set $pw (local.get $wts))
    (local.set $g (local.get $groups))
    (local.set $col (local.get $raw))
    (block $done
      (loop $lb
        (br_if $done (i32.eqz (local.get $g)))
        (local.set $gb (select (i32.const 4) (select (i32.const 2) (i32.const 1)
          (i32.ge_u (local.get $g) (i32.const 2))) (i32.ge_u (local.get $g) (i32.const 4))))
        (local.set $np (i32.div_u (i32.const 8) (local.get $gb)))
        (local.set $oy (i32.div_u (local.get $p0) (local.get $ow)))
        (local.set $ox (i32.sub (local.get $p0) (i32.mul (local.get $oy) (local.get $ow))))
        (local.set $i (i32.const 0))
        (loop $lp
          ;; table and row addresses of pixels i .. i+np-1 (the last pixel repeated past count)
          (local.set $k (i32.const 0))
          (loop $lk
            (i32.store (i32.add (local.get $tp) (i32.shl (local.get $k) (i32.const 2)))
              (i32.add (local.get $img) (i32.mul (local.get $pixb) (i32.add
                (i32.mul (i32.mul (local.get $oy) (local.get $sy)) (local.get $wp))
                (i32.mul (local.get $ox) (local.get $sx))))))
            (i32.store (i32.add (local.get $rp) (i32.shl (local.get $k) (i32.const 2)))
              (i32.add (local.get $col) (i32.mul (local.get $ldr)
                (select (i32.add (local.get $i) (local.get $k))
                  (i32.sub (local.get $count) (i32.const 1))
                  (i32.lt_s (i32.add (local.get $i) (local.get $k)) (local.get $count))))))
            (if (i32.lt_s (i32.add (i32.add (local.get $i) (local.get $k)) (i32.const 1))
                  (local.get $count))
              (then
                (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                (if (i32.ge_u (local.get $ox) (local.get $ow))
                  (then
                    (local.set $ox (i32.const 0))
                    (local.set $oy (i32.add (local.get $oy) (i32.const 1)))))))
            (br_if $lk (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1)))
              (local.get $np))))
          (if (i32.eq (local.get $gb) (i32.const 4))
            (then (local.set $pend (call $lut_mk4
              (i32.load offset=0 (local.get $tp)) (i32.load offset=4 (local.get $tp))
              (local.get $rowb) (local.get $kh) (local.get $run) (local.get $pw) (local.get $sc))))
            (else (if (i32.eq (local.get $gb) (i32.const 2))
              (then (local.set $pend (call $lut_mk2
                (i32.load offset=0 (local.get $tp)) (i32.load offset=4 (local.get $tp))
                (i32.load offset=8 (local.get $tp)) (i32.load offset=12 (local.get $tp))
                (local.get $rowb) (local.get $kh) (local.get $run) (local.get $pw)
                (local.get $sc))))
              (else (local.set $pend (call $lut_mk1
                (i32.load offset=0 (local.get $tp)) (i32.load offset=4 (local.get $tp))
                (i32.load offset=8 (local.get $tp)) (i32.load offset=12 (local.get $tp))
                (i32.load offset=16 (local.get $tp)) (i32.load offset=20 (local.get $tp))
                (i32.load offset=24 (local.get $tp)) (i32.load offset=28 (local.get $tp))
                (local.get $rowb) (local.get $kh) (local.get $run) (local.get $pw)
                (local.get $sc)))))))
          (call $lut_store (local.get $sc) (local.get $np) (local.get $gb) (local.get $alpha)
            (local.get $rp))
          (br_if $lp (i32.lt_s (local.tee $i (i32.add (local.get $i) (local.get $np)))
            (local.get $count))))
        (local.set $pw (local.get $pend))
        (local.set $col (i32.add (local.get $col) (i32.shl (local.get $gb) (i32.const 6))))
        (local.set $g (i32.sub (local.get $g) (local.get $gb)))
        (br $lb))))

  ;; ---------------------------------------------------------------------------------------------
  ;; fused output transform
  ;; ---------------------------------------------------------------------------------------------

;; For rows r < rows of dots (ldr bytes each, as written by pc_gemm / lut_conv) and j < n:
  ;;   d = raw[r][j] - corr[cls[r] * ldr + j]   (cls read with byte step clsStep; class 0 = no
  ;;                                           correction, its corr row must be zeros)
  ;; mode 0: out int32 d; when out == raw (in place) rows of class 0 are skipped.
  ;; mode 1: out float32 d * scale[j] + bias[j] (f32 multiply, then f32 add).
  ;; mode 2: out packed bits, bit j = (d < thr[j]) xor flip[j], ceil(n/32) words then zeros up to
  ;;         ldo bytes (thr, flip, raw and corr rows must cover ceil(n/32)*32 channels).
  ;; Output rows are ldo bytes apart.
  (func (export "epilogue")
    (param $raw i32) (param $ldr i32) (param $rows i32) (param $n i32)
    (param $corr i32) (param $cls i32) (param $clsStep i32)
    (param $mode i32) (param $out i32) (param $ldo i32)
    (param $scale i32) (param $bias i32) (param $thr i32) (param $flip i32)
    (local $r i32) (local $j i32) (local $src i32) (local $crow i32) (local $dst i32) (local $c i32)
    (local $n4 i32) (local $nb i32) (local $word i32) (local $k i32) (local $rowEnd i32)
    (local $v v128)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $done
      (loop $lr
        (br_if $done (i32.ge_s (local.get $r) (local.get $rows)))
        (local.set $src (i32.add (local.get $raw) (i32.mul (local.get $r) (local.get $ldr))))
        (local.set $c (i32.load (i32.add (local.get $cls) (i32.mul (local.get $r)
          (local.get $clsStep)))))
        (local.set $crow (i32.add (local.get $corr) (i32.mul (local.get $ldr) (local.get $c))))
        (local.set $dst (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $ldo))))
        (local.set $rowEnd (i32.add (local.get $dst) (local.get $ldo)))
        (block $row
          (if (i32.eq (local.get $mode) (i32.const 2))
            (then
              (local.set $j (i32.const 0))
              (loop $lw
                (local.set $word (i32.const 0))
                (local.set $k (i32.const 0))
                (loop $lq
                  (local.set $v (i32x4.sub (v128.load (i32.add (local.get $src) (local.get $j)))
                    (v128.load (i32.add (local.get $crow) (local.get $j)))))
                  (local.set $word (i32.or (local.get $word) (i32.shl
                    (i32x4.bitmask (v128.xor
                      (i32x4.lt_s (local.get $v)
                        (v128.load (i32.add (local.get $thr) (local.get $j))))
                      (v128.load (i32.add (local.get $flip) (local.get $j)))))
                    (local.get $k))))
                  (local.set $j (i32.add (local.get $j) (i32.const 16)))
                  (br_if $lq (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 4)))
                    (i32.const 32))))
                (i32.store (local.get $dst) (local.get $word))
                (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                (br_if $lw (i32.lt_u (local.get $j) (local.get $nb))))
              ;; zero the row's padding words
              (block $zd
                (loop $lz
                  (br_if $zd (i32.ge_u (local.get $dst) (local.get $rowEnd)))
                  (i32.store (local.get $dst) (i32.const 0))
                  (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                  (br $lz)))
              (br $row)))
          (local.set $j (i32.const 0))
          (if (i32.eq (local.get $mode) (i32.const 1))
            (then
              (block $vd
                (loop $lv
                  (br_if $vd (i32.ge_s (local.get $j) (local.get $n4)))
                  (v128.store (i32.add (local.get $dst) (local.get $j))
                    (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
                      (i32x4.sub (v128.load (i32.add (local.get $src) (local.get $j)))
                        (v128.load (i32.add (local.get $crow) (local.get $j)))))
                      (v128.load (i32.add (local.get $scale) (local.get $j))))
                      (v128.load (i32.add (local.get $bias) (local.get $j)))))
                  (local.set $j (i32.add (local.get $j) (i32.const 16)))
                  (br $lv)))
              (block $sd
                (loop $ls
                  (br_if $sd (i32.ge_s (local.get $j) (local.get $nb)))
                  (f32.store (i32.add (local.get $dst) (local.get $j))
                    (f32.add (f32.mul (f32.convert_i32_s
                      (i32.sub (i32.load (i32.add (local.get $src) (local.get $j)))
                        (i32.load (i32.add (local.get $crow) (local.get $j)))))
                      (f32.load (i32.add (local.get $scale) (local.get $j))))
                      (f32.load (i32.add (local.get $bias) (local.get $j)))))
                  (local.set $j (i32.add (local.get $j) (i32.const 4)))
                  (br $ls)))
              (br $row)))
          ;; mode 0
          (br_if $row (i32.and (i32.eq (local.get $src) (local.get $dst)) (i32.eqz (local.get $c))))
          (block $vd
            (loop $lv
              (br_if $vd (i32.ge_s (local.get $j) (local.get $n4)))
              (v128.store (i32.add (local.get $dst) (local.get $j))
                (i32x4.sub (v128.load (i32.add (local.get $src) (local.get $j)))
                  (v128.load (i32.add (local.get $crow) (local.get $j)))))
              (local.set $j (i32.add (local.get $j) (i32.const 16)))
              (br $lv)))
          (block $sd
            (loop $ls
              (br_if $sd (i32.ge_s (local.get $j) (local.get $nb)))
              (i32.store (i32.add (local.get $dst) (local.get $j))
                (i32.sub (i32.load (i32.add (local.get $src) (local.get $j)))
                  (i32.load (i32.add (local.get $crow) (local.get $j)))))
              (local.set $j (i32.add (local.get $j) (i32.const 4)))
              (br $ls))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $lr))))

  ;; ---------------------------------------------------------------------------------------------
  ;; float glue of deployed networks (engine/deploy/runtime.ts): packing float activations into
  ;; sign bits, pooling float maps. Same float semantics as the TypeScript reference: two roundings
  ;; (mul, then add), no FMA.
  ;; ---------------------------------------------------------------------------------------------

  ;; Packs `rows` rows of `c` float32 (contiguous, row r at src + 4*r*c) into sign words:
  ;; bit = (x * ps[ch] + pb[ch]) < 0 (bit set = -1), 32 channels per word, `stride` words per
  ;; output row (words past ceil(c/32) are zeroed). ps / pb must hold ceil(c/4)*4 floats, padded
  ;; with ps = 0, pb = 1 (those lanes give bit 0 whatever they read); src may be read up to 12
  ;; bytes past its end.
  (func (export "pack_f32")
    (param $src i32) (param $rows i32) (param $c i32) (param $ps i32) (param $pb i32)
    (param $dst i32) (param $stride i32)
    (local $r i32) (local $srow i32) (local $drow i32) (local $q i32) (local $cw i32)
    (local $k i32) (local $j i32) (local $word i32) (local $cb i32)
    (local.set $cw (i32.shr_u (i32.add (local.get $c) (i32.const 31)) (i32.const 5)))
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $done
      (loop $lr
        (br_if $done (i32.ge_s (local.get $r) (local.get $rows)))
        (local.set $srow (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $cb))))
        (local.set $drow (i32.add (local.get $dst)
          (i32.shl (i32.mul (local.get $r) (local.get $stride)) (i32.const 2))))
        (local.set $q (i32.const 0))
        (local.set $j (i32.const 0))
        (loop $lw
          (local.set $word (i32.const 0))
          (local.set $k (i32.const 0))
          (block $wd
            (loop $lk
              (br_if $wd (i32.ge_s (local.get $j) (local.get $cb)))
              (local.set $word (i32.or (local.get $word) (i32.shl
                (i32x4.bitmask (f32x4.lt
                  (f32x4.add
                    (f32x4.mul (v128.load (i32.add (local.get $srow) (local.get $j)))
                      (v128.load (i32.add (local.get $ps) (local.get $j))))
                    (v128.load (i32.add (local.get $pb) (local.get $j))))
                  (v128.const f32x4 0 0 0 0)))
                (local.get $k))))
              (local.set $j (i32.add (local.get $j) (i32.const 16)))
              (br_if $lk (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 4)))
                (i32.const 32)))))
          (i32.store (i32.add (local.get $drow) (i32.shl (local.get $q) (i32.const 2)))
            (local.get $word))
          (br_if $lw (i32.lt_u (local.tee $q (i32.add (local.get $q) (i32.const 1)))
            (local.get $cw))))
        (block $zd
          (loop $lz
            (br_if $zd (i32.ge_u (local.get $q) (local.get $stride)))
            (i32.store (i32.add (local.get $drow) (i32.shl (local.get $q) (i32.const 2)))
              (i32.const 0))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $lz)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $lr))))

  ;; Applies act to one f32x4: 0 none, 1 relu, 2 hardtanh.
  (func $act4 (param $v v128) (param $act i32) (result v128)
    (if (result v128) (i32.eq (local.get $act) (i32.const 1))
      (then (f32x4.max (local.get $v) (v128.const f32x4 0 0 0 0)))
      (else
        (if (result v128) (i32.eq (local.get $act) (i32.const 2))
          (then (f32x4.min (f32x4.max (local.get $v) (v128.const f32x4 -1 -1 -1 -1))
            (v128.const f32x4 1 1 1 1)))
          (else (local.get $v))))))

  ;; 2x2 stride-2 `valid` max pool of NHWC float32 (c a multiple of 4), then act; channels whose
  ;; i32 mask lane is -1 take the minimum instead. dst [n, h/2, w/2, c].
  (func (export "pool_f32")
    (param $src i32) (param $n i32) (param $h i32) (param $w i32) (param $c i32)
    (param $mask i32) (param $act i32) (param $dst i32)
    (local $oh i32) (local $ow i32) (local $s i32) (local $y i32) (local $x i32) (local $j i32)
    (local $p00 i32) (local $row i32) (local $pix i32) (local $cb i32)
    (local $a v128) (local $b v128) (local $d v128) (local $e v128) (local $m v128)
    (local.set $oh (i32.shr_u (local.get $h) (i32.const 1)))
    (local.set $ow (i32.shr_u (local.get $w) (i32.const 1)))
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $pix (local.get $cb))
    (local.set $row (i32.mul (local.get $w) (local.get $cb)))
    (local.set $s (i32.const 0))
    (block $ds
      (loop $ls
        (br_if $ds (i32.ge_s (local.get $s) (local.get $n)))
        (local.set $y (i32.const 0))
        (block $dy
          (loop $ly
            (br_if $dy (i32.ge_s (local.get $y) (local.get $oh)))
            (local.set $x (i32.const 0))
            (block $dx
              (loop $lx
                (br_if $dx (i32.ge_s (local.get $x) (local.get $ow)))
                (local.set $p00 (i32.add (local.get $src) (i32.add
                  (i32.mul (i32.add (i32.mul (local.get $s) (local.get $h))
                    (i32.shl (local.get $y) (i32.const 1))) (local.get $row))
                  (i32.mul (i32.shl (local.get $x) (i32.const 1)) (local.get $pix)))))
                (local.set $j (i32.const 0))
                (block $dj
                  (loop $lj
                    (br_if $dj (i32.ge_s (local.get $j) (local.get $cb)))
                    (local.set $a (v128.load (i32.add (local.get $p00) (local.get $j))))
                    (local.set $b (v128.load (i32.add (i32.add (local.get $p00) (local.get $pix))
                      (local.get $j))))
                    (local.set $d (v128.load (i32.add (i32.add (local.get $p00) (local.get $row))
                      (local.get $j))))
                    (local.set $e (v128.load (i32.add (i32.add (i32.add (local.get $p00)
                      (local.get $row)) (local.get $pix)) (local.get $j))))
                    (local.set $m (v128.load (i32.add (local.get $mask) (local.get $j))))
                    (v128.store (local.get $dst) (call $act4
                      (v128.bitselect
                        (f32x4.min (f32x4.min (local.get $a) (local.get $b))
                          (f32x4.min (local.get $d) (local.get $e)))
                        (f32x4.max (f32x4.max (local.get $a) (local.get $b))
                          (f32x4.max (local.get $d) (local.get $e)))
                        (local.get $m))
                      (local.get $act)))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                    (local.set $j (i32.add (local.get $j) (i32.const 16)))
                    (br $lj)))
                (local.set $x (i32.add (local.get $x) (i32.const 1)))
                (br $lx)))
            (local.set $y (i32.add (local.get $y) (i32.const 1)))
            (br $ly)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $ls))))

  ;; act in place over `len` float32 (len a multiple of 4).
  (func (export "act_f32") (param $p i32) (param $len i32) (param $act i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $len) (i32.const 2))))
    (block $d
      (loop $l
        (br_if $d (i32.ge_u (local.get $p) (local.get $end)))
        (v128.store (local.get $p) (call $act4 (v128.load (local.get $p)) (local.get $act)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $l))))

  ;; y = act(fround(fround(x * scale[ch]) + bias[ch])) over `rows` rows of `c` float32 (c a
  ;; multiple of 4); src and dst may be the same.
  (func (export "affine_f32")
    (param $src i32) (param $rows i32) (param $c i32) (param $scale i32) (param $bias i32)
    (param $act i32) (param $dst i32)
    (local $end i32) (local $j i32) (local $cb i32)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $src) (i32.mul (local.get $rows) (local.get $cb))))
    (block $d
      (loop $lr
        (br_if $d (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $j (i32.const 0))
        (loop $lj
          (v128.store (i32.add (local.get $dst) (local.get $j)) (call $act4
            (f32x4.add
              (f32x4.mul (v128.load (i32.add (local.get $src) (local.get $j)))
                (v128.load (i32.add (local.get $scale) (local.get $j))))
              (v128.load (i32.add (local.get $bias) (local.get $j))))
            (local.get $act)))
          (br_if $lj (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 16)))
            (local.get $cb))))
        (local.set $src (i32.add (local.get $src) (local.get $cb)))
        (local.set $dst (i32.add (local.get $dst) (local.get $cb)))
        (br $lr))))

  ;; y = fround(fround(float(dot) * scale[(r / div) % period][ch]) + bias[ch]) over `rows` rows
  ;; of `c` int32 dots (c a multiple of 4): one scale row for all (div 1, period 1), a map with one
  ;; row per output pixel (div 1, period = pixels per image: xnorpp's spatial map), or one row per
  ;; sample (div = pixels per image, period = samples: xnor's run-time scale).
  (func (export "dots_f32")
    (param $dots i32) (param $rows i32) (param $c i32) (param $scale i32) (param $div i32)
    (param $period i32) (param $bias i32) (param $dst i32)
    (local $r i32) (local $p i32) (local $j i32) (local $cb i32) (local $srow i32) (local $q i32)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $r (i32.const 0))
    (local.set $p (i32.const 0))
    (local.set $q (i32.const 0))
    (block $d
      (loop $lr
        (br_if $d (i32.ge_s (local.get $r) (local.get $rows)))
        (local.set $srow (i32.add (local.get $scale) (i32.mul (local.get $p) (local.get $cb))))
        (local.set $j (i32.const 0))
        (loop $lj
          (v128.store (i32.add (local.get $dst) (local.get $j))
            (f32x4.add
              (f32x4.mul (f32x4.convert_i32x4_s (v128.load (i32.add (local.get $dots)
                (local.get $j))))
                (v128.load (i32.add (local.get $srow) (local.get $j))))
              (v128.load (i32.add (local.get $bias) (local.get $j)))))
          (br_if $lj (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 16)))
            (local.get $cb))))
        (local.set $dots (i32.add (local.get $dots) (local.get $cb)))
        (local.set $dst (i32.add (local.get $dst) (local.get $cb)))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (if (i32.ge_s (local.get $q) (local.get $div))
          (then
            (local.set $q (i32.const 0))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (if (i32.ge_s (local.get $p) (local.get $period)) (then (local.set $p (i32.const 0))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $lr))))

  ;; Per sample, fround(sum |x|) / len with a sequential float32 sum (the order of tfjs-wasm's
  ;; Mean, so xnor's run-time scale equals the training forward's bit for bit), into dst[n].
  (func (export "mean_abs_f32")
    (param $src i32) (param $n i32) (param $len i32) (param $dst i32)
    (local $s i32) (local $end i32) (local $acc f32)
    (local.set $s (i32.const 0))
    (block $d
      (loop $ls
        (br_if $d (i32.ge_s (local.get $s) (local.get $n)))
        (local.set $end (i32.add (local.get $src) (i32.shl (local.get $len) (i32.const 2))))
        (local.set $acc (f32.const 0))
        (block $di
          (loop $li
            (br_if $di (i32.ge_u (local.get $src) (local.get $end)))
            (local.set $acc (f32.add (local.get $acc) (f32.abs (f32.load (local.get $src)))))
            (local.set $src (i32.add (local.get $src) (i32.const 4)))
            (br $li)))
        (f32.store (i32.add (local.get $dst) (i32.shl (local.get $s) (i32.const 2)))
          (f32.div (local.get $acc) (f32.convert_i32_s (local.get $len))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $ls))))

  ;; Full-precision stride-1 `same` conv of NHWC float32 (k x k, HWIO weights, cout a multiple of
  ;; 16) fused with the sign pack: bit = (conv * ps[co] + pb[co]) < 0, 16 output channels per pass
  ;; kept in four f32x4 accumulators (sum over taps ky, kx, ci in that order, from bias[co]);
  ;; each pass writes one 16-bit half of the output words (dst [n, h, w, cw] u32, zeroed).
  ;; A deployed network's full-precision stem feeding a binarized layer: the float map never
  ;; leaves the registers.
  (func (export "conv_f32_pack16")
    (param $src i32) (param $n i32) (param $h i32) (param $w i32) (param $cin i32)
    (param $k i32) (param $pad i32) (param $wts i32) (param $cout i32) (param $bias i32)
    (param $ps i32) (param $pb i32) (param $dst i32) (param $cw i32)
    (local $blk i32) (local $s i32) (local $y i32) (local $x i32) (local $ky i32) (local $kx i32)
    (local $iy i32) (local $ix i32) (local $ci i32) (local $ip i32) (local $wp i32) (local $co i32)
    (local $wrow i32) (local $bits i32) (local $pixB i32) (local $rowB i32) (local $img i32)
    (local $tapB i32) (local $irow i32) (local $wtap i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $v v128)
    (local.set $wrow (i32.shl (local.get $cout) (i32.const 2)))
    (local.set $pixB (i32.shl (local.get $cin) (i32.const 2)))
    (local.set $rowB (i32.mul (local.get $w) (local.get $pixB)))
    (local.set $tapB (i32.mul (local.get $cin) (local.get $wrow)))
    (local.set $blk (i32.const 0))
    (block $db
      (loop $lb
        (br_if $db (i32.ge_s (local.get $blk) (i32.shr_u (local.get $cout) (i32.const 4))))
        (local.set $co (i32.shl (local.get $blk) (i32.const 6))) ;; byte offset of the block
        (local.set $s (i32.const 0))
        (block $ds
          (loop $ls
            (br_if $ds (i32.ge_s (local.get $s) (local.get $n)))
            (local.set $img (i32.add (local.get $src)
              (i32.mul (i32.mul (local.get $s) (local.get $h)) (local.get $rowB))))
            (local.set $y (i32.const 0))
            (block $dy
              (loop $ly
                (br_if $dy (i32.ge_s (local.get $y) (local.get $h)))
                (local.set $x (i32.const 0))
                (block $dx
                  (loop $lx
                    (br_if $dx (i32.ge_s (local.get $x) (local.get $w)))
                    (local.set $a0 (v128.load (i32.add (local.get $bias) (local.get $co))))
                    (local.set $a1 (v128.load offset=16 (i32.add (local.get $bias) (local.get $co))))
                    (local.set $a2 (v128.load offset=32 (i32.add (local.get $bias) (local.get $co))))
                    (local.set $a3 (v128.load offset=48 (i32.add (local.get $bias) (local.get $co))))
                    (local.set $wtap (i32.add (local.get $wts) (local.get $co)))
                    (local.set $ky (i32.const 0))
                    (block $dky
                      (loop $lky
                        (br_if $dky (i32.ge_s (local.get $ky) (local.get $k)))
                        (local.set $iy (i32.sub (i32.add (local.get $y) (local.get $ky))
                          (local.get $pad)))
                        (if (i32.lt_u (local.get $iy) (local.get $h))
                          (then
                            (local.set $irow (i32.add (local.get $img)
                              (i32.mul (local.get $iy) (local.get $rowB))))
                            (local.set $kx (i32.const 0))
                            (block $dkx
                              (loop $lkx
                                (br_if $dkx (i32.ge_s (local.get $kx) (local.get $k)))
                                (local.set $ix (i32.sub (i32.add (local.get $x) (local.get $kx))
                                  (local.get $pad)))
                                (if (i32.lt_u (local.get $ix) (local.get $w))
                                  (then
                                    (local.set $ip (i32.add (local.get $irow)
                                      (i32.mul (local.get $ix) (local.get $pixB))))
                                    (local.set $wp (i32.add (local.get $wtap)
                                      (i32.mul (local.get $kx) (local.get $tapB))))
                                    (local.set $ci (local.get $cin))
                                    (loop $lci
                                      (local.set $v (v128.load32_splat (local.get $ip)))
                                      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul
                                        (local.get $v) (v128.load (local.get $wp)))))
                                      (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul
                                        (local.get $v) (v128.load offset=16 (local.get $wp)))))
                                      (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul
                                        (local.get $v) (v128.load offset=32 (local.get $wp)))))
                                      (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul
                                        (local.get $v) (v128.load offset=48 (local.get $wp)))))
                                      (local.set $ip (i32.add (local.get $ip) (i32.const 4)))
                                      (local.set $wp (i32.add (local.get $wp) (local.get $wrow)))
                                      (br_if $lci (local.tee $ci (i32.sub (local.get $ci)
                                        (i32.const 1)))))))
                                (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                                (br $lkx)))))
                        (local.set $wtap (i32.add (local.get $wtap)
                          (i32.mul (local.get $k) (local.get $tapB))))
                        (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
                        (br $lky)))
                    (local.set $bits (i32.or
                      (i32.or
                        (i32x4.bitmask (f32x4.lt (f32x4.add (f32x4.mul (local.get $a0)
                          (v128.load (i32.add (local.get $ps) (local.get $co))))
                          (v128.load (i32.add (local.get $pb) (local.get $co))))
                          (v128.const f32x4 0 0 0 0)))
                        (i32.shl (i32x4.bitmask (f32x4.lt (f32x4.add (f32x4.mul (local.get $a1)
                          (v128.load offset=16 (i32.add (local.get $ps) (local.get $co))))
                          (v128.load offset=16 (i32.add (local.get $pb) (local.get $co))))
                          (v128.const f32x4 0 0 0 0))) (i32.const 4)))
                      (i32.or
                        (i32.shl (i32x4.bitmask (f32x4.lt (f32x4.add (f32x4.mul (local.get $a2)
                          (v128.load offset=32 (i32.add (local.get $ps) (local.get $co))))
                          (v128.load offset=32 (i32.add (local.get $pb) (local.get $co))))
                          (v128.const f32x4 0 0 0 0))) (i32.const 8))
                        (i32.shl (i32x4.bitmask (f32x4.lt (f32x4.add (f32x4.mul (local.get $a3)
                          (v128.load offset=48 (i32.add (local.get $ps) (local.get $co))))
                          (v128.load offset=48 (i32.add (local.get $pb) (local.get $co))))
                          (v128.const f32x4 0 0 0 0))) (i32.const 12)))))
                    (i32.store16
                      (i32.add (i32.add (local.get $dst) (i32.shl (i32.mul (i32.add (i32.mul
                        (i32.add (i32.mul (local.get $s) (local.get $h)) (local.get $y))
                        (local.get $w)) (local.get $x)) (local.get $cw)) (i32.const 2)))
                        (i32.shl (local.get $blk) (i32.const 1)))
                      (local.get $bits))
                    (local.set $x (i32.add (local.get $x) (i32.const 1)))
                    (br $lx)))
                (local.set $y (i32.add (local.get $y) (i32.const 1)))
                (br $ly)))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br $ls)))
        (local.set $blk (i32.add (local.get $blk) (i32.const 1)))
        (br $lb))))
)
