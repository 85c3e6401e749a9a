/*
 * Native bitwise kernels: the binary GEMM and conv of binary.wat (same packed formats, same
 * results bit for bit), in C with intrinsics, loaded through Deno FFI by ../native.ts.
 *
 * Bit format (engine/kernels/pack.ts): one bit per +/-1 value, set = -1, clear = +1; 32-bit
 * little-endian words, value i of a row in word i >> 5, bit i & 31; padding bits are 0 on both
 * operands, so the dot of two rows of real length K is K - 2 * popcount(a ^ b) over the words.
 * Conv input is packed NHWC (cw = ceil(C / 32) words per pixel); weights are OHWI rows of
 * kh * kw * cw words (each tap's channels padded to cw words), `ldw` bytes apart.
 *
 * Zero padding: im2col writes out-of-bounds taps as 0 bits (+1), then the dots of border pixels
 * are corrected by subtracting, per output channel, the sum of the weight signs of those taps
 * (`sums[(o * kh + ky) * kw + kx]`, the tap sums of padding.ts). Exact integers throughout.
 *
 * Every kernel works on one memory block `mem` (the WebAssembly kernels' linear memory, so the
 * prepared weights and resident buffers are shared) with 32-bit byte offsets into it.
 *
 * Output modes: 0 int32 dots; 1 float32 y = dot * scale[j] + bias[j] with two float roundings
 * and no FMA (built with -ffp-contract=off, the float semantics of transform.ts and the
 * WebAssembly kernels); 2 packed signs of that y (bit set when y < 0), whole rows of ldo bytes.
 *
 * ISA paths (`isa` argument, chosen at run time in ../native.ts from bk_cpu_features):
 *   0 scalar   portable C, __builtin_popcountll (whatever the compiler makes of it)
 *   1 popcnt   x86-64 POPCNT instruction on 64-bit words, 2 x 4 register blocks
 *   2 avx2     x86-64 AVX2: vpshufb nibble popcount, u8 counters folded with vpsadbw, 2 x 2
 *   3 avx512   x86-64 AVX-512 VPOPCNTDQ: vpopcntq on 512-bit xors, masked tails, 2 x 4
 *   4 neon     ARM64 NEON: vcnt (vcntq_u8) with vpadal, 2 x 2
 * Threads: the rows of a GEMM (pixels of a conv) are split into `threads` contiguous parts, one
 * pthread each (threads <= 1: the calling thread only), fewer when the call is too small to
 * repay starting them; `-t` asks for exactly t threads (tests of the split).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
#endif

#define BAND 64

enum { ISA_SCALAR = 0, ISA_POPCNT = 1, ISA_AVX2 = 2, ISA_AVX512 = 3, ISA_NEON = 4 };

/* Feature bits of bk_cpu_features. */
#define F_POPCNT 1
#define F_AVX2 2
#define F_AVX512F 4
#define F_AVX512VPOPCNTDQ 8
#define F_BMI2 16
#define F_NEON 32
#define F_FMA 64

/** Bumped with every change of the exported signatures (checked by the loader). */
int bk_abi_version(void) { return 1; }

int bk_cpu_features(void) {
  int f = 0;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("popcnt")) f |= F_POPCNT;
  if (__builtin_cpu_supports("avx2")) f |= F_AVX2;
  if (__builtin_cpu_supports("avx512f")) f |= F_AVX512F;
  if (__builtin_cpu_supports("avx512vpopcntdq")) f |= F_AVX512VPOPCNTDQ;
  if (__builtin_cpu_supports("bmi2")) f |= F_BMI2;
  if (__builtin_cpu_supports("fma")) f |= F_FMA;
#endif
#if defined(__aarch64__)
  f |= F_NEON; /* Advanced SIMD is mandatory on AArch64 */
#endif
  return f;
}

/** Which ISA paths this build contains and this CPU runs (bit per ISA number). */
int bk_isa_mask(void) {
  int f = bk_cpu_features();
  int m = 1 << ISA_SCALAR;
#if defined(__x86_64__)
  if (f & F_POPCNT) m |= 1 << ISA_POPCNT;
  if ((f & F_AVX2) && (f & F_POPCNT)) m |= 1 << ISA_AVX2;
  if ((f & F_AVX512F) && (f & F_AVX512VPOPCNTDQ) && (f & F_POPCNT)) m |= 1 << ISA_AVX512;
#endif
#if defined(__aarch64__)
  if (f & F_NEON) m |= 1 << ISA_NEON;
#endif
  return m;
}

