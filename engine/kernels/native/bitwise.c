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
 *   5 lutavx2   x86-64 AVX2 nibble tables (the WebAssembly "lut" method): vpshufb, 32 channels
 *   6 lutavx512 x86-64 AVX-512BW nibble tables: 512-bit vpshufb, 64 channels
 *   7 lutneon   ARM64 NEON nibble tables: vqtbl1q_u8, 16 channels
 * The lut paths lay the weights out once per call, one 4-bit nibble per byte lane (lane = output
 * channel), and count the matches of a whole channel group with one table shuffle per nibble of
 * each activation nibble (see the lut section).
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

enum {
  ISA_SCALAR = 0,
  ISA_POPCNT = 1,
  ISA_AVX2 = 2,
  ISA_AVX512 = 3,
  ISA_NEON = 4,
  ISA_LUT_AVX2 = 5,
  ISA_LUT_AVX512 = 6,
  ISA_LUT_NEON = 7,
  ISA_LAST = 7
};

/* Feature bits of bk_cpu_features. */
#define F_POPCNT 1
#define F_AVX2 2
#define F_AVX512F 4
#define F_AVX512VPOPCNTDQ 8
#define F_BMI2 16
#define F_NEON 32
#define F_FMA 64
#define F_AVX512BW 128

/** Bumped with every change of the exported signatures (checked by the loader). */
int bk_abi_version(void) { return 2; }

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
  if (__builtin_cpu_supports("avx512bw")) f |= F_AVX512BW;
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
  if (f & F_AVX2) m |= 1 << ISA_LUT_AVX2;
  if ((f & F_AVX512F) && (f & F_AVX512BW)) m |= 1 << ISA_LUT_AVX512;
#endif
#if defined(__aarch64__)
  if (f & F_NEON) m |= (1 << ISA_NEON) | (1 << ISA_LUT_NEON);
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


/* ---------------------------------------------------------------- lut: nibble tables */

/*
 * The WebAssembly "lut" method with wider vectors and no bounds checks. For an activation nibble
 * v the table T_v[u] = 4 - popcount(u ^ v) (16 bytes, lut_tab16). An activation row is expanded
 * once into its stream of tables, 16 bytes per nibble (lut_expand; a conv expands its zero-padded
 * input image once per call, so the kh x kw taps of every output pixel read it in place, without
 * im2col). Weights are laid out once per call by lut_layout: for each group of LANES output
 * channels and each nibble t of the row, LANES bytes, byte `lane` = nibble t of channel
 * group * LANES + lane (0 past N). One byte shuffle of T_v (broadcast to every 128-bit lane) by a
 * weight vector then counts the matching bits of LANES channels x 4 bits. Matches add up in u8
 * lanes (<= 4 per nibble, 63 nibbles per fold: <= 252), fold into u16 sums of the even and odd
 * byte lanes (200 folds: <= 50400), then into int32. popcount(a ^ b) = 4 * nibbles - matches
 * (padding bits and padding pixels are 0 on both sides and count as matches).
 */
#define LUT_U8 63
#define LUT_U16 200

static uint8_t lut_tab16[16][16] __attribute__((aligned(64)));
static pthread_once_t lut_once = PTHREAD_ONCE_INIT;
static void lut_tab_init(void) {
  for (int v = 0; v < 16; v++)
    for (int u = 0; u < 16; u++) lut_tab16[v][u] = (uint8_t)(4 - __builtin_popcount(u ^ v));
}

static int lut_lanes(int isa) {
  return isa == ISA_LUT_AVX2 ? 32 : isa == ISA_LUT_AVX512 ? 64 : isa == ISA_LUT_NEON ? 16 : 0;
}

/* The table stream of the first `nib` nibbles of one row: `nib` tables of 16 bytes at dst. */
static void lut_expand(const uint32_t *row, int nib, uint8_t *dst) {
  for (int q = 0; q < nib; q++, dst += 16)
    memcpy(dst, lut_tab16[(row[q >> 3] >> (4 * (q & 7))) & 15], 16);
}

/*
 * The nibble layout of N rows of B (ldb words apart), each `taps` runs of cw words of which the
 * first cq nibbles count (the rest is padding, 0 on both sides, so skipping it changes no dot):
 * steps = taps * cq. 0 when out of memory.
 */
