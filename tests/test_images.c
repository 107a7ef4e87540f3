/*
 * test_images.c — the image-folder dataset on a folder the test makes itself:
 * PNG and JPEG images in a few classes (written with stb_image_write), a
 * truncated PNG, an empty file, a text file named .jpg, files that are not
 * images at all, a hidden file and an empty class. Checks class names, labels,
 * shapes, pixel values after resizing (down and up, 1 and 3 channels), the
 * skip-with-warning and strict behaviours, and the seeded shuffling.
 */
#include "harness.h"
#include "nb_internal.h" /* nbi_alloc_fail_at */

#include <sys/stat.h>
#include <unistd.h>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

static char root[64];

static void path_of(char *buf, size_t n, const char *rel) { snprintf(buf, n, "%s/%s", root, rel); }

static void mkdir_rel(const char *rel) {
    char p[256];
    path_of(p, sizeof p, rel);
    mkdir(p, 0755);
}

static void write_bytes(const char *rel, const void *data, size_t n) {
    char p[256];
    path_of(p, sizeof p, rel);
    FILE *f = fopen(p, "wb");
    if (f) {
        if (n) fwrite(data, 1, n, f);
        fclose(f);
    }
}

static void png(const char *rel, int w, int h, int comp, const unsigned char *px) {
    char p[256];
    path_of(p, sizeof p, rel);
    stbi_write_png(p, w, h, comp, px, w * comp);
}

/* Solid green JPEGs (quality 100), made once with stb_image_write: its JPEG
 * encoder shifts negative ints, which the sanitizer build rejects. */
static const unsigned char green_10x6_jpg[] = {
    255, 216, 255, 224, 0, 16, 74, 70, 73, 70, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 255, 219, 0, 132,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 255, 192, 0, 17, 8, 0, 6, 0, 10, 3, 1, 17, 0, 2, 17, 1, 3, 17, 1, 255,
    196, 1, 162, 0, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
    9, 10, 11, 16, 0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 125, 1, 2, 3, 0, 4, 17, 5, 18,
    33, 49, 65, 6, 19, 81, 97, 7, 34, 113, 20, 50, 129, 145, 161, 8, 35, 66, 177, 193, 21, 82,
    209, 240, 36, 51, 98, 114, 130, 9, 10, 22, 23, 24, 25, 26, 37, 38, 39, 40, 41, 42, 52, 53,
    54, 55, 56, 57, 58, 67, 68, 69, 70, 71, 72, 73, 74, 83, 84, 85, 86, 87, 88, 89, 90, 99, 100,
    101, 102, 103, 104, 105, 106, 115, 116, 117, 118, 119, 120, 121, 122, 131, 132, 133, 134,
    135, 136, 137, 138, 146, 147, 148, 149, 150, 151, 152, 153, 154, 162, 163, 164, 165, 166,
    167, 168, 169, 170, 178, 179, 180, 181, 182, 183, 184, 185, 186, 194, 195, 196, 197, 198,
    199, 200, 201, 202, 210, 211, 212, 213, 214, 215, 216, 217, 218, 225, 226, 227, 228, 229,
    230, 231, 232, 233, 234, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 1, 0, 3, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 17, 0, 2, 1, 2, 4, 4,
    3, 4, 7, 5, 4, 4, 0, 1, 2, 119, 0, 1, 2, 3, 17, 4, 5, 33, 49, 6, 18, 65, 81, 7, 97, 113, 19,
    34, 50, 129, 8, 20, 66, 145, 161, 177, 193, 9, 35, 51, 82, 240, 21, 98, 114, 209, 10, 22,
    36, 52, 225, 37, 241, 23, 24, 25, 26, 38, 39, 40, 41, 42, 53, 54, 55, 56, 57, 58, 67, 68,
    69, 70, 71, 72, 73, 74, 83, 84, 85, 86, 87, 88, 89, 90, 99, 100, 101, 102, 103, 104, 105,
    106, 115, 116, 117, 118, 119, 120, 121, 122, 130, 131, 132, 133, 134, 135, 136, 137, 138,
    146, 147, 148, 149, 150, 151, 152, 153, 154, 162, 163, 164, 165, 166, 167, 168, 169, 170,
    178, 179, 180, 181, 182, 183, 184, 185, 186, 194, 195, 196, 197, 198, 199, 200, 201, 202,
    210, 211, 212, 213, 214, 215, 216, 217, 218, 226, 227, 228, 229, 230, 231, 232, 233, 234,
    242, 243, 244, 245, 246, 247, 248, 249, 250, 255, 218, 0, 12, 3, 1, 0, 2, 17, 3, 17, 0, 63,
    0, 250, 182, 191, 229, 108, 255, 0, 138, 144, 160, 15, 255, 217};
