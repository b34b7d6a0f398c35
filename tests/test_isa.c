/* test_isa.c - every SIMD kernel of every ISA this machine runs, bit for bit against ref.c */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu.h"
#include "fp16.h"
#include "internal.h"
#include "kernels/kernels.h"
#include "lrelu.h"
#include "testutil.h"

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

/* ---- the tables under test ---------------------------------------------------------- */

struct isa_case {
	const char *name;
	const struct lrelu_kernels *k;
	const struct lrelu_narrow_fns *nf; /* NULL for scalar */
};

static struct isa_case isas[8];
static int nisas;

static void add_isa(const char *name, const struct lrelu_kernels *k,
                    const struct lrelu_narrow_fns *nf)
{
	isas[nisas].name = name;
	isas[nisas].k = k;
	isas[nisas].nf = nf;
	nisas++;
}

static void find_isas(void)
{
	unsigned f = lrelu_cpu_features();
	(void)f;
	add_isa("scalar", &lrelu_kernels_scalar, NULL);
#ifdef LRELU_HAVE_SSE2
	if (f & LRELU_CPU_SSE2)
		add_isa("sse2", &lrelu_kernels_sse2, &lrelu_narrow_sse2);
#endif
#ifdef LRELU_HAVE_AVX2
	if ((f & LRELU_CPU_AVX2) && (f & LRELU_CPU_F16C))
		add_isa("avx2", &lrelu_kernels_avx2, &lrelu_narrow_avx2);
#endif
#ifdef LRELU_HAVE_AVX512
	if ((f & LRELU_CPU_AVX512) && (f & LRELU_CPU_F16C)) {
		add_isa("avx512", &lrelu_kernels_avx512, &lrelu_narrow_avx512);
		/* the float16 forward at 512 bits, whichever of the two dispatch.c picks */
		add_isa("avx512-zmmf16", &lrelu_kernels_avx512_zmmf16, &lrelu_narrow_avx512);
	}
#endif
#ifdef LRELU_HAVE_AVX512BF16
	if ((f & LRELU_CPU_AVX512) && (f & LRELU_CPU_F16C) && (f & LRELU_CPU_AVX512BF16)) {
		add_isa("avx512bf16", &lrelu_kernels_avx512bf16, &lrelu_narrow_avx512bf16);
		add_isa("avx512bf16-zmmf16", &lrelu_kernels_avx512bf16_zmmf16,
		        &lrelu_narrow_avx512bf16);
	}
#endif
#ifdef LRELU_HAVE_NEON
	if (f & LRELU_CPU_NEON)
		add_isa("neon", &lrelu_kernels_neon, &lrelu_narrow_neon);
#endif
}

/* dispatch.c's AVX-512 choice: vcvtneps2bf16's table where the CPU has AVX512_BF16, and
 * the float16 forward at 512 bits except on AMD Zen 4. */
static void avx512_choice(void)
{
#ifdef LRELU_HAVE_AVX512
	unsigned f = lrelu_cpu_features();
	const struct lrelu_kernels *want = NULL;
	if ((f & LRELU_CPU_AVX512) && (f & LRELU_CPU_F16C) && (f & LRELU_CPU_AVX2)) {
		int zen4 = (f & LRELU_CPU_ZEN4) != 0;
		want = zen4 ? &lrelu_kernels_avx512 : &lrelu_kernels_avx512_zmmf16;
#  ifdef LRELU_HAVE_AVX512BF16
		if (f & LRELU_CPU_AVX512BF16)
			want = zen4 ? &lrelu_kernels_avx512bf16 : &lrelu_kernels_avx512bf16_zmmf16;
#  endif
	}
	CHECK(lrelu_kernels_for(LRELU_ISA_AVX512) == want, "the AVX-512 table dispatch.c picks");
	printf("avx512: %s\n", want == NULL ? "not here"
	                      : (f & LRELU_CPU_ZEN4) ? "float16 forward at 256 bits (AMD Zen 4)"
	                                             : "float16 forward at 512 bits");
#endif
}

static const size_t esize[KT_COUNT] = { 4, 8, 2, 2 };
static const char *const ktname[KT_COUNT] = { "f32", "f64", "bf16", "f16" };
static const char *const rname[RULE_COUNT] = { "gt", "lt", "max", "min", "ge" };
static const char *const bname[BRULE_COUNT] = { "gt", "max", "min", "ge" };

/* ---- random values with many specials --------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* special values: tu_special32 / tu_special64 (testutil.h) */
#define NSPEC32 TU_COUNT(tu_special32)
#define NSPEC64 TU_COUNT(tu_special64)

/* Mostly ordinary values of both signs, some specials, some raw bit patterns. */
static void fill(int kt, void *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t r = next64();
		int kind = (int)(r & 7);
		switch (kt) {
		case KT_F32: {
			float v = kind == 0   ? lrelu_bits_f32(tu_special32[(r >> 8) % NSPEC32])
			          : kind == 1 ? lrelu_bits_f32((uint32_t)(r >> 16))
			                      : (float)((double)(int32_t)(r >> 32) / 65536.0);
			memcpy((float *)buf + i, &v, 4);
			break;
		}
		case KT_F64: {
			uint64_t u;
			double v = kind == 0 ? 0 : (double)(int32_t)(r >> 32) / 65536.0;
			memcpy(&u, &v, 8);
			if (kind == 0)
				u = tu_special64[(r >> 8) % NSPEC64];
			else if (kind == 1)
				u = next64();
			memcpy((double *)buf + i, &u, 8);
			break;
		}
		default: {
			uint16_t h = (uint16_t)(r >> 20);
			if (kind < 4) /* keep most values moderate */
				h = (uint16_t)((h & 0x83FF) | (kt == KT_BF16 ? 0x3C00 : 0x3800));
			((uint16_t *)buf)[i] = h;
			break;
		}
		}
	}
}

static void params(struct lrelu_kparams *p, double s)
{
	memset(p, 0, sizeof *p);
	p->s32 = (float)s;
	p->s64 = s;
}

