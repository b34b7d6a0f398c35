/* options.c - the command line: options, their values and combinations, --help; the
 * framework names */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "literal.h"
#include "npyprint.h"

static const char usage_text[] =
	"usage: lrelu [OPTIONS] INPUT [OUTPUT]\n"
	"       lrelu demo\n"
	"       lrelu diff [DIFF OPTIONS] INPUT\n"
	"       lrelu diff [DIFF OPTIONS] A B\n"
	"\n"
	"LeakyReLU, bit for bit as PyTorch, MindSpore, ONNX, TensorFlow, JAX or ONNX\n"
	"Runtime computes it.\n"
	"\n"
	"  INPUT    a .npy file; an .npz archive (every array) or ARCHIVE.npz:NAME (one);\n"
	"           '-' for .npy bytes on standard input; or an array literal\n"
	"           such as '[[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]]' or a bare number\n"
	"           (a path that starts with '[' is reached as './[x].npy'); a literal\n"
	"           works wherever a file is named: INPUT, GRAD, diff's INPUT\n"
	"  OUTPUT   a .npy file to write (atomically); '-' for .npy bytes on standard\n"
	"           output; omitted: print the result as NumPy's print() shows it\n"
	"\n"
	"  -f, --framework torch|mindspore|onnx|tensorflow|jax|onnxruntime\n"
	"                       semantics (default torch; aliases pytorch, tf, ort)\n"
	"  --negative-slope S   PyTorch's and JAX's parameter (default 0.01)\n"
	"  --alpha A            MindSpore's, ONNX's, TensorFlow's, ONNX Runtime's\n"
	"                       parameter (defaults 0.2, 0.01, 0.2, 0.01)\n"
	"  --inplace            PyTorch only: replace INPUT's data with the result\n"
	"  --dtype float32|float64|float16|bfloat16\n"
	"                       dtype of a literal (default float32); for a .npy file,\n"
	"                       read '<u2', '<i2' or '|V2' data as bfloat16 bit patterns\n"
	"  --grad GRAD          backward: OUTPUT is dL/dx for INPUT given dL/dy = GRAD\n"
	"                       (a .npy file, '-' or a literal)\n"
	"  --from-result        with --grad: INPUT holds the result of an in-place forward\n"
	"                       (PyTorch's backward after inplace=True; refused, as there,\n"
	"                       for a negative or NaN slope)\n"
	"  --threads N          worker threads (default 1; 0 = automatic)\n"
	"  --scale S --zero-point Z          quantization of int8 ('|i1') / uint8 ('|u1')\n"
	"  --out-scale S --out-zero-point Z  output quantization (default: the input's)\n"
	"  --precision N        printing: digits after the point (default 8), as\n"
	"                       numpy.set_printoptions(precision=N)\n"
	"  --threshold N|all    printing: summarise arrays of more than N elements\n"
	"                       (default 1000); all: never (threshold=sys.maxsize)\n"
	"  --bits               printing: each value's bit pattern in hex, as NumPy\n"
	"                       prints x.view(np.uint32) etc. with a '0x%08x' formatter\n"
	"  -h, --help           this text\n"
	"  -V, --version        the version\n";

