/* fuzz_safetensors.c — nb_checkpoint_read (the safetensors reader) on arbitrary bytes;
 * a custom mutator keeps the header length in step with the JSON header. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_tmp_path(".safetensors");
    if (fuzz_write(path, data, size)) return 0;
    nb_error err = {0};
    int n = 0;
    char **names = NULL;
    nb_tensor **values = NULL;
    if (nb_checkpoint_read(path, &n, &names, &values, &err) == NB_OK) {
        for (int i = 0; i < n; i++) {
            (void)strlen(names[i]);
            (void)nb_tensor_nbytes(values[i]);
        }
        nb_checkpoint_read_free(n, names, values);
    } else {
        fuzz_check_error(&err);
    }
    return 0;
}

/* Keeps the 8-byte header length right: mutates the JSON header (most often)
 * or the data after it, then writes the length again. One in ten is raw. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed) {
    uint32_t rs = seed | 1;
    if (size < 8 || max < 8 || fuzz_rand(&rs) % 10 == 0) return LLVMFuzzerMutate(data, size, max);
    uint64_t hl = fuzz_le64(data);
    if (hl > size - 8) hl = size - 8; /* a broken length: the rest is the header */
    size_t n = size;
    if (fuzz_rand(&rs) % 4 != 0) {
        size_t got = fuzz_mutate_part(data, &n, max, 8, (size_t)hl);
        if (got == (size_t)-1) return LLVMFuzzerMutate(data, size, max);
        hl = got;
    } else if (fuzz_mutate_part(data, &n, max, 8 + (size_t)hl, size - 8 - (size_t)hl) == (size_t)-1) {
        return LLVMFuzzerMutate(data, size, max);
    }
    fuzz_put_le(data, hl, 8);
    return n;
}