static int report_mismatch(const char *isa, int kt, const char *what, size_t n, size_t i,
                           const void *got, const void *want, const char *how)
{
	size_t es = esize[kt];
	uint64_t g = 0, w = 0;
	memcpy(&g, (const char *)got + i * es, es);
	memcpy(&w, (const char *)want + i * es, es);
	CHECK(0, "%s %s %s n=%zu %s: element %zu is 0x%llx, reference 0x%llx", isa, ktname[kt],
	      what, n, how, i, (unsigned long long)g, (unsigned long long)w);
	return 1;
}

/* Compare n elements; one CHECK per call (and one report at the first difference). */
static void compare(const char *isa, int kt, const char *what, size_t n, const void *got,
                    const void *want, const char *how)
{
	if (memcmp(got, want, n * esize[kt]) == 0) {
		CHECK(1, " ");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (memcmp((const char *)got + i * esize[kt], (const char *)want + i * esize[kt],
		           esize[kt]) != 0) {
			report_mismatch(isa, kt, what, n, i, got, want, how);
			return;
		}
}

/* ---- guarded buffers ------------------------------------------------------------- */

/* [lo, hi) is readable and writable; the pages just below lo and at hi are not. */
struct guarded {
	unsigned char *map, *lo, *hi;
	size_t maplen;
};

static size_t page;

static int guarded_init(struct guarded *g, size_t bytes)
{
	size_t body = (bytes + page - 1) / page * page;
	g->maplen = body + 2 * page;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED)
		return -1;
	g->lo = g->map + page;
	g->hi = g->lo + body;
	if (mprotect(g->map, page, PROT_NONE) != 0 || mprotect(g->hi, page, PROT_NONE) != 0)
		return -1;
	return 0;
}

/* ---- exhaustive 16-bit ------------------------------------------------------------ */

static const double slopes[] = { 0.01, 0.2, -0.5, 0.0, 1.5, NAN, INFINITY, -INFINITY,
                                 0.19921875 /* a bfloat16 value */, 1e-30, -0.0 };
#define NSLOPES (sizeof slopes / sizeof slopes[0])

static uint16_t all16[65536], ref16[65536], out16[65536], aux16[65536];

static void exhaustive16(void)
{
	/* gradients (bfloat16 and float16 patterns alike: each is some value in both) */
	static const uint16_t grads[] = { 0x3C00, 0xBC00, 0x0000, 0x8000, 0x7E00, 0x7C00, 0x0001,
	                                  0x3555, 0xFBFF, 0x7FFF };
	struct lrelu_kparams p;
	for (int i = 0; i < 65536; i++)
		all16[i] = (uint16_t)i;
	for (int kt = KT_BF16; kt <= KT_F16; kt++) {
		for (size_t si = 0; si < NSLOPES; si++) {
			params(&p, slopes[si]);
			for (int r = 0; r < RULE_COUNT; r++) {
				lrelu_kernels_scalar.fwd[kt][r](65536, all16, ref16, &p);
				for (int ii = 1; ii < nisas; ii++) {
					char how[64];
					snprintf(how, sizeof how, "all patterns, slope %g", slopes[si]);
					isas[ii].k->fwd[kt][r](65536, all16, out16, &p);
					compare(isas[ii].name, kt, rname[r], 65536, out16, ref16, how);
					memcpy(out16, all16, sizeof out16);
					isas[ii].k->fwd[kt][r](65536, out16, out16, &p);
					compare(isas[ii].name, kt, rname[r], 65536, out16, ref16, how);
				}
			}
			for (int b = 0; b < BRULE_COUNT; b++) {
				/* every saved value with several gradients, and every gradient with
				 * several saved values */
				for (size_t gi = 0; gi < 2 * (sizeof grads / sizeof grads[0]); gi++) {
					int vary_a = gi < sizeof grads / sizeof grads[0];
					uint16_t fixed = grads[gi % (sizeof grads / sizeof grads[0])];
					for (int i = 0; i < 65536; i++)
						aux16[i] = fixed;
					const uint16_t *a = vary_a ? all16 : aux16, *g = vary_a ? aux16 : all16;
					lrelu_kernels_scalar.bwd[kt][b](65536, a, g, ref16, &p);
					for (int ii = 1; ii < nisas; ii++) {
						char how[80];
						snprintf(how, sizeof how, "all %s, %s 0x%04x, slope %g",
						         vary_a ? "a" : "g", vary_a ? "g" : "a", fixed, slopes[si]);
						isas[ii].k->bwd[kt][b](65536, a, g, out16, &p);
						compare(isas[ii].name, kt, bname[b], 65536, out16, ref16, how);
					}
				}
			}
		}
	}
}

/* Blocks of 64 equal magnitudes (both signs), one block per bfloat16 magnitude: a
 * kernel that skips its subnormal handling for blocks whose products cannot be
 * subnormal (avx512bf16) is checked right at its threshold, for many slopes. */
static void uniform_blocks16(void)
{
	static const double bslopes[] = { 0.01, 0.2, -0.5, 1.5, 1e-30, -3e-39, 1e-45, 1e10,
	                                  0x1p-20, -0x1.8p-7, 127.0, 0x1p-126 };
	enum { NB = 0x7F80 * 64 };
	static uint16_t xs[NB], ys[NB], ws[NB];
	struct lrelu_kparams p;
	for (size_t i = 0; i < NB; i++)
		xs[i] = (uint16_t)((i & 1 ? 0x8000u : 0) | (i / 64 + 1));
	for (int kt = KT_BF16; kt <= KT_F16; kt++) {
		for (size_t si = 0; si < sizeof bslopes / sizeof bslopes[0]; si++) {
			char how[48];
			params(&p, bslopes[si]);
			snprintf(how, sizeof how, "uniform blocks, slope %g", bslopes[si]);
			for (int r = RULE_GT; r <= RULE_LT; r++) {
				lrelu_kernels_scalar.fwd[kt][r](NB, xs, ws, &p);
				for (int ii = 1; ii < nisas; ii++) {
					isas[ii].k->fwd[kt][r](NB, xs, ys, &p);
					compare(isas[ii].name, kt, rname[r], NB, ys, ws, how);
				}
			}
		}
	}
}

