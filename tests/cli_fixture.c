/*
 * cli_fixture.c — writes the event files tests/test_cli.sh runs `nabla` on.
 *
 * Usage: cli_fixture DIR. Creates, with fixed file names so the golden
 * outputs in tests/golden/ do not depend on the time, host or pid:
 *
 *   DIR/logs/hw2/    the course's HW2 graph (three name scopes)
 *   DIR/logs/train/  the linear-regression training graph with its gradients
 *                    and GradientDescent, then scalars "loss" at steps
 *                    0, 10, ..., 50, "accuracy" at 0, 25, 50, a histogram
 *                    "weights" and an image "input" (3 high, 2 wide); a
 *                    second file holds tensor-form scalars "loss" at 60, 70
 *   DIR/logs/mlp/    a 4-layer network trained with Adam (hundreds of nodes:
 *                    the layout-time check), no summaries
 *   DIR/bad/corrupt/    the first train file with one byte of record 5 flipped
 *   DIR/bad/truncated/  the first train file cut inside record 7
 *   DIR/bad/zgood/      the second train file, intact
 *   DIR/many/           one run with 30000 scalar tags "tag_00000".."tag_29999",
 *                       each at steps 1 and 2 (value 2*i, then 2*i+1)
 *   DIR/badutf8/        a file from another writer whose tags are not UTF-8:
 *                       "a\xffb" (step 1, value 1.5) and "\xc3(" (step 2, 2.5)
 *   DIR/badutf8graph/   a file from another writer whose GraphDef has names
 *                       that are not UTF-8: Placeholder "x\xff", Relu
 *                       "sc\xfe/y\xc3(" of it, op type "Bad\xfeOp" for "z"
 *
 * Wall times are the writer's real clock; the goldens use --no-wall-time.
 */
#include <nabla.h>

#include "fixture_graphs.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failed;

#define CHECK(cond, ...)                                                                         \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "cli_fixture: " __VA_ARGS__);                                        \
            fprintf(stderr, "\n");                                                               \
            failed = 1;                                                                          \
        }                                                                                        \
    } while (0)

/* The course's linear regression with a loss summary. */
static nb_graph *train_graph(void) {
    nb_output loss;
    nb_graph *g = linreg_graph(&loss);
    nb_summary_scalar(g, "loss", loss);
    nb_summary_merge_all(g);
    return g;
}

/* Four sigmoid layers and Adam: a graph of hundreds of nodes. */
static nb_graph *mlp_graph(void) {
    nb_graph *g = nb_graph_new();
    nb_output h = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 8), "x");
    nb_output y = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 1), "y");
    const int64_t width[5] = {8, 16, 16, 8, 1};
    for (int l = 0; l < 4; l++) {
        char scope[16];
        snprintf(scope, sizeof scope, "layer%d", l + 1);
        nb_name_scope_push(g, scope);
        nb_output W = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(width[l], width[l + 1]), NULL), "W");
        nb_output b = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(width[l + 1]), NULL), "b");
        h = nb_sigmoid(g, nb_add(g, nb_matmul(g, h, W, false, false, NULL), b, NULL), NULL);
        nb_name_scope_pop(g);
    }
    nb_name_scope_push(g, "loss");
    nb_output loss = nb_reduce_mean(g, nb_squared_difference(g, y, h, NULL), NULL, NB_ALL_AXES, false,
                                    NULL);
    nb_name_scope_pop(g);
    nb_name_scope_push(g, "train");
    nb_optimizer_minimize(nb_train_adam(g, 0.001, 0.9, 0.999, 1e-8), loss, NULL, 0, nb_nil);
    nb_name_scope_pop(g);
    nb_global_variables_initializer(g);
    return g;
}

static char *path_join(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* Opens a writer on dir (with g), runs fill, closes and renames the file to dir/name. */
static void write_run(const char *dir, const char *name, nb_graph *g,
                      void (*fill)(nb_summary_writer *w)) {
    nb_error err;
    if (g && nb_graph_status(g) != NB_OK) {
        CHECK(0, "graph for %s: %s", dir, nb_graph_errmsg(g));
        return;
    }
    nb_summary_writer *w = nb_summary_writer_open(dir, g, &err);
    if (!w) {
        CHECK(0, "%s", err.message);
        return;
    }
    if (fill) fill(w);
    char *from = strdup(nb_summary_writer_path(w));
    CHECK(nb_summary_writer_close(w) == NB_OK, "closing %s", from);
    char *to = path_join(dir, name);
    CHECK(from && to && rename(from, to) == 0, "renaming %s", from ? from : "?");
    free(from);
    free(to);
}

static void fill_train(nb_summary_writer *w) {
    for (int step = 0; step <= 50; step += 10)
        CHECK(nb_summary_writer_add_scalar(w, "loss", step, 100.0 / (step + 1)) == NB_OK, "scalar");
    for (int step = 0; step <= 50; step += 25)
        CHECK(nb_summary_writer_add_scalar(w, "accuracy", step, 0.5 + step / 100.0) == NB_OK, "scalar");
    nb_tensor *t = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){4}, (float[]){1, 2, 3, 4});
    CHECK(nb_summary_writer_add_histogram(w, "weights", 0, t) == NB_OK, "histogram");
    nb_tensor_unref(t);
    t = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){4}, (float[]){-1, 0, 0.5f, 8});
    CHECK(nb_summary_writer_add_histogram(w, "weights", 50, t) == NB_OK, "histogram");
    nb_tensor_unref(t);
    uint8_t px[3 * 2] = {0, 40, 80, 120, 160, 200};
    t = nb_tensor_new(NB_UINT8, 2, (int64_t[]){3, 2}, px);
    CHECK(nb_summary_writer_add_image(w, "input", 0, t) == NB_OK, "image");
    nb_tensor_unref(t);
}

