/*
 * fuzz_common.h — shared by the libFuzzer targets: readers that take a path get
 * the input through a per-process temporary file.
 */
#ifndef NB_FUZZ_COMMON_H
#define NB_FUZZ_COMMON_H

#include "nabla.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes data to path; returns 0 on success. */
static int fuzz_write(const char *path, const uint8_t *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = size ? fwrite(data, 1, size, f) : 0;
    int bad = fclose(f) != 0 || n != size;
    return bad ? -1 : 0;
}

/* A temporary file path private to this process, with the given suffix. */
static const char *fuzz_tmp_path(const char *suffix) {
    static char path[256];
    if (!path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/nabla_fuzz_%ld%s", dir && *dir ? dir : "/tmp",
                 (long)getpid(), suffix);
    }
    return path;
}

/* An nb_error must be filled with a real code and a non-empty message on failure. */
static void fuzz_check_error(const nb_error *err) {
    if (err->code == NB_OK || !err->message[0] ||
        !memchr(err->message, 0, sizeof err->message)) {
        fprintf(stderr, "fuzz: a failure without a status/message\n");
        abort();
    }
}

#endif