/* ---- float32 / float64: every pair of specials, plus random values ----------------- */

static void pairs_float(void)
{
	enum { N = 4096 };
	static float a32[N], g32[N], r32[N], o32[N];
	static double a64[N], g64[N], r64[N], o64[N];
	struct lrelu_kparams p;
	fill(KT_F32, a32, N);
	fill(KT_F32, g32, N);
	fill(KT_F64, a64, N);
	fill(KT_F64, g64, N);
	for (size_t i = 0; i < NSPEC32 * NSPEC32; i++) {
		a32[i] = lrelu_bits_f32(tu_special32[i % NSPEC32]);
		g32[i] = lrelu_bits_f32(tu_special32[i / NSPEC32]);
	}
	for (size_t i = 0; i < NSPEC64 * NSPEC64; i++) {
		memcpy(&a64[i], &tu_special64[i % NSPEC64], 8);
		memcpy(&g64[i], &tu_special64[i / NSPEC64], 8);
	}
	for (size_t si = 0; si < NSLOPES + 3; si++) {
		/* and slopes that make subnormal or overflowing products */
		double s = si < NSLOPES ? slopes[si] : si == NSLOPES ? 1e-300 : si == NSLOPES + 1 ? 1e300 : 3e38;
		char how[48];
		snprintf(how, sizeof how, "specials, slope %g", s);
		params(&p, s);
		for (int ii = 1; ii < nisas; ii++) {
			const struct lrelu_kernels *k = isas[ii].k;
			for (int r = 0; r < RULE_COUNT; r++) {
				lrelu_kernels_scalar.fwd[KT_F32][r](N, a32, r32, &p);
				k->fwd[KT_F32][r](N, a32, o32, &p);
				compare(isas[ii].name, KT_F32, rname[r], N, o32, r32, how);
				lrelu_kernels_scalar.fwd[KT_F64][r](N, a64, r64, &p);
				k->fwd[KT_F64][r](N, a64, o64, &p);
				compare(isas[ii].name, KT_F64, rname[r], N, o64, r64, how);
			}
			for (int b = 0; b < BRULE_COUNT; b++) {
				lrelu_kernels_scalar.bwd[KT_F32][b](N, a32, g32, r32, &p);
				k->bwd[KT_F32][b](N, a32, g32, o32, &p);
				compare(isas[ii].name, KT_F32, bname[b], N, o32, r32, how);
				lrelu_kernels_scalar.bwd[KT_F64][b](N, a64, g64, r64, &p);
				k->bwd[KT_F64][b](N, a64, g64, o64, &p);
				compare(isas[ii].name, KT_F64, bname[b], N, o64, r64, how);
			}
		}
	}
}

/* ---- sizes, alignment, in place, guard pages ---------------------------------------- */

#define MAXN 4200
static struct guarded gx, gy, gg;
static unsigned char src_x[MAXN * 8], src_g[MAXN * 8], want[MAXN * 8];

static size_t sizes[256];
static size_t nsizes;

static void make_sizes(void)
{
	static const size_t unrolls[] = { 2, 4, 8, 16, 32, 64 };
	for (size_t n = 0; n <= 70; n++)
		sizes[nsizes++] = n;
	for (size_t u = 0; u < sizeof unrolls / sizeof unrolls[0]; u++)
		for (size_t m = 2; m <= 5; m++) {
			size_t c = unrolls[u] * m;
			if (c > 70) {
				sizes[nsizes++] = c - 1;
				sizes[nsizes++] = c;
				sizes[nsizes++] = c + 1;
			}
		}
	sizes[nsizes++] = 1000;
	sizes[nsizes++] = 1023;
	sizes[nsizes++] = 2049;
	sizes[nsizes++] = 4093;
	sizes[nsizes++] = MAXN;
}

/* Where to put n elements in a guarded buffer: flush against the guard page above
 * (catches reads and writes past n), or `off` elements above the guard page below. */
static unsigned char *place(const struct guarded *g, size_t bytes, int where, size_t es)
{
	return where == 0 ? g->hi - bytes : g->lo + (size_t)(where - 1) * es;
}

static void sizes_and_places(void)
{
	struct lrelu_kparams p;
	params(&p, 0.2);
	p.s32 = -0.3f;
	p.s64 = -0.3;
	for (int kt = 0; kt < KT_COUNT; kt++) {
		size_t es = esize[kt];
		fill(kt, src_x, MAXN);
		fill(kt, src_g, MAXN);
		for (int ii = 1; ii < nisas; ii++) {
			const struct lrelu_kernels *k = isas[ii].k;
			for (size_t si = 0; si < nsizes; si++) {
				size_t n = sizes[si], bytes = n * es;
				for (int where = 0; where < 4; where++) {
					for (int op = 0; op < RULE_COUNT + BRULE_COUNT; op++) {
						int bwd = op >= RULE_COUNT;
						/* 0: in place; 1: out of place; 2: out of place with the
						 * non-temporal path forced on for every n (x86) */
						for (int mode = 0; mode < 3; mode++) {
							int inplace = mode == 0;
							if (bwd && mode == 2)
								continue;
							unsigned char *x = place(&gx, bytes, where, es);
							unsigned char *g = place(&gg, bytes, where, es);
							unsigned char *y = inplace ? x : place(&gy, bytes, where, es);
							char how[64];
							snprintf(how, sizeof how, "%s, %s",
							         inplace ? "in place" : mode == 1 ? "out of place" : "out of place, NT",
							         where == 0 ? "end at guard" : "start after guard");
							memcpy(x, src_x, bytes);
							memcpy(g, src_g, bytes);
							if (!inplace)
								memset(y, 0xA5, bytes);
							if (bwd) {
								lrelu_kernels_scalar.bwd[kt][op - RULE_COUNT](n, src_x, src_g, want, &p);
								k->bwd[kt][op - RULE_COUNT](n, x, g, y, &p);
							} else {
								lrelu_kernels_scalar.fwd[kt][op](n, src_x, want, &p);
								/* NT forced on for every n: kparams.nt is
								 * what the runner sets for a large call */
								p.nt = mode == 2;
								k->fwd[kt][op](n, x, y, &p);
								p.nt = 0;
							}
							compare(isas[ii].name, kt,
							        bwd ? bname[op - RULE_COUNT] : rname[op], n, y, want, how);
						}
					}
				}
			}
		}
	}
}