static uint8_t *lut_layout(const uint32_t *B, size_t ldb, int N, int taps, int cw, int cq,
                           int lanes) {
  pthread_once(&lut_once, lut_tab_init);
  const size_t groups = (size_t)(N + lanes - 1) / lanes, steps = (size_t)taps * cq;
  const size_t bytes = (groups * steps * lanes + 63) & ~(size_t)63;
  uint8_t *out = (uint8_t *)aligned_alloc(64, bytes ? bytes : 64);
  if (!out) return 0;
  for (size_t g = 0; g < groups; g++) {
    uint8_t *dst = out + g * steps * lanes;
    for (int lane = 0; lane < lanes; lane++) {
      size_t row = g * lanes + lane;
      if (row >= (size_t)N) {
        for (size_t t = 0; t < steps; t++) dst[t * lanes + lane] = 0;
        continue;
      }
      for (int tap = 0; tap < taps; tap++) {
        const uint32_t *b = B + row * ldb + (size_t)tap * cw;
        for (int q = 0; q < cq; q++)
          dst[((size_t)tap * cq + q) * lanes + lane] = (b[q >> 3] >> (4 * (q & 7))) & 15;
      }
    }
  }
  return out;
}

/*
 * Layouts are kept per calling thread (a deployed network calls the same layers again and again
 * with the same weights), 16 of them, each with a copy of the weight words it was made from: a
 * layout is reused only when the call's words are equal (memcmp, ~8x cheaper than a layout), so
 * changed weights at the same address can never reuse a stale one. Thread-local, so threads
 * calling at once never evict each other's; the memory of a thread's entries is not returned
 * when the thread ends (16 layouts at most per calling thread).
 */
typedef struct {
  uint8_t *bn;
  uint32_t *copy;
  size_t ldb, nwords;
  int N, taps, cw, cq, lanes;
} lut_entry;
#define LUT_CACHE 16
static __thread lut_entry lut_cache[LUT_CACHE];
static __thread int lut_next;

/* lut_layout through the calling thread's cache; the result is owned by the cache. */
static const uint8_t *lut_layout_cached(const uint32_t *B, size_t ldb, int N, int taps, int cw,
                                        int cq, int lanes) {
  const size_t nwords = N > 0 ? (size_t)(N - 1) * ldb + (size_t)taps * cw : 0;
  for (int i = 0; i < LUT_CACHE; i++) {
    lut_entry *e = &lut_cache[i];
    if (e->bn && e->ldb == ldb && e->nwords == nwords && e->N == N && e->taps == taps &&
        e->cw == cw && e->cq == cq && e->lanes == lanes && !memcmp(e->copy, B, nwords * 4))
      return e->bn;
  }
  uint8_t *bn = lut_layout(B, ldb, N, taps, cw, cq, lanes);
  uint32_t *copy = (uint32_t *)malloc(nwords * 4 + 4);
  if (!bn || !copy) {
    free(bn), free(copy);
    return 0;
  }
  memcpy(copy, B, nwords * 4);
  lut_entry *e = &lut_cache[lut_next];
  lut_next = (lut_next + 1) % LUT_CACHE;
  free(e->bn), free(e->copy);
  *e = (lut_entry){bn, copy, ldb, nwords, N, taps, cw, cq, lanes};
  return bn;
}

/*
 * A lut kernel: the dots pc[i * N + j] = K - 2 * popcount(row i ^ channel j) of K-bit rows, for
 * `rows` rows whose table streams start at tp[i], each read as kh runs of `run` nibbles, run ky
 * at tp[i] + ky * rowb (a conv's kh kernel rows; kh = 1 for a GEMM), against the nibble layout Bn
 * of N channels. With `full` = 4 * kh * run nibble bits and m the matches,
 * dot = K - 2 * (full - m) = (K - 2 * full) + 2 * m.
 */
typedef void (*lut_fn)(const uint8_t *const *tp, int rows, size_t rowb, int kh, int run,
                       const uint8_t *Bn, int N, int K, int32_t *pc);

/*
 * Blocks of 4 rows x 2 channel groups or 8 rows x 1 group (8 accumulators), remainders 4 x 1
 * and 1 x GN, by an always-inlined body the compiler specialises for each (P, GN).
 * V: vector type; TLD(p) a 16-byte table broadcast to every 128-bit lane; LD(p) unaligned load;
 * ADD8; SHUF(table, idx); LO16(v) / HI16(v) the even / odd byte lanes as u16; ADD16; ZERO;
 * ST16(uint16_t *, v).
 */
