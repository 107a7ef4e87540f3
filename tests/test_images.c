/*
 * test_images.c — the image-folder dataset on a folder the test makes itself:
 * PNG and JPEG images in a few classes (written with stb_image_write), a
 * truncated PNG, an empty file, a text file named .jpg, files that are not
 * images at all, a hidden file and an empty class. Checks class names, labels,
 * shapes, pixel values after resizing (down and up, 1 and 3 channels), the
 * skip-with-warning and strict behaviours, and the seeded shuffling.
 */
#include "harness.h"
#include "ops/ops_impl.h" /* nbi_alloc_fail_at */

#include <jpeglib.h>
#include <png.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h> /* crc32, for hand-made PNG chunks */

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wcast-align"
#endif
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>
/* stb_image, the decoder the library used before: the reference the new
 * decoders must agree with on the valid files this test writes. */
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_NO_HDR
#define STBI_NO_LINEAR
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

static char root[64], scratch[64];
/* The folder paths are relative to: the dataset (root), or scratch for the
 * decoder tests' files, which must not become classes of the dataset. */
static const char *base = root;

static void path_of(char *buf, size_t n, const char *rel) { snprintf(buf, n, "%s/%s", base, rel); }

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
    snprintf(scratch, sizeof scratch, "/tmp/nabla_images_XXXXXX");
    snprintf(root, sizeof root, "/tmp/nabla_images_XXXXXX");
    if (!mkdtemp(scratch) || !mkdtemp(root)) {
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
    base = root;
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
    CHECK_STR_CONTAINS(nb_image_dataset_skipped(ds, 2), "dog/fake.jpg: not a JPEG, PNG, BMP, PGM or PPM image (it starts with bytes 74 68 65 73)");
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
    base = root;
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
    base = root;
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
    CHECK_STR_CONTAINS(err.message, "not a JPEG, PNG, BMP, PGM or PPM image");
    path_of(p, sizeof p, "nope.png");
    CHECK(nb_image_load(p, 4, 4, 3, &err) == NULL && err.code != NB_OK);
    CHECK_STR_CONTAINS(err.message, "nope.png");
    CHECK(nb_image_load(p, 4, 4, 2, &err) == NULL && err.code == NB_ERR_INVALID_ARGUMENT);
}

TEST(strict_mode_names_the_file) {
    base = root;
    nb_error err = {0};
    nb_image_dataset *ds = nb_image_dataset_open(root, 2, 2, 3, NB_IMAGES_STRICT, &err);
    CHECK(ds == NULL);
    CHECK(err.code == NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, "cat/c_trunc.png");
    nb_image_dataset_free(ds);
}

TEST(bad_arguments_and_folders) {
    base = root;
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
    /* a JPEG cut in half is an error, not an image whose missing rows are made up */
    CHECK(ds == NULL && err.code == NB_ERR_NOT_FOUND);
    char want[300];
    snprintf(want, sizeof want, "no readable image under %s/bad (2 files skipped)", root);
    CHECK_STR_CONTAINS(err.message, want);
    nb_image_dataset_free(ds);
    write_bytes("bad/only/z.bmp", "BM", 2); /* a BMP of its magic only */
    ds = nb_image_dataset_open(p, 2, 2, 3, NB_IMAGES_STRICT, &err);
    CHECK(ds == NULL && err.code == NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, "bad/only/x.png: not a JPEG, PNG, BMP, PGM or PPM image (it starts with bytes 67 61 72 62)");
    nb_image_dataset_free(ds);
    ds = nb_image_dataset_open(p, 2, 2, 3, 0, &err);
    CHECK(ds == NULL && err.code == NB_ERR_NOT_FOUND);
    CHECK(ds == NULL && strstr(err.message, "(3 files skipped)") != NULL);
    nb_image_dataset_free(ds);
    /* NULL handles are harmless */
    nb_image_dataset_free(NULL);
    CHECK(nb_image_dataset_size(NULL) == 0 && nb_image_dataset_images(NULL) == NULL);
    CHECK_STATUS(nb_image_dataset_next_batch(NULL, 2, NULL, NULL), NB_ERR_INVALID_ARGUMENT);
}

/* Issue 18: a 15-byte JPEG whose Huffman table (DHT) counts sum past 256 (eight
 * counts of 255, the rest missing): stb_image's stbi__build_huffman wrote past
 * its 257-entry table. Now a clear error naming the file. */