static const unsigned char green_6x10_jpg[] = {
    255, 216, 255, 224, 0, 16, 74, 70, 73, 70, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 255, 219, 0, 132,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 255, 192, 0, 17, 8, 0, 10, 0, 6, 3, 1, 17, 0, 2, 17, 1, 3, 17, 1, 255,
    196, 1, 162, 0, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
    9, 10, 11, 16, 0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 125, 1, 2, 3, 0, 4, 17, 5, 18,
    33, 49, 65, 6, 19, 81, 97, 7, 34, 113, 20, 50, 129, 145, 161, 8, 35, 66, 177, 193, 21, 82,
    209, 240, 36, 51, 98, 114, 130, 9, 10, 22, 23, 24, 25, 26, 37, 38, 39, 40, 41, 42, 52, 53,
    54, 55, 56, 57, 58, 67, 68, 69, 70, 71, 72, 73, 74, 83, 84, 85, 86, 87, 88, 89, 90, 99, 100,
    101, 102, 103, 104, 105, 106, 115, 116, 117, 118, 119, 120, 121, 122, 131, 132, 133, 134,
    135, 136, 137, 138, 146, 147, 148, 149, 150, 151, 152, 153, 154, 162, 163, 164, 165, 166,
    167, 168, 169, 170, 178, 179, 180, 181, 182, 183, 184, 185, 186, 194, 195, 196, 197, 198,
    199, 200, 201, 202, 210, 211, 212, 213, 214, 215, 216, 217, 218, 225, 226, 227, 228, 229,
    230, 231, 232, 233, 234, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 1, 0, 3, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 17, 0, 2, 1, 2, 4, 4,
    3, 4, 7, 5, 4, 4, 0, 1, 2, 119, 0, 1, 2, 3, 17, 4, 5, 33, 49, 6, 18, 65, 81, 7, 97, 113, 19,
    34, 50, 129, 8, 20, 66, 145, 161, 177, 193, 9, 35, 51, 82, 240, 21, 98, 114, 209, 10, 22,
    36, 52, 225, 37, 241, 23, 24, 25, 26, 38, 39, 40, 41, 42, 53, 54, 55, 56, 57, 58, 67, 68,
    69, 70, 71, 72, 73, 74, 83, 84, 85, 86, 87, 88, 89, 90, 99, 100, 101, 102, 103, 104, 105,
    106, 115, 116, 117, 118, 119, 120, 121, 122, 130, 131, 132, 133, 134, 135, 136, 137, 138,
    146, 147, 148, 149, 150, 151, 152, 153, 154, 162, 163, 164, 165, 166, 167, 168, 169, 170,
    178, 179, 180, 181, 182, 183, 184, 185, 186, 194, 195, 196, 197, 198, 199, 200, 201, 202,
    210, 211, 212, 213, 214, 215, 216, 217, 218, 226, 227, 228, 229, 230, 231, 232, 233, 234,
    242, 243, 244, 245, 246, 247, 248, 249, 250, 255, 218, 0, 12, 3, 1, 0, 2, 17, 3, 17, 0, 63,
    0, 250, 182, 191, 229, 108, 255, 0, 138, 144, 160, 15, 255, 217};

