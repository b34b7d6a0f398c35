/* template.h - the one loop body of every SIMD kernel, included once per (ISA, dtype) */

/*
 * The including file (x86-sse2.c, x86-avx2.c, x86-avx512*.c, arm-neon.c) first defines
 * its vector primitives under fixed family names, then includes this file once per
 * dtype with these parameters:
 *
 *   LK_ISA   ISA token in the kernel names (sse2, avx2, avx512, avx512bf16, neon)
 *   LK_T     dtype token (f32, f64, bf16, f16)      LK_KT   its table index (KT_F32, ...)
 *   LK_U     unroll token (u64: elements per main-loop iteration)
 *   LK_E     element type in memory (float, double, uint16_t)
 *   LK_C     compute family: f (float vectors vf, masks mf) or d (double: vd, md)
 *   LK_S     storage family: f, d, or h (VL 16-bit values in vh)
 *   LK_CV    conversion family for 16-bit types (bf, hf, bfne); absent for float types
 *   LK_SLOPE the parameter field: s32 or s64
 *   LK_FWDX (optional, float types) also define the fwdx kernels, which need no
 *            floating-point environment guard (the family provides fwdx_min, fwdx_ok1, fwdx_ok4)
 *   LK_GTS_DELEGATE (optional, 16-bit types) a kernel to call for RULE_GTS instead
 *
 * Families provide: X_load/X_store (one vector), X_load_n/X_store_n (the first r < VL
 * elements, touching no other memory), X_stream (aligned non-temporal store, only if
 * LK_NT is defined), X_sel(mask, a, b) = mask ? a : b; compute families also
 * X_mul, X_add, X_gt, X_ge, X_lt, X_eq (ordered compares: false on NaN), X_set1, X_zero,
 * X_sel_sign(x, a, b) = (sign bit of x) ? a : b (used by the 16-bit types);
 * conversion families X_widen (exact) and X_narrow (round to nearest even, fp16.h's
 * NaN rule).  LANES_f / LANES_d are the vector lengths.
 *
 * Every rule is written once below, in the form of ref.c: a compare chooses between
 * whole values (never a sign-bit trick), the product is rounded exactly where ref.c
 * rounds it, and a 16-bit result that is x itself is x's original bits.
 */

#define LK_CAT2_(a, b) a##b
#define LK_CAT2(a, b) LK_CAT2_(a, b)
#define LK_FN_(t, op, isa, u) lrelu_##t##_##op##__##isa##_##u
#define LK_FN(t, op, isa, u) LK_FN_(t, op, isa, u)
/* Helpers private to one inclusion: name_t_isa. */
#define LK_ID(name) LK_CAT2(LK_CAT2(LK_CAT2(name, _), LK_T), LK_CAT2(_, LK_ISA))

#define LK_V LK_CAT2(v, LK_C)
#define LK_M LK_CAT2(m, LK_C)
#define LK_W LK_CAT2(v, LK_S)
#define LK_WL LK_CAT2(LANES_, LK_C)
#define LK_OP(op) LK_CAT2(LK_C, _##op)
#define LK_SOP(op) LK_CAT2(LK_S, _##op)
#ifdef LK_CV
#  define LK_WIDEN(w) LK_CAT2(LK_CV, _widen)(w)
#  define LK_NARROW(v) LK_CAT2(LK_CV, _narrow)(v)
#else
#  define LK_WIDEN(w) (w)
#  define LK_NARROW(v) (v)
#endif
/*
 * LK_CVF (optional): a faster rounding that is exact only for inputs that are not
 * subnormal, with LK_CVF_block_safe(x, thr) telling whether the next 4 vectors of x
 * can only give such products and LK_CVF_threshold(s) preparing thr once per call
 * (UINT32_MAX: never).  Used by the forward main loops only.
 */
#ifdef LK_CVF
#  define LK_NARROW_F(fast, v) ((fast) ? LK_CAT2(LK_CVF, _narrow)(v) : LK_NARROW(v))
#else
#  define LK_NARROW_F(fast, v) LK_NARROW(v)
#endif