#define LUT_KERNEL(NAME, ATTR, LANES, V, TLD, LD, ADD8, SHUF, LO16, HI16, ADD16, ZERO, ST16, FIN) \
  ATTR static inline __attribute__((always_inline)) void NAME##_blk(                           \
      const int P, const int GN, const uint8_t *const *tp, size_t rowb, int kh, int run,       \
      const uint8_t *Bg, size_t gstep, int32_t *out, int N, int base, const int *valid) {      \
    V acc[8][2], e[8][2], o[8][2];                                                             \
    for (int p = 0; p < P; p++)                                                                \
      for (int q = 0; q < GN; q++) acc[p][q] = ZERO, e[p][q] = ZERO, o[p][q] = ZERO;           \
    int budget = LUT_U8, folds = 0, flushed = 0;                                               \
    int32_t m32[8 * 2 * LANES];                                                                \
    const uint8_t *wb = Bg;                                                                    \
    for (int ky = 0; ky < kh; ky++) {                                                          \
      const uint8_t *t[8];                                                                     \
      for (int p = 0; p < P; p++) t[p] = tp[p] + ky * rowb;                                    \
      for (int left = run; left > 0;) {                                                        \
        const int cnt = left < budget ? left : budget;                                         \
        for (int s = 0; s < cnt; s++) {                                                        \
          V wv[2];                                                                             \
          for (int q = 0; q < GN; q++) wv[q] = LD(wb + q * gstep + s * LANES);                 \
          for (int p = 0; p < P; p++) {                                                        \
            V tv = TLD(t[p] + s * 16);                                                         \
            for (int q = 0; q < GN; q++) acc[p][q] = ADD8(acc[p][q], SHUF(tv, wv[q]));         \
          }                                                                                    \
        }                                                                                      \
        wb += (size_t)cnt * LANES;                                                             \
        for (int p = 0; p < P; p++) t[p] += (size_t)cnt * 16;                                  \
        left -= cnt;                                                                           \
        budget -= cnt;                                                                         \
        const int last = left == 0 && ky == kh - 1;                                            \
        if (budget == 0 || last) {                                                             \
          budget = LUT_U8;                                                                     \
          for (int p = 0; p < P; p++)                                                          \
            for (int q = 0; q < GN; q++) {                                                     \
              e[p][q] = ADD16(e[p][q], LO16(acc[p][q]));                                       \
              o[p][q] = ADD16(o[p][q], HI16(acc[p][q]));                                       \
              acc[p][q] = ZERO;                                                                \
            }                                                                                  \
          if (last && !flushed) {                                                              \
            /* the usual case: one u16 round, written out directly */                          \
            for (int p = 0; p < P; p++)                                                        \
              for (int q = 0; q < GN; q++)                                                     \
                FIN(out + p * N + q * LANES, e[p][q], o[p][q], base, valid[q]);                \
          } else if (++folds == LUT_U16 || last) {                                             \
            folds = 0;                                                                         \
            uint16_t ev[LANES / 2], ov[LANES / 2];                                             \
            for (int p = 0; p < P; p++)                                                        \
              for (int q = 0; q < GN; q++) {                                                   \
                ST16(ev, e[p][q]);                                                             \
                ST16(ov, o[p][q]);                                                             \
                e[p][q] = ZERO, o[p][q] = ZERO;                                                \
                int32_t *m = m32 + (p * 2 + q) * LANES;                                        \
                for (int c = 0; c < LANES / 2; c++) {                                          \
                  m[2 * c] = (flushed ? m[2 * c] : 0) + ev[c];                                 \
                  m[2 * c + 1] = (flushed ? m[2 * c + 1] : 0) + ov[c];                         \
                }                                                                              \
              }                                                                                \
            flushed = 1;                                                                       \
            if (last)                                                                          \
              for (int p = 0; p < P; p++)                                                      \
                for (int q = 0; q < GN; q++)                                                   \
                  for (int c = 0; c < valid[q]; c++)                                           \
                    out[p * N + q * LANES + c] = base + 2 * m32[(p * 2 + q) * LANES + c];      \
          }                                                                                    \
        }                                                                                      \
      }                                                                                        \
    }                                                                                          \
  }                                                                                            \
  ATTR static void NAME(const uint8_t *const *tp, int rows, size_t rowb, int kh, int run,      \
                        const uint8_t *Bn, int N, int K, int32_t *pc) {                        \
    const int groups = (N + LANES - 1) / LANES, base = K - 2 * 4 * kh * run;                   \
    const size_t gstep = (size_t)kh * run * LANES;                                             \
    for (int i = 0; i < rows;) {                                                               \
      const int P = groups == 1 && rows - i >= 8 ? 8 : rows - i >= 4 ? 4 : 1;                  \
      for (int g = 0; g < groups;) {                                                           \
        const int GN = groups - g >= 2 && P <= 4 ? 2 : 1;                                      \
        int valid[2];                                                                          \
        for (int q = 0; q < 2; q++) {                                                          \
          int v = N - (g + q) * LANES;                                                         \
          valid[q] = v < 0 ? 0 : v > LANES ? LANES : v;                                        \
        }                                                                                      \
        const uint8_t *const *t = tp + i;                                                      \
        const uint8_t *bg = Bn + g * gstep;                                                    \
        int32_t *out = pc + (size_t)i * N + g * LANES;                                         \
        if (P == 8) NAME##_blk(8, 1, t, rowb, kh, run, bg, gstep, out, N, base, valid);              \
        else if (P == 4 && GN == 2) NAME##_blk(4, 2, t, rowb, kh, run, bg, gstep, out, N, base, valid); \
        else if (P == 4) NAME##_blk(4, 1, t, rowb, kh, run, bg, gstep, out, N, base, valid);         \
        else if (GN == 2) NAME##_blk(1, 2, t, rowb, kh, run, bg, gstep, out, N, base, valid);        \
        else NAME##_blk(1, 1, t, rowb, kh, run, bg, gstep, out, N, base, valid);                     \
        g += GN;                                                                               \
      }                                                                                        \
      i += P;                                                                                  \
    }                                                                                          \
  }