/* A copy of the first half of a file. */
static void truncate_copy(const char *from_rel, const char *to_rel) {
    char p[256];
    path_of(p, sizeof p, from_rel);
    FILE *f = fopen(p, "rb");
    unsigned char buf[65536];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    write_bytes(to_rel, buf, n / 2);
}

/* The folder:
 *   cat/a.png  8x8 red RGB        cat/b.png  5x7 red RGBA      cat/c_trunc.png  (half a PNG)
 *   cat/d_empty.png (0 bytes)     cat/.hidden.png (ignored)
 *   dog/x.jpg  10x6 green         dog/y.JPG  6x10 green        dog/fake.jpg (text)
 *   dog/notes.txt (ignored)       dog/sub/ (ignored)
 *   empty/ (no images)
 *   zebra/grad.png 4x4 grey, every row 0 100 200 250;  zebra/noise.png 37x23 RGB noise
 */
static void make_folder(void) {
    snprintf(root, sizeof root, "/tmp/nabla_images_XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return;
    }
    mkdir_rel("cat");
    mkdir_rel("dog");
    mkdir_rel("dog/sub");
    mkdir_rel("empty");
    mkdir_rel("zebra");
    write_bytes("README.txt", "not a class\n", 12); /* a file at the top: ignored */
    unsigned char px[37 * 23 * 4];
    for (int i = 0; i < 64; i++) px[3 * i] = 255, px[3 * i + 1] = 0, px[3 * i + 2] = 0;
    png("cat/a.png", 8, 8, 3, px);
    png("cat/.hidden.png", 8, 8, 3, px);
    for (int i = 0; i < 35; i++) px[4 * i] = 255, px[4 * i + 1] = 0, px[4 * i + 2] = 0, px[4 * i + 3] = 128;
    png("cat/b.png", 5, 7, 4, px);
    truncate_copy("cat/a.png", "cat/c_trunc.png");
    write_bytes("cat/d_empty.png", "", 0);
    write_bytes("dog/x.jpg", green_10x6_jpg, sizeof green_10x6_jpg);
    write_bytes("dog/y.JPG", green_6x10_jpg, sizeof green_6x10_jpg);
    write_bytes("dog/sub/deep.jpg", green_6x10_jpg, sizeof green_6x10_jpg);
    const char *text = "these are not the pixels you are looking for\n";
    write_bytes("dog/fake.jpg", text, strlen(text));
    write_bytes("dog/notes.txt", text, strlen(text));
    static const unsigned char row[4] = {0, 100, 200, 250};
    for (int y = 0; y < 4; y++) memcpy(px + 4 * y, row, 4);
    png("zebra/grad.png", 4, 4, 1, px);
    uint32_t st = 12345;
    for (int i = 0; i < 37 * 23 * 3; i++) {
        st = st * 1664525u + 1013904223u;
        px[i] = (unsigned char)(st >> 24);
    }
    png("zebra/noise.png", 37, 23, 3, px);
}

static void rm_rf(const char *p) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", p);
}

static double px_at(const nb_tensor *t, int64_t i, int64_t y, int64_t x, int64_t c) {
    return nb_tensor_get(t, (int64_t[]){i, y, x, c});
}