/*
 * The product is hidden from the optimizer before the select: LLVM folds
 * `c ? x : x*s` into `x * (c ? 1 : s)`, which quiets a signalling NaN x that the rule
 * must pass through unchanged (its IR does not promise sNaN bits).  No instruction.
 */
#define LK_OPAQUE(v) __asm__("" : "+" LK_VREG(v))

/*
 * RULE_GTS: RULE_GT for the 16-bit types when the slope is finite and its sign bit is
 * clear, chosen per call by LK_ID(fwd).  It selects in float by the sign of x and rounds once:
 * narrow(sign(x) ? p : x).  Narrowing a widened x gives x's own bits back, except
 * that a NaN comes back quiet, which is what x > 0 ? x : p gives for a positive NaN
 * (p = NaN * s, quiet, same payload); a zero x gives 0 * s = +0 with such a slope, as
 * the rule wants (with -0.5 it would be -0, with inf a NaN: those keep RULE_GT).  It saves the compare and the 16-bit blend, and the compare into a
 * mask register is what bounds the 16-bit loops on AMD Zen 4 (docs/kernels.md).
 */
#define RULE_GTS RULE_COUNT

static LK_INLINE LK_W LK_ID(fwd1)(int rule, int fast, LK_W wx, LK_V s)
{
	LK_V x = LK_WIDEN(wx);
	LK_V prod = LK_OP(mul)(x, s);
	LK_W pw;
	(void)fast;
	LK_OPAQUE(prod);
#ifdef LK_CV
	if (rule == RULE_GTS)
		return LK_NARROW_F(fast, LK_OP(sel_sign)(x, prod, x));
#endif
	pw = LK_NARROW_F(fast, prod);
	switch (rule) {
	case RULE_GT:
		return LK_SOP(sel)(LK_OP(gt)(x, LK_OP(zero)()), wx, pw);
	case RULE_LT:
		return LK_SOP(sel)(LK_OP(lt)(x, LK_OP(zero)()), pw, wx);
	case RULE_MAX:
		return LK_SOP(sel)(LK_OP(gt)(LK_WIDEN(pw), x), pw, wx);
	case RULE_GE:
		return LK_SOP(sel)(LK_OP(ge)(x, LK_OP(zero)()), wx, pw);
	default:
		return LK_SOP(sel)(LK_OP(lt)(LK_WIDEN(pw), x), pw, wx);
	}
}

/* MindSpore's Maximum/Minimum gradient, as ref.c's ms_side() + f32_bwd(). */
static LK_INLINE LK_W LK_ID(bwd1)(int brule, LK_W wa, LK_W wg, LK_V s)
{
	LK_V a = LK_WIDEN(wa), g = LK_WIDEN(wg), zero = LK_OP(zero)();
	LK_V p, half, gl, gr;
	LK_M eq, lhs_wins, rhs_wins;
	if (brule == BRULE_GT) {
		p = LK_OP(mul)(g, s);
		LK_OPAQUE(p);
		return LK_SOP(sel)(LK_OP(gt)(a, zero), wg, LK_NARROW(p));
	}
	if (brule == BRULE_GE) {
		p = LK_OP(mul)(g, s);
		LK_OPAQUE(p);
		return LK_SOP(sel)(LK_OP(ge)(a, zero), wg, LK_NARROW(p));
	}
	p = LK_OP(mul)(a, s);
	LK_OPAQUE(p);
	p = LK_WIDEN(LK_NARROW(p));
	eq = LK_OP(eq)(p, a);
	lhs_wins = brule == BRULE_MAX ? LK_OP(gt)(p, a) : LK_OP(lt)(p, a);
	rhs_wins = brule == BRULE_MAX ? LK_OP(lt)(p, a) : LK_OP(gt)(p, a);
	half = LK_WIDEN(LK_NARROW(LK_OP(mul)(g, LK_OP(set1)(0.5))));
	/* lhs wins: (gl, gr) = (g, 0); rhs wins: (0, g); tie: (half, half); NaN: (g, g) */
	gl = LK_OP(sel)(eq, half, LK_OP(sel)(rhs_wins, zero, g));
	gr = LK_OP(sel)(eq, half, LK_OP(sel)(lhs_wins, zero, g));
	return LK_NARROW(LK_OP(add)(gr, LK_WIDEN(LK_NARROW(LK_OP(mul)(gl, s)))));
}