/* The rest of --help (one string would pass the length C99 compilers must take). */
static const char usage_text2[] =
	"\n"
	"  --op leaky_relu|rrelu|prelu   the operator (default leaky_relu), PyTorch's:\n"
	"  --lower L --upper U  rrelu: torch.nn.RReLU's bounds (default 1/8, 1/3); eval\n"
	"                       mode (LeakyReLU at (L + U) / 2) unless --train\n"
	"  --train              rrelu: training mode, a random slope per element x <= 0\n"
	"  --seed S             rrelu --train: the generator as torch.manual_seed(S) left\n"
	"                       it (required; an integer in [-2^63, 2^64 - 1])\n"
	"  --noise FILE         rrelu --train: write the noise (the slopes drawn) as .npy\n"
	"  --weight W           prelu: the weight, one element or one per channel\n"
	"                       (dimension 1); a .npy file, ARCHIVE.npz:NAME or a\n"
	"                       literal (taking INPUT's dtype); default 0.25\n"
	"  --grad-weight FILE   prelu with --grad: write dL/dweight as .npy\n"
	"\n"
	"lrelu diff compares two LeakyReLU results bit for bit, the rules of two\n"
	"frameworks on INPUT or two arrays A and B (dumps; a literal works wherever a\n"
	"file is named), counts the elements whose bits differ by cause (NaN vs number,\n"
	"signed zero, slope rounded in another dtype, gradient tie at zero, ...) and\n"
	"measures the largest difference.  Whole .npz archives (every operand one)\n"
	"are compared member by member, paired by key.  DIFF OPTIONS:\n"
	"  --from FW --to FW    the two sides' frameworks (default torch, mindspore)\n"
	"  --from-slope S --to-slope S   each side's slope\n"
	"  --negative-slope S   the PyTorch side's slope; --alpha A the other side's\n"
	"                       (one slope alone applies to both sides; none: both 0.2)\n"
	"  --dtype float32|float64|float16|bfloat16   as above\n"
	"  --grad DY            compare the gradients dL/dx given dL/dy = DY\n"
	"  --input X            with A B: the input, to say which rule each one follows\n"
	"  --json               the report as one JSON object\n"
	"  --mask OUT.npy       write a bool array, True where the bits differ\n"
	"  --all                every differing index in the JSON (default: the first 1000)\n"
	"  --threads N          as above\n"
	"  --op rrelu|prelu     compare the frameworks' RReLU (--lower, --upper) or\n"
	"                       PReLU (--weight) on INPUT\n"
	"\n"
	"Exit status: 0 success, 1 bad data or I/O error (INPUT untouched, no OUTPUT\n"
	"left behind), 2 bad command line.  lrelu diff, as cmp and diff: 0 identical,\n"
	"1 different, 2 trouble (bad command line, bad data, I/O error).  The manual:\n"
	"man lrelu.\n";

/*
 * The framework names the command accepts (--framework, --from, --to): the one table of
 * them.  Each framework's first row holds the name the library's lrelu_framework_name()
 * gives, which messages list, and the framework's own spelling, which messages use; the
 * rows after it are aliases as users write them.
 */
static const struct {
	const char *name;
	lrelu_framework fw;
	const char *title; /* first row of each framework only */
} frameworks[] = {
	{"torch", LRELU_TORCH, "PyTorch"},
	{"pytorch", LRELU_TORCH, NULL},
	{"mindspore", LRELU_MINDSPORE, "MindSpore"},
	{"onnx", LRELU_ONNX, "ONNX"},
	{"tensorflow", LRELU_TENSORFLOW, "TensorFlow"},
	{"tf", LRELU_TENSORFLOW, NULL},
	{"jax", LRELU_JAX, "JAX"},
	{"onnxruntime", LRELU_ONNXRUNTIME, "ONNX Runtime"},
	{"ort", LRELU_ONNXRUNTIME, NULL},
};

enum { N_FRAMEWORKS = sizeof frameworks / sizeof frameworks[0] };

static lrelu_framework parse_framework(const char *opt, const char *s)
{
	for (size_t i = 0; i < N_FRAMEWORKS; i++)
		if (strcmp(s, frameworks[i].name) == 0)
			return frameworks[i].fw;
	char names[128];
	size_t k = 0;
	for (size_t i = 0; i < N_FRAMEWORKS && k < sizeof names; i++)
		if (frameworks[i].title)
			k += (size_t)snprintf(names + k, sizeof names - k, "%s%s", k ? ", " : "",
			                      frameworks[i].name);
	usage_error("%s: '%s' is not one of %s", opt, s, names);
}

const char *fw_title(lrelu_framework fw)
{
	for (size_t i = 0; i < N_FRAMEWORKS; i++)
		if (frameworks[i].fw == fw && frameworks[i].title)
			return frameworks[i].title;
	return "?";
}

/* A number as Python's float() reads it (the frameworks take their slopes through it):
 * blanks around it, inf and nan in any case, overflow to infinity. */
static double parse_double(const char *opt, const char *s)
{
	double v;
	if (literal_number(s, &v) != 0)
		usage_error("%s: '%s' is not a number", opt, s);
	return v;
}

static long parse_long(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno == ERANGE || v < lo || v > hi)
		usage_error("%s: '%s' is not an integer in [%ld, %ld]", opt, s, lo, hi);
	return v;
}

