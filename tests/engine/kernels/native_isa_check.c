/*
 * Every ISA path of engine/kernels/native/bitwise.c against its portable scalar path, on random
 * tiles (rows 1..9, columns 1..140, 1..140 words, padded strides; the lut paths from plain rows
 * through tile_call) and random convs through the
 * exported bk_conv (int32, float and sign outputs, 1 and 3 threads). Built and run by
 * native_cross_test.ts: natively, and for ARM64 under qemu-aarch64 where a cross compiler exists.
 * Prints one line per path; exits 1 at the first difference.
 */
#include "../../../engine/kernels/native/bitwise.c"

#include <stdio.h>

static uint32_t rs = 12345u;
static uint32_t rnd(void) {
  rs ^= rs << 13, rs ^= rs >> 17, rs ^= rs << 5;
  return rs;
}

static int check_tiles(int isa) {
  tile_fn ref = tile_for(ISA_SCALAR);
  for (int c = 0; c < 400; c++) {
    int rows = 1 + rnd() % 9, n = 1 + rnd() % 140, words = 1 + rnd() % 140;
    if (c % 50 == 0) words = 2040 + rnd() % 20, n = 1 + rnd() % 70; /* the lut u16 block fold */
    int lda = words + rnd() % 5, ldb = words + rnd() % 5;
    uint32_t *a = malloc(rows * lda * 4), *b = malloc(n * ldb * 4);
    int32_t *p = malloc(rows * n * 4), *q = malloc(rows * n * 4);
    for (int i = 0; i < rows * lda; i++) a[i] = rnd();
    for (int i = 0; i < n * ldb; i++) b[i] = rnd();
    if (tile_call(isa, a, lda, rows, b, ldb, n, words, p)) return 1;
    ref(a, lda, rows, b, ldb, n, words, q);
    int bad = memcmp(p, q, rows * n * 4) != 0;
    free(a), free(b), free(p), free(q);
    if (bad) {
      printf("FAIL isa %d tile %dx%dx%d words\n", isa, rows, n, words);
      return 1;
    }
  }
  return 0;
}

static int check_convs(int isa) {
  uint8_t *mem = calloc(1, 1 << 22);
  for (int c = 0; c < 60; c++) {
    int n = 1 + rnd() % 2, h = 3 + rnd() % 7, wd = 3 + rnd() % 7, ch = 1 + rnd() % 100;
    int o = 1 + rnd() % 80, kh = 1 + rnd() % 3, kw = 1 + rnd() % 3, s = 1 + rnd() % 2;
    int cw = (ch + 31) / 32, ldw = ((kh * kw * cw + 3) & ~3) * 4, pt = (kh - 1) / 2,
        pl = (kw - 1) / 2;
    int oh = (h + s - 1) / s, ow = (wd + s - 1) / s, mode = rnd() % 3;
    uint32_t X = 64, W = X + n * h * wd * cw * 4, S = W + o * ldw, SC = S + o * kh * kw * 4,
             B = SC + o * 4, O1 = B + o * 4, O2 = O1 + n * oh * ow * o * 4 + 64;
    uint32_t *x = (uint32_t *)(mem + X), *w = (uint32_t *)(mem + W);
    uint32_t mask = ch % 32 ? (1u << (ch % 32)) - 1 : ~0u;
    for (int i = 0; i < n * h * wd * cw; i++) x[i] = rnd() & (i % cw == cw - 1 ? mask : ~0u);
    memset(w, 0, o * ldw);
    for (int j = 0; j < o; j++)
      for (int t = 0; t < kh * kw * cw; t++)
        w[j * ldw / 4 + t] = rnd() & (t % cw == cw - 1 ? mask : ~0u);
    int32_t *sums = (int32_t *)(mem + S);
    for (int j = 0; j < o; j++)
      for (int t = 0; t < kh * kw; t++) {
        int neg = 0;
        for (int q = 0; q < cw; q++) neg += __builtin_popcount(w[j * ldw / 4 + t * cw + q]);
        sums[j * kh * kw + t] = ch - 2 * neg;
      }
    float *sc = (float *)(mem + SC), *bi = (float *)(mem + B);
    for (int j = 0; j < o; j++) sc[j] = ((int)(rnd() % 200) - 100) / 37.0f, bi[j] = ((int)(rnd() % 200) - 100) / 13.0f;
    uint32_t ldo = mode == 2 ? (uint32_t)(o + 31) / 32 * 4 : (uint32_t)o * 4;
    int threads = c % 2 ? -3 : 1;
    if (bk_conv(isa, threads, mem, X, n, h, wd, ch, cw, cw, W, ldw, o, kh, kw, S, s, s, pt, pl, oh,
                ow, mode, O1, ldo, SC, B) ||
        bk_conv(ISA_SCALAR, 1, mem, X, n, h, wd, ch, cw, cw, W, ldw, o, kh, kw, S, s, s, pt, pl, oh,
                ow, mode, O2, ldo, SC, B)) {
      printf("FAIL isa %d: bk_conv returned an error\n", isa);
      return 1;
    }
    if (memcmp(mem + O1, mem + O2, n * oh * ow * ldo) != 0) {
      printf("FAIL isa %d conv n%d %dx%dx%d->%d k%dx%d s%d mode %d\n", isa, n, h, wd, ch, o, kh, kw,
             s, mode);
      return 1;
    }
  }
  free(mem);
  return 0;
}

int main(void) {
  int mask = bk_isa_mask();
  printf("features %d isas %d\n", bk_cpu_features(), mask);
  for (int isa = 0; isa <= ISA_LAST; isa++) {
    if (!(mask & (1 << isa))) continue;
    if (check_tiles(isa) || check_convs(isa)) return 1;
    printf("ok isa %d: 400 tiles, 60 convs equal the scalar path\n", isa);
  }
  return 0;
}