TEST(jpeg_huffman_counts_past_256_is_an_error) {
    base = scratch;
    static const unsigned char bad[15] = {0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x13, 0x00, 0xFF,
                                          0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    mkdir_rel("huff");
    mkdir_rel("huff/c");
    write_bytes("huff/c/bad.jpg", bad, sizeof bad);
    char p[256], dir[256];
    path_of(p, sizeof p, "huff/c/bad.jpg");
    path_of(dir, sizeof dir, "huff");
    nb_error err = {0};
    CHECK(nb_image_load(p, 4, 4, 3, &err) == NULL);
    CHECK(err.code == NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, p);
    CHECK_STR_CONTAINS(err.message, "JPEG");
    CHECK(nb_image_dataset_open(dir, 4, 4, 1, NB_IMAGES_STRICT, &err) == NULL);
    CHECK(err.code == NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, "huff/c/bad.jpg: ");
    rm_rf(dir);
}

/*** The decoders against stb_image (the old decoder) and the source pixels ***/

static unsigned char *slurp(const char *rel, size_t *n) {
    char p[256];
    path_of(p, sizeof p, rel);
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    unsigned char *buf = malloc(1 << 20);
    *n = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    return buf;
}

/* The file decoded by the library at its own size (no resizing), as bytes: the
 * float pixels times 255, each checked to be a whole number. NULL (reported) on error. */
static uint8_t *decode_nb(const char *rel, int h, int w, int ch) {
    char p[256];
    path_of(p, sizeof p, rel);
    nb_error err = {0};
    nb_tensor *t = nb_image_load(p, h, w, ch, &err);
    if (!t) {
        FAILF("%s: %s", rel, err.message);
        return NULL;
    }
    size_t n = (size_t)h * (size_t)w * (size_t)ch;
    uint8_t *out = malloc(n);
    const float *f = nb_tensor_data_const(t);
    for (size_t i = 0; i < n; i++) {
        double v = f[i] * 255.0;
        out[i] = (uint8_t)lround(v);
        if (fabs(v - out[i]) > 1e-3) FAILF("%s: pixel %zu = %g / 255 is not a whole number", rel, i, v);
    }
    checks_++;
    nb_tensor_unref(t);
    return out;
}

/* The file decoded by stb_image at ch channels; checks its size is h x w. */
static uint8_t *decode_stb(const char *rel, int h, int w, int ch) {
    size_t n = 0;
    unsigned char *buf = slurp(rel, &n);
    int sw = 0, sh = 0, comp = 0;
    uint8_t *px = buf ? stbi_load_from_memory(buf, (int)n, &sw, &sh, &comp, ch) : NULL;
    free(buf);
    checks_++;
    if (!px || sw != w || sh != h) {
        FAILF("%s: stb_image gives %dx%d (%s), expected %dx%d", rel, sw, sh, px ? "ok" : stbi_failure_reason(), w, h);
        stbi_image_free(px);
        return NULL;
    }
    return px;
}

static int max_abs_diff(const uint8_t *a, const uint8_t *b, size_t n) {
    int m = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        if (d > m) m = d;
    }
    return m;
}

/* src: h x w x 3 RGB. The expected pixels at ch channels: RGB, or luminance by
 * the integer weights stb_image uses (and the library documents). */
static void expect_channels(const uint8_t *rgb, size_t npx, int ch, uint8_t *out) {
    for (size_t i = 0; i < npx; i++) {
        const uint8_t *s = rgb + 3 * i;
        if (ch == 3) memcpy(out + 3 * i, s, 3);
        else out[i] = (uint8_t)((77 * s[0] + 150 * s[1] + 29 * s[2]) >> 8);
    }
}

/* Decodes rel both ways at 1 and 3 channels: the library must equal stb_image
 * within tol (0: exactly) and, when want_rgb is given, the source exactly. */
static void compare_decoders(const char *rel, int h, int w, const uint8_t *want_rgb, int tol, int *worst) {
    for (int ch = 1; ch <= 3; ch += 2) {
        size_t n = (size_t)h * (size_t)w * (size_t)ch;
        uint8_t *a = decode_nb(rel, h, w, ch), *b = decode_stb(rel, h, w, ch);
        if (a && b) {
            int d = max_abs_diff(a, b, n);
            if (worst && d > *worst) *worst = d;
            checks_++;
            if (d > tol) FAILF("%s at %d channel(s): the library and stb_image differ by up to %d (allowed %d)", rel, ch, d, tol);
        }
        if (a && want_rgb) {
            uint8_t *e = malloc(n);
            expect_channels(want_rgb, (size_t)h * (size_t)w, ch, e);
            checks_++;
            if (memcmp(a, e, n)) FAILF("%s at %d channel(s): pixels differ from the source's (max %d)", rel, ch, max_abs_diff(a, e, n));
            free(e);
        }
        free(a);
        stbi_image_free(b);
    }
}