/* ---- y a little above x modulo 4 KiB: the top-down loop (lk_store_ahead) ----------- */

static void store_ahead(void)
{
	static const size_t offs[] = { 2, 64, 256, 1022, 1024, 4094 }; /* bytes, mod 4096 */
	static const size_t ns[] = { 255, 256, 1000, 4099 };
	for (int ii = 0; ii < nisas; ii++) {
		const struct lrelu_kernels *k = isas[ii].k;
		for (int kt = 0; kt < KT_COUNT; kt++) {
			size_t es = esize[kt];
			struct lrelu_kparams p;
			params(&p, kt == KT_F64 ? -0.3 : 0.2);
			for (int rule = 0; rule < RULE_COUNT; rule++) {
				for (size_t oi = 0; oi < sizeof offs / sizeof offs[0]; oi++) {
					for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
						size_t n = ns[ni], bytes = n * es;
						unsigned char *x = gx.lo, *y = gy.lo + offs[oi];
						char how[48];
						if (offs[oi] % es != 0 || offs[oi] + bytes + 64 > (size_t)(gy.hi - gy.lo))
							continue;
						fill(kt, src_x, n);
						memcpy(x, src_x, bytes);
						memset(gy.lo, 0xA5, offs[oi] + bytes + 64);
						lrelu_kernels_scalar.fwd[kt][rule](n, src_x, want, &p);
						k->fwd[kt][rule](n, x, y, &p);
						snprintf(how, sizeof how, "y - x = %zu mod 4096", offs[oi]);
						compare(isas[ii].name, kt, rname[rule], n, y, want, how);
						size_t spill = 0;
						for (size_t b = 0; b < offs[oi]; b++)
							spill += gy.lo[b] != 0xA5;
						for (size_t b = 0; b < 64; b++)
							spill += y[bytes + b] != 0xA5;
						CHECK(spill == 0, "%s %s n=%zu %s: %zu bytes written outside y",
						      isas[ii].name, ktname[kt], n, how, spill);
					}
				}
			}
		}
	}
}

/* ---- each ISA's 16-bit rounding against fp16.h ------------------------------------- */

static void narrowing(void)
{
	enum { CH = 65536 };
	static float in[CH];
	static uint16_t got[CH];
	static const uint32_t lows[] = { 0x0000, 0x0001, 0x0FFF, 0x1000, 0x1001, 0x1FFF, 0x2000,
	                                 0x7FFF, 0x8000, 0x8001, 0xC000, 0xFFFF };
	struct lrelu_kparams p;
	params(&p, 0);
	for (int ii = 1; ii < nisas; ii++) {
		const struct lrelu_narrow_fns *nf = isas[ii].nf;
		for (int which = 0; which < 2; which++) {
			lrelu_fwd_fn fn = which ? nf->to_f16 : nf->to_bf16;
			long bad = 0;
			if (fn == NULL)
				continue;
			/* every high half with a dozen low halves (ties, odd and even, NaN
			 * payloads, every exponent) ... */
			for (size_t l = 0; l < sizeof lows / sizeof lows[0]; l++) {
				for (uint32_t h = 0; h < CH; h++)
					in[h] = lrelu_bits_f32((h << 16) | lows[l]);
				fn(CH, in, got, &p);
				for (uint32_t h = 0; h < CH; h++)
					bad += got[h] != (which ? lrelu_f2h(in[h]) : lrelu_f2bf(in[h]));
			}
			/* ... and every third subnormal float of both signs, where vcvtneps2bf16
			 * needs its fix-up (the full 2^32 sweep is tools/narrow_exhaustive.c) */
			for (uint32_t base = 0; base < (1u << 24); base += 3 * CH) {
				for (uint32_t h = 0; h < CH; h++) {
					uint32_t m = base + 3 * h;
					in[h] = lrelu_bits_f32(((m >> 23) << 31) | (m & 0x7FFFFF));
				}
				fn(CH, in, got, &p);
				for (uint32_t h = 0; h < CH; h++)
					bad += got[h] != (which ? lrelu_f2h(in[h]) : lrelu_f2bf(in[h]));
			}
			CHECK(bad == 0, "%s: %ld floats round to other %s patterns than fp16.h's",
			      nf->name, bad, which ? "float16" : "bfloat16");
		}
	}
}

/* ---- the public API under a hostile floating-point environment ---------------------- */

#if defined(__x86_64__)
static unsigned fp_hostile(void)
{
	unsigned old = _mm_getcsr();
	_mm_setcsr((old & ~0x6000u) | 0x8040u | 0x6000u); /* FTZ | DAZ | round toward zero */
	return old;
}
static void fp_restore(unsigned old)
{
	_mm_setcsr(old);
}
static unsigned fp_get(void)
{
	return _mm_getcsr();
}
#elif defined(__aarch64__)
static unsigned fp_get(void)
{
	uint64_t c;
	__asm__ __volatile__("mrs %0, fpcr" : "=r"(c));
	return (unsigned)c;
}
static unsigned fp_hostile(void)
{
	unsigned old = fp_get();
	/* FZ (24), RMode = toward zero (22-23 = 3), FZ16 (19), DN (25) */
	uint64_t c = old | (1u << 24) | (3u << 22) | (1u << 19) | (1u << 25);
	__asm__ __volatile__("msr fpcr, %0" : : "r"(c));
	return old;
}
static void fp_restore(unsigned old)
{
	uint64_t c = old;
	__asm__ __volatile__("msr fpcr, %0" : : "r"(c));
}
#else
static unsigned fp_hostile(void) { return 0; }
static void fp_restore(unsigned old) { (void)old; }
static unsigned fp_get(void) { return 0; }
#endif

