/* fuzz_image.c — image decoding (libpng, libjpeg-turbo and our BMP and PGM/PPM
 * readers, via nb_image_dataset_open) on arbitrary bytes: one class folder holding
 * one file, opened strictly (an undecodable image is an error status) at 1 and 3
 * channels. The name's extension comes from the first byte (the format is told by
 * the content, so it only has to be one the folder listing takes).
 * libpng and libjpeg are Debian's, not instrumented: coverage counts our code
 * (dispatch, error paths, conversions, BMP and PGM/PPM) but not theirs. */
#include "fuzz_common.h"

#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char dir[256], file[320];
    static const char *const ext[] = {".png", ".jpg", ".bmp", ".pgm"};
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/nabla_fuzz_img_%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
        char cls[300];
        mkdir(dir, 0700);
        snprintf(cls, sizeof cls, "%s/c", dir);
        mkdir(cls, 0700);
    }
    if (size < 1) return 0;
    snprintf(file, sizeof file, "%s/c/img%s", dir, ext[data[0] & 3]);
    if (fuzz_write(file, data + 1, size - 1)) return 0;
    int channels = (data[0] & 4) ? 3 : 1;
    nb_error err = {0};
    nb_image_dataset *ds = nb_image_dataset_open(dir, 8, 8, channels, NB_IMAGES_STRICT, &err);
    if (ds) {
        nb_tensor *im = nb_image_dataset_images(ds);
        nb_tensor_unref(im);
        nb_image_dataset_free(ds);
    } else {
        fuzz_check_error(&err);
    }
    unlink(file);
    return 0;
}