static uint32_t lcg(uint32_t *st) {
    *st = *st * 1664525u + 1013904223u;
    return *st >> 8;
}

/* A PNG written by libpng: rows of rowbytes packed bytes each. */
static void write_png_ll(const char *rel, int w, int h, int depth, int color, int interlace, uint8_t *data,
                         size_t rowbytes, const png_color *pal, int npal, const png_byte *trns, int ntrns) {
    char p[256];
    path_of(p, sizeof p, rel);
    FILE *f = fopen(p, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_bytep *rows = malloc(sizeof *rows * (size_t)h);
    if (!f || !png || !info || !rows || setjmp(png_jmpbuf(png))) {
        FAILF("cannot write %s", rel);
    } else {
        png_init_io(png, f);
        png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                     PNG_FILTER_TYPE_DEFAULT);
        if (pal) png_set_PLTE(png, info, pal, npal);
        if (trns) png_set_tRNS(png, info, trns, ntrns, NULL);
        png_write_info(png, info);
        for (int y = 0; y < h; y++) rows[y] = data + (size_t)y * rowbytes;
        png_write_image(png, rows);
        png_write_end(png, info);
    }
    png_destroy_write_struct(&png, &info);
    free(rows);
    if (f) fclose(f);
}

TEST(png_pixels_match_stb_image_and_the_source_exactly) {
    base = scratch;
    mkdir_rel("cmp");
    enum { W = 11, H = 9 };
    uint32_t st = 7;
    uint8_t src[W * H * 4], rgb[W * H * 3], packed[W * H * 8];
    for (int i = 0; i < W * H * 4; i++) src[i] = (uint8_t)lcg(&st);
    /* 8-bit grey, grey+alpha, RGB, RGBA written by stb_image_write */
    for (int comp = 1; comp <= 4; comp++) {
        char rel[64];
        snprintf(rel, sizeof rel, "cmp/stbw_%d.png", comp);
        png(rel, W, H, comp, src);
        for (int i = 0; i < W * H; i++)
            for (int k = 0; k < 3; k++) rgb[3 * i + k] = src[comp * i + (comp >= 3 ? k : 0)];
        compare_decoders(rel, H, W, rgb, 0, NULL);
    }
    /* 16-bit RGB: the high byte of each sample */
    for (int i = 0; i < W * H * 3; i++) {
        packed[2 * i] = src[i], packed[2 * i + 1] = (uint8_t)(src[i] * 7 + 3);
        rgb[i] = src[i];
    }
    write_png_ll("cmp/rgb16.png", W, H, 16, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, packed, W * 6, NULL, 0, NULL, 0);
    compare_decoders("cmp/rgb16.png", H, W, NULL, 0, NULL);
    uint8_t *a = decode_nb("cmp/rgb16.png", H, W, 3);
    CHECK(a && !memcmp(a, rgb, W * H * 3));
    free(a);
    /* to grey: the weights applied to the 16-bit samples, then the high byte */
    a = decode_nb("cmp/rgb16.png", H, W, 1);
    for (int i = 0; a && i < W * H; i++) {
        const uint8_t *q = packed + 6 * i;
        uint32_t y16 = ((q[0] << 8 | q[1]) * 77u + (q[2] << 8 | q[3]) * 150u + (q[4] << 8 | q[5]) * 29u) >> 8;
        CHECK(a[i] == y16 >> 8);
    }
    free(a);
    /* 16-bit grey */
    for (int i = 0; i < W * H; i++) {
        packed[2 * i] = src[i], packed[2 * i + 1] = (uint8_t)~src[i];
        rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = src[i];
    }
    write_png_ll("cmp/grey16.png", W, H, 16, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, packed, W * 2, NULL, 0, NULL, 0);
    compare_decoders("cmp/grey16.png", H, W, rgb, 0, NULL);
    /* 4-bit palette of 11 colours with transparency (alpha dropped) */
    png_color pal[11];
    png_byte trns[11];
    for (int i = 0; i < 11; i++) {
        pal[i].red = (png_byte)lcg(&st), pal[i].green = (png_byte)lcg(&st), pal[i].blue = (png_byte)lcg(&st);
        trns[i] = (png_byte)(i * 20);
    }
    size_t rb = (W * 4 + 7) / 8;
    memset(packed, 0, sizeof packed);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int idx = (int)(lcg(&st) % 11);
            packed[y * rb + x / 2] |= (uint8_t)(idx << (x % 2 ? 0 : 4));
            uint8_t *o = rgb + 3 * (y * W + x);
            o[0] = pal[idx].red, o[1] = pal[idx].green, o[2] = pal[idx].blue;
        }
    write_png_ll("cmp/pal4.png", W, H, 4, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, packed, rb, pal, 11, trns, 11);
    compare_decoders("cmp/pal4.png", H, W, rgb, 0, NULL);
    /* 1- and 2-bit grey: levels scaled to 0..255 (2 bits: 0, 85, 170, 255) */
    for (int depth = 1; depth <= 2; depth++) {
        rb = ((size_t)W * (size_t)depth + 7) / 8;
        memset(packed, 0, sizeof packed);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int v = (int)(lcg(&st) % (1u << depth)), per = 8 / depth;
                packed[y * rb + x / per] |= (uint8_t)(v << (8 - depth * (1 + x % per)));
                uint8_t g = (uint8_t)(v * 255 / ((1 << depth) - 1));
                memset(rgb + 3 * (y * W + x), g, 3);
            }
        char rel[64];
        snprintf(rel, sizeof rel, "cmp/grey%d.png", depth);
        write_png_ll(rel, W, H, depth, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, packed, rb, NULL, 0, NULL, 0);
        compare_decoders(rel, H, W, rgb, 0, NULL);
    }
    /* interlaced (Adam7) 8-bit RGB */
    for (int i = 0; i < W * H * 3; i++) rgb[i] = src[i];
    write_png_ll("cmp/adam7.png", W, H, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7, src, W * 3, NULL, 0, NULL, 0);
    compare_decoders("cmp/adam7.png", H, W, rgb, 0, NULL);
}

