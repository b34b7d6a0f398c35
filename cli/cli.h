/* cli.h - what the lrelu command's files share: exit statuses, messages, options, arrays,
 * the chunked computation, the output file */

/*
 * The command's files, one job each:
 *   main.c      which subcommand; the main command's flow (print, standard output, file)
 *   options.c   the command line: options, --help, the framework names
 *   input.c     INPUT and GRAD: literal, standard input or .npy file, header and data
 *   stream.c    the chunked computation into a sink; printing only what print() shows
 *   output.c    the output file replaced atomically; signals that clean it up
 *   diff.c      lrelu diff
 *   family.c    --op rrelu and --op prelu: their options, PReLU's weight, RReLU's
 *               generator and noise, the arrays they need whole, their second outputs
 *   msg.c       "lrelu: WHAT: WHY" messages and the error exits
 *   npz.c       .npz archives: ARCHIVE:NAME operands, members as arrays, .npz output
 *               (over zip.c, the zip container: no exits, shared with the fuzzers)
 *   demo.c      the seed page's examples (lrelu demo, examples/seed.c)
 *   npy.c literal.c npyprint.c fmtfloat.c   the .npy header, array literals, NumPy's
 *               print() layout and its float digits: no exits, shared with the fuzzers
 */
#ifndef LRELU_CLI_H
#define LRELU_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "lrelu.h"
#include "npy.h"

/* Exit statuses (documented in docs/cli.md and --help). */
enum { EXIT_DATA = 1, EXIT_USAGE = 2 };

/* Bytes per chunk buffer.  At most two buffers (input and gradient, or input and
 * quantized output) plus the header bound the data memory at 2 * CHUNK_BYTES
 * whatever the file size. */
#define CHUNK_BYTES ((size_t)4 << 20)

/* ---- msg.c: messages and exits ---------------------------------------------------- */

/* Each prints "lrelu: MESSAGE" (control characters escaped), removes the temporary
 * output file and exits: data_error for a problem with the data, a file or the system
 * (EXIT_DATA), usage_error for one with the command line (EXIT_USAGE; the message
 * points to --help). */
_Noreturn void data_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The status data_error exits with: EXIT_DATA, or 2 for lrelu diff, whose 1 means
 * "the arrays differ" (as cmp's and diff's). */
extern int data_exit_status;
_Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* malloc that exits with a message when memory runs out. */
void *xmalloc(size_t n);

/* ---- options.c: the command line --------------------------------------------------- */

/* --op: which operator of the family (LeakyReLU by default). */
enum op { OP_LEAKY_RELU, OP_RRELU, OP_PRELU };

struct opts {
	lrelu_framework fw;
	bool have_ns, have_alpha, inplace, have_dtype, have_threads;
	double ns, alpha;
	lrelu_dtype dtype;
	const char *grad;
	int threads;
	bool have_scale, have_zp, have_oscale, have_ozp;
	double scale, oscale;
	int32_t zp, ozp;
	bool have_from, have_to;
	lrelu_framework from, to;
	bool from_result;          /* --from-result: INPUT is an in-place forward's result */
	bool have_print;           /* a printing option was given */
	int precision;             /* --precision (print options, npyprint.h) */
	uint64_t threshold;        /* --threshold */
	bool bits;                 /* --bits */
	/* lrelu diff only (diff: parse_args read diff's options) */
	bool diff, have_from_slope, have_to_slope, json, all;
	double from_slope, to_slope;
	const char *input, *mask;
	/* --op rrelu / --op prelu (family.c) */
	enum op op;
	bool have_lower, have_upper, train, have_seed;
	double lower, upper;
	uint64_t seed;             /* torch.manual_seed's seed, as the generator keeps it */
	const char *weight, *noise, *grad_weight;
	bool dtype_bits_only;      /* --dtype only says what 2-byte bit patterns hold; a float
	                              file keeps its dtype (PReLU's weight: PyTorch takes any
	                              float weight with a bfloat16 input) */
	const char *pos[3];
	int npos;
};

/* Sets o to the defaults: no option given. */
void init_opts(struct opts *o);

/* Parses argv[first..] into o (set by init_opts); diff
 * selects lrelu diff's options.  --help and --version print and exit here. */
void parse_args(int argc, char **argv, int first, bool diff, struct opts *o);

/* The slope for fw from --negative-slope / --alpha (each only where fw calls its
 * parameter so), or fw's default. */
double pick_slope(const struct opts *o, lrelu_framework fw);

/* Sets the library's thread count from --threads (default 1). */
void set_threads(const struct opts *o);

/* The framework's own spelling: "PyTorch", "MindSpore", "ONNX", "TensorFlow". */
const char *fw_title(lrelu_framework fw);

/* ---- input.c: arrays, a header plus a byte source (file, stdin, or memory) ----------- */

struct source {
	const char *name; /* for messages: the path, "standard input", "literal", "GRAD" */
	int fd;           /* -1 for memory */
	const unsigned char *mem;
	size_t mem_len, mem_pos;
	bool regular;     /* a regular file whose size was checked */
	struct stat st;
	/* Where set, the bytes come from here (an .npz member, inflated and checked). */
	size_t (*read)(struct source *s, void *buf, size_t n);
	void *ctx;
};

struct array {
	struct npy_info info;
	lrelu_dtype dtype;
	struct source src;
	void *owned; /* literal data */
};

/* Opens spec (a literal, '-', or a path) for role ("INPUT", "GRAD") and reads its
 * header: a's info, dtype and source are set, the source positioned at the data. */