/* Generic FIN: out[c] = base + 2 * matches of channel c (even channels in e, odd in o). */
#define LUT_FIN_SCALAR(ST16, LANES, out, e, o, base, valid)                                    \
  do {                                                                                         \
    uint16_t ev_[LANES / 2], ov_[LANES / 2];                                                   \
    ST16(ev_, e);                                                                              \
    ST16(ov_, o);                                                                              \
    for (int c = 0; c < (valid); c++) (out)[c] = (base) + 2 * ((c & 1) ? ov_[c >> 1] : ev_[c >> 1]); \
  } while (0)

#if defined(__x86_64__)
#define ATTR_LUT_AVX2 __attribute__((target("avx2")))
#define L2_TLD(p) _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(p)))
#define L2_LD(p) _mm256_loadu_si256((const __m256i *)(p))
#define L2_LO(v) _mm256_and_si256(v, _mm256_set1_epi16(0xff))
#define L2_HI(v) _mm256_srli_epi16(v, 8)
#define L2_ST(d, v) _mm256_storeu_si256((__m256i *)(d), v)
/* 32 dots from the even / odd u16 match sums: interleave, widen, base + 2 * m, store. */
ATTR_LUT_AVX2 static inline void lut_fin_avx2(int32_t *out, __m256i e, __m256i o, int base,
                                               int valid) {
  if (valid < 32) {
    LUT_FIN_SCALAR(L2_ST, 32, out, e, o, base, valid);
    return;
  }
  const __m256i f = _mm256_set1_epi32(base);
  __m256i lo = _mm256_unpacklo_epi16(e, o), hi = _mm256_unpackhi_epi16(e, o);
  /* lo: channels 0-7 | 16-23, hi: channels 8-15 | 24-31 */
  _mm256_storeu_si256((__m256i *)out,
                      _mm256_add_epi32(f, _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(lo)), 1)));
  _mm256_storeu_si256((__m256i *)(out + 8),
                      _mm256_add_epi32(f, _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(hi)), 1)));
  _mm256_storeu_si256((__m256i *)(out + 16),
                      _mm256_add_epi32(f, _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm256_extracti128_si256(lo, 1)), 1)));
  _mm256_storeu_si256((__m256i *)(out + 24),
                      _mm256_add_epi32(f, _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm256_extracti128_si256(hi, 1)), 1)));
}
#define L2_FIN(out, e, o, base, valid) lut_fin_avx2(out, e, o, base, valid)
LUT_KERNEL(lut_avx2, ATTR_LUT_AVX2, 32, __m256i, L2_TLD, L2_LD, _mm256_add_epi8,
           _mm256_shuffle_epi8, L2_LO, L2_HI, _mm256_add_epi16, _mm256_setzero_si256(), L2_ST,
           L2_FIN)