TEST(classes_labels_and_skips) {
    nb_error err = {0};
    nb_image_dataset *ds = nb_image_dataset_open(root, 2, 2, 3, 0, &err);
    CHECK(ds != NULL);
    if (!ds) {
        fprintf(stderr, "  %s\n", err.message);
        return;
    }
    CHECK(err.code == NB_OK);
    CHECK(nb_image_dataset_num_classes(ds) == 4);
    const char *want_classes[4] = {"cat", "dog", "empty", "zebra"};
    for (int i = 0; i < 4; i++) CHECK(!strcmp(nb_image_dataset_class_name(ds, i), want_classes[i]));
    CHECK(nb_image_dataset_class_name(ds, 4) == NULL);
    CHECK(nb_image_dataset_size(ds) == 6);
    const char *files[6] = {"cat/a.png", "cat/b.png", "dog/x.jpg", "dog/y.JPG", "zebra/grad.png", "zebra/noise.png"};
    const int labels[6] = {0, 0, 1, 1, 3, 3};
    for (int i = 0; i < 6; i++) {
        char p[256];
        path_of(p, sizeof p, files[i]);
        CHECK(nb_image_dataset_label(ds, i) == labels[i]);
        checks_++;
        if (!nb_image_dataset_path(ds, i) || strcmp(nb_image_dataset_path(ds, i), p))
            FAILF("path %d = %s, expected %s", i, nb_image_dataset_path(ds, i), p);
    }
    CHECK(nb_image_dataset_label(ds, 6) == -1 && nb_image_dataset_path(ds, -1) == NULL);
    /* three files skipped, each warning naming its file */
    CHECK(nb_image_dataset_num_skipped(ds) == 3);
    CHECK_STR_CONTAINS(nb_image_dataset_skipped(ds, 0), "cat/c_trunc.png: ");
    CHECK_STR_CONTAINS(nb_image_dataset_skipped(ds, 1), "cat/d_empty.png: empty file");
    CHECK_STR_CONTAINS(nb_image_dataset_skipped(ds, 2), "dog/fake.jpg: cannot decode");
    CHECK(nb_image_dataset_skipped(ds, 3) == NULL);

    nb_tensor *L = nb_image_dataset_labels(ds);
    CHECK(L && nb_tensor_dtype(L) == NB_INT32 && nb_tensor_rank(L) == 1 && nb_tensor_dim(L, 0) == 6);
    for (int i = 0; L && i < 6; i++) CHECK(nb_tensor_get_flat(L, i) == labels[i]);
    nb_tensor_unref(L);

    nb_tensor *I = nb_image_dataset_images(ds);
    CHECK(I && nb_tensor_dtype(I) == NB_FLOAT32 && nb_tensor_rank(I) == 4);
    CHECK(I && nb_tensor_dim(I, 0) == 6 && nb_tensor_dim(I, 1) == 2 && nb_tensor_dim(I, 2) == 2 &&
          nb_tensor_dim(I, 3) == 3);
    if (I) {
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 2; x++) {
                /* red PNGs, exact (the RGBA one's alpha is dropped) */
                for (int i = 0; i < 2; i++) {
                    CHECK(px_at(I, i, y, x, 0) == 1.0f);
                    CHECK(px_at(I, i, y, x, 1) == 0.0f && px_at(I, i, y, x, 2) == 0.0f);
                }
                /* green JPEGs, close */
                for (int i = 2; i < 4; i++) {
                    CHECK(px_at(I, i, y, x, 0) < 0.05 && px_at(I, i, y, x, 1) > 0.95 && px_at(I, i, y, x, 2) < 0.05);
                }
                /* grey gradient 0 100 200 250 halved: samples at 0.5 and 2.5 */
                double want = x == 0 ? 50 : 225;
                for (int c = 0; c < 3; c++) CHECK_NEAR(px_at(I, 4, y, x, c), (float)(want / 255), 1e-7);
            }
        for (int64_t k = 0; k < nb_tensor_size(I); k++) {
            double v = nb_tensor_get_flat(I, k);
            checks_++;
            if (!(v >= 0 && v <= 1)) FAILF("pixel %lld = %g outside [0, 1]", (long long)k, v);
        }
    }
    nb_tensor_unref(I);

    /* gather: a subset in the asked order */
    nb_tensor *gi = NULL, *gl = NULL;
    CHECK_STATUS(nb_image_dataset_gather(ds, (int64_t[]){4, 0}, 2, &gi, &gl), NB_OK);
    CHECK(gi && nb_tensor_dim(gi, 0) == 2 && gl && nb_tensor_get_flat(gl, 0) == 3 && nb_tensor_get_flat(gl, 1) == 0);
    CHECK(gi && px_at(gi, 1, 0, 0, 0) == 1.0f);
    nb_tensor_unref(gi);
    nb_tensor_unref(gl);
    CHECK_STATUS(nb_image_dataset_gather(ds, (int64_t[]){6}, 1, &gi, &gl), NB_ERR_INVALID_ARGUMENT);
    CHECK(gi == NULL && gl == NULL);
    nb_image_dataset_free(ds);
}