/* n elements (at most 1000); tiny: half the values subnormal or with subnormal
 * products, else none (then small float calls run the fwdx kernels to the end). */
static void hostile_env(size_t N, int tiny)
{
	static uint32_t x32[1000], y32[1000], w32[1000], g32[1000];
	static uint64_t x64[1000], y64[1000], w64[1000], g64[1000];
	static uint16_t xh[1000], yh[1000], wh[1000], gh[1000];
	static const lrelu_isa pub[] = { LRELU_ISA_SCALAR, LRELU_ISA_SSE2, LRELU_ISA_AVX2,
	                                 LRELU_ISA_AVX512, LRELU_ISA_NEON };
	const float s = -0.3f;
	struct lrelu_kparams p;
	params(&p, s);
	p.s64 = (double)s;
	for (size_t i = 0; i < N; i++) {
		if (tiny) { /* subnormal inputs and products, half of them */
			x32[i] = (uint32_t)(next64() & 0x807FFFFF) | (i & 1 ? 0x3F000000u : 0);
			x64[i] = (next64() & 0x800FFFFFFFFFFFFFull) | (i & 1 ? 0x3FE0000000000000ull : 0);
		} else { /* |x| in [2^-1, 2^1): every product inexact, so the rounding mode shows */
			x32[i] = (uint32_t)(next64() & 0x807FFFFF) | 0x3F000000u;
			x64[i] = (next64() & 0x800FFFFFFFFFFFFFull) | 0x3FE0000000000000ull;
		}
		g32[i] = (uint32_t)(next64() & 0x80FFFFFF) | 0x00800000u;
		g64[i] = (next64() & 0x801FFFFFFFFFFFFFull) | 0x0010000000000000ull;
		xh[i] = (uint16_t)(next64() & 0x83FF);
		gh[i] = (uint16_t)((next64() & 0x87FF) | 0x0400);
	}
	for (size_t pi = 0; pi < sizeof pub / sizeof pub[0]; pi++) {
		unsigned old, after, hostile;
		if (!lrelu_isa_available(pub[pi]))
			continue;
		CHECK(lrelu_set_isa(pub[pi]) == LRELU_OK, "set_isa %s", lrelu_isa_name(pub[pi]));
		for (int kt = 0; kt < KT_COUNT; kt++) {
			for (int bwd = 0; bwd < 2; bwd++) {
				const void *x = kt == KT_F32 ? (void *)x32 : kt == KT_F64 ? (void *)x64 : (void *)xh;
				const void *g = kt == KT_F32 ? (void *)g32 : kt == KT_F64 ? (void *)g64 : (void *)gh;
				void *y = kt == KT_F32 ? (void *)y32 : kt == KT_F64 ? (void *)y64 : (void *)yh;
				void *w = kt == KT_F32 ? (void *)w32 : kt == KT_F64 ? (void *)w64 : (void *)wh;
				lrelu_status st;
				if (bwd)
					lrelu_kernels_scalar.bwd[kt][BRULE_GT](N, x, g, w, &p);
				else
					lrelu_kernels_scalar.fwd[kt][RULE_GT](N, x, w, &p);
				old = fp_hostile();
				hostile = fp_get();
				switch (kt * 2 + bwd) {
				case 0: st = lrelu_f32(x, y, N, s); break;
				case 1: st = lrelu_f32_backward(g, x, y, N, s); break;
				case 2: st = lrelu_f64(x, y, N, (double)s); break;
				case 3: st = lrelu_f64_backward(g, x, y, N, (double)s); break;
				case 4: st = lrelu_bf16(x, y, N, s); break;
				case 5: st = lrelu_bf16_backward(g, x, y, N, s); break;
				case 6: st = lrelu_f16(x, y, N, s); break;
				default: st = lrelu_f16_backward(g, x, y, N, s); break;
				}
				after = fp_get();
				fp_restore(old);
				CHECK(st == LRELU_OK, "%s: status %d", lrelu_isa_name(pub[pi]), (int)st);
				CHECK(after == hostile, "%s: the caller's FP control register was not restored",
				      lrelu_isa_name(pub[pi]));
				compare(lrelu_isa_name(pub[pi]), kt, bwd ? "public backward" : "public forward", N,
				        y, w, tiny ? "FTZ+DAZ+round-toward-zero, subnormals" : "FTZ+DAZ+round-toward-zero");
			}
		}
	}
	lrelu_set_isa(LRELU_ISA_AUTO);
}

/* fp16.h's double <-> float conversions (the slopes' path before the FP guard) against
 * the hardware's, in the default environment: random doubles over every exponent
 * range that matters, the midpoints around a spread of floats, and floats widened. */