/* Four vectors: all loads before any store, so in place stays element-wise. */
static LK_INLINE void LK_ID(block4)(int rule, int fast, int nt, const LK_E *x, LK_E *y, LK_V s)
{
	LK_W x0 = LK_SOP(load)(x);
	LK_W x1 = LK_SOP(load)(x + LK_WL);
	LK_W x2 = LK_SOP(load)(x + 2 * LK_WL);
	LK_W x3 = LK_SOP(load)(x + 3 * LK_WL);
	x0 = LK_ID(fwd1)(rule, fast, x0, s);
	x1 = LK_ID(fwd1)(rule, fast, x1, s);
	x2 = LK_ID(fwd1)(rule, fast, x2, s);
	x3 = LK_ID(fwd1)(rule, fast, x3, s);
#ifdef LK_NT
	if (nt) {
		LK_SOP(stream)(y, x0);
		LK_SOP(stream)(y + LK_WL, x1);
		LK_SOP(stream)(y + 2 * LK_WL, x2);
		LK_SOP(stream)(y + 3 * LK_WL, x3);
		return;
	}
#endif
	(void)nt;
	LK_SOP(store)(y, x0);
	LK_SOP(store)(y + LK_WL, x1);
	LK_SOP(store)(y + 2 * LK_WL, x2);
	LK_SOP(store)(y + 3 * LK_WL, x3);
}

/* One block of 4 vectors at i, with the fast 16-bit rounding where it is safe. */
static LK_INLINE void LK_ID(block)(int rule, int nt, size_t i, const LK_E *x, LK_E *y, LK_V s,
                                   uint32_t thr)
{
	(void)thr;
#ifdef LK_CVF
	if (thr != UINT32_MAX && LK_CAT2(LK_CVF, _block_safe)(x + i, thr)) {
		LK_ID(block4)(rule, 1, nt, x + i, y + i, s);
		return;
	}
#endif
	LK_ID(block4)(rule, 0, nt, x + i, y + i, s);
}

/* The main loop over whole blocks of 4 vectors, from i; returns where it stopped. */
static LK_INLINE size_t LK_ID(blocks)(int rule, int nt, size_t i, size_t n, const LK_E *x,
                                      LK_E *y, LK_V s, uint32_t thr)
{
	for (; i + 4 * LK_WL <= n; i += 4 * LK_WL)
		LK_ID(block)(rule, nt, i, x, y, s, thr);
	return i;
}

/* Whole vectors, then the masked or buffered rest, from i to n. */
static LK_INLINE void LK_ID(tail)(int rule, size_t i, size_t n, const LK_E *x, LK_E *y, LK_V s)
{
	for (; i + LK_WL <= n; i += LK_WL)
		LK_SOP(store)(y + i, LK_ID(fwd1)(rule, 0, LK_SOP(load)(x + i), s));
	if (i < n)
		LK_SOP(store_n)(y + i, LK_ID(fwd1)(rule, 0, LK_SOP(load_n)(x + i, n - i), s), n - i);
}

/* y[0..n) from x[0..n) with ordinary stores; x == y allowed.  When y sits a little
 * above x modulo 4 KiB (lk_store_ahead, kernels.h), the blocks run from the top down. */
static LK_INLINE void LK_ID(fwd_run)(int rule, size_t n, const LK_E *x, LK_E *y, LK_V s,
                                     uint32_t thr)
{
	size_t i;
	if (n >= 16 * LK_WL && lk_store_ahead(x, y)) {
		size_t nb = n - n % (4 * LK_WL);
		LK_ID(tail)(rule, nb, n, x, y, s);
		for (i = nb; i > 0; i -= 4 * LK_WL)
			LK_ID(block)(rule, 0, i - 4 * LK_WL, x, y, s, thr);
		return;
	}
	i = LK_ID(blocks)(rule, 0, 0, n, x, y, s, thr);
	LK_ID(tail)(rule, i, n, x, y, s);
}