/* A JPEG written by libjpeg-turbo. */
static void write_jpeg(const char *rel, int w, int h, int comps, uint8_t *px, int quality, int samp,
                       bool progressive) {
    char p[256];
    path_of(p, sizeof p, rel);
    FILE *f = fopen(p, "wb");
    if (!f) {
        FAILF("cannot write %s", rel);
        return;
    }
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)w, c.image_height = (JDIMENSION)h;
    c.input_components = comps;
    c.in_color_space = comps == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    if (comps == 3) c.comp_info[0].h_samp_factor = c.comp_info[0].v_samp_factor = samp;
    if (progressive) jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW r = px + (size_t)c.next_scanline * (size_t)w * (size_t)comps;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
}

/* libjpeg-turbo (integer IDCT, fancy upsampling, table colour conversion) and
 * stb_image (its own integer IDCT, upsampling and fixed-point colour
 * conversion) round differently: the pixels may differ by a few levels. */
enum { JPEG_TOL = 3 };

TEST(jpeg_pixels_match_stb_image_within_idct_tolerance) {
    base = scratch;
    mkdir_rel("cmpj");
    enum { W = 37, H = 23 };
    uint32_t st = 11;
    uint8_t smooth[W * H * 3], noise[W * H * 3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int k = 0; k < 3; k++) {
                smooth[(y * W + x) * 3 + k] = (uint8_t)(k == 0 ? x * 255 / (W - 1) : k == 1 ? y * 255 / (H - 1) : (x + y) * 3);
                noise[(y * W + x) * 3 + k] = (uint8_t)lcg(&st);
            }
    int worst = 0;
    static const struct { const char *name; int comps, quality, samp; bool progressive, noisy; } cases[] = {
        {"cmpj/smooth420.jpg", 3, 90, 2, false, false}, {"cmpj/smooth444.jpg", 3, 95, 1, false, false},
        {"cmpj/noise444.jpg", 3, 100, 1, false, true},  {"cmpj/noise420.jpg", 3, 75, 2, false, true},
        {"cmpj/prog420.jpg", 3, 85, 2, true, false},    {"cmpj/grey.jpg", 1, 90, 1, false, true},
        {"cmpj/greyprog.jpg", 1, 80, 1, true, false},
    };
    uint8_t grey[W * H];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint8_t *px = cases[i].noisy ? noise : smooth;
        if (cases[i].comps == 1) {
            for (int k = 0; k < W * H; k++) grey[k] = px[3 * k];
            px = grey;
        }
        write_jpeg(cases[i].name, W, H, cases[i].comps, px, cases[i].quality, cases[i].samp, cases[i].progressive);
        compare_decoders(cases[i].name, H, W, NULL, JPEG_TOL, &worst);
    }
    /* the test's own JPEGs from stb_image_write too */
    write_bytes("cmpj/x.jpg", green_10x6_jpg, sizeof green_10x6_jpg);
    write_bytes("cmpj/y.JPG", green_6x10_jpg, sizeof green_6x10_jpg);
    compare_decoders("cmpj/x.jpg", 6, 10, NULL, JPEG_TOL, &worst);
    compare_decoders("cmpj/y.JPG", 10, 6, NULL, JPEG_TOL, &worst);
    printf("  JPEG: the library and stb_image differ by at most %d levels of 255\n", worst);
    /* stray bytes between two segments (libjpeg's "extraneous bytes before marker"
     * warning) lose nothing: the same pixels as without them */
    size_t n = 0;
    unsigned char *j = slurp("cmpj/smooth420.jpg", &n);
    size_t sos = 2;
    while (j && sos + 1 < n && !(j[sos] == 0xFF && j[sos + 1] == 0xDA)) sos++;
    if (j && sos + 1 < n) {
        unsigned char *k = malloc(n + 3);
        memcpy(k, j, sos);
        memcpy(k + sos, "\x01\x02\x03", 3);
        memcpy(k + sos + 3, j + sos, n - sos);
        write_bytes("cmpj/stray.jpg", k, n + 3);
        free(k);
        uint8_t *a = decode_nb("cmpj/smooth420.jpg", H, W, 3), *b = decode_nb("cmpj/stray.jpg", H, W, 3);
        CHECK(a && b && !memcmp(a, b, (size_t)W * H * 3));
        free(a);
        free(b);
    } else {
        FAILF("no SOS marker in smooth420.jpg");
    }
    free(j);
    /* and the smooth image comes back close to what was written (quality 95, 4:4:4) */
    uint8_t *a = decode_nb("cmpj/smooth444.jpg", H, W, 3);
    if (a) {
        int d = max_abs_diff(a, smooth, sizeof smooth);
        checks_++;
        if (d > 12) FAILF("smooth444.jpg differs from its source by up to %d", d);
    }
    free(a);
}