static inline uint64_t ld64(const uint32_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/*
 * A tile kernel: pc[i * N + j] = popcount(A_i ^ B_j) over `words` 32-bit words, for `rows` rows
 * of A (lda words apart) and all N rows of B (ldb words apart).
 */
typedef void (*tile_fn)(const uint32_t *A, size_t lda, int rows, const uint32_t *B, size_t ldb,
                        int N, int words, int32_t *pc);

/* ---------------------------------------------------------------- scalar and popcnt (x86-64) */

/* The body of the 64-bit-word kernels, instantiated with and without the POPCNT instruction. */
#define POPCNT64_TILE(NAME, ATTR)                                                              \
  ATTR static int pc_row(const uint32_t *a, const uint32_t *b, int words) {                   \
    int n64 = words >> 1, s = 0;                                                               \
    for (int q = 0; q < n64; q++) s += __builtin_popcountll(ld64(a + 2 * q) ^ ld64(b + 2 * q)); \
    if (words & 1) s += __builtin_popcount(a[words - 1] ^ b[words - 1]);                       \
    return s;                                                                                  \
  }                                                                                            \
  ATTR static void NAME(const uint32_t *A, size_t lda, int rows, const uint32_t *B, size_t ldb, \
                        int N, int words, int32_t *pc) {                                       \
    int n64 = words >> 1, odd = words & 1;                                                     \
    int i = 0;                                                                                 \
    for (; i + 2 <= rows; i += 2) {                                                            \
      const uint32_t *a0 = A + i * lda, *a1 = a0 + lda;                                        \
      int j = 0;                                                                               \
      for (; j + 4 <= N; j += 4) {                                                             \
        const uint32_t *b0 = B + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;      \
        uint64_t s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;       \
        for (int q = 0; q < n64; q++) {                                                        \
          uint64_t x0 = ld64(a0 + 2 * q), x1 = ld64(a1 + 2 * q);                               \
          uint64_t y0 = ld64(b0 + 2 * q), y1 = ld64(b1 + 2 * q), y2 = ld64(b2 + 2 * q),        \
                   y3 = ld64(b3 + 2 * q);                                                      \
          s00 += __builtin_popcountll(x0 ^ y0);                                                \
          s01 += __builtin_popcountll(x0 ^ y1);                                                \
          s02 += __builtin_popcountll(x0 ^ y2);                                                \
          s03 += __builtin_popcountll(x0 ^ y3);                                                \
          s10 += __builtin_popcountll(x1 ^ y0);                                                \
          s11 += __builtin_popcountll(x1 ^ y1);                                                \
          s12 += __builtin_popcountll(x1 ^ y2);                                                \
          s13 += __builtin_popcountll(x1 ^ y3);                                                \
        }                                                                                      \
        if (odd) {                                                                             \
          int w = words - 1;                                                                   \
          s00 += __builtin_popcount(a0[w] ^ b0[w]);                                            \
          s01 += __builtin_popcount(a0[w] ^ b1[w]);                                            \
          s02 += __builtin_popcount(a0[w] ^ b2[w]);                                            \
          s03 += __builtin_popcount(a0[w] ^ b3[w]);                                            \
          s10 += __builtin_popcount(a1[w] ^ b0[w]);                                            \
          s11 += __builtin_popcount(a1[w] ^ b1[w]);                                            \
          s12 += __builtin_popcount(a1[w] ^ b2[w]);                                            \
          s13 += __builtin_popcount(a1[w] ^ b3[w]);                                            \
        }                                                                                      \
        int32_t *p0 = pc + i * N + j, *p1 = p0 + N;                                            \
        p0[0] = s00; p0[1] = s01; p0[2] = s02; p0[3] = s03;                                    \
        p1[0] = s10; p1[1] = s11; p1[2] = s12; p1[3] = s13;                                    \
      }                                                                                        \
      for (; j < N; j++) {                                                                     \
        pc[i * N + j] = pc_row(a0, B + j * ldb, words);                                        \
        pc[(i + 1) * N + j] = pc_row(a1, B + j * ldb, words);                                  \
      }                                                                                        \
    }                                                                                          \
    for (; i < rows; i++)                                                                      \
      for (int j = 0; j < N; j++) pc[i * N + j] = pc_row(A + i * lda, B + j * ldb, words);     \
  }

#if defined(__x86_64__)
#define ATTR_POPCNT __attribute__((target("popcnt")))
#else
#define ATTR_POPCNT
#endif

/* Separate translation-unit-local names: a macro per instantiation. */
#define pc_row pc_row_scalar
POPCNT64_TILE(tile_scalar, )
#undef pc_row
#if defined(__x86_64__)
#define pc_row pc_row_popcnt
POPCNT64_TILE(tile_popcnt, ATTR_POPCNT)
#undef pc_row
#endif

/* ---------------------------------------------------------------- AVX2 (x86-64) */

#if defined(__x86_64__)
#define ATTR_AVX2 __attribute__((target("avx2,popcnt")))

/* Bytes of popcount(v) by two nibble lookups. */
ATTR_AVX2 static inline __m256i popcnt8_avx2(__m256i v) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2,
                                       1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0f);
  __m256i lo = _mm256_and_si256(v, low);
  __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
  return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