TEST(upsampling_and_grey) {
    nb_error err = {0};
    nb_image_dataset *ds = nb_image_dataset_open(root, 4, 8, 1, 0, &err);
    CHECK(ds != NULL);
    if (!ds) return;
    nb_tensor *I = nb_image_dataset_images(ds);
    CHECK(I && nb_tensor_dim(I, 3) == 1 && nb_tensor_dim(I, 1) == 4 && nb_tensor_dim(I, 2) == 8);
    if (I) {
        /* 4 -> 8 wide: samples at -0.25 (clamped), 0.25, 0.75, ..., 3.25 (clamped) */
        const double want[8] = {0, 25, 75, 125, 175, 213 /* 212.5 rounded */, 238 /* 237.5 */, 250};
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 8; x++) CHECK_NEAR(px_at(I, 4, y, x, 0), (float)(want[x] / 255), 1e-7);
        /* red as luminance: stb's (77 r + 150 g + 29 b) >> 8 = 76 */
        CHECK_NEAR(px_at(I, 0, 3, 7, 0), (float)(76.0 / 255), 1e-7);
    }
    nb_tensor_unref(I);
    nb_image_dataset_free(ds);
}

TEST(single_image_load) {
    char p[256];
    nb_error err = {0};
    /* zebra/grad.png: rows 0 100 200 250, grey 4x4 -> 4x8 as in the dataset test */
    path_of(p, sizeof p, "zebra/grad.png");
    nb_tensor *t = nb_image_load(p, 4, 8, 1, &err);
    CHECK(t && nb_tensor_rank(t) == 3 && nb_tensor_dim(t, 0) == 4 && nb_tensor_dim(t, 1) == 8 &&
          nb_tensor_dim(t, 2) == 1 && nb_tensor_dtype(t) == NB_FLOAT32);
    const double want[8] = {0, 25, 75, 125, 175, 213, 238, 250};
    for (int x = 0; t && x < 8; x++) CHECK_NEAR(nb_tensor_get_flat(t, 2 * 8 + x), (float)(want[x] / 255), 1e-7);
    nb_tensor_unref(t);
    /* a JPEG in RGB: green */
    path_of(p, sizeof p, "dog/x.jpg");
    t = nb_image_load(p, 3, 3, 3, &err);
    CHECK(t && nb_tensor_get_flat(t, 1) > 0.5 && nb_tensor_get_flat(t, 0) < 0.3);
    nb_tensor_unref(t);
    /* truncated, fake and missing files: errors naming the file */
    path_of(p, sizeof p, "cat/c_trunc.png");
    CHECK(nb_image_load(p, 4, 4, 3, &err) == NULL && err.code == NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, "c_trunc.png");
    path_of(p, sizeof p, "dog/fake.jpg");
    CHECK(nb_image_load(p, 4, 4, 3, &err) == NULL && err.code == NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, "not a JPEG, PNG or BMP");
    path_of(p, sizeof p, "nope.png");
    CHECK(nb_image_load(p, 4, 4, 3, &err) == NULL && err.code != NB_OK);
    CHECK_STR_CONTAINS(err.message, "nope.png");
    CHECK(nb_image_load(p, 4, 4, 2, &err) == NULL && err.code == NB_ERR_INVALID_ARGUMENT);
}

