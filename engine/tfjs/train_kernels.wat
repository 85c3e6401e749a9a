;; SIMD loops of the fused training kernels (engine/tfjs/fused.ts), run directly on the tfjs wasm
;; backend's heap: the module imports that backend's memory, and every pointer is a tensor's byte
;; offset in it. Each loop computes what fused.ts's JavaScript loop computes, 4 lanes at a time, in
;; the same float32 roundings and, for the per-channel sums, the same order (lane = channel, pixels
;; in memory order). Element counts are multiples of 4, channel counts multiples of 4 (fused.ts
;; runs its JavaScript loops otherwise). Built by `deno task build:kernels`.
(module
  (import "env" "memory" (memory 1))

  ;; y = sign(x): +1 for x >= 0 (also -0), -1 for x < 0, NaN stays NaN.
  (func (export "sign") (param $x i32) (param $y i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $v (v128.load (local.get $x)))
      (v128.store (local.get $y)
        (v128.bitselect (local.get $v)
          (v128.bitselect (f32x4.splat (f32.const -1)) (f32x4.splat (f32.const 1))
            (f32x4.lt (local.get $v) (f32x4.splat (f32.const 0))))
          (f32x4.ne (local.get $v) (local.get $v))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br $next))))

  ;; dx = dy * d(x) for the straight-through shape $kind: 0 clip 1{|x| <= 1}, 1 approx
  ;; max(2 - 2|x|, 0), 2 identity 1; 3 relu's step (1 if x > 0, 0 otherwise, x itself if NaN).
  (func (export "ste_grad") (param $dy i32) (param $x i32) (param $dx i32) (param $n i32)
    (param $kind i32)
    (local $end i32) (local $v v128) (local $d v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $v (v128.load (local.get $x)))
      (block $k3 (block $k2 (block $k1 (block $k0
        (br_table $k0 $k1 $k2 $k3 (local.get $kind)))
        (local.set $d (v128.and (f32x4.splat (f32.const 1))
          (f32x4.le (f32x4.abs (local.get $v)) (f32x4.splat (f32.const 1)))))
        (br $k3))
        (local.set $d (f32x4.max
          (f32x4.sub (f32x4.splat (f32.const 2))
            (f32x4.mul (f32x4.splat (f32.const 2)) (f32x4.abs (local.get $v))))
          (f32x4.splat (f32.const 0))))
        (br $k3))
        (local.set $d (f32x4.splat (f32.const 1)))
        (br $k3))
      (if (i32.eq (local.get $kind) (i32.const 3))
        (then (local.set $d
          (v128.bitselect (local.get $v)
            (v128.and (f32x4.splat (f32.const 1))
              (f32x4.gt (local.get $v) (f32x4.splat (f32.const 0))))
            (f32x4.ne (local.get $v) (local.get $v))))))
      (local.set $d (f32x4.mul (v128.load (local.get $dy)) (local.get $d)))
      (if (i32.eq (local.get $kind) (i32.const 3))
        (then (local.set $d
          (v128.bitselect (local.get $v) (local.get $d) (f32x4.ne (local.get $v) (local.get $v))))))
      (v128.store (local.get $dx) (local.get $d))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
      (br $next))))

  ;; dx = dy where lo <= x <= hi, else +0 (a select).
  (func (export "clip_grad") (param $dy i32) (param $x i32) (param $dx i32) (param $n i32)
    (param $lo f32) (param $hi f32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $v (v128.load (local.get $x)))
      (v128.store (local.get $dx)
        (v128.and (v128.load (local.get $dy))
          (v128.and (f32x4.ge (local.get $v) (f32x4.splat (local.get $lo)))
            (f32x4.le (local.get $v) (f32x4.splat (local.get $hi))))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
      (br $next))))

  ;; mean[c] = (sum over pixels of x[p, c]) / count, var[c] = (sum of (x - mean)^2) / count:
  ;; per-channel float32 sums in pixel order, accumulated in mean[] / var[] themselves.
  (func (export "bn_stats") (param $x i32) (param $n i32) (param $c i32) (param $mean i32)
    (param $var i32)
    (local $p i32) (local $end i32) (local $row i32) (local $k i32) (local $cnt v128)
    (local $d v128)
    (local.set $row (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $n) (i32.const 4))))
    (local.set $cnt (f32x4.splat (f32.convert_i32_u (i32.div_u (local.get $n) (local.get $c)))))
    (memory.fill (local.get $mean) (i32.const 0) (local.get $row))
    (memory.fill (local.get $var) (i32.const 0) (local.get $row))
    (local.set $p (local.get $x))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $k (i32.const 0))
      (block $e1 (loop $m1
        (br_if $e1 (i32.ge_u (local.get $k) (local.get $row)))
        (v128.store (i32.add (local.get $mean) (local.get $k))
          (f32x4.add (v128.load (i32.add (local.get $mean) (local.get $k)))
            (v128.load (i32.add (local.get $p) (local.get $k)))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $m1)))
      (local.set $p (i32.add (local.get $p) (local.get $row)))
      (br $l1)))
    (local.set $k (i32.const 0))
    (block $e2 (loop $m2
      (br_if $e2 (i32.ge_u (local.get $k) (local.get $row)))
      (v128.store (i32.add (local.get $mean) (local.get $k))
        (f32x4.div (v128.load (i32.add (local.get $mean) (local.get $k))) (local.get $cnt)))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br $m2)))
    (local.set $p (local.get $x))
    (block $d3 (loop $l3
      (br_if $d3 (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $k (i32.const 0))
      (block $e3 (loop $m3
        (br_if $e3 (i32.ge_u (local.get $k) (local.get $row)))
        (local.set $d (f32x4.sub (v128.load (i32.add (local.get $p) (local.get $k)))
          (v128.load (i32.add (local.get $mean) (local.get $k)))))
        (v128.store (i32.add (local.get $var) (local.get $k))
          (f32x4.add (v128.load (i32.add (local.get $var) (local.get $k)))
            (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $m3)))
      (local.set $p (i32.add (local.get $p) (local.get $row)))
      (br $l3)))
    (local.set $k (i32.const 0))
    (block $e4 (loop $m4
      (br_if $e4 (i32.ge_u (local.get $k) (local.get $row)))
      (v128.store (i32.add (local.get $var) (local.get $k))
        (f32x4.div (v128.load (i32.add (local.get $var) (local.get $k))) (local.get $cnt)))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br $m4))))

  ;; y = ((x - mean) * rstd) * gamma + beta, per channel.
  (func (export "bn_forward") (param $x i32) (param $y i32) (param $n i32) (param $c i32)
    (param $mean i32) (param $rstd i32) (param $gamma i32) (param $beta i32)
    (local $end i32) (local $row i32) (local $k i32) (local $xhat v128)
    (local.set $row (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $n) (i32.const 4))))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $k (i32.const 0))
      (block $e1 (loop $m1
        (br_if $e1 (i32.ge_u (local.get $k) (local.get $row)))
        (local.set $xhat (f32x4.mul
          (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $k)))
            (v128.load (i32.add (local.get $mean) (local.get $k))))
          (v128.load (i32.add (local.get $rstd) (local.get $k)))))
        (v128.store (i32.add (local.get $y) (local.get $k))
          (f32x4.add (f32x4.mul (local.get $xhat) (v128.load (i32.add (local.get $gamma) (local.get $k))))
            (v128.load (i32.add (local.get $beta) (local.get $k)))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $m1)))
      (local.set $x (i32.add (local.get $x) (local.get $row)))
      (local.set $y (i32.add (local.get $y) (local.get $row)))
      (br $l1))))

  ;; sumDy[c] = sum of dy, sumDyXhat[c] = sum of dy * xhat (pixel order), both zeroed first.
  (func (export "bn_grad_sums") (param $dy i32) (param $x i32) (param $n i32) (param $c i32)
    (param $mean i32) (param $rstd i32) (param $sumDy i32) (param $sumDyXhat i32)
    (local $end i32) (local $row i32) (local $k i32) (local $xhat v128) (local $g v128)
    (local.set $row (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $n) (i32.const 4))))
    (memory.fill (local.get $sumDy) (i32.const 0) (local.get $row))
    (memory.fill (local.get $sumDyXhat) (i32.const 0) (local.get $row))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $k (i32.const 0))
      (block $e1 (loop $m1
        (br_if $e1 (i32.ge_u (local.get $k) (local.get $row)))
        (local.set $xhat (f32x4.mul
          (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $k)))
            (v128.load (i32.add (local.get $mean) (local.get $k))))
          (v128.load (i32.add (local.get $rstd) (local.get $k)))))
        (local.set $g (v128.load (i32.add (local.get $dy) (local.get $k))))
        (v128.store (i32.add (local.get $sumDy) (local.get $k))
          (f32x4.add (v128.load (i32.add (local.get $sumDy) (local.get $k))) (local.get $g)))
        (v128.store (i32.add (local.get $sumDyXhat) (local.get $k))
          (f32x4.add (v128.load (i32.add (local.get $sumDyXhat) (local.get $k)))
            (f32x4.mul (local.get $g) (local.get $xhat))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $m1)))
      (local.set $x (i32.add (local.get $x) (local.get $row)))
      (local.set $dy (i32.add (local.get $dy) (local.get $row)))
      (br $l1))))

  ;; dx = a * ((dy * count - sumDy) - xhat * sumDyXhat), a[c] = gamma[c] * (rstd[c] / count).
  (func (export "bn_grad_dx") (param $dy i32) (param $x i32) (param $dx i32) (param $n i32)
    (param $c i32) (param $mean i32) (param $rstd i32) (param $a i32) (param $sumDy i32)
    (param $sumDyXhat i32) (param $count f32)
    (local $end i32) (local $row i32) (local $k i32) (local $xhat v128) (local $t v128)
    (local $cnt v128)
    (local.set $cnt (f32x4.splat (local.get $count)))
    (local.set $row (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $n) (i32.const 4))))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $k (i32.const 0))
      (block $e1 (loop $m1
        (br_if $e1 (i32.ge_u (local.get $k) (local.get $row)))
        (local.set $xhat (f32x4.mul
          (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $k)))
            (v128.load (i32.add (local.get $mean) (local.get $k))))
          (v128.load (i32.add (local.get $rstd) (local.get $k)))))
        (local.set $t (f32x4.sub
          (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $k))) (local.get $cnt))
          (v128.load (i32.add (local.get $sumDy) (local.get $k)))))
        (v128.store (i32.add (local.get $dx) (local.get $k))
          (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $k)))
            (f32x4.sub (local.get $t)
              (f32x4.mul (local.get $xhat) (v128.load (i32.add (local.get $sumDyXhat) (local.get $k)))))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $m1)))
      (local.set $x (i32.add (local.get $x) (local.get $row)))
      (local.set $dy (i32.add (local.get $dy) (local.get $row)))
      (local.set $dx (i32.add (local.get $dx) (local.get $row)))
      (br $l1))))

  ;; out[j] = sum over rows r of x[r * m + j] (rows in memory order), j < m: a reduction over the
  ;; leading axes, in the order tfjs-wasm's Sum adds them after its transpose.
  (func (export "sum_rows") (param $x i32) (param $rows i32) (param $m i32) (param $out i32)
    (local $end i32) (local $row i32) (local $k i32)
    (local.set $row (i32.shl (local.get $m) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $row))))
    (memory.fill (local.get $out) (i32.const 0) (local.get $row))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $k (i32.const 0))
      (block $e1 (loop $m1
        (br_if $e1 (i32.ge_u (local.get $k) (local.get $row)))
        (v128.store (i32.add (local.get $out) (local.get $k))
          (f32x4.add (v128.load (i32.add (local.get $out) (local.get $k)))
            (v128.load (i32.add (local.get $x) (local.get $k)))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $m1)))
      (local.set $x (i32.add (local.get $x) (local.get $row)))
      (br $l1))))
)