static void conversions64(void)
{
	long bad = 0, n = 0;
	for (long i = 0; i < 4000000; i++) {
		uint64_t u = next64();
		switch (i & 3) {
		case 1: /* the float subnormal range and just below it */
			u = (u & 0x800FFFFFFFFFFFFFull) | ((uint64_t)(1023 - 152 + (next64() % 30)) << 52);
			break;
		case 2: /* near the overflow threshold */
			u = (u & 0x800FFFFFFFFFFFFFull) | ((uint64_t)(1023 + 124 + (next64() % 6)) << 52);
			break;
		case 3: /* exact ties of the 29 dropped bits */
			u = (u & 0xFFFFFFFFE0000000ull) | 0x10000000ull;
			break;
		}
		double d;
		memcpy(&d, &u, 8);
		float hw = (float)d, got = lrelu_d2f(d);
		n++;
		bad += memcmp(&hw, &got, 4) != 0;
	}
	for (uint64_t f = 0; f < 0x7F800000u; f += 4093) {
		float a = lrelu_bits_f32((uint32_t)f), b = lrelu_bits_f32((uint32_t)f + 1);
		double m = ((double)a + (double)b) / 2;
		double c[4] = { m, -m, nextafter(m, 0), nextafter(m, 1) };
		for (int k = 0; k < 4; k++) {
			float hw = (float)c[k], got = lrelu_d2f(c[k]);
			n++;
			bad += memcmp(&hw, &got, 4) != 0;
		}
	}
	CHECK(bad == 0, "lrelu_d2f: %ld of %ld doubles convert otherwise than (float)", bad, n);
	bad = n = 0;
	for (uint64_t u = 0; u <= 0xFFFFFFFFu; u += 251) {
		float f = lrelu_bits_f32((uint32_t)u);
		double hw = (double)f, got = lrelu_f2d(f);
		n++;
		bad += memcmp(&hw, &got, 8) != 0;
	}
	for (uint32_t u = 0; u < 0x00800000u; u += 7) { /* subnormals, densely */
		float f = lrelu_bits_f32(u | (u & 8 ? 0x80000000u : 0));
		double hw = (double)f, got = lrelu_f2d(f);
		n++;
		bad += memcmp(&hw, &got, 8) != 0;
	}
	CHECK(bad == 0, "lrelu_f2d: %ld of %ld floats widen otherwise than (double)", bad, n);
}

/* A subnormal slope must reach the kernels intact whatever DAZ says: the flat entry
 * points once widened the float slope to double outside the guard, and DAZ made it 0. */
static void subnormal_slope(void)
{
	static const lrelu_isa pub[] = { LRELU_ISA_SCALAR, LRELU_ISA_SSE2, LRELU_ISA_AVX2,
	                                 LRELU_ISA_AVX512, LRELU_ISA_NEON };
	enum { N = 70 };
	float x32[N], y32[N], w32[N];
	double x64[N], y64[N], w64[N];
	uint16_t xh[N], yh[N], wh[N];
	const float s = 1e-40f;
	const double s64 = 1e-310;
	struct lrelu_kparams p;
	params(&p, 0.0);
	p.s32 = s;
	p.s64 = s64;
	for (int i = 0; i < N; i++) {
		x32[i] = -1e30f * (float)(i + 1);
		x64[i] = -1e300 * (double)(i + 1);
		xh[i] = (uint16_t)(0xF800 + i); /* large negative float16 and bfloat16 values */
	}
	for (size_t pi = 0; pi < sizeof pub / sizeof pub[0]; pi++) {
		if (!lrelu_isa_available(pub[pi]))
			continue;
		lrelu_set_isa(pub[pi]);
		for (int kt = 0; kt < KT_COUNT; kt++) {
			const void *x = kt == KT_F32 ? (void *)x32 : kt == KT_F64 ? (void *)x64 : (void *)xh;
			void *y = kt == KT_F32 ? (void *)y32 : kt == KT_F64 ? (void *)y64 : (void *)yh;
			void *w = kt == KT_F32 ? (void *)w32 : kt == KT_F64 ? (void *)w64 : (void *)wh;
			lrelu_kernels_scalar.fwd[kt][RULE_GT](N, x, w, &p);
			unsigned old = fp_hostile();
			lrelu_status st = kt == KT_F32   ? lrelu_f32(x, y, N, s)
			                  : kt == KT_F64 ? lrelu_f64(x, y, N, s64)
			                  : kt == KT_BF16 ? lrelu_bf16(x, y, N, s)
			                                 : lrelu_f16(x, y, N, s);
			fp_restore(old);
			CHECK(st == LRELU_OK, "status %d", (int)st);
			compare(lrelu_isa_name(pub[pi]), kt, "subnormal slope", N, y, w, "FTZ+DAZ+RZ");
		}
	}
	lrelu_set_isa(LRELU_ISA_AUTO);
}

/* ---- fwdx: the forward that runs without the FP-environment guard ------------------- */

#if defined(__x86_64__)
/* FTZ, DAZ, round toward zero, and all six exceptions unmasked (flags cleared first):
 * a wrong rounding shows in the bits, an exception the kernel lets through kills the
 * test with SIGFPE. */
static unsigned fp_worst(void)
{
	unsigned old = _mm_getcsr();
	_mm_setcsr((old & ~0x1FBFu) | 0x8040u | 0x6000u);
	return old;
}
#else
static unsigned fp_worst(void) { return fp_hostile(); }
#endif

