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

/*** Structure-aware mutation (LLVMFuzzerCustomMutator) ***
 * Files whose interesting parser sits behind a checksum or a length field
 * (event records' CRCs, the safetensors header length, the npy header length,
 * gzip's CRC) get a custom mutator: it splits the input into its parts, lets
 * libFuzzer mutate one part, and writes the checksums and lengths again, so
 * most inputs pass the guard and reach the parser behind it. A few mutations
 * in ten stay raw, so the guards themselves keep being fuzzed. */

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

/* A small PRNG for the mutators (libFuzzer passes a seed per call). */
static uint32_t fuzz_rand(uint32_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static uint64_t fuzz_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static void fuzz_put_le(uint8_t *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Mutates part [off, off + len) of a buffer of size *size (capacity max):
 * the bytes after the part move with it. Returns the part's new length, or
 * (size_t)-1 when there was no room. */
static size_t fuzz_mutate_part(uint8_t *data, size_t *size, size_t max, size_t off, size_t len) {
    size_t tail = *size - off - len;
    if (max < *size || max - (*size - len) < 1) return (size_t)-1;
    size_t room = max - (*size - len); /* the most the part may grow to */
    uint8_t *part = malloc(room ? room : 1), *rest = malloc(tail ? tail : 1);
    if (!part || !rest) {
        free(part);
        free(rest);
        return (size_t)-1;
    }
    memcpy(part, data + off, len);
    memcpy(rest, data + off + len, tail);
    size_t n = LLVMFuzzerMutate(part, len, room);
    memcpy(data + off, part, n);
    memcpy(data + off + n, rest, tail);
    *size = off + n + tail;
    free(part);
    free(rest);
    return n;
}

#endif