/* A BMP assembled here: header size hsize (12, 40 or 124), pixels given as palette
 * indices (bpp <= 8) or packed values (0xRRGGBB for 24 bits, the raw 16/32-bit
 * word otherwise), bottom-up unless top_down. */
static void write_bmp(const char *rel, int w, int h, int bpp, uint32_t hsize, uint32_t comp, const uint32_t *masks,
                      const uint8_t *pal_rgb, int npal, bool top_down, const uint32_t *pix) {
    size_t stride = ((size_t)w * (size_t)bpp + 31) / 32 * 4;
    size_t extra = hsize == 40 && comp == 3 ? 12 : 0, entry = hsize == 12 ? 3 : 4;
    size_t off = 14 + hsize + extra + (size_t)npal * entry, size = off + stride * (size_t)h;
    uint8_t *b = calloc(1, size);
    b[0] = 'B', b[1] = 'M';
    for (int k = 0; k < 4; k++) {
        b[2 + k] = (uint8_t)(size >> 8 * k);
        b[10 + k] = (uint8_t)(off >> 8 * k);
        b[14 + k] = (uint8_t)(hsize >> 8 * k);
    }
    if (hsize == 12) {
        b[18] = (uint8_t)w, b[19] = (uint8_t)(w >> 8), b[20] = (uint8_t)h, b[21] = (uint8_t)(h >> 8);
        b[22] = 1, b[24] = (uint8_t)bpp;
    } else {
        int32_t hh = top_down ? -h : h;
        for (int k = 0; k < 4; k++) {
            b[18 + k] = (uint8_t)((uint32_t)w >> 8 * k);
            b[22 + k] = (uint8_t)((uint32_t)hh >> 8 * k);
            b[30 + k] = (uint8_t)(comp >> 8 * k);
            b[46 + k] = (uint8_t)((uint32_t)npal >> 8 * k);
        }
        b[26] = 1, b[28] = (uint8_t)bpp;
        if (comp == 3)
            for (int m = 0; m < 3; m++)
                for (int k = 0; k < 4; k++) b[54 + 4 * m + k] = (uint8_t)(masks[m] >> 8 * k);
    }
    for (int i = 0; i < npal; i++) {
        uint8_t *e = b + 14 + hsize + extra + (size_t)i * entry;
        e[0] = pal_rgb[3 * i + 2], e[1] = pal_rgb[3 * i + 1], e[2] = pal_rgb[3 * i];
    }
    for (int y = 0; y < h; y++) {
        uint8_t *row = b + off + (size_t)(top_down ? y : h - 1 - y) * stride;
        for (int x = 0; x < w; x++) {
            uint32_t v = pix[y * w + x];
            if (bpp <= 8) row[x * bpp / 8] |= (uint8_t)(v << (8 - bpp - (x * bpp) % 8));
            else if (bpp == 24) row[3 * x] = (uint8_t)v, row[3 * x + 1] = (uint8_t)(v >> 8), row[3 * x + 2] = (uint8_t)(v >> 16);
            else
                for (int k = 0; k < bpp / 8; k++) row[x * bpp / 8 + k] = (uint8_t)(v >> 8 * k);
        }
    }
    write_bytes(rel, b, size);
    free(b);
}