#ifdef LK_NT
/*
 * Out of place and asked for (lrelu_kparams.nt): non-temporal stores, which skip the read
 * for ownership of y's lines (see docs/kernels.md for when this wins).  They need y
 * aligned to the vector; a y that is not even element-aligned keeps ordinary stores.
 */
static LK_INLINE void LK_ID(fwd_nt)(int rule, size_t n, const LK_E *x, LK_E *y, LK_V s,
                                    uint32_t thr)
{
	const size_t vb = sizeof(LK_E) * LK_WL;
	size_t head, i;
	if ((uintptr_t)y % sizeof(LK_E) != 0) {
		LK_ID(fwd_run)(rule, n, x, y, s, thr);
		return;
	}
	head = ((vb - (uintptr_t)y % vb) % vb) / sizeof(LK_E);
	if (head > n)
		head = n;
	LK_ID(fwd_run)(rule, head, x, y, s, thr);
	i = LK_ID(blocks)(rule, 1, head, n, x, y, s, thr);
	lk_sfence();
	LK_ID(fwd_run)(rule, n - i, x + i, y + i, s, thr);
}
#endif

static LK_INLINE void LK_ID(fwd_go)(int rule, int nt, size_t n, const LK_E *x, LK_E *y,
                                    LK_V s, uint32_t thr)
{
#ifdef LK_NT
	if (lk_stream(x, y, nt)) {
		LK_ID(fwd_nt)(rule, n, x, y, s, thr);
		return;
	}
#else
	(void)nt; /* no streaming stores on this ISA */
#endif
	LK_ID(fwd_run)(rule, n, x, y, s, thr);
}

static LK_INLINE void LK_ID(fwd)(int rule, size_t n, const void *xv, void *yv,
                                 const struct lrelu_kparams *p)
{
	const LK_E *x = xv;
	LK_E *y = yv;
	uint32_t thr = UINT32_MAX;
	/* NaN slope: every product is NaN, and when x is NaN too IEEE leaves the choice of
	 * payload to operand order, which a compiler may swap; the reference decides. */
	if (isnan(p->LK_SLOPE)) {
		lrelu_kernels_scalar.fwd[LK_KT][rule](n, xv, yv, p);
		return;
	}
#ifdef LK_CV
	if (rule == RULE_GT && !signbit(p->LK_SLOPE) && isfinite(p->LK_SLOPE)) {
#ifdef LK_GTS_DELEGATE
		LK_GTS_DELEGATE(n, xv, yv, p); /* another ISA's kernel does this case faster */
#else
		/* thr stays UINT32_MAX: RULE_GTS also rounds x itself, which LK_CVF's block
		 * check does not cover */
		LK_ID(fwd_go)(RULE_GTS, p->nt, n, x, y, LK_OP(set1)(p->LK_SLOPE), thr);
#endif
		return;
	}
#endif
#ifdef LK_CVF
	/* worth its few nanoseconds only from a few blocks on */
	thr = n >= 16 * LK_WL ? LK_CAT2(LK_CVF, _threshold)(p->LK_SLOPE) : UINT32_MAX;
#endif
	LK_ID(fwd_go)(rule, p->nt, n, x, y, LK_OP(set1)(p->LK_SLOPE), thr);
}

#ifdef LK_FWDX
/*
 * The forward for small calls that skip the floating-point environment guard (api.c):
 * the family's arithmetic ignores MXCSR's rounding mode and traps by construction,
 * and the values FTZ/DAZ could change are ruled out block by block before anything
 * is stored (LK_OP(fwdx_min) and _ok, in the family header).  Returns how many
 * elements it finished: n, or the start of the first block it cannot vouch for,
 * from which the caller goes on under the guard.  Nothing at or past that point is
 * written.
 */