ATTR_AVX2 static inline int hsum64_avx2(__m256i v) {
  __m128i s = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  return (int)(_mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1));
}

ATTR_AVX2 static int pc_row_avx2(const uint32_t *a, const uint32_t *b, int words) {
  int s = 0;
  for (int q = 0; q < words; q++) s += __builtin_popcount(a[q] ^ b[q]);
  return s;
}

/*
 * 2 x 2 blocks over 256-bit chunks (8 words): u8 counters (at most 8 per chunk) are folded into
 * u64 lanes with vpsadbw every 31 chunks; the last words % 8 go through POPCNT.
 */
ATTR_AVX2 static void tile_avx2(const uint32_t *A, size_t lda, int rows, const uint32_t *B,
                                size_t ldb, int N, int words, int32_t *pc) {
  const int chunks = words >> 3, tail = words & 7;
  const __m256i zero = _mm256_setzero_si256();
  int i = 0;
  for (; i + 2 <= rows; i += 2) {
    const uint32_t *a0 = A + i * lda, *a1 = a0 + lda;
    int j = 0;
    for (; j + 2 <= N; j += 2) {
      const uint32_t *b0 = B + j * ldb, *b1 = b0 + ldb;
      __m256i t00 = zero, t01 = zero, t10 = zero, t11 = zero;
      for (int c0 = 0; c0 < chunks; c0 += 31) {
        int c1 = c0 + 31 < chunks ? c0 + 31 : chunks;
        __m256i u00 = zero, u01 = zero, u10 = zero, u11 = zero;
        for (int c = c0; c < c1; c++) {
          __m256i x0 = _mm256_loadu_si256((const __m256i *)(a0 + 8 * c));
          __m256i x1 = _mm256_loadu_si256((const __m256i *)(a1 + 8 * c));
          __m256i y0 = _mm256_loadu_si256((const __m256i *)(b0 + 8 * c));
          __m256i y1 = _mm256_loadu_si256((const __m256i *)(b1 + 8 * c));
          u00 = _mm256_add_epi8(u00, popcnt8_avx2(_mm256_xor_si256(x0, y0)));
          u01 = _mm256_add_epi8(u01, popcnt8_avx2(_mm256_xor_si256(x0, y1)));
          u10 = _mm256_add_epi8(u10, popcnt8_avx2(_mm256_xor_si256(x1, y0)));
          u11 = _mm256_add_epi8(u11, popcnt8_avx2(_mm256_xor_si256(x1, y1)));
        }
        t00 = _mm256_add_epi64(t00, _mm256_sad_epu8(u00, zero));
        t01 = _mm256_add_epi64(t01, _mm256_sad_epu8(u01, zero));
        t10 = _mm256_add_epi64(t10, _mm256_sad_epu8(u10, zero));
        t11 = _mm256_add_epi64(t11, _mm256_sad_epu8(u11, zero));
      }
      int s00 = hsum64_avx2(t00), s01 = hsum64_avx2(t01);
      int s10 = hsum64_avx2(t10), s11 = hsum64_avx2(t11);
      if (tail) {
        int w = chunks * 8;
        s00 += pc_row_avx2(a0 + w, b0 + w, tail);
        s01 += pc_row_avx2(a0 + w, b1 + w, tail);
        s10 += pc_row_avx2(a1 + w, b0 + w, tail);
        s11 += pc_row_avx2(a1 + w, b1 + w, tail);
      }
      int32_t *p0 = pc + i * N + j, *p1 = p0 + N;
      p0[0] = s00; p0[1] = s01;
      p1[0] = s10; p1[1] = s11;
    }
    for (; j < N; j++) {
      pc[i * N + j] = pc_row_popcnt(a0, B + j * ldb, words);
      pc[(i + 1) * N + j] = pc_row_popcnt(a1, B + j * ldb, words);
    }
  }
  for (; i < rows; i++)
    for (int j = 0; j < N; j++) pc[i * N + j] = pc_row_popcnt(A + i * lda, B + j * ldb, words);
}