TEST(bmp_pixels_match_stb_image_and_the_source_exactly) {
    base = scratch;
    mkdir_rel("cmpb");
    enum { W = 7, H = 5 };
    uint32_t st = 5, pix[W * H];
    uint8_t rgb[W * H * 3], pal[256 * 3];
    for (int i = 0; i < 256 * 3; i++) pal[i] = (uint8_t)lcg(&st);
    /* palettes: 1, 4 and 8 bits (bottom-up, rows padded), and 8 bits with the old 12-byte header */
    static const struct { const char *name; int bpp; uint32_t hsize; } paletted[] = {
        {"cmpb/p1.bmp", 1, 40}, {"cmpb/p4.bmp", 4, 40}, {"cmpb/p8.bmp", 8, 40}, {"cmpb/core8.bmp", 8, 12}};
    for (int c = 0; c < 4; c++) {
        int npal = paletted[c].bpp == 1 ? 2 : paletted[c].bpp == 4 ? 13 : 200;
        for (int i = 0; i < W * H; i++) {
            pix[i] = lcg(&st) % (uint32_t)npal;
            memcpy(rgb + 3 * i, pal + 3 * pix[i], 3);
        }
        write_bmp(paletted[c].name, W, H, paletted[c].bpp, paletted[c].hsize, 0, NULL, pal, npal, false, pix);
        /* stb_image counts a 12-byte header's palette as (offset - 38) / 3 entries, 4
         * short, and reads colours it never set: there the source is the only reference. */
        compare_decoders(paletted[c].name, H, W, rgb, paletted[c].hsize == 12 ? 255 : 0, NULL);
    }
    /* 24 bits, top-down */
    for (int i = 0; i < W * H; i++) {
        pix[i] = lcg(&st) & 0xffffff;
        rgb[3 * i] = (uint8_t)(pix[i] >> 16), rgb[3 * i + 1] = (uint8_t)(pix[i] >> 8), rgb[3 * i + 2] = (uint8_t)pix[i];
    }
    write_bmp("cmpb/rgb24.bmp", W, H, 24, 40, 0, NULL, NULL, 0, true, pix);
    compare_decoders("cmpb/rgb24.bmp", H, W, rgb, 0, NULL);
    /* 32 bits, no masks: B G R X */
    write_bmp("cmpb/rgb32.bmp", W, H, 32, 40, 0, NULL, NULL, 0, false, pix);
    compare_decoders("cmpb/rgb32.bmp", H, W, rgb, 0, NULL);
    /* 16 bits, 5-6-5 bit fields (V5 header): fields widened by repeating their bits */
    static const uint32_t m565[3] = {0xf800, 0x07e0, 0x001f};
    for (int i = 0; i < W * H; i++) {
        pix[i] = lcg(&st) & 0xffff;
        uint32_t r = pix[i] >> 11, g = (pix[i] >> 5) & 63, b = pix[i] & 31;
        rgb[3 * i] = (uint8_t)(r << 3 | r >> 2), rgb[3 * i + 1] = (uint8_t)(g << 2 | g >> 4), rgb[3 * i + 2] = (uint8_t)(b << 3 | b >> 2);
    }
    write_bmp("cmpb/rgb565.bmp", W, H, 16, 124, 3, m565, NULL, 0, false, pix);
    compare_decoders("cmpb/rgb565.bmp", H, W, rgb, 0, NULL);
    /* 16 bits, no masks: 5-5-5 */
    for (int i = 0; i < W * H; i++) {
        uint32_t r = (pix[i] >> 10) & 31, g = (pix[i] >> 5) & 31, b = pix[i] & 31;
        rgb[3 * i] = (uint8_t)(r << 3 | r >> 2), rgb[3 * i + 1] = (uint8_t)(g << 3 | g >> 2), rgb[3 * i + 2] = (uint8_t)(b << 3 | b >> 2);
    }
    write_bmp("cmpb/rgb555.bmp", W, H, 16, 40, 0, NULL, NULL, 0, true, pix);
    compare_decoders("cmpb/rgb555.bmp", H, W, rgb, 0, NULL);
    /* 32 bits with bit fields (40-byte header, masks after it): X B G R order */
    static const uint32_t mx[3] = {0xff000000u, 0x00ff0000u, 0x0000ff00u};
    for (int i = 0; i < W * H; i++) {
        pix[i] = lcg(&st) << 8 | 0x5a;
        rgb[3 * i] = (uint8_t)(pix[i] >> 24), rgb[3 * i + 1] = (uint8_t)(pix[i] >> 16), rgb[3 * i + 2] = (uint8_t)(pix[i] >> 8);
    }
    write_bmp("cmpb/bf32.bmp", W, H, 32, 40, 3, mx, NULL, 0, false, pix);
    compare_decoders("cmpb/bf32.bmp", H, W, rgb, 0, NULL);
    /* and what stb_image_write writes (24 bits) */
    uint8_t src[W * H * 3];
    for (int i = 0; i < W * H * 3; i++) src[i] = (uint8_t)lcg(&st);
    char p[256];
    path_of(p, sizeof p, "cmpb/stbw.bmp");
    stbi_write_bmp(p, W, H, 3, src);
    compare_decoders("cmpb/stbw.bmp", H, W, src, 0, NULL);
}

