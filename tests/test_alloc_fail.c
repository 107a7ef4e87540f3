/*
 * test_alloc_fail.c — for N = 1, 2, 3, ... the N-th allocation fails
 * (nbi_alloc_fail_at) while building a graph, compiling and running plans,
 * writing events and reading CSV / .npy files. At every N the failure must come
 * back as a status (NB_ERR_OUT_OF_MEMORY, "out of memory ...") or the work must
 * succeed; the objects must stay freeable; and nothing may leak (the ASan
 * build's leak checker runs this test). Each loop ends at the first N where no
 * allocation was failed, i.e. the whole operation ran.
 *
 * Covered: every allocation made through nbi_malloc & co. (the library, and
 * protobuf-c through its allocator hooks where the library passes them). Not
 * covered: OpenBLAS's own buffers, libcsv's (csv_init/realloc inside libcsv),
 * zlib's, stb_image's and libc's (stdio buffers).
 */
#include "harness.h"
#include "ops/ops_impl.h"

#include <unistd.h>

#define MAX_N 20000

/* Whether the failure injected at N never fired, i.e. the operation made fewer
 * than N allocations. N grows by one, so at the first such N exactly one step of
 * the countdown is left and this sentinel allocation is the one that fails. */
static bool injected(void) {
    void *p = nbi_malloc(1);
    bool pending = p == NULL;
    nbi_free(p);
    nbi_alloc_fail_at(0);
    return pending;
}

/* The linear regression of the README: y = x w + b, MSE, gradient descent. */
typedef struct {
    nb_graph *g;
    nb_output x, y, loss, train, init, pred;
} model;

static nb_status build(model *m) {
    m->g = nb_graph_new();
    if (!m->g) return NB_ERR_OUT_OF_MEMORY;
    nb_graph *g = m->g;
    nb_graph_set_seed(g, 3);
    m->x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 2), "x");
    m->y = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 1), "y");
    nb_output w = nb_variable(g, nb_random_normal(g, NB_FLOAT32, NB_SHAPE(2, 1), 0, 1, 0, NULL), "w");
    nb_output b = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(1), NULL), "b");
    m->pred = nb_add(g, nb_matmul(g, m->x, w, false, false, NULL), b, "pred");
    m->loss = nb_reduce_mean(g, nb_square(g, nb_subtract(g, m->pred, m->y, NULL), NULL), NULL, 0,
                             false, "loss");
    m->train = nb_train_gradient_descent_minimize(g, 0.1, m->loss);
    m->init = nb_global_variables_initializer(g);
    return nb_graph_status(g);
}

static bool is_oom_msg(const char *msg) { return strstr(msg, "out of memory") != NULL; }

TEST(build_graph) {
    for (long n = 1; n < MAX_N; n++) {
        model m = {0};
        nbi_alloc_fail_at(n);
        nb_status st = build(&m);
        bool pending = injected();
        if (st != NB_OK) {
            CHECK(st == NB_ERR_OUT_OF_MEMORY);
            if (m.g && !is_oom_msg(nb_graph_errmsg(m.g)))
                FAILF("N=%ld: message '%s'", n, nb_graph_errmsg(m.g));
            /* a graph in error refuses to run, with the graph's message */
            nb_session *s = m.g ? nb_session_new(m.g) : NULL;
            if (s) CHECK(nb_session_run(s, NULL, 0, &m.init, 1, NULL) != NB_OK);
            nb_session_free(s);
        }
        nb_graph_free(m.g);
        if (pending) {
            CHECK(st == NB_OK);
            printf("build_graph: %ld allocations\n", n - 1);
            return;
        }
    }
    FAILF("no end");
}

static const float XS[8] = {1, 2, 2, 1, 3, 0, 0, 3}, YS[4] = {3, 3, 3, 3};