/* A seed as torch.manual_seed takes it: a Python int from -2^63 to 2^64 - 1, a
 * negative one kept as its two's complement (torch.initial_seed() gives 2^64 - 1 after
 * manual_seed(-1)); anything else PyTorch refuses ("Overflow when unpacking long"). */
static uint64_t parse_seed(const char *opt, const char *s)
{
	const char *p = s;
	bool neg = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	uint64_t v = 0;
	bool ok = *p != '\0';
	for (; ok && *p; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			ok = false;
		else
			v = v * 10 + d;
	}
	if (ok && neg && v > (uint64_t)1 << 63)
		ok = false;
	if (!ok)
		usage_error("%s: '%s' is not an integer in [-2^63, 2^64 - 1] (torch.manual_seed's "
		            "range)", opt, s);
	return neg ? (uint64_t)0 - v : v;
}

/* The options that take a value, and the commands that accept each: the one list of
 * them (the values are read in parse_args).  The flags, which take none: --inplace
 * (the main command), --json and --all (lrelu diff). */
enum { IN_MAIN = 1, IN_DIFF = 2 };

static const struct {
	const char *name;
	unsigned where;
} valued[] = {
	{"--framework", IN_MAIN},
	{"--negative-slope", IN_MAIN | IN_DIFF},
	{"--alpha", IN_MAIN | IN_DIFF},
	{"--dtype", IN_MAIN | IN_DIFF},
	{"--grad", IN_MAIN | IN_DIFF},
	{"--threads", IN_MAIN | IN_DIFF},
	{"--scale", IN_MAIN},
	{"--zero-point", IN_MAIN},
	{"--out-scale", IN_MAIN},
	{"--out-zero-point", IN_MAIN},
	{"--from", IN_DIFF},
	{"--to", IN_DIFF},
	{"--precision", IN_MAIN},
	{"--threshold", IN_MAIN},
	{"--from-slope", IN_DIFF},
	{"--to-slope", IN_DIFF},
	{"--input", IN_DIFF},
	{"--mask", IN_DIFF},
	{"--op", IN_MAIN | IN_DIFF},
	{"--lower", IN_MAIN | IN_DIFF},
	{"--upper", IN_MAIN | IN_DIFF},
	{"--seed", IN_MAIN},
	{"--noise", IN_MAIN},
	{"--weight", IN_MAIN | IN_DIFF},
	{"--grad-weight", IN_MAIN},
};

/* The options that take no value, and which command each belongs to. */
static const struct {
	const char *name;
	unsigned where;
} flags[] = {{"--inplace", IN_MAIN}, {"--from-result", IN_MAIN}, {"--bits", IN_MAIN},
             {"--json", IN_DIFF},    {"--all", IN_DIFF},       {"--train", IN_MAIN}};

void init_opts(struct opts *o)
{
	memset(o, 0, sizeof *o);
	o->fw = LRELU_TORCH;
	o->precision = npyprint_defaults.precision;
	o->threshold = npyprint_defaults.threshold;
}

/* IN_MAIN and/or IN_DIFF for a known option, 0 for an unknown one. */
static unsigned option_where(const char *name)
{
	for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
		if (strcmp(name, valued[k].name) == 0)
			return valued[k].where;
	return 0;
}

/* Whether an argument that starts with '-' is a number (a literal), not an option. */
static bool is_negative_number(const char *s)
{
	return s[0] == '-' && s[1] != '\0' && literal_looks_like(s);
}