TEST(pgm_ppm_with_comments_and_wide_samples) {
    base = scratch;
    mkdir_rel("pnm");
    /* P5 with comment lines before every field, 3x2, maxval 255 */
    static const char pgm[] = "P5\n# made by test_images\n3 # width\n2\n# max\n255\n\x00\x10\xff\x80\x7f\x01";
    write_bytes("pnm/a.pgm", pgm, sizeof pgm - 1);
    uint8_t *a = decode_nb("pnm/a.pgm", 2, 3, 1);
    static const uint8_t want[6] = {0x00, 0x10, 0xff, 0x80, 0x7f, 0x01};
    CHECK(a && !memcmp(a, want, 6));
    free(a);
    a = decode_nb("pnm/a.pgm", 2, 3, 3); /* grey replicated */
    for (int i = 0; a && i < 18; i++) CHECK(a[i] == want[i / 3]);
    free(a);
    /* P6, maxval 1000: two bytes a sample, big-endian, scaled to 0..255 */
    unsigned char ppm[64];
    int n = snprintf((char *)ppm, sizeof ppm, "P6 2 1 1000\n");
    static const unsigned v[6] = {0, 1000, 500, 2, 999, 333};
    for (int i = 0; i < 6; i++) ppm[n + 2 * i] = (unsigned char)(v[i] >> 8), ppm[n + 2 * i + 1] = (unsigned char)v[i];
    write_bytes("pnm/b.PPM", ppm, (size_t)n + 12);
    a = decode_nb("pnm/b.PPM", 1, 2, 3);
    for (int i = 0; a && i < 6; i++) CHECK(a[i] == (uint8_t)lround(v[i] * 255.0 / 1000.0));
    free(a);
    a = decode_nb("pnm/b.PPM", 1, 2, 1);
    for (int i = 0; a && i < 2; i++) {
        int r = (int)lround(v[3 * i] * 0.255), g = (int)lround(v[3 * i + 1] * 0.255), b = (int)lround(v[3 * i + 2] * 0.255);
        CHECK(a[i] == (77 * r + 150 * g + 29 * b) >> 8);
    }
    free(a);
}