/* ---------------------------------------------------------------- AVX-512 VPOPCNTDQ (x86-64) */

#define ATTR_AVX512 __attribute__((target("avx512f,avx512vpopcntdq,popcnt")))

/*
 * 2 x 4 blocks over 512-bit chunks (16 words) with vpopcntq into u64 lanes; the last words % 16
 * are a masked load (zeros past the row, so they add nothing).
 */
ATTR_AVX512 static void tile_avx512(const uint32_t *A, size_t lda, int rows, const uint32_t *B,
                                    size_t ldb, int N, int words, int32_t *pc) {
  const int chunks = words >> 4, tail = words & 15;
  const __mmask16 tm = (__mmask16)((1u << tail) - 1u);
  int i = 0;
  for (; i + 2 <= rows; i += 2) {
    const uint32_t *a0 = A + i * lda, *a1 = a0 + lda;
    int j = 0;
    for (; j + 4 <= N; j += 4) {
      const uint32_t *b0 = B + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
      __m512i s00 = _mm512_setzero_si512(), s01 = s00, s02 = s00, s03 = s00;
      __m512i s10 = s00, s11 = s00, s12 = s00, s13 = s00;
#define AVX512_STEP(LOAD)                                                                      \
  {                                                                                            \
    __m512i x0 = LOAD(a0), x1 = LOAD(a1);                                                      \
    __m512i y0 = LOAD(b0), y1 = LOAD(b1), y2 = LOAD(b2), y3 = LOAD(b3);                        \
    s00 = _mm512_add_epi64(s00, _mm512_popcnt_epi64(_mm512_xor_si512(x0, y0)));                \
    s01 = _mm512_add_epi64(s01, _mm512_popcnt_epi64(_mm512_xor_si512(x0, y1)));                \
    s02 = _mm512_add_epi64(s02, _mm512_popcnt_epi64(_mm512_xor_si512(x0, y2)));                \
    s03 = _mm512_add_epi64(s03, _mm512_popcnt_epi64(_mm512_xor_si512(x0, y3)));                \
    s10 = _mm512_add_epi64(s10, _mm512_popcnt_epi64(_mm512_xor_si512(x1, y0)));                \
    s11 = _mm512_add_epi64(s11, _mm512_popcnt_epi64(_mm512_xor_si512(x1, y1)));                \
    s12 = _mm512_add_epi64(s12, _mm512_popcnt_epi64(_mm512_xor_si512(x1, y2)));                \
    s13 = _mm512_add_epi64(s13, _mm512_popcnt_epi64(_mm512_xor_si512(x1, y3)));                \
  }
      for (int c = 0; c < chunks; c++) {
#define LD_FULL(p) _mm512_loadu_si512((const void *)((p) + 16 * c))
        AVX512_STEP(LD_FULL)
#undef LD_FULL
      }
      if (tail) {
        const int c = chunks;
#define LD_TAIL(p) _mm512_maskz_loadu_epi32(tm, (const void *)((p) + 16 * c))
        AVX512_STEP(LD_TAIL)
#undef LD_TAIL
      }
#undef AVX512_STEP
      int32_t *p0 = pc + i * N + j, *p1 = p0 + N;
      p0[0] = (int32_t)_mm512_reduce_add_epi64(s00);
      p0[1] = (int32_t)_mm512_reduce_add_epi64(s01);
      p0[2] = (int32_t)_mm512_reduce_add_epi64(s02);
      p0[3] = (int32_t)_mm512_reduce_add_epi64(s03);
      p1[0] = (int32_t)_mm512_reduce_add_epi64(s10);
      p1[1] = (int32_t)_mm512_reduce_add_epi64(s11);
      p1[2] = (int32_t)_mm512_reduce_add_epi64(s12);
      p1[3] = (int32_t)_mm512_reduce_add_epi64(s13);
    }
    for (; j < N; j++) {
      pc[i * N + j] = pc_row_popcnt(a0, B + j * ldb, words);
      pc[(i + 1) * N + j] = pc_row_popcnt(a1, B + j * ldb, words);
    }
  }
  for (; i < rows; i++)
    for (int j = 0; j < N; j++) pc[i * N + j] = pc_row_popcnt(A + i * lda, B + j * ldb, words);
}
#endif /* __x86_64__ */

