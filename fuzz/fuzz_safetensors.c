/* fuzz_safetensors.c — nb_checkpoint_read (the safetensors reader) on arbitrary bytes. */
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
