/* fuzz_csv.c — nb_csv_read on arbitrary bytes (header and no header, float32/float64,
 * the default row limit or a small one). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_tmp_path(".csv");
    if (fuzz_write(path, data, size)) return 0;
    /* The first byte picks the mode so both paths get coverage from one corpus. */
    unsigned mode = size ? data[0] : 0;
    static const char *const cols[] = {"x", "1", "y"};
    nb_error err = {0};
    /* Bit 4 sets a small row limit, so the limit's checks get inputs that reach it. */
    nb_csv_set_max_row_bytes((mode & 16) ? 64 + ((mode >> 5) & 7) * 32 : 0);
    nb_tensor *t = nb_csv_read(path, mode & 1, (mode & 2) ? cols : NULL, (mode & 2) ? 2 + ((mode >> 2) & 1) : 0,
                               (mode & 8) ? NB_FLOAT64 : NB_FLOAT32, &err);
    if (t) {
        (void)nb_tensor_size(t);
        nb_tensor_unref(t);
    } else {
        fuzz_check_error(&err);
    }
    return 0;
}
