/* fp16.h - exact bfloat16/float16 <-> float32 conversions in integer arithmetic */
#ifndef LRELU_FP16_H
#define LRELU_FP16_H

#include <stdint.h>
#include <string.h>

/*
 * Integer-only on purpose: the results must not depend on the FPU's rounding mode or
 * on FTZ/DAZ, and every SIMD kernel is checked against these functions.
 * NaN rule (both types): sign kept, quiet bit set, the top payload bits kept.  That
 * is what F16C's vcvtps2ph and AVX512-BF16's vcvtneps2bf16 write, and what NumPy
 * writes for float16.  (PyTorch's own bfloat16 NaN bits depend on the element's
 * position: 0xFFFF in its vector body, 0x7FC0 in its scalar tail.)
 */

static inline uint32_t lrelu_f32_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

static inline float lrelu_bits_f32(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static inline uint64_t lrelu_f64_bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return u;
}

/*
 * double -> float, round to nearest even, overflow to infinity: the IEEE conversion
 * (and numpy.float32()), in integer arithmetic so that the caller's FTZ/DAZ and
 * rounding mode cannot reach it (a C cast obeys them, and is undefined out of range).
 * NaN: sign kept, quiet bit set, the top 22 payload bits kept, as cvtsd2ss does.
 */
static inline float lrelu_d2f(double d)
{
	uint64_t u = lrelu_f64_bits(d), a = u & 0x7FFFFFFFFFFFFFFFull;
	uint32_t sign = (uint32_t)(u >> 32) & 0x80000000u, r;
	if (a > 0x7FF0000000000000ull) {
		r = 0x7FC00000u | (uint32_t)((a >> 29) & 0x3FFFFFu);
	} else if (a >= 0x47EFFFFFF0000000ull) { /* 2^128 - 2^103, the midpoint: to even = inf */
		r = 0x7F800000u;
	} else if (a >= 0x3810000000000000ull) { /* 2^-126 and up: normal */
		uint64_t t = a - 0x3800000000000000ull; /* rebias the exponent: 1023 -> 127 */
		r = (uint32_t)((t + 0x0FFFFFFFu + ((t >> 29) & 1u)) >> 29);
	} else { /* subnormal or zero: units of 2^-149 */
		unsigned e = (unsigned)(a >> 52);
		uint64_t m = (a & 0x000FFFFFFFFFFFFFull) | 0x0010000000000000ull;
		unsigned sh = 926u - e; /* value = m * 2^(e - 1075) = (m >> sh) units */
		if (e == 0 || sh > 54) {
			r = 0; /* below 2^-150: rounds to zero (2^-150 itself is a tie, to even 0) */
		} else {
			uint64_t q = m >> sh, rem = m & ((1ull << sh) - 1), half = 1ull << (sh - 1);
			r = (uint32_t)(q + (rem > half || (rem == half && (q & 1))));
		}
	}
	return lrelu_bits_f32(r | sign);
}

/* float -> double, exact; NaN quieted with its payload kept, as cvtss2sd does (DAZ
 * would turn a subnormal float into zero in that instruction). */
static inline double lrelu_f2d(float f)
{
	uint32_t u = lrelu_f32_bits(f), a = u & 0x7FFFFFFFu;
	uint64_t r, sign = (uint64_t)(u >> 31) << 63;
	double d;
	if (a >= 0x7F800000u)
		r = 0x7FF0000000000000ull | ((uint64_t)(a & 0x7FFFFFu) << 29) |
		    (a > 0x7F800000u ? 1ull << 51 : 0);
	else if (a >= 0x00800000u)
		r = ((uint64_t)a << 29) + 0x3800000000000000ull; /* rebias 127 -> 1023 */
	else if (a == 0)
		r = 0;
	else { /* subnormal a * 2^-149: the top bit k becomes the implicit one */
		unsigned k = 31u - (unsigned)__builtin_clz(a);
		r = ((uint64_t)(k + 874u) << 52) | (((uint64_t)a << (52 - k)) & 0x000FFFFFFFFFFFFFull);
	}
	r |= sign;
	memcpy(&d, &r, sizeof d);
	return d;
}

static inline float lrelu_bf2f(uint16_t h)
{
	return lrelu_bits_f32((uint32_t)h << 16);
}

static inline uint16_t lrelu_f2bf(float f)
{
	uint32_t u = lrelu_f32_bits(f);
	if ((u & 0x7FFFFFFFu) > 0x7F800000u)
		return (uint16_t)((u >> 16) | 0x0040u);
	/* Round to nearest even on bit 16; a carry into the exponent is the right answer
	 * (it also turns the largest values into infinity). */
	return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

static inline float lrelu_h2f(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
	uint32_t exp = (h >> 10) & 0x1Fu;
	uint32_t man = h & 0x3FFu;
	uint32_t u;

	if (exp == 0x1F) {
		u = sign | 0x7F800000u | (man << 13);
	} else if (exp != 0) {
		u = sign | ((exp + 112u) << 23) | (man << 13);
	} else if (man == 0) {
		u = sign;
	} else {
		/* Subnormal half man * 2^-24: normalise; each shift lowers the exponent. */
		uint32_t e = 113;
		do {
			man <<= 1;
			e--;
		} while (!(man & 0x400u));
		u = sign | (e << 23) | ((man & 0x3FFu) << 13);
	}
	return lrelu_bits_f32(u);
}

static inline uint16_t lrelu_f2h(float f)
{
	uint32_t u = lrelu_f32_bits(f);
	uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
	uint32_t a = u & 0x7FFFFFFFu;

	if (a > 0x7F800000u)
		return (uint16_t)(sign | 0x7E00u | ((a >> 13) & 0x3FFu));
	if (a >= 0x477FF000u) /* >= 65520: rounds to infinity (65520 is the tie, to even) */
		return (uint16_t)(sign | 0x7C00u);
	if (a >= 0x38800000u) { /* >= 2^-14: a normal half */
		uint32_t r = a + 0x0FFFu + ((a >> 13) & 1u);
		return (uint16_t)(sign | ((r - (112u << 23)) >> 13));
	}
	if (a <= 0x33000000u) /* <= 2^-25: rounds to zero (2^-25 is the tie, to even) */
		return sign;
	{
		/* Subnormal half: round(a * 2^24) with ties to even. */
		uint32_t e = a >> 23;
		uint32_t m = (a & 0x7FFFFFu) | 0x800000u;
		uint32_t shift = 126u - e; /* 14 .. 24 */
		uint32_t q = m >> shift;
		uint32_t rem = m & ((1u << shift) - 1u);
		uint32_t half = 1u << (shift - 1u);
		if (rem > half || (rem == half && (q & 1u)))
			q++;
		return (uint16_t)(sign | q);
	}
}

#endif /* LRELU_FP16_H */