static LK_INLINE size_t LK_ID(fwdx)(int rule, size_t n, const void *xv, void *yv,
                                   const struct lrelu_kparams *p)
{
	const LK_E *x = xv;
	LK_E *y = yv;
	const LK_CAT2(u, LK_C) min = LK_OP(fwdx_min)(p->LK_SLOPE);
	const LK_V s = LK_OP(set1)(p->LK_SLOPE);
	size_t i = 0;
	if (min == 0)
		return 0;
	for (; i + 4 * LK_WL <= n; i += 4 * LK_WL) {
		LK_W x0 = LK_SOP(load)(x + i), x1 = LK_SOP(load)(x + i + LK_WL);
		LK_W x2 = LK_SOP(load)(x + i + 2 * LK_WL), x3 = LK_SOP(load)(x + i + 3 * LK_WL);
		if (!LK_OP(fwdx_ok4)(x0, x1, x2, x3, min))
			return i;
		LK_SOP(store)(y + i, LK_ID(fwd1)(rule, 0, x0, s));
		LK_SOP(store)(y + i + LK_WL, LK_ID(fwd1)(rule, 0, x1, s));
		LK_SOP(store)(y + i + 2 * LK_WL, LK_ID(fwd1)(rule, 0, x2, s));
		LK_SOP(store)(y + i + 3 * LK_WL, LK_ID(fwd1)(rule, 0, x3, s));
	}
	for (; i < n; i += LK_WL) {
		size_t r = n - i < LK_WL ? n - i : LK_WL;
		LK_W v = LK_SOP(load_n)(x + i, r); /* lanes past r read as zero, which passes */
		if (!LK_OP(fwdx_ok1)(v, min))
			return i;
		LK_SOP(store_n)(y + i, LK_ID(fwd1)(rule, 0, v, s), r);
	}
	return n;
}
#endif

static LK_INLINE void LK_ID(bwd)(int brule, size_t n, const void *av, const void *gv,
                                 void *dv, const struct lrelu_kparams *p)
{
	const LK_E *a = av, *g = gv;
	LK_E *d = dv;
	LK_V s;
	size_t i = 0;
	/* Infinite or NaN slope: 0 * inf meets a NaN gradient in one addition, where again
	 * only operand order picks the payload; the reference decides. */
	if (!isfinite(p->LK_SLOPE)) {
		lrelu_kernels_scalar.bwd[LK_KT][brule](n, av, gv, dv, p);
		return;
	}
	s = LK_OP(set1)(p->LK_SLOPE);
	for (; i + 4 * LK_WL <= n; i += 4 * LK_WL) {
		LK_W a0 = LK_SOP(load)(a + i), g0 = LK_SOP(load)(g + i);
		LK_W a1 = LK_SOP(load)(a + i + LK_WL), g1 = LK_SOP(load)(g + i + LK_WL);
		LK_W a2 = LK_SOP(load)(a + i + 2 * LK_WL), g2 = LK_SOP(load)(g + i + 2 * LK_WL);
		LK_W a3 = LK_SOP(load)(a + i + 3 * LK_WL), g3 = LK_SOP(load)(g + i + 3 * LK_WL);
		LK_SOP(store)(d + i, LK_ID(bwd1)(brule, a0, g0, s));
		LK_SOP(store)(d + i + LK_WL, LK_ID(bwd1)(brule, a1, g1, s));
		LK_SOP(store)(d + i + 2 * LK_WL, LK_ID(bwd1)(brule, a2, g2, s));
		LK_SOP(store)(d + i + 3 * LK_WL, LK_ID(bwd1)(brule, a3, g3, s));
	}
	for (; i + LK_WL <= n; i += LK_WL)
		LK_SOP(store)(d + i, LK_ID(bwd1)(brule, LK_SOP(load)(a + i), LK_SOP(load)(g + i), s));
	if (i < n)
		LK_SOP(store_n)(d + i,
		                LK_ID(bwd1)(brule, LK_SOP(load_n)(a + i, n - i),
		                            LK_SOP(load_n)(g + i, n - i), s),
		                n - i);
}

