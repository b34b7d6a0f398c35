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

/* Four vectors, each with its slopes (PReLU's differ by lane): all loads before any
 * store, so in place stays element-wise. */
static LK_INLINE void LK_ID(block4s)(int rule, int fast, int nt, const LK_E *x, LK_E *y,
                                     LK_V s0, LK_V s1, LK_V s2, LK_V s3)
{
	LK_W x0 = LK_SOP(load)(x);
	LK_W x1 = LK_SOP(load)(x + LK_WL);
	LK_W x2 = LK_SOP(load)(x + 2 * LK_WL);
	LK_W x3 = LK_SOP(load)(x + 3 * LK_WL);
	x0 = LK_ID(fwd1)(rule, fast, x0, s0);
	x1 = LK_ID(fwd1)(rule, fast, x1, s1);
	x2 = LK_ID(fwd1)(rule, fast, x2, s2);
	x3 = LK_ID(fwd1)(rule, fast, x3, s3);
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

static LK_INLINE void LK_ID(block4)(int rule, int fast, int nt, const LK_E *x, LK_E *y, LK_V s)
{
	LK_ID(block4s)(rule, fast, nt, x, y, s, s, s, s);
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
static LK_INLINE void LK_ID(fwd_nt_run)(int rule, size_t n, const LK_E *x, LK_E *y, LK_V s,
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
	LK_ID(fwd_run)(rule, n - i, x + i, y + i, s, thr);
}

/* The fence once per kernel call: PReLU runs many rows before its one fence. */
static LK_INLINE void LK_ID(fwd_nt)(int rule, size_t n, const LK_E *x, LK_E *y, LK_V s,
                                    uint32_t thr)
{
	LK_ID(fwd_nt_run)(rule, n, x, y, s, thr);
	lk_sfence();
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

/* The backward over n elements with one slope vector s. */
static LK_INLINE void LK_ID(bwd_run)(int brule, size_t n, const LK_E *a, const LK_E *g, LK_E *d,
                                     LK_V s)
{
	size_t i = 0;
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

static LK_INLINE void LK_ID(bwd)(int brule, size_t n, const void *av, const void *gv,
                                 void *dv, const struct lrelu_kparams *p)
{
	const LK_E *a = av, *g = gv;
	LK_E *d = dv;
	LK_V s;
	/* Infinite or NaN slope: 0 * inf meets a NaN gradient in one addition, where again
	 * only operand order picks the payload; the reference decides. */
	if (!isfinite(p->LK_SLOPE)) {
		lrelu_kernels_scalar.bwd[LK_KT][brule](n, av, gv, dv, p);
		return;
	}
	s = LK_OP(set1)(p->LK_SLOPE);
	LK_ID(bwd_run)(brule, n, a, g, d, s);
}


/*
 * PReLU (internal.h, lrelu_pfwd_fn): rows of `inner` elements, a slope per row's
 * channel.  Three ways through, by shape:
 *   - a pattern: when a period of the operand (P elements, a multiple of C * inner and
 *     of no less than a block) fits LK_PERIOD_BYTES, each element's slope is laid out
 *     once and the whole operand runs as one stream of blocks, the slope vectors read
 *     from the pattern as x is read from memory: full vectors whatever C and inner are
 *     (channels-last with C = 3, channels-first with 7 x 7 rows), and streaming stores
 *     for a large call as LeakyReLU's;
 *   - channels-last rows too long for a pattern: each row against the slope row w;
 *   - channels-first rows too long for a pattern: each row with its slope broadcast,
 *     LeakyReLU's loop, streaming without a fence per row.
 * Per call, the slopes in use are checked once: a NaN (forward) or a non-finite slope
 * (backward) sends the call to the reference, as LeakyReLU's kernels do; for the
 * 16-bit types, slopes all finite with the sign clear allow RULE_GTS.
 */
#define LK_SC LK_CAT2(lk_scalar_, LK_C)
#ifdef LK_CV
#  define LK_W1(e) LK_CAT2(LK_CV, _widen1)(e)
#else
#  define LK_W1(e) (e)
#endif
#define LK_PB (4 * LK_WL)

/* What the slopes of the channels in use allow: bit 0 a NaN, bit 1 a non-finite one,
 * bit 2 one that is not finite with its sign clear. */
static LK_INLINE void LK_ID(pscan1)(size_t b, size_t e, const LK_E *w, uint64_t *mabs,
                                    uint64_t *mraw)
{
	const uint64_t sign = LK_CAT2(lk_sign_, LK_C);
	for (size_t k = b; k < e; k++) { /* branch-free: it runs once per call over C slopes */
		uint64_t u = LK_CAT2(lk_bits_, LK_C)(LK_W1(w[k]));
		*mabs = *mabs > (u & ~sign) ? *mabs : (u & ~sign);
		*mraw = *mraw > u ? *mraw : u;
	}
}
static LK_INLINE unsigned LK_ID(pscan)(size_t rows, size_t C, size_t c0, const LK_E *w)
{
	const uint64_t inf = LK_CAT2(lk_inf_, LK_C);
	uint64_t mabs = 0, mraw = 0;
	if (rows >= C) {
		LK_ID(pscan1)(0, C, w, &mabs, &mraw);
	} else if (c0 + rows <= C) {
		LK_ID(pscan1)(c0, c0 + rows, w, &mabs, &mraw);
	} else {
		LK_ID(pscan1)(c0, C, w, &mabs, &mraw);
		LK_ID(pscan1)(0, c0 + rows - C, w, &mabs, &mraw);
	}
	/* a NaN; a NaN or an infinity; any of them or a sign bit (unsigned: at least inf) */
	return (mabs > inf ? 1u : 0u) | (mabs >= inf ? 2u : 0u) | (mraw >= inf ? 4u : 0u);
}

/* The period P (a multiple of C * inner, at least one block), or 0 when its pattern
 * (P + one block of slopes) does not fit or does not pay for itself in an n-element
 * call. */
static LK_INLINE size_t LK_ID(pperiod)(size_t n, size_t inner, size_t C)
{
	size_t P;
	if (C > LK_PERIOD_BYTES || inner > LK_PERIOD_BYTES)
		return 0;
	P = C * inner;
	if (P < LK_PB)
		P *= (LK_PB + P - 1) / P;
	if ((P + LK_PB) * sizeof(LK_SC) > LK_PERIOD_BYTES || n < 4 * P)
		return 0;
	return P;
}

/* Element k of the pattern: the slope of row k / inner, channel (c0 + k / inner) % C;
 * P + LK_PB of them, so that the vectors of a block starting at any k < P are inside. */
static LK_INLINE void LK_ID(ppattern)(LK_SC *sb, size_t P, size_t inner, size_t C, size_t c0,
                                      const LK_E *w)
{
	size_t k = 0, ch = c0;
	while (k < P + LK_PB) {
		LK_SC s = LK_W1(w[ch]);
		for (size_t i = 0; i < inner && k < P + LK_PB; i++)
			sb[k++] = s;
		if (++ch == C)
			ch = 0;
	}
}

static LK_INLINE void LK_ID(pfwd_flat)(int rule, int nt, size_t n, const LK_E *x, LK_E *y,
                                       const LK_SC *sb, size_t P)
{
	size_t i = 0, k = 0;
#ifdef LK_NT
	if (nt) { /* the first < LK_WL elements up to y's vector alignment, then streamed blocks */
		const size_t vb = sizeof(LK_E) * LK_WL;
		size_t head = ((vb - (uintptr_t)y % vb) % vb) / sizeof(LK_E);
		if (head > 0)
			LK_SOP(store_n)(y, LK_ID(fwd1)(rule, 0, LK_SOP(load_n)(x, head), LK_OP(load)(sb)),
			                head);
		i = k = head;
	}
#endif
	for (; i + LK_PB <= n; i += LK_PB) {
		const LK_SC *s = sb + k;
		LK_ID(block4s)(rule, 0, nt, x + i, y + i, LK_OP(load)(s), LK_OP(load)(s + LK_WL),
		               LK_OP(load)(s + 2 * LK_WL), LK_OP(load)(s + 3 * LK_WL));
		k += LK_PB;
		if (k >= P)
			k -= P;
	}
#ifdef LK_NT
	if (nt)
		lk_sfence();
#endif
	for (; i + LK_WL <= n; i += LK_WL, k += LK_WL)
		LK_SOP(store)(y + i, LK_ID(fwd1)(rule, 0, LK_SOP(load)(x + i), LK_OP(load)(sb + k)));
	if (i < n)
		LK_SOP(store_n)(y + i, LK_ID(fwd1)(rule, 0, LK_SOP(load_n)(x + i, n - i),
		                                   LK_OP(load)(sb + k)),
		                n - i);
}

/* n elements against the slopes w[0..n). */
static LK_INLINE void LK_ID(pfwd_seg)(int rule, size_t n, const LK_E *x, LK_E *y, const LK_E *w)
{
	size_t i = 0;
	for (; i + LK_WL <= n; i += LK_WL)
		LK_SOP(store)(y + i, LK_ID(fwd1)(rule, 0, LK_SOP(load)(x + i),
		                                 LK_WIDEN(LK_SOP(load)(w + i))));
	if (i < n)
		LK_SOP(store_n)(y + i, LK_ID(fwd1)(rule, 0, LK_SOP(load_n)(x + i, n - i),
		                                   LK_WIDEN(LK_SOP(load_n)(w + i, n - i))),
		                n - i);
}

/*
 * Long channels-first rows: the operand is still one contiguous stream, run as
 * LeakyReLU's (one alignment head, then blocks, streamed where asked, one fence), the
 * slope vector broadcast within a row and assembled lane by lane where a vector
 * straddles two rows.  Running row by row instead would, with streaming stores, mix
 * them with ordinary ones in the lines that two rows share.
 */
struct LK_ID(pgen) {
	size_t rem, ch, inner, C; /* elements left in row ch */
	const LK_E *w;
	LK_V cur; /* row ch's slope, broadcast */
};

/* The slopes of the next m <= LK_WL elements (lanes past m: any value). */
static LK_INLINE LK_V LK_ID(pgen_next)(struct LK_ID(pgen) *g, size_t m)
{
	LK_SC t[LK_WL];
	if (g->rem == 0) { /* the next row begins with this vector */
		if (++g->ch == g->C)
			g->ch = 0;
		g->rem = g->inner;
		g->cur = LK_OP(set1)(LK_W1(g->w[g->ch]));
	}
	if (g->rem >= m) {
		g->rem -= m;
		return g->cur;
	}
	if (g->inner >= LK_WL) { /* two rows: the first rem lanes, then the next row's */
		LK_V a = g->cur;
		LK_M lo = LK_OP(lt)(LK_OP(load)(LK_CAT2(lk_iota_, LK_C)), LK_OP(set1)((LK_SC)g->rem));
		g->rem = g->inner - (m - g->rem);
		if (++g->ch == g->C)
			g->ch = 0;
		g->cur = LK_OP(set1)(LK_W1(g->w[g->ch]));
		return LK_OP(sel)(lo, a, g->cur);
	}
	for (size_t l = 0; l < LK_WL; l++) {
		if (l < m && g->rem == 0) {
			if (++g->ch == g->C)
				g->ch = 0;
			g->rem = g->inner;
		}
		t[l] = LK_W1(g->w[g->ch]);
		g->rem -= l < m;
	}
	g->cur = LK_OP(set1)(LK_W1(g->w[g->ch]));
	return LK_OP(load)(t);
}

static LK_INLINE void LK_ID(pfwd_rows)(int rule, int nt, size_t rows, size_t inner, size_t C,
                                       size_t c0, const LK_E *x, LK_E *y, const LK_E *w)
{
	const size_t n = rows * inner;
	struct LK_ID(pgen) g;
	size_t i = 0;
	g.rem = inner;
	g.ch = c0;
	g.inner = inner;
	g.C = C;
	g.w = w;
	g.cur = LK_OP(set1)(LK_W1(w[c0]));
	if (nt) {
		const size_t vb = sizeof(LK_E) * LK_WL;
		i = ((vb - (uintptr_t)y % vb) % vb) / sizeof(LK_E);
		i = i < n ? i : n;
		if (i > 0)
			LK_SOP(store_n)(y, LK_ID(fwd1)(rule, 0, LK_SOP(load_n)(x, i), LK_ID(pgen_next)(&g, i)),
			                i);
	}
	for (; i + 4 * LK_WL <= n; i += 4 * LK_WL) {
		LK_V s0 = LK_ID(pgen_next)(&g, LK_WL), s1 = LK_ID(pgen_next)(&g, LK_WL);
		LK_V s2 = LK_ID(pgen_next)(&g, LK_WL), s3 = LK_ID(pgen_next)(&g, LK_WL);
		LK_ID(block4s)(rule, 0, nt, x + i, y + i, s0, s1, s2, s3);
	}
#ifdef LK_NT
	if (nt)
		lk_sfence();
#endif
	for (; i + LK_WL <= n; i += LK_WL)
		LK_SOP(store)(y + i, LK_ID(fwd1)(rule, 0, LK_SOP(load)(x + i), LK_ID(pgen_next)(&g, LK_WL)));
	if (i < n)
		LK_SOP(store_n)(y + i, LK_ID(fwd1)(rule, 0, LK_SOP(load_n)(x + i, n - i),
		                                   LK_ID(pgen_next)(&g, n - i)),
		                n - i);
}

static LK_INLINE void LK_ID(pfwd_go)(int rule, int nt, size_t rows, size_t inner, size_t C,
                                     size_t c0, const LK_E *x, LK_E *y, const LK_E *w)
{
	const size_t n = rows * inner;
	size_t P = LK_ID(pperiod)(n, inner, C), ch = c0;
	if (P != 0) {
		LK_SC sb[LK_PERIOD_BYTES / sizeof(LK_SC)];
		LK_ID(ppattern)(sb, P, inner, C, c0, w);
		LK_ID(pfwd_flat)(rule, nt, n, x, y, sb, P);
		return;
	}
	if (inner == 1) {
		for (size_t i = 0, m; i < n; i += m, ch = 0) {
			m = C - ch < n - i ? C - ch : n - i;
			LK_ID(pfwd_seg)(rule, m, x + i, y + i, w + ch);
		}
		return;
	}
	LK_ID(pfwd_rows)(rule, nt, rows, inner, C, c0, x, y, w);
}

static LK_INLINE void LK_ID(pfwd)(int rule, size_t rows, size_t inner, size_t C, size_t c0,
                                  const void *xv, void *yv, const void *wv,
                                  const struct lrelu_kparams *p)
{
	const LK_E *w = wv;
	unsigned f;
	int nt;
	if (rows == 0 || inner == 0)
		return;
	f = LK_ID(pscan)(rows, C, c0, w);
	if (f & 1u) { /* a NaN slope: as LK_ID(fwd), the reference decides */
		lrelu_kernels_scalar.pfwd[LK_KT][rule](rows, inner, C, c0, xv, yv, wv, p);
		return;
	}
	nt = lk_stream(xv, yv, p->nt) && (uintptr_t)yv % sizeof(LK_E) == 0;
#ifdef LK_CV
	if (rule == RULE_GT && !(f & 4u)) {
		LK_ID(pfwd_go)(RULE_GTS, nt, rows, inner, C, c0, xv, yv, w);
		return;
	}
#endif
	LK_ID(pfwd_go)(rule, nt, rows, inner, C, c0, xv, yv, w);
}

static LK_INLINE void LK_ID(pbwd)(int brule, size_t rows, size_t inner, size_t C, size_t c0,
                                  const void *av, const void *gv, void *dv, const void *wv,
                                  const struct lrelu_kparams *p)
{
	const LK_E *a = av, *g = gv, *w = wv;
	LK_E *d = dv;
	const size_t n = rows * inner;
	size_t P, ch = c0, i = 0, k = 0;
	if (n == 0)
		return;
	if (LK_ID(pscan)(rows, C, c0, w) & 2u) { /* as LK_ID(bwd): the reference decides */
		lrelu_kernels_scalar.pbwd[LK_KT][brule](rows, inner, C, c0, av, gv, dv, wv, p);
		return;
	}
	P = LK_ID(pperiod)(n, inner, C);
	if (P != 0) {
		LK_SC sb[LK_PERIOD_BYTES / sizeof(LK_SC)];
		LK_ID(ppattern)(sb, P, inner, C, c0, w);
		for (; i + LK_PB <= n; i += LK_PB) {
			const LK_SC *s = sb + k;
			LK_W a0 = LK_SOP(load)(a + i), g0 = LK_SOP(load)(g + i);
			LK_W a1 = LK_SOP(load)(a + i + LK_WL), g1 = LK_SOP(load)(g + i + LK_WL);
			LK_W a2 = LK_SOP(load)(a + i + 2 * LK_WL), g2 = LK_SOP(load)(g + i + 2 * LK_WL);
			LK_W a3 = LK_SOP(load)(a + i + 3 * LK_WL), g3 = LK_SOP(load)(g + i + 3 * LK_WL);
			LK_SOP(store)(d + i, LK_ID(bwd1)(brule, a0, g0, LK_OP(load)(s)));
			LK_SOP(store)(d + i + LK_WL, LK_ID(bwd1)(brule, a1, g1, LK_OP(load)(s + LK_WL)));
			LK_SOP(store)(d + i + 2 * LK_WL,
			              LK_ID(bwd1)(brule, a2, g2, LK_OP(load)(s + 2 * LK_WL)));
			LK_SOP(store)(d + i + 3 * LK_WL,
			              LK_ID(bwd1)(brule, a3, g3, LK_OP(load)(s + 3 * LK_WL)));
			k += LK_PB;
			if (k >= P)
				k -= P;
		}
		for (; i + LK_WL <= n; i += LK_WL, k += LK_WL)
			LK_SOP(store)(d + i, LK_ID(bwd1)(brule, LK_SOP(load)(a + i), LK_SOP(load)(g + i),
			                                 LK_OP(load)(sb + k)));
		if (i < n)
			LK_SOP(store_n)(d + i,
			                LK_ID(bwd1)(brule, LK_SOP(load_n)(a + i, n - i),
			                            LK_SOP(load_n)(g + i, n - i), LK_OP(load)(sb + k)),
			                n - i);
		return;
	}
	if (inner == 1) {
		for (size_t m; i < n; i += m, ch = 0) {
			size_t j = 0;
			m = C - ch < n - i ? C - ch : n - i;
			for (; j + LK_WL <= m; j += LK_WL)
				LK_SOP(store)(d + i + j,
				              LK_ID(bwd1)(brule, LK_SOP(load)(a + i + j), LK_SOP(load)(g + i + j),
				                          LK_WIDEN(LK_SOP(load)(w + ch + j))));
			if (j < m)
				LK_SOP(store_n)(d + i + j,
				                LK_ID(bwd1)(brule, LK_SOP(load_n)(a + i + j, m - j),
				                            LK_SOP(load_n)(g + i + j, m - j),
				                            LK_WIDEN(LK_SOP(load_n)(w + ch + j, m - j))),
				                m - j);
		}
		return;
	}
	for (size_t r = 0; r < rows; r++, a += inner, g += inner, d += inner) {
		LK_ID(bwd_run)(brule, inner, a, g, d, LK_OP(set1)(LK_W1(w[ch])));
		if (++ch == C)
			ch = 0;
	}
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

#define LK_DEF_PFWD(name, rule)                                                           \
	LK_LINKAGE void LK_FN(LK_T, pfwd_##name, LK_ISA, LK_U)(                              \
		size_t rows, size_t inner, size_t C, size_t c0, const void *x, void *y,          \
		const void *w, const struct lrelu_kparams *p);                                   \
	LK_LINKAGE void LK_FN(LK_T, pfwd_##name, LK_ISA, LK_U)(                              \
		size_t rows, size_t inner, size_t C, size_t c0, const void *x, void *y,          \
		const void *w, const struct lrelu_kparams *p)                                    \
	{                                                                                    \
		LK_ID(pfwd)(rule, rows, inner, C, c0, x, y, w, p);                               \
	}
#define LK_DEF_PBWD(name, brule)                                                          \
	LK_LINKAGE void LK_FN(LK_T, pbwd_##name, LK_ISA, LK_U)(                              \
		size_t rows, size_t inner, size_t C, size_t c0, const void *a, const void *g,    \
		void *dx, const void *w, const struct lrelu_kparams *p);                         \
	LK_LINKAGE void LK_FN(LK_T, pbwd_##name, LK_ISA, LK_U)(                              \
		size_t rows, size_t inner, size_t C, size_t c0, const void *a, const void *g,    \
		void *dx, const void *w, const struct lrelu_kparams *p)                          \
	{                                                                                    \
		LK_ID(pbwd)(brule, rows, inner, C, c0, a, g, dx, w, p);                          \
	}
/* The compare rules only: MindSpore's max / min forms are its LeakyReLU's, no PReLU's
 * (internal.h: their entries are NULL, and callers use the reference's). */
LK_DEF_PFWD(gt, RULE_GT)
LK_DEF_PFWD(lt, RULE_LT)
LK_DEF_PFWD(ge, RULE_GE)
LK_DEF_PBWD(gt, BRULE_GT)
LK_DEF_PBWD(ge, BRULE_GE)
#undef LK_DEF_PFWD
#undef LK_DEF_PBWD
#undef LK_SC
#undef LK_W1
#undef LK_PB

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