/* ---------------------------------------------------------------- NEON (ARM64) */

#if defined(__aarch64__)
static inline uint16x8_t neon_acc(uint16x8_t acc, const uint32_t *a, const uint32_t *b) {
  uint8x16_t x = veorq_u8(vld1q_u8((const uint8_t *)a), vld1q_u8((const uint8_t *)b));
  return vpadalq_u8(acc, vcntq_u8(x));
}

/* 2 x 2 blocks over 128-bit chunks (4 words): vcnt bytes pairwise-added into u16 lanes (at most
 * 16 per lane and chunk, so exact up to 4095 chunks, folded into u32 every 4000); tails scalar. */
static void tile_neon(const uint32_t *A, size_t lda, int rows, const uint32_t *B, size_t ldb,
                      int N, int words, int32_t *pc) {
  const int chunks = words >> 2, tail = words & 3;
  int i = 0;
  for (; i + 2 <= rows; i += 2) {
    const uint32_t *a0 = A + i * lda, *a1 = a0 + lda;
    int j = 0;
    for (; j + 2 <= N; j += 2) {
      const uint32_t *b0 = B + j * ldb, *b1 = b0 + ldb;
      uint32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (int c0 = 0; c0 < chunks; c0 += 4000) {
        int c1 = c0 + 4000 < chunks ? c0 + 4000 : chunks;
        uint16x8_t u00 = vdupq_n_u16(0), u01 = u00, u10 = u00, u11 = u00;
        for (int c = c0; c < c1; c++) {
          u00 = neon_acc(u00, a0 + 4 * c, b0 + 4 * c);
          u01 = neon_acc(u01, a0 + 4 * c, b1 + 4 * c);
          u10 = neon_acc(u10, a1 + 4 * c, b0 + 4 * c);
          u11 = neon_acc(u11, a1 + 4 * c, b1 + 4 * c);
        }
        s00 += vaddlvq_u16(u00);
        s01 += vaddlvq_u16(u01);
        s10 += vaddlvq_u16(u10);
        s11 += vaddlvq_u16(u11);
      }
      for (int q = chunks * 4; q < chunks * 4 + tail; q++) {
        s00 += __builtin_popcount(a0[q] ^ b0[q]);
        s01 += __builtin_popcount(a0[q] ^ b1[q]);
        s10 += __builtin_popcount(a1[q] ^ b0[q]);
        s11 += __builtin_popcount(a1[q] ^ b1[q]);
      }
      int32_t *p0 = pc + i * N + j, *p1 = p0 + N;
      p0[0] = s00; p0[1] = s01;
      p1[0] = s10; p1[1] = s11;
    }
    for (; j < N; j++) {
      pc[i * N + j] = pc_row_scalar(a0, B + j * ldb, words);
      pc[(i + 1) * N + j] = pc_row_scalar(a1, B + j * ldb, words);
    }
  }
  for (; i < rows; i++)
    for (int j = 0; j < N; j++) pc[i * N + j] = pc_row_scalar(A + i * lda, B + j * ldb, words);
}
#endif

static tile_fn tile_for(int isa) {
  int m = bk_isa_mask();
  if (!(m & (1 << isa))) return 0;
  switch (isa) {
#if defined(__x86_64__)
  case ISA_POPCNT: return tile_popcnt;
  case ISA_AVX2: return tile_avx2;
  case ISA_AVX512: return tile_avx512;
#endif
#if defined(__aarch64__)
  case ISA_NEON: return tile_neon;
#endif
  case ISA_SCALAR: return tile_scalar;
  default: return 0;
  }
}

/* ---------------------------------------------------------------- ISA choice */

