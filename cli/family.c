/* family.c - --op rrelu and --op prelu: their options, PReLU's weight, RReLU's generator
 * and noise, the arrays they need whole, their second outputs (--noise, --grad-weight) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "literal.h"
#include "npz.h"

/*
 * RReLU in eval mode is element-wise and streams in chunks as LeakyReLU does.  RReLU in
 * training draws in the C order of the elements, one generator carried across the
 * chunks, so a C-ordered file streams too; a Fortran-ordered one is computed whole (its
 * file order is not the draw order).  PReLU streams in chunks of whole blocks (one
 * index of the dimensions before the channel's, in the file's order: x[n] of a C-ordered
 * (N, C, H, W) file; with one weight, single elements), each computed as a (k, C, inner)
 * view, after the library has checked the weight against a proxy of the real shape (the
 * same rank and channel count, so the same checks and PyTorch's messages).  With
 * --grad-weight it is computed whole: the weight gradient is one sum per channel over
 * the whole array, summed once, so that its bits do not depend on how the data was cut.
 */

static const char *op_name(enum op op)
{
	return op == OP_RRELU ? "rrelu" : op == OP_PRELU ? "prelu" : "leaky_relu";
}

/* An option that belongs to another operator. */
static void refuse_for(const struct opts *o, bool given, const char *opt, const char *owner)
{
	if (given)
		usage_error("%s belongs to %s, not to --op %s", opt, owner, op_name(o->op));
}

void job_setup(struct job *j, struct opts *o, lrelu_generator *gen)
{
	j->op = o->op;
	if (o->op != OP_RRELU) {
		refuse_for(o, o->have_lower || o->have_upper, o->have_lower ? "--lower" : "--upper",
		           "--op rrelu");
		refuse_for(o, o->train, "--train", "--op rrelu");
		refuse_for(o, o->have_seed, "--seed", "--op rrelu --train");
		refuse_for(o, o->noise != NULL, "--noise", "--op rrelu --train");
	}
	if (o->op != OP_PRELU) {
		refuse_for(o, o->weight != NULL, "--weight", "--op prelu");
		refuse_for(o, o->grad_weight != NULL, "--grad-weight", "--op prelu");
	}
	if (o->op == OP_LEAKY_RELU) {
		j->slope = pick_slope(o, o->fw);
		return;
	}
	if (o->have_ns || o->have_alpha)
		usage_error("%s is LeakyReLU's slope; --op %s takes %s", o->have_ns ? "--negative-slope"
		            : "--alpha", op_name(o->op),
		            o->op == OP_RRELU ? "--lower and --upper" : "--weight");
	if (o->from_result)
		usage_error("--from-result is LeakyReLU's (an in-place forward's result); --op %s "
		            "takes INPUT itself", op_name(o->op));
	if (o->have_scale || o->have_zp || o->have_oscale || o->have_ozp)
		usage_error("--op %s: PyTorch's %s has no quantized form", op_name(o->op),
		            o->op == OP_RRELU ? "RReLU" : "PReLU");
	if (o->op == OP_PRELU) {
		if (o->inplace)
			usage_error("--inplace: PyTorch's PReLU has no in-place form (no inplace "
			            "parameter); give OUTPUT (it may be INPUT itself)");
		if (o->grad_weight && !o->grad)
			usage_error("--grad-weight needs --grad (it is part of the backward)");
		return;
	}
	/* RReLU: PyTorch's alone; MindSpore's draws in eval too (lrelu diff --op rrelu). */
	if (o->fw != LRELU_TORCH)
		usage_error("--op rrelu: %s", o->fw == LRELU_MINDSPORE
		            ? "MindSpore's nn.RReLU has no eval mode (it draws a random slope in "
		              "eval too, from a stream lrelu cannot reproduce); 'lrelu diff --op "
		              "rrelu' shows what PyTorch's eval mode gives"
		            : "only PyTorch's RReLU is implemented (-f torch)");
	j->lower = o->have_lower ? o->lower : LRELU_RRELU_DEFAULT_LOWER;
	j->upper = o->have_upper ? o->upper : LRELU_RRELU_DEFAULT_UPPER;
	if ((o->have_seed || o->noise) && !o->train)
		usage_error("%s: eval mode draws nothing; add --train", o->have_seed ? "--seed"
		            : "--noise");
	if (o->train && !o->have_seed)
		usage_error("--train needs --seed S: the draws come from the generator as "
		            "torch.manual_seed(S) leaves it (PyTorch's own first seed is random)");
	if (o->noise && o->npos > 1 && strcmp(o->noise, o->pos[1]) == 0)
		usage_error("--noise %s is OUTPUT too", o->noise);
	/* The bounds are checked before any data is read, through the library's own check
	 * (PyTorch's messages): one element that draws nothing, on a copy of the generator. */
	float one = 1.0f, out, nz;
	int64_t n1 = 1;
	lrelu_tensor t = lrelu_tensor_make(&one, LRELU_FLOAT32, 1, &n1, NULL);
	lrelu_tensor y = lrelu_tensor_make(&out, LRELU_FLOAT32, 1, &n1, NULL);
	lrelu_tensor nt = lrelu_tensor_make(&nz, LRELU_FLOAT32, 1, &n1, NULL);
	lrelu_status st = lrelu_rrelu_eval(j->lower, j->upper, &t, &y);
	if (st == LRELU_OK && o->train) {
		if (lrelu_generator_seed(gen, o->seed) != LRELU_OK)
			usage_error("--seed: %s", lrelu_last_error());
		lrelu_generator probe = *gen;
		st = lrelu_rrelu_train(&probe, j->lower, j->upper, &t, &y, &nt);
		j->gen = gen;
	}
	if (st != LRELU_OK)
		usage_error("--lower %g --upper %g: %s", j->lower, j->upper, lrelu_last_error());
}