void parse_args(int argc, char **argv, int first, bool diff, struct opts *o)
{
	o->diff = diff;
	bool no_more = false;
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		if (no_more || a[0] != '-' || strcmp(a, "-") == 0 || is_negative_number(a)) {
			if (o->npos >= 2)
				usage_error("unexpected argument '%s'", a);
			if (a[0] == '\0')
				usage_error("%s is an empty name", o->npos ? "OUTPUT" : "INPUT");
			o->pos[o->npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			no_more = true;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_text, stdout);
			fputs(usage_text2, stdout);
			exit(fflush(stdout) == 0 ? 0 : EXIT_DATA);
		}
		if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("lrelu %s (liblrelu %s)\n", LRELU_VERSION_STRING, lrelu_version());
			exit(fflush(stdout) == 0 ? 0 : EXIT_DATA);
		}
		/* Options with a value: --opt VALUE, --opt=VALUE, -f VALUE. */
		char name[32];
		const char *val = NULL;
		const char *eq = strchr(a, '=');
		if (strncmp(a, "--", 2) == 0 && eq) {
			size_t n = (size_t)(eq - a);
			if (n >= sizeof name)
				usage_error("unknown option '%s'", a);
			memcpy(name, a, n);
			name[n] = '\0';
			val = eq + 1;
		} else {
			snprintf(name, sizeof name, "%s", a);
		}
		if (strcmp(name, "-f") == 0)
			snprintf(name, sizeof name, "--framework");
		size_t fk = 0;
		while (fk < sizeof flags / sizeof flags[0] && strcmp(name, flags[fk].name) != 0)
			fk++;
		unsigned where = fk < sizeof flags / sizeof flags[0] ? flags[fk].where
		                                                      : option_where(name);
		if (!where)
			usage_error("unknown option '%s'", a);
		if (diff && !(where & IN_DIFF))
			usage_error("%s is not an option of lrelu diff", name);
		if (!diff && !(where & IN_MAIN))
			usage_error("%s belongs to lrelu diff%s", name,
			            strcmp(name, "--from") == 0 || strcmp(name, "--to") == 0
			                ? " (use -f/--framework)"
			                : "");
		if (fk < sizeof flags / sizeof flags[0]) {
			if (val)
				usage_error("%s takes no value", name);
			if (strcmp(name, "--inplace") == 0)
				o->inplace = true;
			else if (strcmp(name, "--from-result") == 0)
				o->from_result = true;
			else if (strcmp(name, "--bits") == 0)
				o->bits = o->have_print = true;
			else if (strcmp(name, "--json") == 0)
				o->json = true;
			else if (strcmp(name, "--train") == 0)
				o->train = true;
			else
				o->all = true;
			continue;
		}
		if (!val) {
			if (i + 1 >= argc)
				usage_error("%s needs a value", name);
			val = argv[++i];
		}
		if (strcmp(name, "--framework") == 0) {
			o->fw = parse_framework(name, val);
		} else if (strcmp(name, "--from") == 0 || strcmp(name, "--to") == 0) {
			lrelu_framework fw = parse_framework(name, val);
			if (name[2] == 'f') {
				o->from = fw;
				o->have_from = true;
			} else {
				o->to = fw;
				o->have_to = true;
			}
		} else if (strcmp(name, "--negative-slope") == 0) {
			o->ns = parse_double(name, val);
			o->have_ns = true;
		} else if (strcmp(name, "--alpha") == 0) {
			o->alpha = parse_double(name, val);
			o->have_alpha = true;
		} else if (strcmp(name, "--dtype") == 0) {
			static const struct {
				const char *n;
				lrelu_dtype d;
			} dts[] = {{"float32", LRELU_FLOAT32}, {"float64", LRELU_FLOAT64},
			           {"float16", LRELU_FLOAT16}, {"bfloat16", LRELU_BFLOAT16}};
			size_t k = 0;
			for (; k < 4; k++)
				if (strcmp(val, dts[k].n) == 0)
					break;
			if (k == 4)
				usage_error("--dtype: '%s' is not one of float32, float64, float16, "
				            "bfloat16", val);
			o->dtype = dts[k].d;
			o->have_dtype = true;
		} else if (strcmp(name, "--grad") == 0) {
			if (val[0] == '\0')
				usage_error("--grad: GRAD is an empty name");
			o->grad = val;
		} else if (strcmp(name, "--precision") == 0) {
			/* NumPy takes any precision; past 17 digits every float is already shown
			 * in full, so the bound only keeps the number an int. */
			o->precision = (int)parse_long(name, val, 0, 1000000);
			o->have_print = true;
		} else if (strcmp(name, "--threshold") == 0) {
			o->threshold = strcmp(val, "all") == 0
			                   ? UINT64_MAX
			                   : (uint64_t)parse_long(name, val, 0, LONG_MAX);
			o->have_print = true;
		} else if (strcmp(name, "--from-slope") == 0) {
			o->from_slope = parse_double(name, val);
			o->have_from_slope = true;
		} else if (strcmp(name, "--to-slope") == 0) {
			o->to_slope = parse_double(name, val);
			o->have_to_slope = true;
		} else if (strcmp(name, "--input") == 0) {
			o->input = val;
		} else if (strcmp(name, "--mask") == 0) {
			o->mask = val;
		} else if (strcmp(name, "--op") == 0) {
			if (strcmp(val, "leaky_relu") == 0)
				o->op = OP_LEAKY_RELU;
			else if (strcmp(val, "rrelu") == 0)
				o->op = OP_RRELU;
			else if (strcmp(val, "prelu") == 0)
				o->op = OP_PRELU;
			else
				usage_error("--op: '%s' is not one of leaky_relu, rrelu, prelu", val);
		} else if (strcmp(name, "--lower") == 0) {
			o->lower = parse_double(name, val);
			o->have_lower = true;
		} else if (strcmp(name, "--upper") == 0) {
			o->upper = parse_double(name, val);
			o->have_upper = true;
		} else if (strcmp(name, "--seed") == 0) {
			o->seed = parse_seed(name, val);
			o->have_seed = true;
		} else if (strcmp(name, "--weight") == 0 || strcmp(name, "--noise") == 0 ||
		           strcmp(name, "--grad-weight") == 0) {
			if (val[0] == '\0')
				usage_error("%s: an empty name", name);
			if (name[2] == 'w')
				o->weight = val;
			else if (name[2] == 'n')
				o->noise = val;
			else
				o->grad_weight = val;
		} else if (strcmp(name, "--threads") == 0) {
			/* lrelu_set_num_threads' range. */
			o->threads = (int)parse_long(name, val, 0, 1024);
			o->have_threads = true;
		} else if (strcmp(name, "--scale") == 0) {
			o->scale = parse_double(name, val);
			o->have_scale = true;
		} else if (strcmp(name, "--out-scale") == 0) {
			o->oscale = parse_double(name, val);
			o->have_oscale = true;
		} else if (strcmp(name, "--zero-point") == 0) {
			o->zp = (int32_t)parse_long(name, val, INT32_MIN, INT32_MAX);
			o->have_zp = true;
		} else if (strcmp(name, "--out-zero-point") == 0) {
			o->ozp = (int32_t)parse_long(name, val, INT32_MIN, INT32_MAX);
			o->have_ozp = true;
		}
	}
}