TEST(strict_mode_names_the_file) {
    nb_error err = {0};
    nb_image_dataset *ds = nb_image_dataset_open(root, 2, 2, 3, NB_IMAGES_STRICT, &err);
    CHECK(ds == NULL);
    CHECK(err.code == NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, "cat/c_trunc.png");
    nb_image_dataset_free(ds);
}

TEST(bad_arguments_and_folders) {
    nb_error err = {0};
    CHECK(nb_image_dataset_open("/nonexistent/nabla/images", 2, 2, 3, 0, &err) == NULL);
    CHECK(err.code == NB_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err.message, "/nonexistent/nabla/images");
    CHECK(nb_image_dataset_open(root, 2, 2, 2, 0, &err) == NULL);
    CHECK(err.code == NB_ERR_INVALID_ARGUMENT);
    CHECK(nb_image_dataset_open(root, 0, 2, 3, 0, &err) == NULL);
    CHECK(err.code == NB_ERR_INVALID_ARGUMENT);
    CHECK(nb_image_dataset_open(NULL, 2, 2, 3, 0, &err) == NULL);
    CHECK(err.code == NB_ERR_INVALID_ARGUMENT);
    /* a class folder is not a dataset: its entries are files, not folders */
    char p[256];
    path_of(p, sizeof p, "cat");
    CHECK(nb_image_dataset_open(p, 2, 2, 3, 0, &err) == NULL);
    CHECK(err.code == NB_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err.message, "no class sub-folders");
    /* a folder whose only class holds only undecodable files (trailing '/' allowed) */
    mkdir_rel("bad");
    mkdir_rel("bad/only");
    write_bytes("bad/only/x.png", "garbage", 7);
    truncate_copy("dog/x.jpg", "bad/only/y.jpg");
    path_of(p, sizeof p, "bad/");
    nb_image_dataset *ds = nb_image_dataset_open(p, 2, 2, 3, 0, &err);
    /* stb may decode a truncated baseline JPEG's first rows; either way nothing crashes */
    if (ds) {
        CHECK(nb_image_dataset_size(ds) == 1 && nb_image_dataset_num_skipped(ds) == 1);
        CHECK_STR_CONTAINS(nb_image_dataset_skipped(ds, 0), "bad/only/x.png: ");
        CHECK(strstr(nb_image_dataset_path(ds, 0), "//") == NULL);
    } else {
        CHECK(err.code == NB_ERR_NOT_FOUND);
        CHECK_STR_CONTAINS(err.message, "no readable image");
    }
    nb_image_dataset_free(ds);
    /* NULL handles are harmless */
    nb_image_dataset_free(NULL);
    CHECK(nb_image_dataset_size(NULL) == 0 && nb_image_dataset_images(NULL) == NULL);
    CHECK_STATUS(nb_image_dataset_next_batch(NULL, 2, NULL, NULL), NB_ERR_INVALID_ARGUMENT);
}

/* Labels of `epochs` epochs of batches of 4; checks the batch sizes and that each
 * epoch is a permutation (identifying images by their pixel sums). */