static void fill_train_more(nb_summary_writer *w) {
    nb_summary_writer_set_tensor_scalars(w, true);
    CHECK(nb_summary_writer_add_scalar(w, "loss", 60, 1.5) == NB_OK, "scalar");
    CHECK(nb_summary_writer_add_scalar(w, "loss", 70, 1.25) == NB_OK, "scalar");
}

static unsigned char *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(sz > 0 ? (size_t)sz : 1);
    *n = b ? fread(b, 1, (size_t)(sz > 0 ? sz : 0), f) : 0;
    fclose(f);
    return b;
}

static void write_file(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(p, 1, n, f) == n, "writing %s", path);
    if (f) fclose(f);
}

/* Byte offset of record k (0-based) of an intact file, or -1. */
static long record_offset(const char *path, int k) {
    nb_error err;
    nb_event_reader *r = nb_event_reader_open(path, &err);
    if (!r) return -1;
    long at = -1;
    for (int i = 0;; i++) {
        const nb_event *ev;
        if (nb_event_reader_next(r, &ev, &err) != NB_OK || !ev) break;
        if (i == k) {
            at = (long)nb_event_offset(ev);
            break;
        }
    }
    nb_event_reader_close(r);
    return at;
}

static void make_dir(const char *p) {
    if (mkdir(p, 0777) != 0) {
        struct stat st;
        CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode), "cannot create %s", p);
    }
}

/* One TFRecord: length, masked CRC-32C of the length, payload, masked CRC-32C. */
static void put_record(FILE *f, const unsigned char *p, size_t n) {
    if (!f) return;
    unsigned char len[8], c[4];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)((uint64_t)n >> (8 * i));
    uint32_t lc = nb_crc32c_mask(nb_crc32c(len, 8)), pc = nb_crc32c_mask(nb_crc32c(p, n));
    fwrite(len, 1, 8, f);
    for (int i = 0; i < 4; i++) c[i] = (unsigned char)(lc >> (8 * i));
    fwrite(c, 1, 4, f);
    fwrite(p, 1, n, f);
    for (int i = 0; i < 4; i++) c[i] = (unsigned char)(pc >> (8 * i));
    fwrite(c, 1, 4, f);
}

/* An Event {step, summary {value {tag, simple_value}}} by hand (short tags). */
static void put_scalar(FILE *f, const char *tag, int step, float v) {
    unsigned char b[64];
    size_t tl = strlen(tag), n = 0;
    b[n++] = 0x10; /* Event.step, varint */
    b[n++] = (unsigned char)step;
    b[n++] = 0x2a; /* Event.summary */
    b[n++] = (unsigned char)(tl + 9);
    b[n++] = 0x0a; /* Summary.value */
    b[n++] = (unsigned char)(tl + 7);
    b[n++] = 0x0a; /* Value.tag */
    b[n++] = (unsigned char)tl;
    memcpy(b + n, tag, tl);
    n += tl;
    b[n++] = 0x15; /* Value.simple_value, fixed32 */
    memcpy(b + n, &v, 4);
    n += 4;
    put_record(f, b, n);
}

/* Appends field `field` (length-delimited) holding n bytes of p. Short fields. */
static size_t put_ld(unsigned char *b, size_t at, int field, const void *p, size_t n) {
    b[at++] = (unsigned char)(field << 3 | 2);
    b[at++] = (unsigned char)n;
    memcpy(b + at, p, n);
    return at + n;
}

/* A NodeDef {name, op, input...} by hand. */
static size_t put_node(unsigned char *b, size_t at, const char *name, const char *op, const char *input) {
    unsigned char nd[128];
    size_t n = put_ld(nd, 0, 1, name, strlen(name));
    n = put_ld(nd, n, 2, op, strlen(op));
    if (input) n = put_ld(nd, n, 3, input, strlen(input));
    return put_ld(b, at, 1, nd, n); /* GraphDef.node */
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: cli_fixture DIR\n");
        return 2;
    }
    char buf[4096];
    const char *dir = argv[1];
    make_dir(dir);