/* Reads all of a's data into memory, in host byte order. */
static void *read_whole(struct array *a)
{
	size_t nb = (size_t)a->info.data_bytes;
	unsigned char *buf = xmalloc(nb);
	if (src_read(&a->src, buf, nb) != nb)
		data_error("%s: truncated data", a->src.name);
	if (a->info.swap)
		swap_bytes(buf, (size_t)a->info.count, a->info.itemsize);
	return buf;
}

/* PReLU's weight: a literal is read in INPUT's dtype (as torch.full(..., 0.25) would
 * be made for it); a file keeps its own, which the library checks against INPUT's. */
static struct array g_weight;
static int64_t g_weight_shape[LRELU_MAX_DIMS];
static const float default_weight = 0.25f; /* torch.nn.PReLU(init=0.25) */

/* Whether PReLU can stream x (j->block, chan, inner set), else j->whole.  The proxy
 * has x's rank and channel count and 1 in every other dimension: the library's checks
 * of the weight (count, rank, dtype) then refuse or accept it as on x itself. */
static void prelu_layout(struct job *j, const struct array *x)
{
	const struct npy_info *in = &x->info;
	int nd = in->ndim;
	if (j->o->grad_weight || in->count == 0)
		return; /* whole */
	int64_t c = nd >= 2 ? in->shape[1] : 1, inner = 1;
	int64_t pshape[LRELU_MAX_DIMS];
	for (int d = 0; d < nd; d++)
		pshape[d] = d == 1 ? c : 1;
	size_t isz = lrelu_dtype_size(x->dtype);
	unsigned char *buf = xmalloc((size_t)c * isz);
	memset(buf, 0, (size_t)c * isz);
	lrelu_tensor px = lrelu_tensor_make(buf, x->dtype, nd, pshape, NULL);
	lrelu_status st = lrelu_prelu_forward(j->fw, &px, &j->weight, &px);
	free(buf);
	if (st != LRELU_OK)
		return; /* whole: the real call gives the refusal, with the real shape */
	if (j->weight.ndim > 0 && j->weight.shape[0] > 1) {
		/* The channel's neighbours in the file's order: C order (N, C, rest...) has
		 * rest after it; Fortran order, read as the reversed shape, has shape[0]. */
		if (in->fortran)
			inner = in->shape[0];
		else
			for (int d = 2; d < nd; d++)
				inner *= in->shape[d];
		j->chan = c;
		j->inner = inner;
		j->block = (uint64_t)c * (uint64_t)inner;
	} else {
		j->block = 1;
	}
	j->whole = false;
}