static void run_epochs(nb_image_dataset *ds, int epochs, double *sums) {
    int k = 0;
    int64_t n = nb_image_dataset_size(ds);
    for (int e = 0; e < epochs; e++) {
        int64_t seen = 0;
        while (seen < n) {
            nb_tensor *im = NULL, *lb = NULL;
            CHECK_STATUS(nb_image_dataset_next_batch(ds, 4, &im, &lb), NB_OK);
            if (!im || !lb) return;
            CHECK(nb_image_dataset_epoch(ds) == e);
            int64_t b = nb_tensor_dim(im, 0);
            CHECK(b == (seen + 4 <= n ? 4 : n - seen));
            CHECK(nb_tensor_dim(lb, 0) == b);
            int64_t per = nb_tensor_size(im) / b;
            for (int64_t i = 0; i < b; i++) {
                double s = 0;
                for (int64_t j = 0; j < per; j++) s += nb_tensor_get_flat(im, i * per + j);
                sums[k++] = s + 1000 * nb_tensor_get_flat(lb, i);
            }
            seen += b;
            nb_tensor_unref(im);
            nb_tensor_unref(lb);
        }
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

TEST(shuffled_batches_are_reproducible) {
    nb_error err = {0};
    nb_image_dataset *a = nb_image_dataset_open(root, 3, 3, 3, 0, &err);
    nb_image_dataset *b = nb_image_dataset_open(root, 3, 3, 3, 0, &err);
    CHECK(a && b);
    if (!a || !b) return;
    enum { E = 6, N = 6 };
    double sa[E * N], sb[E * N], sc[E * N];
    nb_image_dataset_shuffle(a, 99);
    nb_image_dataset_shuffle(b, 99);
    run_epochs(a, E, sa);
    run_epochs(b, E, sb);
    CHECK(memcmp(sa, sb, sizeof sa) == 0);
    /* every epoch holds every image once */
    for (int e = 0; e < E; e++) {
        double x[N], y[N];
        memcpy(x, sa + e * N, sizeof x);
        memcpy(y, sa, sizeof y);
        qsort(x, N, sizeof *x, cmp_double);
        qsort(y, N, sizeof *y, cmp_double);
        CHECK(memcmp(x, y, sizeof x) == 0);
    }
    /* epochs are reshuffled */
    int differ = 0;
    for (int e = 1; e < E; e++) differ += memcmp(sa, sa + e * N, sizeof(double) * N) != 0;
    CHECK(differ > 0);
    /* restarting with the same seed replays; another seed gives another order */
    nb_image_dataset_shuffle(a, 99);
    run_epochs(a, E, sc);
    CHECK(memcmp(sa, sc, sizeof sa) == 0);
    CHECK(nb_image_dataset_epoch(a) == E - 1);
    nb_image_dataset_shuffle(b, 100);
    run_epochs(b, E, sc);
    CHECK(memcmp(sa, sc, sizeof sa) != 0);
    CHECK_STATUS(nb_image_dataset_next_batch(a, 0, NULL, NULL), NB_ERR_INVALID_ARGUMENT);
    nb_image_dataset_free(a);
    nb_image_dataset_free(b);
}

TEST(out_of_memory_is_reported_never_a_crash) {
    /* Fail the n-th allocation for each n: opening either succeeds with exactly
     * the three bad files skipped (an allocation failure is never mistaken for a
     * corrupt file) or fails with NB_ERR_OUT_OF_MEMORY; the sanitizer build
     * checks that nothing leaks. */
    int failures_seen = 0;
    for (long n = 1; n < 2000; n++) {
        nb_error err = {0};
        nbi_alloc_fail_at(n);
        nb_image_dataset *ds = nb_image_dataset_open(root, 3, 3, 3, 0, &err);
        nb_tensor *im = NULL, *lb = NULL;
        nb_status st = ds ? nb_image_dataset_next_batch(ds, 4, &im, &lb) : NB_OK;
        nbi_alloc_fail_at(0);
        if (ds) {
            checks_++;
            if (nb_image_dataset_size(ds) != 6 || nb_image_dataset_num_skipped(ds) != 3)
                FAILF("allocation %ld failing: %lld images, %d skipped", n, (long long)nb_image_dataset_size(ds),
                      nb_image_dataset_num_skipped(ds));
            CHECK(st == NB_OK || st == NB_ERR_OUT_OF_MEMORY);
            nb_tensor_unref(im);
            nb_tensor_unref(lb);
            nb_image_dataset_free(ds);
            if (st == NB_OK) break; /* past the last allocation */
        } else {
            checks_++;
            if (err.code != NB_ERR_OUT_OF_MEMORY) FAILF("allocation %ld failing: %s", n, err.message);
            failures_seen++;
        }
    }
    CHECK(failures_seen > 10);
}

int main(int argc, char **argv) {
    make_folder();
    int rc = run_tests(argc, argv);
    rm_rf(root);
    return rc;
}