#define ATTR_LUT_AVX512 __attribute__((target("avx512f,avx512bw")))
#define L5_TLD(p) _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(p)))
#define L5_LD(p) _mm512_loadu_si512((const void *)(p))
#define L5_LO(v) _mm512_and_si512(v, _mm512_set1_epi16(0xff))
#define L5_HI(v) _mm512_srli_epi16(v, 8)
#define L5_ST(d, v) _mm512_storeu_si512((void *)(d), v)
#define L5_FIN(out, e, o, base, valid) LUT_FIN_SCALAR(L5_ST, 64, out, e, o, base, valid)
LUT_KERNEL(lut_avx512, ATTR_LUT_AVX512, 64, __m512i, L5_TLD, L5_LD, _mm512_add_epi8,
           _mm512_shuffle_epi8, L5_LO, L5_HI, _mm512_add_epi16, _mm512_setzero_si512(), L5_ST,
           L5_FIN)
#endif

#if defined(__aarch64__)
#define LN_LD(p) vld1q_u8((const uint8_t *)(p))
#define LN_LO(v) vandq_u16(vreinterpretq_u16_u8(v), vdupq_n_u16(0xff))
#define LN_HI(v) vshrq_n_u16(vreinterpretq_u16_u8(v), 8)
#define LN_ADD16(a, b) vreinterpretq_u8_u16(vaddq_u16(vreinterpretq_u16_u8(a), b))
#define LN_ST(d, v) vst1q_u16((d), vreinterpretq_u16_u8(v))
#define LN_FIN(out, e, o, base, valid) LUT_FIN_SCALAR(LN_ST, 16, out, e, o, base, valid)
LUT_KERNEL(lut_neon, , 16, uint8x16_t, LN_LD, LN_LD, vaddq_u8, vqtbl1q_u8, LN_LO, LN_HI, LN_ADD16,
           vdupq_n_u8(0), LN_ST, LN_FIN)
#endif

/* The lut kernel of path `isa` (0 for the other paths and where this build / CPU lacks it). */
static lut_fn lut_for(int isa) {
  if (!(bk_isa_mask() & (1 << isa))) return 0;
  switch (isa) {
#if defined(__x86_64__)
  case ISA_LUT_AVX2: return lut_avx2;
  case ISA_LUT_AVX512: return lut_avx512;
#endif
#if defined(__aarch64__)
  case ISA_LUT_NEON: return lut_neon;
#endif
  default: return 0;
  }
}

/*
 * A lut GEMM tile from plain rows: expands the first `nib` nibbles of A's `rows` rows into `tabs`
 * (rows * nib * 16 bytes) and runs `f` against the layout Bn (dots of K bits). `tp` holds `rows`
 * pointers.
 */
static void lut_rows(lut_fn f, const uint32_t *A, size_t lda, int rows, int nib, uint8_t *tabs,
                     const uint8_t **tp, const uint8_t *Bn, int N, int K, int32_t *pc) {
  const size_t stream = (size_t)nib * 16;
  for (int i = 0; i < rows; i++) {
    tp[i] = tabs + i * stream;
    lut_expand(A + i * lda, nib, tabs + i * stream);
  }
  f(tp, rows, 0, 1, nib, Bn, N, K, pc);
}

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

/*
 * One tile on path `isa` from plain B rows (the lut paths lay B out first, as bk_gemm and bk_conv
 * do once per call). Returns 0, or -2 when out of memory.
 */
__attribute__((unused)) /* native_isa_check.c */
static int tile_call(int isa, const uint32_t *A, size_t lda, int rows, const uint32_t *B,
                     size_t ldb, int N, int words, int32_t *pc) {
  lut_fn lf = lut_for(isa);
  if (!lf) {
    tile_for(isa)(A, lda, rows, B, ldb, N, words, pc);
    return 0;
  }
  const uint8_t *bn = lut_layout_cached(B, ldb, N, 1, words, words * 8, lut_lanes(isa));
  uint8_t *tabs = (uint8_t *)malloc((size_t)rows * words * 128 + 16);
  const uint8_t **tp = (const uint8_t **)malloc(sizeof(void *) * rows);
  if (bn && tabs && tp) {
    lut_rows(lf, A, lda, rows, words * 8, tabs, tp, bn, N, words * 32, pc);
    for (size_t e = 0; e < (size_t)rows * N; e++) pc[e] = (words * 32 - pc[e]) / 2; /* counts */
  }
  int rc = bn && tabs && tp ? 0 : -2;
  free(tabs), free(tp);
  return rc;
}

/* ---------------------------------------------------------------- ISA choice */

int bk_gemm(int isa, int threads, uint8_t *mem, uint32_t a, uint32_t lda, int M, uint32_t b,
            uint32_t ldb, int N, int K, int mode, uint32_t out, uint32_t ldo, uint32_t scale,
            uint32_t bias);
