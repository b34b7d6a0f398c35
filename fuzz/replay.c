/* replay.c - runs a fuzz target over files (a corpus directory or single files) without
 * libFuzzer, so the kept corpus is part of the ordinary tests */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long replayed, unreadable;

static void run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		unreadable++;
		return;
	}
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			unsigned char *p = realloc(buf, cap);
			if (!p)
				break;
			buf = p;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	replayed++;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			unreadable++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			run_file(argv[i]);
			continue;
		}
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			char p[4096];
			snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
			run_file(p);
		}
		if (d)
			closedir(d);
	}
	const char *name = strrchr(argv[0], '/');
	name = name ? name + 1 : argv[0];
	printf("%s: %ld passed, %ld failed\n", name, replayed, unreadable + (replayed == 0));
	return unreadable || replayed == 0;
}
