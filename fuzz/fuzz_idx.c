/* fuzz_idx.c — nb_idx_load on arbitrary bytes (plain; gzip when the input starts
 * with 1f 8b). A custom mutator gets past gzip's CRC: it inflates a gzip input,
 * mutates the IDX bytes inside, and deflates them again (one in ten raw; plain
 * inputs are sometimes gzipped). */
#include "fuzz_common.h"

#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_tmp_path(".idx");
    if (fuzz_write(path, data, size)) return 0;
    nb_error err = {0};
    nb_tensor *t = nb_idx_load(path, &err);
    if (t) nb_tensor_unref(t);
    else fuzz_check_error(&err);
    return 0;
}

/* Inflates a gzip stream into out (cap bytes); returns the length or -1. */
static long gunzip(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return -1;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int r = inflate(&z, Z_FINISH);
    long got = (long)(cap - z.avail_out);
    inflateEnd(&z);
    return r == Z_STREAM_END || r == Z_BUF_ERROR || r == Z_OK ? got : -1;
}

/* Deflates in as a gzip stream into out (cap bytes); returns the length or -1. */
static long gzip(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int r = deflate(&z, Z_FINISH);
    long got = (long)(cap - z.avail_out);
    deflateEnd(&z);
    return r == Z_STREAM_END ? got : -1;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed) {
    uint32_t rs = seed | 1;
    bool gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    unsigned pick = fuzz_rand(&rs) % 10;
    if (pick == 0 || (!gz && pick != 1)) return LLVMFuzzerMutate(data, size, max);
    size_t cap = 1u << 16;
    uint8_t *raw = malloc(cap), *z = malloc(max);
    long n = -1;
    if (raw && z) {
        if (gz) n = gunzip(data, size, raw, cap);
        else if (size <= cap) memcpy(raw, data, size), n = (long)size;
    }
    long out = -1;
    if (n >= 0) {
        size_t m = LLVMFuzzerMutate(raw, (size_t)n, cap);
        out = gzip(raw, m, z, max);
    }
    if (out >= 0) memcpy(data, z, (size_t)out);
    free(raw);
    free(z);
    return out >= 0 ? (size_t)out : LLVMFuzzerMutate(data, size, max);
}