int bk_conv(int isa, int threads, uint8_t *mem, uint32_t x, int n, int h, int wd, int c, int xcw,
            int cw, uint32_t w, uint32_t ldw, int o, int kh, int kw, uint32_t sums, int sy, int sx,
            int pt, int pl, int oh, int ow, int mode, uint32_t out, uint32_t ldo, uint32_t scale,
            uint32_t bias);

#include <time.h>

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/**
 * The fastest ISA path on this machine, timed through the exported calls on two small layers of
 * a deployed network (a 3x3 conv 1x14x14x64 -> 64 and a 64 x 64 x 1024-bit GEMM), per-call costs
 * included, best of 9 rounds over all paths in turn (layouts are cached, as for a deployed
 * network). Which one wins
 * depends on the core (Zen 1 splits 256-bit ops and has four POPCNT ALUs; Intel cores have one),
 * so it is measured, not assumed; results are the same bits whichever runs. -1 when out of memory.
 */
int bk_pick_isa(void) {
  enum { H = 14, C = 64, O = 64, CW = 2, TW = 9 * CW, M = 64, KW = 32 };
  const uint32_t X = 0, W = X + H * H * CW * 4, S = W + O * TW * 4, OUT = S + O * 9 * 4,
                 A = OUT + H * H * O * 4, B = A + M * KW * 4, END = B + M * KW * 4;
  uint8_t *mem = (uint8_t *)calloc(1, END);
  if (!mem) return -1;
  uint32_t r = 2463534242u;
  for (uint32_t i = 0; i < S / 4; i++) {
    r ^= r << 13, r ^= r >> 17, r ^= r << 5;
    ((uint32_t *)mem)[i] = r;
  }
  for (uint32_t i = A / 4; i < END / 4; i++) {
    r ^= r << 13, r ^= r >> 17, r ^= r << 5;
    ((uint32_t *)mem)[i] = r;
  }
  int best = ISA_SCALAR, mask = bk_isa_mask();
  double m[ISA_LAST + 1];
  for (int isa = 0; isa <= ISA_LAST; isa++) m[isa] = 1e30;
  /* rounds over all paths in turn, so load from other processes falls on each alike */
  for (int rep = 0; rep < 9; rep++) {
    for (int isa = 0; isa <= ISA_LAST; isa++) {
      if (!(mask & (1 << isa))) continue;
      double t0 = now_s();
      int rc = bk_conv(isa, 1, mem, X, 1, H, H, C, CW, CW, W, TW * 4, O, 3, 3, S, 1, 1, 1, 1, H, H,
                       0, OUT, O * 4, 0, 0) |
               bk_gemm(isa, 1, mem, A, KW * 4, M, B, KW * 4, M, KW * 32, 0, OUT, M * 4, 0, 0);
      double dt = now_s() - t0;
      if (rc) dt = 1e30;
      if (dt < m[isa]) m[isa] = dt;
    }
  }
  for (int isa = 0; isa <= ISA_LAST; isa++)
    if (m[isa] < m[best]) best = isa;
  free(mem);
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

#if defined(__x86_64__)
/*
 * The float and sign outputs 8 channels at a time (AVX2): the same two roundings (a vector
 * multiply, then a vector add; no FMA) and the same ordered y < 0 test, so the same bits as
 * `epilogue`; the last N % 8 channels of a row go through it.
 */
__attribute__((target("avx2"))) static void epilogue_avx2(const int32_t *dots, int rows, int N,
                                                          int mode, uint8_t *out, size_t ldo,
                                                          const float *scale, const float *bias) {
  if (mode == 0) {
    epilogue(dots, rows, N, mode, out, ldo, scale, bias);
    return;
  }
  const int n8 = N & ~7;
  for (int i = 0; i < rows; i++) {
    const int32_t *d = dots + (size_t)i * N;
    uint8_t *row = out + (size_t)i * ldo;
    if (mode == 1) {
      float *y = (float *)row;
      for (int j = 0; j < n8; j += 8) {
        __m256 p = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(d + j))),
                                 _mm256_loadu_ps(scale + j));
        _mm256_storeu_ps(y + j, _mm256_add_ps(p, _mm256_loadu_ps(bias + j)));
      }
      for (int j = n8; j < N; j++) {
        float p = (float)d[j] * scale[j];
        y[j] = p + bias[j];
      }
    } else {
      uint32_t *bits = (uint32_t *)row;
      const size_t words = ldo / 4;
      for (size_t q = 0; q < words; q++) bits[q] = 0;
      for (int j = 0; j < n8; j += 8) {
        __m256 p = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(d + j))),
                                 _mm256_loadu_ps(scale + j));
        __m256 y = _mm256_add_ps(p, _mm256_loadu_ps(bias + j));
        uint32_t m = (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_LT_OQ));
        bits[j >> 5] |= m << (j & 31);
      }
      for (int j = n8; j < N; j++) {
        float p = (float)d[j] * scale[j];
        float y = p + bias[j];
        bits[j >> 5] |= (uint32_t)(y < 0.0f) << (j & 31);
      }
    }
  }
}
#endif