static void fwdx(void)
{
	enum { N = 300, SENT = 0xA5 };
	static const double sl[] = { 0.01, -0.5, 3.0, 0.0, -0.0, 1e-30, 7e30 };
	static const size_t ns[] = { 0, 1, 15, 16, 17, 63, 64, 65, 100, 128, 129, 255, 256, 300 };
	static unsigned char x[N * 8], y[N * 8], w[N * 8];
	int ran = 0;
	for (int ii = 0; ii < nisas; ii++) {
		const struct lrelu_kernels *k = isas[ii].k;
		if (k->fwdx[KT_F32][RULE_GT] == NULL)
			continue;
		ran++;
		for (int kt = KT_F32; kt <= KT_F64; kt++) {
			size_t es = esize[kt];
			for (size_t si = 0; si < sizeof sl / sizeof sl[0]; si++) {
				struct lrelu_kparams p;
				params(&p, sl[si]);
				for (int rule = 0; rule < RULE_COUNT; rule++) {
					for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
						size_t n = ns[ni];
						/* |x| in [2^-20, 2^60), with some zeros, and the largest finite
						 * values (whose products overflow) */
						for (size_t i = 0; i < n; i++) {
							uint64_t r = next64();
							if (kt == KT_F32) {
								uint32_t u = (uint32_t)r & 0x807FFFFFu;
								u |= (uint32_t)(107 + (r >> 40) % 80) << 23;
								if ((r >> 32) % 8 == 0)
									u = (r >> 48) & 1 ? 0x7F7FFFFFu : 0; /* max, zero */
								u |= (uint32_t)r & 0x80000000u;
								memcpy(x + i * 4, &u, 4);
							} else {
								uint64_t u = r & 0x800FFFFFFFFFFFFFull;
								u |= (uint64_t)(1003 + (r >> 20) % 80) << 52;
								if ((r >> 12) % 8 == 0)
									u = (r >> 48) & 1 ? 0x7FEFFFFFFFFFFFFFull : 0;
								u |= r & 0x8000000000000000ull;
								memcpy(x + i * 8, &u, 8);
							}
						}
						for (int t = -1; t < 6; t++) {
							/* t >= 0: one unsafe value at pos: a subnormal, a product
							 * that would be subnormal, a subnormal of the other sign,
							 * an infinity, a quiet NaN, a signalling NaN */
							static const uint32_t u32[6] = { 0x00000001u, 0x80800000u, 0x807FFFFFu,
							                                 0xFF800000u, 0x7FC00000u, 0xFF800001u };
							static const uint64_t u64[6] = { 1ull, 0x8010000000000000ull,
							                                 0x800FFFFFFFFFFFFFull, 0x7FF0000000000000ull,
							                                 0xFFF8000000000000ull, 0x7FF0000000000001ull };
							size_t pos = n == 0 ? 0 : (size_t)(next64() % n), done;
							unsigned char keep[8];
							unsigned old;
							if (t >= 0 && n == 0)
								continue;
							if (t >= 0) {
								memcpy(keep, x + pos * es, es);
								if (kt == KT_F32)
									memcpy(x + pos * 4, &u32[t], 4);
								else
									memcpy(x + pos * 8, &u64[t], 8);
							}
							lrelu_kernels_scalar.fwd[kt][rule](n, x, w, &p);
							memset(y, SENT, sizeof y);
							old = fp_worst();
							done = k->fwdx[kt][rule](n, x, y, &p);
							fp_restore(old);
							/* the smallest normal times a slope below 1 is subnormal;
							 * with a slope of magnitude >= 1, zero or infinite it is not */
							int unsafe = t == 0 || t >= 2 ||
							             (t == 1 && sl[si] != 0.0 && fabs(sl[si]) < 1.0);
							CHECK(done <= n && (!unsafe || done <= pos) && (unsafe || done == n),
							      "%s %s fwdx_%s n=%zu slope %g: returned %zu (unsafe value at %zu: %d)",
							      isas[ii].name, ktname[kt], rname[rule], n, sl[si], done, pos, unsafe);
							if (done > n)
								done = n;
							compare(isas[ii].name, kt, "fwdx", done, y, w, "FTZ+DAZ+RZ+traps");
							size_t spill = 0;
							for (size_t b = done * es; b < sizeof y; b++)
								spill += y[b] != SENT;
							CHECK(spill == 0, "%s %s fwdx n=%zu: %zu bytes written past the %zu it returned",
							      isas[ii].name, ktname[kt], n, spill, done);
							if (t >= 0)
								memcpy(x + pos * es, keep, es);
						}
					}
				}
			}
			/* a subnormal, infinite or NaN slope: nothing it can vouch for */
			for (int bad = 0; bad < 4; bad++) {
				struct lrelu_kparams p;
				params(&p, bad == 0 ? (kt == KT_F32 ? 1e-40 : 1e-310) : bad == 1 ? NAN
				           : bad == 2 ? INFINITY : -INFINITY);
				memset(x, 0x3F, sizeof x);
				memset(y, SENT, sizeof y);
				unsigned old = fp_worst();
				size_t done = k->fwdx[kt][RULE_GT](64, x, y, &p);
				fp_restore(old);
				CHECK(done == 0 && y[0] == SENT, "%s %s fwdx with slope %g returned %zu",
				      isas[ii].name, ktname[kt], kt == KT_F32 ? (double)p.s32 : p.s64, done);
			}
		}
	}
	printf("fwdx: exercised on %d table(s)\n", ran);
}

/* ---- PReLU: a slope per channel ------------------------------------------------------ */

#define PMAXN 20000
static struct guarded gpx, gpy, gpg, gpw;
static unsigned char p_want[PMAXN * 8], p_x[PMAXN * 8], p_g[PMAXN * 8];

/* Slopes of kind wk: 0 finite with the sign clear (the 16-bit types' RULE_GTS), 1 any
 * sign with -0.0, subnormal and huge ones, 2 one NaN among them, 3 one infinity. */
static void fill_slopes(int kt, void *w, size_t C, int wk)
{
	for (size_t c = 0; c < C; c++) {
		double v = (double)(next64() % 1000) / 997.0;
		if (wk >= 1) {
			switch (next64() % 6) {
			case 0: v = -v; break;
			case 1: v = -0.0; break;
			case 2: v = 1e-39; break; /* subnormal float (bfloat16: rounds to one) */
			case 3: v = -3e5; break;
			default: break;
			}
		}
		if (wk >= 2 && c == C / 2)
			v = wk == 2 ? NAN : -INFINITY;
		switch (kt) {
		case KT_F32: ((float *)w)[c] = (float)v; break;
		case KT_F64: ((double *)w)[c] = v; break;
		case KT_BF16: ((uint16_t *)w)[c] = lrelu_f2bf((float)v); break;
		default: ((uint16_t *)w)[c] = lrelu_f2h((float)v); break;
		}
	}
}

/* One geometry on every ISA, every dtype, every rule the SIMD tables have; the
 * operands end at a guard page, the slope row too.  how: 0 out of place, 1 streaming
 * stores asked for, 2 in place (forward y == x; backward dx == g). */
