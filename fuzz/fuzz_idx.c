/* fuzz_idx.c — nb_idx_load on arbitrary bytes (plain; gzip when the input starts with 1f 8b). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_tmp_path(".idx");
    if (fuzz_write(path, data, size)) return 0;
    nb_error err = {0};
    nb_tensor *t = nb_idx_load(path, &err);
    if (t) nb_tensor_unref(t);
    else fuzz_check_error(&err);
    return 0;
}