/* The output step of path `isa`: vectorised where the CPU has AVX2. */
static void (*epilogue_for(int isa))(const int32_t *, int, int, int, uint8_t *, size_t,
                                      const float *, const float *) {
#if defined(__x86_64__)
  if (isa != ISA_SCALAR && (bk_cpu_features() & F_AVX2)) return epilogue_avx2;
#endif
  (void)isa;
  return epilogue;
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
  tile_fn tile; /* the popcount paths */
  lut_fn lut;   /* the lut paths: B is then lut_layout's nibble layout */
  void (*epi)(const int32_t *, int, int, int, uint8_t *, size_t, const float *, const float *);
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
  const int nib = (g->K + 3) / 4;
  uint8_t *tabs = g->lut ? (uint8_t *)malloc((size_t)BAND * nib * 16 + 16) : 0;
  const uint8_t *tp[BAND];
  if (!pc || (g->lut && !tabs)) {
    free(pc), free(tabs);
    g->err = 1;
    return;
  }
  for (int i0 = r0; i0 < r1; i0 += BAND) {
    int cnt = r1 - i0 < BAND ? r1 - i0 : BAND;
    const uint32_t *a = g->A + (size_t)i0 * g->lda;
    if (g->lut) {
      lut_rows(g->lut, a, g->lda, cnt, nib, tabs, tp, (const uint8_t *)g->B, g->N, g->K, pc);
    } else {
      g->tile(a, g->lda, cnt, g->B, g->ldb, g->N, g->words, pc);
      for (size_t e = 0; e < (size_t)cnt * g->N; e++) pc[e] = g->K - 2 * pc[e];
    }
    g->epi(pc, cnt, g->N, g->mode, g->out + (size_t)i0 * g->ldo, g->ldo, g->scale, g->bias);
  }
  free(pc), free(tabs);
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
  lut_fn lut = lut_for(isa);
  if (!tile && !lut) return -1;
  const int words = (K + 31) / 32;
  const uint32_t *B = (const uint32_t *)(mem + b);
  const uint8_t *bn =
      lut ? lut_layout_cached(B, ldb / 4, N, 1, words, (K + 3) / 4, lut_lanes(isa)) : 0;
  if (lut && !bn) return -2;
  gemm_ctx g = {tile, lut, epilogue_for(isa), (const uint32_t *)(mem + a), lut ? (const uint32_t *)bn : B, lda / 4,
                ldb / 4, ldo, N, K, words, mode, mem + out, (const float *)(mem + scale),
                (const float *)(mem + bias), 0};
  run_parts(gemm_part, &g, M, threads, lut ? 4 : 2, (long)M * N * g.words);
  return g.err ? -2 : 0;
}

/* ---------------------------------------------------------------- conv */