/* By default the command computes on its own thread.  --threads N hands each 4 MiB
 * chunk to the library's pool (a chunk moves more than its threshold).
 * LRELU_NUM_THREADS (read by the library for --threads 0) is checked here: the library
 * has no way to report a malformed value and falls back to the CPU count, but a
 * command can refuse it. */
void set_threads(const struct opts *o)
{
	int n = o->have_threads ? o->threads : 1;
	const char *env = getenv("LRELU_NUM_THREADS");
	if (env != NULL) {
		char *end;
		errno = 0;
		long v = strtol(env, &end, 10);
		if (*env < '0' || *env > '9' || *end != '\0' || errno != 0 || v < 1 || v > 1024)
			usage_error("LRELU_NUM_THREADS=%s: not a whole number of threads from 1 to 1024",
			            env);
	}
	if (lrelu_set_num_threads(n) != LRELU_OK)
		usage_error("--threads %d: %s", n, lrelu_last_error());
}

double pick_slope(const struct opts *o, lrelu_framework fw)
{
	if (fw == LRELU_TORCH || fw == LRELU_JAX) {
		if (o->have_alpha)
			usage_error("--alpha is not a %s parameter: %s calls it negative_slope "
			            "(MindSpore's alpha=A is %s's negative_slope=A); use --negative-slope",
			            fw_title(fw), fw_title(fw), fw_title(fw));
		return o->have_ns ? o->ns : lrelu_default_slope(fw);
	}
	if (o->have_ns)
		usage_error("--negative-slope is PyTorch's and JAX's parameter: %s calls it alpha (PyTorch's "
		            "negative_slope=S is alpha=S); use --alpha", fw_title(fw));
	return o->have_alpha ? o->alpha : lrelu_default_slope(fw);
}
