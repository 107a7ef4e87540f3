/* fuzz_npy.c — nb_npy_load on arbitrary bytes; a loaded tensor must round-trip. A
 * custom mutator keeps the header length in step with the header dict. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_tmp_path(".npy");
    if (fuzz_write(path, data, size)) return 0;
    nb_error err = {0};
    nb_tensor *t = nb_npy_load(path, &err);
    if (!t) {
        fuzz_check_error(&err);
        return 0;
    }
    if (nb_tensor_size(t) <= 4096) { /* save and reload: the same values */
        if (nb_npy_save(path, t, &err) == NB_OK) {
            nb_tensor *u = nb_npy_load(path, &err);
            if (!u || !nb_tensor_equal(t, u)) {
                /* NaNs compare unequal: only dtype and shape must match then */
                if (!u || nb_tensor_dtype(u) != nb_tensor_dtype(t) ||
                    nb_tensor_size(u) != nb_tensor_size(t)) {
                    fprintf(stderr, "fuzz_npy: save/load round trip changed the tensor\n");
                    abort();
                }
            }
            nb_tensor_unref(u);
        }
    }
    nb_tensor_unref(t);
    return 0;
}

/* Keeps the header length field right: "\x93NUMPY", major, minor, then a
 * 2-byte (version 1) or 4-byte (2, 3) length and the header dict. Mutates the
 * dict (most often) or the data, then writes the length again. One in ten raw. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed) {
    uint32_t rs = seed | 1;
    if (size < 10 || memcmp(data, "\x93NUMPY", 6) != 0 || fuzz_rand(&rs) % 10 == 0)
        return LLVMFuzzerMutate(data, size, max);
    int lw = data[6] == 1 ? 2 : 4;
    size_t hs = 8 + (size_t)lw;
    if (size < hs) return LLVMFuzzerMutate(data, size, max);
    uint64_t hl = 0;
    for (int i = lw - 1; i >= 0; i--) hl = (hl << 8) | data[8 + i];
    if (hl > size - hs) hl = size - hs;
    size_t n = size;
    if (fuzz_rand(&rs) % 4 != 0) {
        size_t got = fuzz_mutate_part(data, &n, max, hs, (size_t)hl);
        if (got == (size_t)-1 || (lw == 2 && got > 65535)) return LLVMFuzzerMutate(data, size, max);
        hl = got;
    } else if (fuzz_mutate_part(data, &n, max, hs + (size_t)hl, size - hs - (size_t)hl) == (size_t)-1) {
        return LLVMFuzzerMutate(data, size, max);
    }
    fuzz_put_le(data + 8, hl, lw);
    return n;
}