void job_load(struct job *j, struct array *x)
{
	const struct opts *o = j->o;
	bool fortran = x->info.fortran && x->info.ndim > 1;
	j->whole = j->op == OP_PRELU || (j->op == OP_RRELU && o->train && fortran);
	if (j->op == OP_RRELU && (x->dtype == LRELU_QINT8 || x->dtype == LRELU_QUINT8))
		usage_error("--op rrelu: %s holds %s codes; PyTorch's RReLU has no quantized form",
		            x->src.name, lrelu_dtype_name(x->dtype));
	if (j->op != OP_PRELU)
		return;
	if (x->dtype == LRELU_QINT8 || x->dtype == LRELU_QUINT8)
		usage_error("--op prelu: %s holds %s codes; PyTorch's PReLU has no quantized form",
		            x->src.name, lrelu_dtype_name(x->dtype));
	struct array *w = &g_weight;
	if (g_weight.owned || g_weight.info.count) {
		/* Already read (the members of an archive share one weight). */
	} else if (!o->weight) {
		memset(w, 0, sizeof *w);
		w->dtype = x->dtype;
		w->info.ndim = 1;
		w->info.count = 1;
		w->info.itemsize = lrelu_dtype_size(x->dtype);
		g_weight_shape[0] = 1;
		struct literal lit = {.ndim = 1, .shape = {1}, .count = 1};
		double d = default_weight;
		float f = default_weight;
		lit.values = &d;
		lit.values32 = &f;
		w->owned = xmalloc(w->info.itemsize);
		literal_convert(&lit, x->dtype, w->owned);
	} else {
		if (strcmp(o->weight, "-") == 0 && o->npos && strcmp(o->pos[0], "-") == 0)
			usage_error("INPUT and --weight cannot both be standard input");
		struct opts wo = *o;
		if (literal_looks_like(o->weight)) {
			wo.have_dtype = true;
			wo.dtype = x->dtype;
		}
		wo.dtype_bits_only = true;
		open_array(o->weight, &wo, "WEIGHT", w);
		if (w->src.fd < 0 && !w->src.read)
			w->src.name = "--weight literal";
		if (!w->owned || w->src.read) {
			void *data = read_whole(w);
			if (w->src.read)
				npz_member_free(w);
			else if (w->src.fd >= 0)
				close(w->src.fd);
			w->owned = data;
		}
		memcpy(g_weight_shape, w->info.shape, sizeof g_weight_shape);
	}
	j->weight = lrelu_tensor_make(w->owned, w->dtype, w->info.ndim, g_weight_shape, NULL);
	prelu_layout(j, x);
}

/* Fortran strides (in elements) for shape. */
static void fortran_strides(const struct npy_info *in, int64_t *st)
{
	int64_t s = 1;
	for (int d = 0; d < in->ndim; d++) {
		st[d] = s;
		s *= in->shape[d] > 0 ? in->shape[d] : 1;
	}
}

void family_chunk(const struct job *j, void *xb, void *gb, void *yb, size_t n,
                  const char *name)
{
	const struct npy_info *in = &j->x->info;
	int64_t flat = (int64_t)n, fst[LRELU_MAX_DIMS];
	int nd = 1;
	const int64_t *shape = &flat, *strides = NULL;
	int64_t view[3];
	if (!j->whole && j->op == OP_PRELU && j->block > 1) {
		view[0] = (int64_t)(n / j->block);
		view[1] = j->chan;
		view[2] = j->inner;
		nd = 3;
		shape = view;
	} else if (j->whole) {
		nd = in->ndim;
		shape = in->shape;
		if (in->fortran && nd > 1) {
			fortran_strides(in, fst);
			strides = fst;
		}
	}
	lrelu_dtype dt = j->x->dtype;
	lrelu_tensor x = lrelu_tensor_make(xb, dt, nd, shape, strides);
	lrelu_tensor y = lrelu_tensor_make(yb, dt, nd, shape, strides);
	lrelu_tensor g = lrelu_tensor_make(gb, dt, nd, shape, strides);
	lrelu_tensor nz = lrelu_tensor_make(j->noise_buf, dt, nd, shape, strides);
	lrelu_status st;
	if (j->op == OP_PRELU) {
		lrelu_tensor gw = j->weight;
		gw.data = j->grad_weight;
		st = j->g ? lrelu_prelu_backward(j->fw, &g, &x, &j->weight, &y,
		                                 j->grad_weight ? &gw : NULL)
		          : lrelu_prelu_forward(j->fw, &x, &j->weight, &y);
		if (st == LRELU_ERR_UNSUPPORTED)
			usage_error("--op prelu with %s: %s", lrelu_framework_name(j->fw),
			            lrelu_last_error());
	} else if (!j->gen) {
		st = j->g ? lrelu_rrelu_eval_backward(j->lower, j->upper, &g, &x, &y)
		          : lrelu_rrelu_eval(j->lower, j->upper, &x, &y);
	} else {
		/* The backward draws the forward's noise again (same seed, same input), then
		 * takes PyTorch's grad * noise. */
		st = lrelu_rrelu_train(j->gen, j->lower, j->upper, &x, j->g ? &x : &y, &nz);
		if (st == LRELU_OK && j->g)
			st = lrelu_rrelu_train_backward(&g, &nz, &y);
	}
	if (st != LRELU_OK)
		data_error("%s: %s: %s", name, lrelu_status_str(st), lrelu_last_error());
}

