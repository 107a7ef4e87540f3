/*
 * make_corpus.c — writes the seed corpora (fuzz/corpus/<target>/) with the
 * project's own writers: nb_npy_save, the summary writer (events, PNG images),
 * nb_checkpoint_save, nb_graph_to_graphdef; CSV and IDX seeds are written in
 * their formats by hand (nabla has no writer for them). Usage: make_corpus DIR.
 * Not a fuzz target (its name does not start with fuzz_); build by hand:
 *   clang-14 -Iinclude fuzz/make_corpus.c build-fuzz/libnabla.a ... (see fuzz/README in the README)
 */
#include "nabla.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char root[512];

static void put(const char *target, const char *name, const void *d, size_t n) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", root, target);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/%s/%s", root, target, name);
    FILE *f = fopen(p, "wb");
    if (!f) return;
    fwrite(d, 1, n, f);
    fclose(f);
}

static void copy_file(const char *target, const char *name, const char *src, size_t max) {
    FILE *f = fopen(src, "rb");
    if (!f) return;
    char *buf = malloc(max);
    size_t n = fread(buf, 1, max, f);
    fclose(f);
    put(target, name, buf, n);
    free(buf);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    snprintf(root, sizeof root, "%s", argv[1]);
    mkdir(root, 0755);
    nb_error err;
    /* CSV: header, quoting, CRLF; byte 0 picks the reader's mode in fuzz_csv */
    const char *csvs[] = {"x,1,y\n1,2,3\n4.5,-6,7e3\n", "\x01x,1,y\r\n\"1\",2,3\r\n", "\x0bx,y\n1,nan\n2,inf\n"};
    for (int i = 0; i < 3; i++) { char n[16]; snprintf(n, sizeof n, "seed%d.csv", i); put("fuzz_csv", n, csvs[i], strlen(csvs[i])); }
    /* npy */
    nb_tensor *t = nb_tensor_range(NB_FLOAT32, 0, 6, 1);
    nb_tensor *t2 = nb_tensor_reshape(t, 2, (int64_t[]){2, 3});
    nb_tensor *ti = nb_tensor_cast(t2, NB_INT64);
    nb_npy_save("/tmp/nb_seed.npy", t2, &err); copy_file("fuzz_npy", "f32_2x3.npy", "/tmp/nb_seed.npy", 4096);
    nb_npy_save("/tmp/nb_seed.npy", ti, &err); copy_file("fuzz_npy", "i64_2x3.npy", "/tmp/nb_seed.npy", 4096);
    nb_tensor *sc = nb_tensor_scalar(NB_FLOAT64, 2.5);
    nb_npy_save("/tmp/nb_seed.npy", sc, &err); copy_file("fuzz_npy", "f64_scalar.npy", "/tmp/nb_seed.npy", 4096);
    /* IDX: uint8 [2,2,2], int32 [3], float [2] */
    unsigned char i1[] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8};
    unsigned char i2[] = {0, 0, 0x0c, 1, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xfd};
    unsigned char i3[] = {0, 0, 0x0d, 1, 0, 0, 0, 2, 0x3f, 0x80, 0, 0, 0x40, 0, 0, 0};
    put("fuzz_idx", "u8.idx", i1, sizeof i1);
    put("fuzz_idx", "i32.idx", i2, sizeof i2);
    put("fuzz_idx", "f32.idx", i3, sizeof i3);
    /* events + a PNG image (from the summary writer) */
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), "x");
    nb_output w = nb_variable(g, nb_constant(g, t2, NULL), "w");
    nb_output y = nb_matmul(g, x, w, false, true, "y");
    nb_output loss = nb_reduce_mean(g, nb_square(g, y, NULL), NULL, 0, false, "loss");
    nb_output train = nb_train_gradient_descent_minimize(g, 0.1, loss);
    nb_output init = nb_global_variables_initializer(g);
    (void)train;
    nb_summary_writer *sw = nb_summary_writer_open("/tmp/nb_seed_logs", g, &err);
    nb_tensor *img = nb_tensor_zeros(NB_UINT8, 4, (int64_t[]){1, 4, 4, 3});
    if (sw) {
        nb_summary_writer_add_scalar(sw, "loss", 1, 0.25);
        nb_summary_writer_add_histogram(sw, "w", 1, t);
        nb_summary_writer_add_image(sw, "img", 1, img);
        char path[512];
        snprintf(path, sizeof path, "%s", nb_summary_writer_path(sw));
        nb_summary_writer_close(sw);
        copy_file("fuzz_events", "run.tfevents", path, 65536);
        nb_event_reader *r = nb_event_reader_open(path, &err);
        const nb_event *ev;
        while (r && nb_event_reader_next(r, &ev, &err) == NB_OK && ev) {
            for (int i = 0; i < nb_event_num_values(ev); i++) {
                size_t len;
                const void *png = nb_event_value_image(ev, i, &len, NULL, NULL, NULL);
                if (png) {
                    unsigned char *b = malloc(len + 1);
                    b[0] = 4; /* fuzz_image: .png, 3 channels */
                    memcpy(b + 1, png, len);
                    put("fuzz_image", "rgb.png", b, len + 1);
                    b[0] = 0;
                    put("fuzz_image", "grey.png", b, len + 1);
                    free(b);
                }
            }
        }
        nb_event_reader_close(r);
    }
    /* checkpoint + graphdef */
    nb_session *s = nb_session_new(g);
    nb_session_run(s, NULL, 0, &init, 1, NULL);
    if (nb_checkpoint_save(s, "/tmp/nb_seed.safetensors", &err) == NB_OK)
        copy_file("fuzz_safetensors", "vars.safetensors", "/tmp/nb_seed.safetensors", 65536);
    void *bytes;
    size_t len;
    if (nb_graph_to_graphdef(g, &bytes, &len) == NB_OK) {
        put("fuzz_graphdef", "train.pb", bytes, len);
        free(bytes);
    }
    /* graph builder: byte programs */
    unsigned char gp[][24] = {{0x11, 0x12, 0x02, 0x10, 0x03, 0x22, 0x01, 5, 6, 0, 1, 0, 2, 1, 3, 0, 14, 4, 0, 0x40, 1, 1, 1, 1},
                              {0x31, 0x12, 0x33, 0x23, 0x00, 0x20, 0x13, 4, 6, 1, 2, 0, 21, 4, 4, 0, 26, 5, 5, 0, 1, 2, 2, 2},
                              {0x02, 0x12, 0x13, 0x02, 0x12, 0x13, 0x03, 3, 0, 0, 1, 3, 17, 3, 3, 0x41, 1, 0, 0, 0, 0, 0, 0, 0}};
    for (int i = 0; i < 3; i++) { char n[16]; snprintf(n, sizeof n, "prog%d", i); put("fuzz_graph", n, gp[i], sizeof gp[i]); }
    nb_session_free(s);
    nb_graph_free(g);
    nb_tensor_unref(img);
    nb_tensor_unref(t); nb_tensor_unref(t2); nb_tensor_unref(ti); nb_tensor_unref(sc);
    return 0;
}