/* What each broken file gets: status NB_ERR_IO and a message naming the file and the fault. */
static void expect_error(const char *rel, const void *bytes, size_t n, const char *msg) {
    write_bytes(rel, bytes, n);
    char p[256];
    path_of(p, sizeof p, rel);
    nb_error err = {0};
    nb_tensor *t = nb_image_load(p, 4, 4, 3, &err);
    CHECK(t == NULL && err.code == NB_ERR_IO);
    char want[600];
    snprintf(want, sizeof want, "%s: %s", p, msg);
    CHECK_STR_CONTAINS(err.message, want);
    nb_tensor_unref(t);
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

TEST(broken_and_oversized_files_get_clear_errors) {
    base = scratch;
    mkdir_rel("broken");
    /* JPEG: the 15-byte file is cut inside its DHT; the complete DHT (23 bytes) has counts summing to 512 */
    static const unsigned char huff15[15] = {0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x13, 0x00, 0xFF,
                                             0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    expect_error("broken/huff15.jpg", huff15, 15, "corrupt JPEG (decoding stopped after byte 15 of 15): Premature end of JPEG file");
    unsigned char huff23[23] = {0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x13, 0x00};
    memset(huff23 + 7, 0x20, 16);
    expect_error("broken/huff23.jpg", huff23, 23, "corrupt JPEG (decoding stopped after byte 4 of 23): Bogus Huffman table definition");
    /* JPEG of 40000x40000 (SOF0 and SOS, no data) */
    static const unsigned char big_jpg[] = {0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x9C, 0x40, 0x9C, 0x40, 0x01,
                                            0x01, 0x11, 0x00, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00};
    expect_error("broken/big.jpg", big_jpg, sizeof big_jpg,
                 "JPEG image of 40000x40000 pixels is too large (the limit is 32768 pixels a side and 67108864 in all)");
    /* PNG: IHDR of 10000x10000 with a correct CRC */
    uint8_t big_png[33] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    put_be32(big_png + 16, 10000);
    put_be32(big_png + 20, 10000);
    big_png[24] = 8, big_png[25] = 2; /* 8-bit RGB */
    put_be32(big_png + 29, (uint32_t)crc32(0, big_png + 12, 17));
    expect_error("broken/big.png", big_png, sizeof big_png,
                 "PNG image of 10000x10000 pixels is too large (the limit is 32768 pixels a side and 67108864 in all)");
    /* a 4x4 IHDR with a wrong CRC */
    put_be32(big_png + 16, 4);
    put_be32(big_png + 20, 4);
    put_be32(big_png + 29, (uint32_t)crc32(0, big_png + 12, 17) ^ 1);
    expect_error("broken/crc.png", big_png, sizeof big_png, "corrupt PNG (decoding stopped after byte 33 of 33): IHDR: CRC error");
    /* a valid PNG cut in half */
    size_t n = 0;
    unsigned char *whole = slurp("cmp/stbw_3.png", &n);
    if (whole) expect_error("broken/half.png", whole, n / 2, "corrupt PNG (decoding stopped after byte");
    free(whole);
    /* BMP: RLE compression, and a file shorter than its rows */
    uint32_t pix[4] = {0, 1, 1, 0};
    static const uint8_t pal[6] = {0, 0, 0, 255, 255, 255};
    write_bmp("broken/ok.bmp", 2, 2, 8, 40, 0, NULL, pal, 2, false, pix);
    unsigned char *bmp = slurp("broken/ok.bmp", &n);
    if (bmp) {
        bmp[30] = 1; /* BI_RLE8 */
        expect_error("broken/rle.bmp", bmp, n, "BMP compression 1 with 8 bits per pixel is not supported (only uncompressed and bit fields)");
        bmp[30] = 0;
        expect_error("broken/short.bmp", bmp, n - 1, "truncated BMP: 2 rows of 4 bytes from byte 62 need 70 bytes, the file has 69");
        bmp[54 + 4] = 0; /* still a valid file: colour 1 black */
        pix[1] = 2;     /* an index past the 2 colours */
        write_bmp("broken/idx.bmp", 2, 2, 8, 40, 0, NULL, pal, 2, false, pix);
        free(bmp);
        bmp = slurp("broken/idx.bmp", &n);
        if (bmp) expect_error("broken/idx2.bmp", bmp, n, "BMP pixel (1, 0) uses colour 2 of a 2-colour palette");
    }
    free(bmp);
    /* PGM/PPM: truncated, a sample above maxval, ASCII variants */
    expect_error("broken/short.pgm", "P5 4 4 255\n0123456789", 21, "truncated PGM: 4x4 pixels need 16 bytes from byte 11, the file has 10");
    expect_error("broken/over.pgm", "P5 2 1 100\n\x05\x65", 13, "PGM sample 101 at byte 12 is above the maximum value 100");
    expect_error("broken/ascii.pgm", "P2 1 1 255\n7\n", 13, "Netpbm format P2 is not supported (only binary PGM, P5, and PPM, P6)");
    expect_error("broken/nodim.ppm", "P6 # no size\n", 13, "PGM/PPM header: expected the width at byte 13, found the end of the file");
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
    base = root;
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
    base = root;
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
    rm_rf(scratch);
    return rc;
}