/* ---- the second outputs ----------------------------------------------------------------- */

struct family_out {
	struct target t[2];
	int fd[2];          /* -1: not written (0: --noise, 1: --grad-weight) */
	struct sink noise;
};

static struct family_out g_out;

/* The output file for name, opened beside it (slot k), its name checked first. */
static void open_second(struct family_out *f, int k, const char *opt, const char *name,
                        const struct job *j)
{
	if (strcmp(name, "-") == 0)
		usage_error("%s needs a file name (standard output carries the result)", opt);
	if (j->o->npos && strcmp(name, j->o->pos[0]) == 0)
		usage_error("%s %s would replace INPUT", opt, name);
	if (j->o->grad && strcmp(name, j->o->grad) == 0)
		usage_error("%s %s would replace GRAD", opt, name);
	resolve_target(name, &f->t[k]);
	f->fd[k] = open_tmp(&f->t[k]);
}

struct family_out *family_open(struct job *j)
{
	const struct opts *o = j->o;
	struct family_out *f = &g_out;
	f->fd[0] = f->fd[1] = -1;
	if (o->noise && o->grad_weight)
		usage_error("internal error: --noise with --grad-weight");
	if (o->noise) {
		open_second(f, 0, "--noise", o->noise, j);
		f->noise = (struct sink){.fd = f->fd[0], .name = f->t[0].path};
		unsigned char hdr[NPY_MAX_HEADER + NPY_PREFIX_MAX];
		size_t hn = npy_format_header(&j->x->info, hdr, sizeof hdr);
		if (hn == 0)
			data_error("%s: header too long for format version %d.0", o->noise,
			           j->x->info.major);
		sink_write(&f->noise, hdr, hn);
		j->noise = &f->noise;
	}
	if (o->grad_weight) {
		open_second(f, 1, "--grad-weight", o->grad_weight, j);
		j->grad_weight = xmalloc((size_t)g_weight.info.count * g_weight.info.itemsize);
	}
	return f;
}

void family_commit(struct family_out *f, struct job *j)
{
	if (f->fd[0] >= 0)
		commit_tmp(f->fd[0], &f->t[0]);
	if (f->fd[1] >= 0) {
		/* dL/dweight has the weight's dtype, shape and byte order. */
		struct npy_info wi = g_weight.info;
		if (!j->o->weight || literal_looks_like(j->o->weight)) {
			wi = j->x->info;
			wi.ndim = g_weight.info.ndim;
			memcpy(wi.shape, g_weight_shape, sizeof wi.shape);
			wi.count = g_weight.info.count;
			wi.fortran = false;
			wi.swap = false;
			if (j->x->info.swap) /* a literal weight: written as a literal is, host order */
				snprintf(wi.descr, sizeof wi.descr, "%c%s", host_little() ? '<' : '>',
				         j->x->info.descr + 1);
		}
		wi.data_bytes = wi.count * wi.itemsize;
		unsigned char hdr[NPY_MAX_HEADER + NPY_PREFIX_MAX];
		size_t hn = npy_format_header(&wi, hdr, sizeof hdr);
		if (hn == 0)
			data_error("%s: header too long", j->o->grad_weight);
		struct sink k = {.fd = f->fd[1], .name = f->t[1].path};
		sink_write(&k, hdr, hn);
		if (wi.swap)
			swap_bytes(j->grad_weight, (size_t)wi.count, wi.itemsize);
		sink_write(&k, j->grad_weight, (size_t)wi.data_bytes);
		commit_tmp(f->fd[1], &f->t[1]);
		free(j->grad_weight);
		j->grad_weight = NULL;
	}
}