#ifndef LK_LINKAGE
#  define LK_LINKAGE static
#endif
#define LK_DEF_FWD(name, rule)                                                            \
	LK_LINKAGE void LK_FN(LK_T, fwd_##name, LK_ISA, LK_U)(size_t n, const void *x, void *y, \
	                                                  const struct lrelu_kparams *p);   \
	LK_LINKAGE void LK_FN(LK_T, fwd_##name, LK_ISA, LK_U)(size_t n, const void *x, void *y, \
	                                                  const struct lrelu_kparams *p)    \
	{                                                                                    \
		LK_ID(fwd)(rule, n, x, y, p);                                                    \
	}
#define LK_DEF_BWD(name, brule)                                                           \
	LK_LINKAGE void LK_FN(LK_T, bwd_##name, LK_ISA, LK_U)(size_t n, const void *a,      \
	                                                  const void *g, void *dx,          \
	                                                  const struct lrelu_kparams *p);   \
	LK_LINKAGE void LK_FN(LK_T, bwd_##name, LK_ISA, LK_U)(size_t n, const void *a,          \
	                                                  const void *g, void *dx,          \
	                                                  const struct lrelu_kparams *p)    \
	{                                                                                    \
		LK_ID(bwd)(brule, n, a, g, dx, p);                                               \
	}

#ifdef LK_FWDX
#define LK_DEF_FWDX(name, rule)                                                           \
	LK_LINKAGE size_t LK_FN(LK_T, fwdx_##name, LK_ISA, LK_U)(size_t n, const void *x,    \
	                                                     void *y,                      \
	                                                     const struct lrelu_kparams *p); \
	LK_LINKAGE size_t LK_FN(LK_T, fwdx_##name, LK_ISA, LK_U)(size_t n, const void *x,    \
	                                                     void *y,                      \
	                                                     const struct lrelu_kparams *p)  \
	{                                                                                    \
		return LK_ID(fwdx)(rule, n, x, y, p);                                            \
	}
LK_DEF_FWDX(gt, RULE_GT)
LK_DEF_FWDX(lt, RULE_LT)
LK_DEF_FWDX(max, RULE_MAX)
LK_DEF_FWDX(min, RULE_MIN)
LK_DEF_FWDX(ge, RULE_GE)
#undef LK_DEF_FWDX
#endif

LK_DEF_FWD(gt, RULE_GT)
LK_DEF_FWD(lt, RULE_LT)
LK_DEF_FWD(max, RULE_MAX)
LK_DEF_FWD(min, RULE_MIN)
LK_DEF_FWD(ge, RULE_GE)
LK_DEF_BWD(gt, BRULE_GT)
LK_DEF_BWD(max, BRULE_MAX)
LK_DEF_BWD(min, BRULE_MIN)
LK_DEF_BWD(ge, BRULE_GE)

#ifdef LK_CV
/* The 16-bit rounding alone, n floats to n patterns: for the exhaustive checks of
 * each ISA's conversion against fp16.h (tests/test_isa.c, tools/narrow_exhaustive.c). */
static void LK_FN(LK_T, narrow, LK_ISA, LK_U)(size_t n, const void *xv, void *yv,
                                             const struct lrelu_kparams *p)
{
	const float *x = xv;
	uint16_t *y = yv;
	size_t i = 0;
	(void)p;
	for (; i + LK_WL <= n; i += LK_WL)
		LK_SOP(store)(y + i, LK_NARROW(LK_OP(load)(x + i)));
	if (i < n)
		LK_SOP(store_n)(y + i, LK_NARROW(LK_OP(load_n)(x + i, n - i)), n - i);
}
#endif

#undef LK_DEF_FWD
#undef LK_OPAQUE
#undef LK_DEF_BWD
#undef LK_V
#undef LK_M
#undef LK_W
#undef LK_WL
#undef LK_OP
#undef LK_SOP
#undef LK_WIDEN
#undef LK_NARROW
#undef LK_T
#undef LK_KT
#undef LK_U
#undef LK_E
#undef LK_C
#undef LK_S
#undef LK_CV
#undef LK_CVF
#undef LK_NARROW_F
#undef LK_SLOPE
#undef LK_FWDX
#undef LK_GTS_DELEGATE