#include <time.h>

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/**
 * The fastest ISA path on this machine, timed on two small tiles (K = 576 and 1024 bits: a 3x3x64
 * conv and a square GEMM), best of 5 each. Which one wins depends on the core (Zen 1 splits
 * 256-bit ops and has four POPCNT ALUs; Intel cores have one), so it is measured, not assumed;
 * results are the same bits whichever runs. -1 when out of memory.
 */
int bk_pick_isa(void) {
  enum { R = 64, W = 32 };
  uint32_t *a = (uint32_t *)malloc(R * W * 4), *b = (uint32_t *)malloc(R * W * 4);
  int32_t *pc = (int32_t *)malloc(R * R * 4);
  if (!a || !b || !pc) {
    free(a), free(b), free(pc);
    return -1;
  }
  uint32_t x = 2463534242u;
  for (int i = 0; i < R * W; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    a[i] = x;
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    b[i] = x;
  }
  int best = ISA_SCALAR, mask = bk_isa_mask();
  double best_t = 1e30;
  for (int isa = 0; isa <= ISA_NEON; isa++) {
    if (!(mask & (1 << isa))) continue;
    tile_fn f = tile_for(isa);
    double t = 0;
    for (int words = 18; words <= W; words += W - 18) {
      double m = 1e30;
      for (int rep = 0; rep < 5; rep++) {
        double t0 = now_s();
        f(a, W, R, b, W, R, words, pc);
        double dt = now_s() - t0;
        if (dt < m) m = dt;
      }
      t += m;
    }
    if (t < best_t) best_t = t, best = isa;
  }
  free(a), free(b), free(pc);
  return best;
}

/* ---------------------------------------------------------------- epilogue */

/* Output of `rows` rows of dots: int32, float32 affine (two roundings, no FMA) or packed signs. */
static void epilogue(const int32_t *dots, int rows, int N, int mode, uint8_t *out, size_t ldo,
                     const float *scale, const float *bias) {
  for (int i = 0; i < rows; i++) {
    const int32_t *d = dots + (size_t)i * N;
    uint8_t *row = out + (size_t)i * ldo;
    if (mode == 0) {
      memcpy(row, d, (size_t)N * 4);
    } else if (mode == 1) {
      float *y = (float *)row;
      for (int j = 0; j < N; j++) {
        float p = (float)d[j] * scale[j];
        y[j] = p + bias[j];
      }
    } else {
      /* branch-free: the sign of y is a coin toss the branch predictor cannot learn */
      uint32_t *bits = (uint32_t *)row;
      size_t q = 0;
      for (int j0 = 0; j0 < N; j0 += 32, q++) {
        int e = N - j0 < 32 ? N - j0 : 32;
        uint32_t word = 0;
        for (int b = 0; b < e; b++) {
          float p = (float)d[j0 + b] * scale[j0 + b];
          float y = p + bias[j0 + b];
          word |= (uint32_t)(y < 0.0f) << b;
        }
        bits[q] = word;
      }
      for (; q < ldo / 4; q++) bits[q] = 0;
    }
  }
}

/* ---------------------------------------------------------------- threads */

typedef struct {
  void (*fn)(void *ctx, int r0, int r1);
  void *ctx;
  int r0, r1;
} part_t;

static void *part_main(void *p) {
  part_t *t = (part_t *)p;
  t->fn(t->ctx, t->r0, t->r1);
  return 0;
}

/* Word-dots (32-bit xor + popcount) a thread must get to be worth starting (~0.1-0.3 ms). */
#define MIN_THREAD_WORK (1L << 20)

/*
 * Runs fn over [0, rows) split into `threads` contiguous parts (multiples of `grain`), fewer when
 * the call's `work` (word-dots) is too small to repay starting threads.
 */