static void prelu_case(size_t rows, size_t inner, size_t C, size_t c0, int wk, int how)
{
	static const char *const hows[3] = { "out of place", "streaming", "in place" };
	size_t n = rows * inner;
	struct lrelu_kparams p;
	char what[96];
	params(&p, 0.0);
	for (int kt = 0; kt < KT_COUNT; kt++) {
		size_t es = esize[kt];
		unsigned char *x = gpx.hi - n * es, *y = gpy.hi - n * es, *g = gpg.hi - n * es;
		unsigned char *w = gpw.hi - C * es;
		fill(kt, p_x, n);
		fill(kt, p_g, n);
		fill_slopes(kt, w, C, wk);
		for (int r = 0; r < RULE_COUNT; r++) {
			if (isas[1 % nisas].k->pfwd[kt][r] == NULL && nisas > 1)
				continue;
			memcpy(x, p_x, n * es);
			lrelu_kernels_scalar.pfwd[kt][r](rows, inner, C, c0, x, p_want, w, &p);
			for (int ii = 1; ii < nisas; ii++) {
				unsigned char *out = how == 2 ? x : y;
				memcpy(x, p_x, n * es);
				memset(y, 0xA5, n * es);
				p.nt = how == 1;
				isas[ii].k->pfwd[kt][r](rows, inner, C, c0, x, out, w, &p);
				p.nt = 0;
				snprintf(what, sizeof what, "pfwd_%s rows=%zu inner=%zu C=%zu c0=%zu w%d", rname[r],
				         rows, inner, C, c0, wk);
				compare(isas[ii].name, kt, what, n, out, p_want, hows[how]);
			}
		}
		for (int b = 0; b < BRULE_COUNT; b++) {
			if (isas[1 % nisas].k->pbwd[kt][b] == NULL && nisas > 1)
				continue;
			memcpy(x, p_x, n * es);
			memcpy(g, p_g, n * es);
			lrelu_kernels_scalar.pbwd[kt][b](rows, inner, C, c0, x, g, p_want, w, &p);
			for (int ii = 1; ii < nisas; ii++) {
				unsigned char *out = how == 2 ? g : y;
				memcpy(g, p_g, n * es);
				memset(y, 0xA5, n * es);
				isas[ii].k->pbwd[kt][b](rows, inner, C, c0, x, g, out, w, &p);
				snprintf(what, sizeof what, "pbwd_%s rows=%zu inner=%zu C=%zu c0=%zu w%d", bname[b],
				         rows, inner, C, c0, wk);
				compare(isas[ii].name, kt, what, n, out, p_want, hows[how]);
			}
		}
	}
}

/*
 * The kernels take one of three ways by shape (template.h): a slope pattern when a
 * period P (a multiple of C * inner, at least a block of 4 vectors, B = 8..64
 * elements by ISA and dtype) fits the pattern buffer and n >= 4P; channels-last rows
 * (inner = 1) and channels-first rows otherwise.  Each boundary is taken from both
 * sides for every block size: n = 4P - one row and n = 4P, C = 1, rows a vector long
 * and one element short, the pattern buffer's limit (C * inner just fitting and one
 * channel over for float32 on AVX-512).
 */
static void prelu_kernels(void)
{
	static const size_t Cs[] = { 1, 2, 3, 15, 16, 17, 64, 65, 100 };
	static const size_t inners[] = { 1, 2, 7, 15, 16, 17, 49 };
	static const size_t Bs[] = { 8, 16, 32, 64 };
	size_t k = 0;
	for (size_t ci = 0; ci < TU_COUNT(Cs); ci++) {
		for (size_t ii = 0; ii < TU_COUNT(inners); ii++) {
			size_t C = Cs[ci], inner = inners[ii], ci0 = C > 1 ? C / 2 + 1 : 0;
			size_t rows_list[12], nr = 0;
			rows_list[nr++] = 1;
			rows_list[nr++] = C + 1;
			for (size_t bi = 0; bi < TU_COUNT(Bs); bi++) {
				size_t P = C * inner;
				if (P < Bs[bi])
					P *= (Bs[bi] + P - 1) / P;
				if (4 * P / inner * inner <= PMAXN) {
					rows_list[nr++] = 4 * P / inner - 1;
					rows_list[nr++] = 4 * P / inner;
				}
			}
			for (size_t ri = 0; ri < nr; ri++, k++)
				prelu_case(rows_list[ri], inner, C, k % 3 == 0 ? 0 : ci0 % C, (int)(k % 4),
				           (int)(k % 3));
		}
	}
	/* the pattern buffer's limit (16 KiB: 4096 floats, one block 64 of them): 252 and
	 * 253 channels of 16 (both sides for float32 / AVX-512); long rows (256) */
	prelu_case(1000, 16, 252, 0, 0, 1);
	prelu_case(1000, 16, 253, 7, 1, 0);
	prelu_case(64, 256, 64, 0, 0, 1);
	prelu_case(70, 256, 64, 63, 1, 2);
	/* channels-last rows too long for a pattern */
	prelu_case(15000, 1, 5000, 4999, 0, 0);
	prelu_case(15000, 1, 5000, 0, 3, 1);
}

int main(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	find_isas();
	make_sizes();
	if (guarded_init(&gx, MAXN * 8) != 0 || guarded_init(&gy, MAXN * 8) != 0 ||
	    guarded_init(&gg, MAXN * 8) != 0) {
		CHECK(0, "mmap failed");
		return tu_finish("test_isa");
	}
	printf("isa: exercised");
	for (int i = 0; i < nisas; i++)
		printf(" %s", isas[i].name);
	printf("\n");
	avx512_choice();
	fflush(stdout);
	exhaustive16();
	uniform_blocks16();
	pairs_float();
	sizes_and_places();
	store_ahead();
	narrowing();
	hostile_env(1000, 1);
	hostile_env(1000, 0);
	hostile_env(64, 0); /* small calls: the fwdx path, where an ISA has one */
	hostile_env(64, 1);
	hostile_env(37, 0);
	fwdx();
	subnormal_slope();
	conversions64();
	if (guarded_init(&gpx, PMAXN * 8) != 0 || guarded_init(&gpy, PMAXN * 8) != 0 ||
	    guarded_init(&gpg, PMAXN * 8) != 0 || guarded_init(&gpw, 8192 * 8) != 0)
		CHECK(0, "mmap failed");
	else
		prelu_kernels();
	return tu_finish("test_isa");
}