TEST(compile_and_run) {
    model m = {0};
    CHECK(build(&m) == NB_OK);
    nb_tensor *x = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){4, 2}, XS);
    nb_tensor *y = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){4, 1}, YS);
    nb_feed feeds[2] = {{m.x, x}, {m.y, y}};
    for (long n = 1; n < MAX_N; n++) {
        nb_session *s;
        nbi_alloc_fail_at(n);
        s = nb_session_new(m.g);
        nb_status st = NB_ERR_OUT_OF_MEMORY;
        if (s) {
            st = nb_session_run(s, NULL, 0, &m.init, 1, NULL);
            if (st == NB_OK) st = nb_session_run(s, feeds, 2, &m.train, 1, NULL);
            nb_tensor *loss = NULL;
            if (st == NB_OK) st = nb_session_run(s, feeds, 2, &m.loss, 1, &loss);
            if (st == NB_OK) CHECK(loss != NULL);
            nb_tensor_unref(loss);
            if (st != NB_OK && !is_oom_msg(nb_session_errmsg(s)))
                FAILF("N=%ld: message '%s'", n, nb_session_errmsg(s));
        }
        bool pending = injected();
        if (st != NB_OK) CHECK(st == NB_ERR_OUT_OF_MEMORY);
        if (s) {
            /* still usable once memory is back: a full training step runs */
            CHECK(nb_session_run(s, NULL, 0, &m.init, 1, NULL) == NB_OK);
            CHECK(nb_session_run(s, feeds, 2, &m.train, 1, NULL) == NB_OK);
        }
        nb_session_free(s);
        if (pending) {
            CHECK(st == NB_OK);
            printf("compile_and_run: %ld allocations\n", n - 1);
            break;
        }
    }
    nb_tensor_unref(x);
    nb_tensor_unref(y);
    nb_graph_free(m.g);
}

/* A dense layer with a ReLU and Momentum: the run-time fusions (MatMul into
 * BiasAdd -> Relu, ReluGrad, ApplyMomentum) compile and run under failing
 * allocations as the unfused steps do. */