static void run_parts(void (*fn)(void *, int, int), void *ctx, int rows, int threads, int grain,
                      long work) {
  int units = (rows + grain - 1) / grain;
  int exact = threads < 0; /* -t: exactly t threads whatever the work (tests) */
  if (exact) threads = -threads;
  if (threads > units) threads = units;
  if (!exact && threads > 1 && work / threads < MIN_THREAD_WORK) {
    threads = (int)(work / MIN_THREAD_WORK);
    if (threads < 1) threads = 1;
  }
  if (threads <= 1) {
    fn(ctx, 0, rows);
    return;
  }
  part_t parts[64];
  pthread_t ids[64];
  if (threads > 64) threads = 64;
  int started = 0;
  for (int t = 0; t < threads; t++) {
    int u0 = (int)((long)units * t / threads), u1 = (int)((long)units * (t + 1) / threads);
    parts[t].fn = fn;
    parts[t].ctx = ctx;
    parts[t].r0 = u0 * grain;
    parts[t].r1 = u1 * grain < rows ? u1 * grain : rows;
  }
  for (int t = 1; t < threads; t++) {
    if (pthread_create(&ids[t], 0, part_main, &parts[t]) != 0) break;
    started = t;
  }
  /* parts a failed pthread_create left over run here */
  for (int t = started + 1; t < threads; t++) part_main(&parts[t]);
  part_main(&parts[0]);
  for (int t = 1; t <= started; t++) pthread_join(ids[t], 0);
}

/* ---------------------------------------------------------------- GEMM */

typedef struct {
  tile_fn tile;
  const uint32_t *A, *B;
  size_t lda, ldb, ldo;
  int N, K, words, mode;
  uint8_t *out;
  const float *scale, *bias;
  int err;
} gemm_ctx;

static void gemm_part(void *p, int r0, int r1) {
  gemm_ctx *g = (gemm_ctx *)p;
  int32_t *pc = (int32_t *)malloc((size_t)BAND * g->N * 4);
  if (!pc) {
    g->err = 1;
    return;
  }
  for (int i0 = r0; i0 < r1; i0 += BAND) {
    int cnt = r1 - i0 < BAND ? r1 - i0 : BAND;
    g->tile(g->A + (size_t)i0 * g->lda, g->lda, cnt, g->B, g->ldb, g->N, g->words, pc);
    for (size_t e = 0; e < (size_t)cnt * g->N; e++) pc[e] = g->K - 2 * pc[e];
    epilogue(pc, cnt, g->N, g->mode, g->out + (size_t)i0 * g->ldo, g->ldo, g->scale, g->bias);
  }
  free(pc);
}

/**
 * C[M, N] = A[M, K] . B[N, K]^T over packed rows (lda, ldb bytes apart, multiples of 4), output
 * rows ldo bytes apart in `mode`. Returns 0, or -1 for an ISA this build / CPU lacks, -2 when out
 * of memory.
 */
int bk_gemm(int isa, int threads, uint8_t *mem, uint32_t a, uint32_t lda, int M, uint32_t b,
            uint32_t ldb, int N, int K, int mode, uint32_t out, uint32_t ldo, uint32_t scale,
            uint32_t bias) {
  tile_fn tile = tile_for(isa);
  if (!tile) return -1;
  gemm_ctx g = {tile, (const uint32_t *)(mem + a), (const uint32_t *)(mem + b), lda / 4, ldb / 4,
                ldo, N, K, (K + 31) / 32, mode, mem + out, (const float *)(mem + scale),
                (const float *)(mem + bias), 0};
  run_parts(gemm_part, &g, M, threads, 2, (long)M * N * g.words);
  return g.err ? -2 : 0;
}

/* ---------------------------------------------------------------- conv */

typedef struct {
  tile_fn tile;
  const uint32_t *x, *w;
  const int32_t *sums;
  size_t ldw;
  int h, wd, c, xcw, cw, o, kh, kw, sy, sx, pt, pl, oh, ow, mode;
  uint8_t *out;
  size_t ldo;
  const float *scale, *bias;
  int err;
} conv_ctx;