typedef struct {
  tile_fn tile;
  lut_fn lut;         /* the lut paths: w is then the nibble layout, img the table image */
  void (*epi)(const int32_t *, int, int, int, uint8_t *, size_t, const float *, const float *);
  const uint8_t *img; /* tables of the zero-padded input, hp x wp pixels of cw * 8 tables */
  int hp, wp;
  const uint32_t *x, *w;
  const int32_t *tsums; /* the tap sums by tap then channel: tsums[(ky * kw + kx) * o + j] */
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
  uint32_t *col = (uint32_t *)malloc(g->lut ? 4 : (size_t)BAND * ldc * 4);
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
    int n = n0, oy = oy0, ox = ox0;
    if (g->lut) {
      /* each pixel's taps read the table image in place: kh runs of kw * cw * 8 tables */
      const int cq = (g->c + 3) / 4; /* nibbles per tap (the rest is padding) */
      const size_t pixb = (size_t)cq * 16, rowb = (size_t)g->wp * pixb;
      const uint8_t *tp[BAND];
      for (int q = 0; q < cnt; q++) {
        tp[q] = g->img + ((size_t)n * g->hp + (size_t)oy * g->sy) * rowb + (size_t)ox * g->sx * pixb;
        if (++ox == g->ow) {
          ox = 0;
          if (++oy == g->oh) oy = 0, n++;
        }
      }
      g->lut(tp, cnt, rowb, g->kh, g->kw * cq, (const uint8_t *)g->w, g->o, K, pc);
      goto dots;
    }
    memset(col, 0, (size_t)cnt * ldc * 4);
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
  dots:
    n = n0, oy = oy0, ox = ox0;
    for (int q = 0; q < cnt; q++) {
      int32_t *d = pc + (size_t)q * g->o;
      if (!g->lut) /* the lut kernels write dots already */
        for (int j = 0; j < g->o; j++) d[j] = K - 2 * d[j];
      int iy0 = oy * g->sy - g->pt, ix0 = ox * g->sx - g->pl;
      if (iy0 < 0 || ix0 < 0 || iy0 + g->kh > g->h || ix0 + g->kw > g->wd) {
        /* border pixel: its out-of-bounds taps were read as +1; subtract their weight sums */
        for (int ky = 0; ky < g->kh; ky++) {
          for (int kx = 0; kx < g->kw; kx++) {
            int iy = iy0 + ky, ix = ix0 + kx;
            if (iy >= 0 && iy < g->h && ix >= 0 && ix < g->wd) continue;
            const int32_t *ts = g->tsums + (size_t)(ky * g->kw + kx) * g->o;
            for (int j = 0; j < g->o; j++) d[j] -= ts[j];
          }
        }
      }
      if (++ox == g->ow) {
        ox = 0;
        if (++oy == g->oh) oy = 0, n++;
      }
    }
    n0 = n, oy0 = oy, ox0 = ox;
    g->epi(pc, cnt, g->o, g->mode, g->out + (size_t)r * g->ldo, g->ldo, g->scale, g->bias);
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
  lut_fn lut = lut_for(isa);
  if (!tile && !lut) return -1;
  const uint8_t *bn = 0;
  uint8_t *img = 0;
  int hp = 0, wp = 0;
  if (lut) {
    /* the zero-padded image as tables (padding pixels: T_0, i.e. +1 bits, corrected below) */
    hp = (oh - 1) * sy + kh, wp = (ow - 1) * sx + kw;
    if (hp < h + pt) hp = h + pt;
    if (wp < wd + pl) wp = wd + pl;
    const int cq = (c + 3) / 4;
    const size_t pixb = (size_t)cq * 16;
    bn = lut_layout_cached((const uint32_t *)(mem + w), ldw / 4, o, kh * kw, cw, cq,
                           lut_lanes(isa));
    img = (uint8_t *)malloc((size_t)n * hp * wp * pixb + 16);
    if (!bn || !img) {
      free(img);
      return -2;
    }
    const uint32_t *xs = (const uint32_t *)(mem + x);
    for (int b = 0; b < n; b++)
      for (int y = 0; y < hp; y++)
        for (int xx = 0; xx < wp; xx++) {
          uint8_t *d = img + (((size_t)b * hp + y) * wp + xx) * pixb;
          int iy = y - pt, ix = xx - pl;
          if (iy >= 0 && iy < h && ix >= 0 && ix < wd)
            lut_expand(xs + (((size_t)b * h + iy) * wd + ix) * xcw, cq, d);
          else
            for (int e = 0; e < cq; e++) memcpy(d + e * 16, lut_tab16[0], 16);
        }
  }
  const int32_t *sm = (const int32_t *)(mem + sums);
  int32_t *tsums = (int32_t *)malloc((size_t)o * kh * kw * 4 + 4);
  if (!tsums) {
    free(img);
    return -2;
  }
  for (int j = 0; j < o; j++)
    for (int t = 0; t < kh * kw; t++) tsums[(size_t)t * o + j] = sm[j * kh * kw + t];
  conv_ctx g = {tile, lut, epilogue_for(isa), img, hp, wp, (const uint32_t *)(mem + x),
                lut ? (const uint32_t *)bn : (const uint32_t *)(mem + w), tsums, ldw / 4, h, wd, c, xcw, cw, o, kh, kw, sy, sx, pt, pl,
                oh, ow, mode, mem + out, ldo, (const float *)(mem + scale),
                (const float *)(mem + bias), 0};
  run_parts(conv_part, &g, n * oh * ow, threads, lut ? 4 : 2,
            (long)n * oh * ow * o * kh * kw * cw);
  free(img), free(tsums);
  return g.err ? -2 : 0;
}