#define P(...) (snprintf(buf, sizeof buf, __VA_ARGS__), buf)
    make_dir(P("%s/logs", dir));
    make_dir(P("%s/bad", dir));

    nb_graph *g = hw2_graph();
    write_run(P("%s/logs/hw2", dir), "events.out.tfevents.0000000001.fixture", g, NULL);
    nb_graph_free(g);

    g = train_graph();
    write_run(P("%s/logs/train", dir), "events.out.tfevents.0000000001.fixture", g, fill_train);
    nb_graph_free(g);
    write_run(P("%s/logs/train", dir), "events.out.tfevents.0000000002.fixture", NULL, fill_train_more);

    g = mlp_graph();
    write_run(P("%s/logs/mlp", dir), "events.out.tfevents.0000000001.fixture", g, NULL);
    nb_graph_free(g);

    /* Damaged copies of the train run. */
    char train1[4096], train2[4096];
    snprintf(train1, sizeof train1, "%s/logs/train/events.out.tfevents.0000000001.fixture", dir);
    snprintf(train2, sizeof train2, "%s/logs/train/events.out.tfevents.0000000002.fixture", dir);
    size_t n1 = 0, n2 = 0;
    unsigned char *b1 = read_file(train1, &n1), *b2 = read_file(train2, &n2);
    long at5 = record_offset(train1, 5), at7 = record_offset(train1, 7);
    CHECK(b1 && b2 && at5 > 0 && at7 > 0, "reading back %s", train1);
    if (b1 && b2 && at5 > 0 && at7 > 0) {
        make_dir(P("%s/bad/corrupt", dir));
        b1[at5 + 12 + 3] ^= 0x20; /* a byte of record 5's payload */
        write_file(P("%s/bad/corrupt/events.out.tfevents.0000000001.fixture", dir), b1, n1);
        b1[at5 + 12 + 3] ^= 0x20;
        make_dir(P("%s/bad/truncated", dir));
        write_file(P("%s/bad/truncated/events.out.tfevents.0000000001.fixture", dir), b1,
                   (size_t)at7 + 20);
        make_dir(P("%s/bad/zgood", dir));
        write_file(P("%s/bad/zgood/events.out.tfevents.0000000002.fixture", dir), b2, n2);
    }
    free(b1);
    free(b2);

    /* Many tags (nabla events --summary once took quadratic time in them). */
    make_dir(P("%s/many", dir));
    nb_error err;
    nb_summary_writer *w = nb_summary_writer_open(buf, NULL, &err);
    CHECK(w != NULL, "%s", err.message);
    for (int step = 1; w && step <= 2; step++)
        for (int i = 0; i < 30000; i++) {
            char tag[32];
            snprintf(tag, sizeof tag, "tag_%05d", i);
            CHECK(nb_summary_writer_add_scalar(w, tag, step, 2.0 * i + step - 1) == NB_OK, "%s",
                  nb_summary_writer_errmsg(w));
        }
    nb_summary_writer_close(w);

    /* Tags that are not UTF-8, as another writer could leave them: records
     * made by hand (nabla's own writer refuses such tags). */
    make_dir(P("%s/badutf8", dir));
    FILE *f = fopen(P("%s/badutf8/events.out.tfevents.0000000001.fixture", dir), "wb");
    CHECK(f != NULL, "cannot create %s", buf);
    static const unsigned char first[] = {0x1a, 13, 'b', 'r', 'a', 'i', 'n', '.', 'E', 'v', 'e', 'n', 't', ':', '2'};
    put_record(f, first, sizeof first);
    put_scalar(f, "a\xff" "b", 1, 1.5f);
    put_scalar(f, "\xc3(", 2, 2.5f);
    CHECK(f && fclose(f) == 0, "writing %s", buf);

    /* A GraphDef whose names are not UTF-8 (`nabla graph` must still write
     * well-formed SVG): records made by hand, as nabla refuses such names. */
    make_dir(P("%s/badutf8graph", dir));
    f = fopen(P("%s/badutf8graph/events.out.tfevents.0000000001.fixture", dir), "wb");
    CHECK(f != NULL, "cannot create %s", buf);
    put_record(f, first, sizeof first);
    unsigned char gd[256], ev[300];
    size_t gn = put_node(gd, 0, "x\xff", "Placeholder", NULL);
    gn = put_node(gd, gn, "sc\xfe/y\xc3(", "Relu", "x\xff");
    gn = put_node(gd, gn, "z", "Bad\xfeOp", "sc\xfe/y\xc3(");
    size_t en = 0;
    ev[en++] = 0x10; /* Event.step = 0 */
    ev[en++] = 0;
    en = put_ld(ev, en, 4, gd, gn); /* Event.graph_def */
    put_record(f, ev, en);
    CHECK(f && fclose(f) == 0, "writing %s", buf);
    return failed;
}