TEST(run_fused_dense) {
    nb_graph *g = nb_graph_new();
    nb_graph_set_seed(g, 5);
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 24), "x");
    nb_output h = nb_layers_dense(g, x, 32, NB_ACT_RELU, NULL);
    h = nb_layers_dense(g, h, 16, NB_ACT_RELU, NULL);
    nb_output loss = nb_reduce_mean(g, nb_square(g, h, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_output train = nb_optimizer_minimize(nb_train_momentum(g, 0.01, 0.9, false), loss, NULL, 0, nb_nil);
    nb_output init = nb_global_variables_initializer(g);
    CHECK(nb_graph_status(g) == NB_OK);
    nb_tensor *xv = nb_tensor_fill(NB_FLOAT32, 2, (int64_t[]){16, 24}, 0.25);
    nb_feed feed = {x, xv};
    for (long n = 1; n < MAX_N; n++) {
        nbi_alloc_fail_at(n);
        nb_session *s = nb_session_new(g);
        nb_status st = NB_ERR_OUT_OF_MEMORY;
        if (s) {
            st = nb_session_run(s, NULL, 0, &init, 1, NULL);
            if (st == NB_OK) st = nb_session_run(s, &feed, 1, &train, 1, NULL);
            if (st != NB_OK && !is_oom_msg(nb_session_errmsg(s)))
                FAILF("N=%ld: message '%s'", n, nb_session_errmsg(s));
        }
        bool pending = injected();
        if (st != NB_OK) CHECK(st == NB_ERR_OUT_OF_MEMORY);
        if (s) {
            CHECK(nb_session_run(s, NULL, 0, &init, 1, NULL) == NB_OK);
            CHECK(nb_session_run(s, &feed, 1, &train, 1, NULL) == NB_OK);
        }
        nb_session_free(s);
        if (pending) {
            CHECK(st == NB_OK);
            printf("run_fused_dense: %ld allocations\n", n - 1);
            break;
        }
    }
    nb_tensor_unref(xv);
    nb_graph_free(g);
}

/* GraphDef import: protobuf-c's allocations fail too; out of memory is
 * reported as such, never as a malformed file. */
TEST(import_graphdef) {
    model m = {0};
    CHECK(build(&m) == NB_OK);
    void *bytes = NULL;
    size_t len = 0;
    CHECK(nb_graph_to_graphdef(m.g, &bytes, &len) == NB_OK);
    for (long n = 1; n < MAX_N; n++) {
        nbi_alloc_fail_at(n);
        nb_graph *g = nb_graph_new();
        nb_error err = {0};
        nb_status st = g ? nb_graph_import_graphdef(g, bytes, len, NULL, &err) : NB_ERR_OUT_OF_MEMORY;
        if (g && st != NB_OK && !is_oom_msg(err.message)) FAILF("N=%ld: message '%s'", n, err.message);
        bool pending = injected();
        if (st != NB_OK && st != NB_ERR_OUT_OF_MEMORY) FAILF("N=%ld: status %d, '%s'", n, (int)st, err.message);
        nb_graph_free(g);
        if (pending) {
            CHECK(st == NB_OK);
            printf("import_graphdef: %ld allocations\n", n - 1);
            break;
        }
    }
    free(bytes);
    nb_graph_free(m.g);
}

TEST(run_convolutions) {
    /* each convolution algorithm's scratch: the direct kernel (1 input
     * channel), Winograd (5x5, 8 -> 8 channels) and im2col (3x3), forward and
     * both gradients; graph built before failures start */
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 6, 6, 1), "x");
    nb_tensor *F1 = nb_tensor_fill(NB_FLOAT32, 4, (int64_t[]){5, 5, 1, 8}, 0.1);
    nb_tensor *F2 = nb_tensor_fill(NB_FLOAT32, 4, (int64_t[]){5, 5, 8, 8}, 0.01);
    nb_tensor *F3 = nb_tensor_fill(NB_FLOAT32, 4, (int64_t[]){3, 3, 8, 4}, 0.02);
    nb_output f1 = nb_constant(g, F1, "f1"), f2 = nb_constant(g, F2, "f2"), f3 = nb_constant(g, F3, "f3");
    nb_tensor_unref(F1), nb_tensor_unref(F2), nb_tensor_unref(F3);
    int s1[4] = {1, 1, 1, 1};
    nb_output h = nb_nn_conv2d(g, x, f1, s1, "SAME", NULL, NULL);
    h = nb_nn_conv2d(g, h, f2, s1, "SAME", NULL, NULL);
    h = nb_nn_conv2d(g, h, f3, s1, "VALID", NULL, NULL);
    nb_output loss = nb_reduce_sum(g, nb_square(g, h, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_output grads[3];
    nb_gradients(g, &loss, 1, (nb_output[]){f1, f2, f3}, 3, NULL, grads);
    CHECK_GRAPH_OK(g);
    nb_tensor *X = nb_tensor_fill(NB_FLOAT32, 4, (int64_t[]){2, 6, 6, 1}, 0.5);
    nb_feed feed = {x, X};
    for (long n = 1; n < MAX_N; n++) {
        nbi_alloc_fail_at(n);
        nb_session *s = nb_session_new(g);
        nb_status st = NB_ERR_OUT_OF_MEMORY;
        nb_tensor *out[3] = {NULL, NULL, NULL};
        if (s) {
            st = nb_session_run(s, &feed, 1, grads, 3, out);
            if (st != NB_OK && !is_oom_msg(nb_session_errmsg(s)))
                FAILF("N=%ld: message '%s'", n, nb_session_errmsg(s));
        }
        bool pending = injected();
        if (st != NB_OK) CHECK(st == NB_ERR_OUT_OF_MEMORY);
        for (int i = 0; i < 3; i++) nb_tensor_unref(out[i]);
        if (s) {
            /* usable again once memory is back */
            nb_tensor *again[3] = {NULL, NULL, NULL};
            CHECK(nb_session_run(s, &feed, 1, grads, 3, again) == NB_OK);
            for (int i = 0; i < 3; i++) nb_tensor_unref(again[i]);
        }
        nb_session_free(s);
        if (pending) {
            CHECK(st == NB_OK);
            printf("run_convolutions: %ld allocations\n", n - 1);
            break;
        }
    }
    nb_tensor_unref(X);
    nb_graph_free(g);
}

static char tmpdir[256];

static const char *tmp(const char *name) {
    static char path[512];
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/nb_allocfail_XXXXXX");
        if (!mkdtemp(tmpdir)) return "/nonexistent/x";
    }
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

TEST(write_events) {
    model m = {0};
    CHECK(build(&m) == NB_OK);
    nb_tensor *h = nb_tensor_range(NB_FLOAT32, 0, 50, 1);
    for (long n = 1; n < MAX_N; n++) {
        char dir[600];
        snprintf(dir, sizeof dir, "%s", tmp(""));
        snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "run%ld", n);
        nb_error err = {0};
        nbi_alloc_fail_at(n);
        nb_status st = NB_OK;
        nb_summary_writer *w = nb_summary_writer_open(dir, m.g, &err);
        if (!w) {
            st = err.code;
            if (!is_oom_msg(err.message)) FAILF("N=%ld: message '%s'", n, err.message);
        } else {
            st = nb_summary_writer_add_scalar(w, "loss", 1, 0.5);
            if (st == NB_OK) st = nb_summary_writer_add_histogram(w, "h", 1, h);
            if (st == NB_OK) st = nb_summary_writer_flush(w);
            if (st != NB_OK && !is_oom_msg(nb_summary_writer_errmsg(w)))
                FAILF("N=%ld: message '%s'", n, nb_summary_writer_errmsg(w));
        }
        bool pending = injected();
        nb_status cst = w ? nb_summary_writer_close(w) : NB_OK;
        if (st != NB_OK) CHECK(st == NB_ERR_OUT_OF_MEMORY);
        if (pending) {
            CHECK(st == NB_OK);
            CHECK(cst == NB_OK);
            printf("write_events: %ld allocations\n", n - 1);
            break;
        }
    }
    nb_tensor_unref(h);
    nb_graph_free(m.g);
}