void open_array(const char *spec, const struct opts *o, const char *role, struct array *a);

/* Sets a's dtype from its header and --dtype, and checks int8/uint8 data has its
 * quantization parameters (exits otherwise). */
void set_array_dtype(struct array *a, const struct opts *o);

/* Reads up to n bytes; returns the count (short only at end of input). */
size_t src_read(struct source *s, void *buf, size_t n);

/* Checks GRAD g against INPUT x: dtype, shape and order. */
void check_grad(const struct array *x, const struct array *g);

/* Reverses the bytes of each of n elements of size bytes. */
void swap_bytes(void *buf, size_t n, size_t size);

bool host_little(void);

/* ---- stream.c: the computation over chunks, into a sink ------------------------------ */

struct gather;
struct npyprint_opts;

/* Where results go: a file (the temporary file or standard output) or memory. */
struct sink {
	int fd;            /* -1: memory */
	const char *name;  /* for messages */
	unsigned char *mem;
	size_t mem_len, mem_cap;
	bool is_stdout;
	uint64_t written, flushed; /* file sinks: bytes written, bytes sent to the disk */
	/* Printing: keep only the displayed elements (struct gather: stream.c). */
	struct gather *gather;
	/* Where set, every byte goes here instead (an .npz member being written). */
	void (*put)(struct sink *k, const void *buf, size_t n);
	void *ctx;
};

/* What to compute: one framework's rule, forward or (g set) backward. */
struct job {
	const struct opts *o;
	lrelu_framework fw;
	double slope;
	struct array *x, *g; /* g: gradient, or NULL for forward */
	/* --op rrelu / prelu (family.c) */
	enum op op;
	double lower, upper;
	lrelu_generator *gen;    /* RReLU training: advanced across chunks and members */
	struct sink *noise;      /* RReLU training: the noise goes here too (or NULL) */
	unsigned char *noise_buf; /* run_stream's chunk buffer for the noise */
	lrelu_tensor weight;     /* PReLU */
	void *grad_weight;       /* PReLU backward with --grad-weight: weight-sized result */
	bool whole;              /* computed over the whole array at once (see family.c) */
	/* PReLU streamed: chunks of whole (chan, inner) blocks of the file's order, each
	 * computed as a (k, chan, inner) view; block = chan * inner (1: element-wise). */
	uint64_t block;
	int64_t chan, inner;
};

/* Writes n bytes to k; a write error exits with a message. */
void sink_write(struct sink *k, const void *buf, size_t n);

/* Computes n elements of j's rule from xb (and gb) into yb (which may be xb or gb);
 * name is for the message should the library refuse. */
void compute_chunk(const struct job *j, void *xb, void *gb, void *yb, size_t n,
                   const char *name);

/* Streams j's x (and g) through the computation into k, chunk by chunk. */
void run_stream(const struct job *j, struct sink *k);

/* Prints the result of j as NumPy's print() shows it under the command's print options
 * (--precision, --threshold, --bits), keeping in memory only the elements it shows, as
 * they arrive. */
void print_streamed(const struct job *j);

/* ---- family.c: --op rrelu, --op prelu ------------------------------------------------- */

struct family_out;

/* Checks the options of j's operator (o->op) against each other and fills j's
 * parameters: the slope for LeakyReLU, the bounds and the seeded generator for RReLU.
 * Exits with a usage error for a combination the operator does not take. */
void job_setup(struct job *j, struct opts *o, lrelu_generator *gen);

/* Once INPUT x is open: PReLU's weight read (a literal takes x's dtype), and whether
 * the computation needs the whole array at once. */
void job_load(struct job *j, struct array *x);

/* Computes n elements of a family operator (j->op is not OP_LEAKY_RELU); see
 * compute_chunk. */
void family_chunk(const struct job *j, void *xb, void *gb, void *yb, size_t n,
                  const char *name);

/* The second outputs (--noise, --grad-weight): their names checked and temporary files
 * opened before any work (family_open, which points j->noise at the noise's sink), then
 * renamed into place after the result (family_commit, which writes dL/dweight first). */
struct family_out *family_open(struct job *j);
void family_commit(struct family_out *f, struct job *j);

/* ---- diff.c: lrelu diff --------------------------------------------------------------- */

/* Runs lrelu diff with the options parsed into o; returns the exit status. */
int cmd_diff(struct opts *o);

/* ---- output.c: the output file, replaced atomically ---------------------------------- */

/* The file an OUTPUT name stands for: a symbolic link's target, with the mode and
 * owner to give the new file. */
struct target {
	char path[PATH_MAX];  /* the file to replace (a symlink's target) */
	char dir[PATH_MAX];
	mode_t mode;
	bool exists;
	uid_t uid;
	gid_t gid;
};

/* Sets the signal dispositions: write errors come back as errors (SIGPIPE, SIGXFSZ
 * ignored), and a terminating signal removes the temporary file first. */
void install_signals(void);

/* Resolves OUTPUT (following a symbolic link) and checks it can be replaced. */
void resolve_target(const char *spec, struct target *t);

/* Creates the temporary file beside t; returns its descriptor. */
int open_tmp(const struct target *t);

/* Gives the finished temporary file t's mode (and owner, where allowed), flushes it to
 * the disk, closes fd and renames it over t; then flushes the directory. */
void commit_tmp(int fd, const struct target *t);

/* Removes the temporary output file, if one is open (safe to call at any time). */
void remove_tmp(void);

#endif