static void conv_part(void *p, int r0, int r1) {
  conv_ctx *g = (conv_ctx *)p;
  const int words = g->kh * g->kw * g->cw, tapw = g->kw * g->cw;
  const int K = g->kh * g->kw * g->c, npix = g->oh * g->ow;
  const size_t ldc = (size_t)((words + 15) & ~15); /* im2col rows, 64-byte multiples */
  uint32_t *col = (uint32_t *)malloc((size_t)BAND * ldc * 4);
  int32_t *pc = (int32_t *)malloc((size_t)BAND * g->o * 4);
  if (!col || !pc) {
    free(col);
    free(pc);
    g->err = 1;
    return;
  }
  /* (n, oy, ox) of pixel r0, then stepped along (no divisions per pixel) */
  int n0 = r0 / npix, oy0 = (r0 % npix) / g->ow, ox0 = r0 % g->ow;
  for (int r = r0; r < r1; r += BAND) {
    int cnt = r1 - r < BAND ? r1 - r : BAND;
    memset(col, 0, (size_t)cnt * ldc * 4);
    int n = n0, oy = oy0, ox = ox0;
    for (int q = 0; q < cnt; q++) {
      uint32_t *dst = col + q * ldc;
      int ix0 = ox * g->sx - g->pl, kx0 = ix0 < 0 ? -ix0 : 0;
      int kx1 = g->wd - ix0 < g->kw ? g->wd - ix0 : g->kw;
      for (int ky = 0; ky < g->kh && kx1 > kx0; ky++) {
        int iy = oy * g->sy - g->pt + ky;
        if (iy < 0 || iy >= g->h) continue;
        const uint32_t *src = g->x + (((size_t)n * g->h + iy) * g->wd + ix0 + kx0) * g->xcw;
        uint32_t *d = dst + ky * tapw + kx0 * g->cw;
        if (g->xcw == g->cw) {
          for (int e = 0; e < (kx1 - kx0) * g->cw; e++) d[e] = src[e];
        } else {
          for (int kx = kx0; kx < kx1; kx++)
            for (int e = 0; e < g->cw; e++) d[(kx - kx0) * g->cw + e] = src[(kx - kx0) * g->xcw + e];
        }
      }
      if (++ox == g->ow) {
        ox = 0;
        if (++oy == g->oh) oy = 0, n++;
      }
    }
    g->tile(col, ldc, cnt, g->w, g->ldw, g->o, words, pc);
    n = n0, oy = oy0, ox = ox0;
    for (int q = 0; q < cnt; q++) {
      int32_t *d = pc + (size_t)q * g->o;
      for (int j = 0; j < g->o; j++) d[j] = K - 2 * d[j];
      int iy0 = oy * g->sy - g->pt, ix0 = ox * g->sx - g->pl;
      if (iy0 < 0 || ix0 < 0 || iy0 + g->kh > g->h || ix0 + g->kw > g->wd) {
        /* border pixel: its out-of-bounds taps were read as +1; subtract their weight sums */
        for (int ky = 0; ky < g->kh; ky++) {
          for (int kx = 0; kx < g->kw; kx++) {
            int iy = iy0 + ky, ix = ix0 + kx;
            if (iy >= 0 && iy < g->h && ix >= 0 && ix < g->wd) continue;
            for (int j = 0; j < g->o; j++) d[j] -= g->sums[(j * g->kh + ky) * g->kw + kx];
          }
        }
      }
      if (++ox == g->ow) {
        ox = 0;
        if (++oy == g->oh) oy = 0, n++;
      }
    }
    n0 = n, oy0 = oy, ox0 = ox;
    epilogue(pc, cnt, g->o, g->mode, g->out + (size_t)r * g->ldo, g->ldo, g->scale, g->bias);
  }
  free(col);
  free(pc);
}

/**
 * Binary conv2d of packed NHWC `x` [n, h, wd, xcw words] with OHWI rows `w` (ldw bytes apart,
 * cw = ceil(c / 32) words per tap; xcw >= cw, the words past cw of a pixel are not read)
 * and tap sums `sums` (int32, o * kh * kw), output NHWC rows of ldo bytes per pixel in `mode`.
 * Returns as bk_gemm.
 */
int bk_conv(int isa, int threads, uint8_t *mem, uint32_t x, int n, int h, int wd, int c, int xcw,
            int cw,
            uint32_t w, uint32_t ldw, int o, int kh, int kw, uint32_t sums, int sy, int sx,
            int pt, int pl, int oh, int ow, int mode, uint32_t out, uint32_t ldo, uint32_t scale,
            uint32_t bias) {
  tile_fn tile = tile_for(isa);
  if (!tile) return -1;
  conv_ctx g = {tile, (const uint32_t *)(mem + x), (const uint32_t *)(mem + w),
                (const int32_t *)(mem + sums), ldw / 4, h, wd, c, xcw, cw, o, kh, kw, sy, sx, pt, pl,
                oh, ow, mode, mem + out, ldo, (const float *)(mem + scale),
                (const float *)(mem + bias), 0};
  run_parts(conv_part, &g, n * oh * ow, threads, 2, (long)n * oh * ow * o * kh * kw * cw);
  return g.err ? -2 : 0;
}
