/*
 * board_fixture.c — writes the logdirs the `nabla board` tests read.
 *
 *   board_fixture logs DIR     DIR/hw2 (the course's HW2 graph, three name scopes),
 *                              DIR/train (linear regression with gradients/ and
 *                              GradientDescent/, scalars "loss" 100/(s+1) at
 *                              s = 0, 10, ..., 50), DIR/lr_0.01, lr_0.1, lr_0.5
 *                              (scalar "loss" = 10 (1-lr)^s, s = 0..99), DIR/hist
 *                              (histogram "weights" at steps 0..9: 100 values
 *                              (j - 50) (s + 1) / 50, j = 0..99), DIR/images (image
 *                              "pattern" at steps 0, 1, 2: 8 wide, 6 high, grey
 *                              value 40 s + 10 x), and the run named
 *                              <img src=x onerror=alert(1)> with scalar "xss" 1, 2.
 *   board_fixture append RUN STEP VALUE
 *                              a new event file in RUN with scalar "loss" = VALUE.
 *   board_fixture bad DIR      DIR/corrupt (record 5 of a 10-point file with one
 *                              byte flipped), DIR/truncated (cut inside record 7),
 *                              DIR/garbage (4 KiB that are no records),
 *                              DIR/hugelen (a header announcing 2^40 bytes, its
 *                              CRC right), DIR/good (10 points).
 *   board_fixture read DIR     reads every event file under DIR with nabla's reader
 *                              (nb_event_reader_*) and prints the file, record and
 *                              scalar counts and the seconds it took (the benchmark's
 *                              baseline).
 *   board_fixture many DIR RUNS POINTS
 *                              RUNS runs DIR/run00000.. each with POINTS points of
 *                              scalar "loss" = step mod 1000.
 */
#include <nabla.h>

#include "../../../tests/fixture_graphs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int failed;
#define CHECK(c, ...)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "board_fixture: " __VA_ARGS__);                                        \
            fprintf(stderr, "\n");                                                                 \
            failed = 1;                                                                            \
        }                                                                                          \
    } while (0)

static void mkdirs(const char *p) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", p);
    for (char *s = buf + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(buf, 0777);
            *s = '/';
        }
    mkdir(buf, 0777);
}

static nb_summary_writer *open_run(const char *dir, nb_graph *g) {
    nb_error err;
    mkdirs(dir);
    if (g) CHECK(nb_graph_status(g) == NB_OK, "graph for %s: %s", dir, nb_graph_errmsg(g));
    nb_summary_writer *w = nb_summary_writer_open(dir, g, &err);
    CHECK(w, "%s", err.message);
    return w;
}

static void done(nb_summary_writer *w) { CHECK(nb_summary_writer_close(w) == NB_OK, "closing a writer"); }

static void write_logs(const char *root) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/hw2", root);
    nb_graph *g = hw2_graph();
    nb_summary_writer *w = open_run(dir, g);
    if (w) done(w);
    nb_graph_free(g);

    snprintf(dir, sizeof dir, "%s/train", root);
    g = linreg_graph(NULL);
    w = open_run(dir, g);
    if (w) {
        for (int s = 0; s <= 50; s += 10) CHECK(nb_summary_writer_add_scalar(w, "loss", s, 100.0 / (s + 1)) == NB_OK, "scalar");
        done(w);
    }
    nb_graph_free(g);

    const char *lrs[3] = {"0.01", "0.1", "0.5"};
    for (int k = 0; k < 3; k++) {
        snprintf(dir, sizeof dir, "%s/lr_%s", root, lrs[k]);
        w = open_run(dir, NULL);
        if (!w) continue;
        double lr = atof(lrs[k]), v = 10;
        for (int s = 0; s < 100; s++, v *= 1 - lr)
            CHECK(nb_summary_writer_add_scalar(w, "loss", s, v) == NB_OK, "scalar");
        done(w);
    }

    snprintf(dir, sizeof dir, "%s/hist", root);
    w = open_run(dir, NULL);
    if (w) {
        float vals[100];
        for (int s = 0; s < 10; s++) {
            for (int j = 0; j < 100; j++) vals[j] = (float)((j - 50) * (s + 1)) / 50.0f;
            nb_tensor *t = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){100}, vals);
            CHECK(t && nb_summary_writer_add_histogram(w, "weights", s, t) == NB_OK, "histogram");
            nb_tensor_unref(t);
        }
        done(w);
    }

    snprintf(dir, sizeof dir, "%s/images", root);
    w = open_run(dir, NULL);
    if (w) {
        uint8_t px[6 * 8];
        for (int s = 0; s < 3; s++) {
            for (int y = 0; y < 6; y++)
                for (int x = 0; x < 8; x++) px[y * 8 + x] = (uint8_t)(40 * s + 10 * x);
            nb_tensor *t = nb_tensor_new(NB_UINT8, 2, (int64_t[]){6, 8}, px);
            CHECK(t && nb_summary_writer_add_image(w, "pattern", s, t) == NB_OK, "image");
            nb_tensor_unref(t);
        }
        done(w);
    }

    snprintf(dir, sizeof dir, "%s/<img src=x onerror=alert(1)>", root);
    w = open_run(dir, NULL);
    if (w) {
        CHECK(nb_summary_writer_add_scalar(w, "xss", 0, 1) == NB_OK, "scalar");
        CHECK(nb_summary_writer_add_scalar(w, "xss", 1, 2) == NB_OK, "scalar");
        done(w);
    }
}

