/* npz.h - .npz archives (numpy.savez, savez_compressed) in the command: which operands
 * name one, its members as arrays (for the main command and lrelu diff), the .npz output */
#ifndef LRELU_NPZ_H
#define LRELU_NPZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "zip.h"

/* An open archive whose every member was checked to be a .npy array with a plain name
 * (member order is the central directory's, numpy.load's .files order). */
struct npz {
	const char *path;   /* the archive's file name, for messages */
	int fd;
	struct stat st;
	struct zip_archive zip;
	size_t count;
	char **keys;        /* numpy.load's keys: the member names without ".npy" */
	bool compressed;    /* some member is deflated (savez_compressed) */
};

/* If spec names an archive -- a file that starts as a zip file does, or ARCHIVE:NAME
 * where ARCHIVE is an existing file -- opens and checks it and returns true, *name set
 * to NAME (NULL for the whole archive).  An archive that is not an .npz (a PyTorch .pt
 * file, another zip), a damaged or hostile one: a message and exit 1.  Anything else
 * (a .npy file, '-', a missing file): false, nothing opened. */
bool npz_open(const char *spec, struct npz *z, const char **name);
void npz_close(struct npz *z);

/* The index of the member whose key is key, or SIZE_MAX if there is none. */
size_t npz_index(const struct npz *z, const char *key);

/* The index of the member whose key is key; exits (listing the keys) if there is none. */
size_t npz_find(const struct npz *z, const char *key);

/* Opens member i as open_array opens a .npy file: a's header read and checked against
 * the member's size, dtype set from --dtype as for a file, and a's source streaming the
 * member's data (inflated, CRC-checked before its last bytes are handed out) in chunks.
 * a->owned holds the stream (z must stay open until npz_member_free).  A member read to
 * its end has released its inflate state, so free(a->owned) is then enough. */
void npz_member(const struct npz *z, size_t i, const struct opts *o, struct array *a);

/* npz_member for an archive run as a whole, where --dtype bfloat16 names how its 2-byte
 * integer members are read, not what its float members hold. */
void npz_whole_member(const struct npz *z, size_t i, const struct opts *o, struct array *a);

/* Releases a member opened by npz_member, read to its end or not. */
void npz_member_free(struct array *a);

/* For open_array: if spec is ARCHIVE:NAME, opens that member into a (the archive stays
 * open until exit) and returns true; a whole archive where one array is wanted is a
 * usage error naming its keys.  false: spec is no archive. */
bool npz_open_array(const char *spec, const struct opts *o, struct array *a);

/* The main command on every member of z: printed ("KEY:" then the array as print()
 * shows it), or written to OUTPUT (or over the archive with --inplace) as an .npz with
 * the same names, deflated if z was, replaced atomically.  GRAD, if given, must be an
 * .npz holding the same keys.  Returns the exit status. */
int npz_main(struct opts *o, struct npz *z, const char *out);

#endif