TEST(read_csv_npy) {
    char csv[600]; /* tmp() returns one static buffer */
    snprintf(csv, sizeof csv, "%s", tmp("d.csv"));
    FILE *f = fopen(csv, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("a,b,c\n1,2,3\n4,5,6\n\"7\",8,9\n", f);
    fclose(f);
    char npy[600];
    snprintf(npy, sizeof npy, "%s", tmp("d.npy"));
    nb_tensor *t = nb_tensor_range(NB_FLOAT64, 0, 12, 1);
    nb_error err = {0};
    CHECK(nb_npy_save(npy, t, &err) == NB_OK);
    nb_tensor_unref(t);
    static const char *const cols[] = {"c", "a"};
    for (int which = 0; which < 3; which++) {
        for (long n = 1; n < MAX_N; n++) {
            nb_error e = {0};
            nbi_alloc_fail_at(n);
            nb_tensor *r = which == 0   ? nb_csv_read(csv, true, cols, 2, NB_FLOAT32, &e)
                           : which == 1 ? nb_npy_load(npy, &e)
                                        : nb_csv_read(csv, true, NULL, 0, NB_FLOAT64, &e);
            bool pending = injected();
            if (!r) {
                CHECK(e.code == NB_ERR_OUT_OF_MEMORY);
                if (!is_oom_msg(e.message)) FAILF("N=%ld: message '%s'", n, e.message);
            }
            nb_tensor_unref(r);
            if (pending) {
                CHECK(r != NULL);
                break;
            }
        }
    }
}

/* The data-shard readers: nb_shard_rows, nb_idx_read_rows (plain file),
 * nb_csv_read_rows and nb_csv_num_rows. */
TEST(read_shards) {
    char idx[600], csv[600];
    snprintf(idx, sizeof idx, "%s", tmp("r.idx"));
    snprintf(csv, sizeof csv, "%s", tmp("r.csv"));
    FILE *f = fopen(idx, "wb");
    CHECK(f != NULL);
    if (!f) return;
    const unsigned char head[] = {0, 0, 0x0C, 2, 0, 0, 0, 6, 0, 0, 0, 2}; /* int32 [6, 2] */
    fwrite(head, 1, sizeof head, f);
    for (int i = 0; i < 48; i++) fputc(i, f);
    fclose(f);
    f = fopen(csv, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("a,b\n1,2\nbad,row,x\n4,5\n", f);
    fclose(f);
    const int64_t rows[] = {5, 0, 5, 2}, crows[] = {2, 0};
    for (int which = 0; which < 4; which++) {
        for (long n = 1; n < MAX_N; n++) {
            nb_error e = {0};
            int64_t count = 0;
            nbi_alloc_fail_at(n);
            nb_tensor *r = NULL;
            nb_status st = NB_OK;
            if (which == 0) r = nb_shard_rows(50, 8, 1, 3, 7, 2, false, &e);
            else if (which == 1) r = nb_idx_read_rows(idx, rows, 4, &e);
            else if (which == 2) r = nb_csv_read_rows(csv, true, NULL, 0, NB_FLOAT32, crows, 2, &e);
            else st = nb_csv_num_rows(csv, true, &count, &e);
            bool pending = injected();
            bool ok = which == 3 ? st == NB_OK : r != NULL;
            if (!ok) {
                CHECK(e.code == NB_ERR_OUT_OF_MEMORY);
                if (!is_oom_msg(e.message)) FAILF("which %d N=%ld: message '%s'", which, n, e.message);
            }
            nb_tensor_unref(r);
            if (pending) {
                CHECK(ok);
                if (which == 3) CHECK(count == 3);
                break;
            }
        }
    }
}

/* Saving a checkpoint: every failure is a status, the previous checkpoint stays
 * readable, and once memory is back the save succeeds. (cJSON allocates with
 * malloc, so only nabla's own allocations are failed here.) */
TEST(save_checkpoint) {
    model m = {0};
    CHECK(build(&m) == NB_OK);
    nb_session *s = nb_session_new(m.g);
    CHECK(nb_session_run(s, NULL, 0, &m.init, 1, NULL) == NB_OK);
    char path[600];
    snprintf(path, sizeof path, "%s", tmp("model.safetensors"));
    nb_error err = {0};
    CHECK(nb_checkpoint_save(s, path, &err) == NB_OK);
    for (long n = 1; n < MAX_N; n++) {
        nbi_alloc_fail_at(n);
        nb_status st = nb_checkpoint_save(s, path, &err);
        bool pending = injected();
        if (st != NB_OK) {
            CHECK(st == NB_ERR_OUT_OF_MEMORY);
            if (!is_oom_msg(err.message)) FAILF("N=%ld: message '%s'", n, err.message);
            /* the previous checkpoint is whole */
            nb_session *s2 = nb_session_new(m.g);
            nb_status rs = nb_checkpoint_restore(s2, path, &err);
            if (rs != NB_OK) FAILF("N=%ld: restoring the previous checkpoint: %s", n, err.message);
            nb_session_free(s2);
        }
        if (pending) {
            CHECK(st == NB_OK);
            printf("save_checkpoint: %ld allocations\n", n - 1);
            break;
        }
    }
    nb_session_free(s);
    nb_graph_free(m.g);
}

int main(int argc, char **argv) {
    int r = run_tests(argc, argv);
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) r = 1;
    }
    return r;
}