static void put_file(const char *dir, const void *p, size_t n) {
    char path[4096];
    mkdirs(dir);
    snprintf(path, sizeof path, "%s/events.out.tfevents.0.fixture", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(p, 1, n, f) == n, "writing %s", path);
    if (f) fclose(f);
}

static void write_bad(const char *root) {
    char dir[4096], tmp[4096];
    /* a 10-point file, read back to find its record offsets */
    snprintf(tmp, sizeof tmp, "%s/good", root);
    nb_summary_writer *w = open_run(tmp, NULL);
    if (!w) return;
    for (int s = 0; s < 10; s++) CHECK(nb_summary_writer_add_scalar(w, "loss", s, s * 0.5) == NB_OK, "scalar");
    char path[4096];
    snprintf(path, sizeof path, "%s", nb_summary_writer_path(w));
    done(w);
    FILE *f = fopen(path, "rb");
    static unsigned char buf[1 << 16];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    long off[16];
    int k = 0;
    for (size_t at = 0; at + 12 <= n && k < 16; k++) {
        off[k] = (long)at;
        uint64_t len = 0;
        for (int i = 7; i >= 0; i--) len = len << 8 | buf[at + i];
        at += 12 + len + 4;
    }
    CHECK(k == 11, "expected 11 records (version + 10), got %d", k);
    if (k != 11) return;
    static unsigned char bad[1 << 16];
    memcpy(bad, buf, n);
    bad[off[5] + 14] ^= 0x20; /* inside record 5's payload */
    snprintf(dir, sizeof dir, "%s/corrupt", root);
    put_file(dir, bad, n);
    snprintf(dir, sizeof dir, "%s/truncated", root);
    put_file(dir, buf, (size_t)off[7] + 9);
    for (size_t i = 0; i < 4096; i++) bad[i] = (unsigned char)(i * 7919 >> 3);
    snprintf(dir, sizeof dir, "%s/garbage", root);
    put_file(dir, bad, 4096);
    memcpy(bad, buf, (size_t)off[1]);
    unsigned char *h = bad + off[1];
    uint64_t huge = (uint64_t)1 << 40;
    for (int i = 0; i < 8; i++) h[i] = (unsigned char)(huge >> (8 * i));
    uint32_t crc = nb_crc32c_mask(nb_crc32c(h, 8));
    for (int i = 0; i < 4; i++) h[8 + i] = (unsigned char)(crc >> (8 * i));
    memset(h + 12, 0, 64);
    snprintf(dir, sizeof dir, "%s/hugelen", root);
    put_file(dir, bad, (size_t)off[1] + 76);
}

static void write_many(const char *root, int runs, long points) {
    char dir[4096];
    for (int r = 0; r < runs; r++) {
        snprintf(dir, sizeof dir, "%s/run%05d", root, r);
        nb_summary_writer *w = open_run(dir, NULL);
        if (!w) return;
        for (long s = 0; s < points; s++)
            if (nb_summary_writer_add_scalar(w, "loss", s, (double)(s % 1000)) != NB_OK) {
                CHECK(0, "scalar");
                break;
            }
        done(w);
    }
}

static void read_all(const char *root) {
    char **files, **runs;
    int n;
    nb_error err;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (nb_events_list_files(root, &files, &runs, &n, &err) != NB_OK) {
        CHECK(0, "%s", err.message);
        return;
    }
    long long records = 0, scalars = 0;
    for (int i = 0; i < n; i++) {
        nb_event_reader *r = nb_event_reader_open(files[i], &err);
        const nb_event *ev;
        while (r && nb_event_reader_next(r, &ev, &err) == NB_OK && ev) {
            records++;
            for (int k = 0; k < nb_event_num_values(ev); k++)
                if (nb_event_value_kind(ev, k) == NB_VALUE_SCALAR) scalars += nb_event_value_scalar(ev, k) == nb_event_value_scalar(ev, k);
        }
        nb_event_reader_close(r);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%d files, %lld records, %lld scalars read in %.3f s\n", n, records, scalars,
           (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    nb_events_list_free(files, runs, n);
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "logs")) write_logs(argv[2]);
    else if (argc == 5 && !strcmp(argv[1], "append")) {
        nb_summary_writer *w = open_run(argv[2], NULL);
        if (w) {
            CHECK(nb_summary_writer_add_scalar(w, "loss", atoll(argv[3]), atof(argv[4])) == NB_OK, "scalar");
            done(w);
        }
    } else if (argc == 3 && !strcmp(argv[1], "bad")) write_bad(argv[2]);
    else if (argc == 3 && !strcmp(argv[1], "read")) read_all(argv[2]);
    else if (argc == 5 && !strcmp(argv[1], "many")) write_many(argv[2], atoi(argv[3]), atol(argv[4]));
    else {
        fprintf(stderr, "usage: board_fixture logs DIR | append RUN STEP VALUE | bad DIR | read DIR | many DIR RUNS POINTS\n");
        return 2;
    }
    return failed;
}
