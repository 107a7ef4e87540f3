/*
 * dist_buckets.c — under mpirun with N ranks: the default size of the
 * overlapped all-reduce's buckets and what it does to the MLP of
 * examples/fashion_mlp (784-256-256-10, float32).
 *
 * The default bucket is max(1 MiB, N x P), P = 64 KiB per rank, or
 * NABLA_DIST_OVERLAP_PER_RANK bytes (src/dist/README.md, "Scaling on paper":
 * one more bucket pays 2 (N-1) more link latencies, worth it only for more
 * than about N x latency x bandwidth bytes). The MLP's gradients, in the
 * order the backward pass makes them: b3 40 B, w3 10,240, b2 1,024,
 * w2 262,144, b1 1,024 (together 274,472), w1 802,816 (784 x 256 x 4): in all
 * 1,077,288 bytes. A bucket of b bytes (b >= 1 MiB) therefore holds them all
 * when b >= 1,077,288 (one NablaAllreduceStart a step), else the first five,
 * then w1 (two). CTest runs this with N = 2, 3, 4 and the default P (two
 * starts) and with N = 2 and P = 600,000 (2 x 600,000 >= 1,077,288: one).
 * Either way, 3 training steps give the same bits as the blocking all-reduce.
 */
#include "harness.h"

#include <math.h>

enum { F = 784, U = 256, K = 10, PB = 8 };
static int R, N;

static nb_output fixed_var(nb_graph *g, int rows, int cols, int salt, const char *name) {
    int64_t dims[2] = {rows, cols};
    nb_tensor *t = nb_tensor_new(NB_FLOAT32, cols ? 2 : 1, cols ? dims : &dims[0], NULL);
    float *p = nb_tensor_data(t);
    for (int64_t i = 0; i < nb_tensor_size(t); i++) p[i] = (float)cos(0.9 * (double)i + salt) * 0.05f;
    nb_output v = nb_variable_from_tensor(g, t, name);
    nb_tensor_unref(t);
    return v;
}

/* Builds the MLP with nb_dist_minimize (the current overlap setting), counts
 * its NablaAllreduceStart ops into *starts and trains 3 steps of GD on this
 * rank's rows; copies the weights (w1 first) into out. */
static void train_3(float *out, size_t n_out, int *starts) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, F), "x");
    nb_output vars[6];
    vars[0] = fixed_var(g, F, U, 1, "w1"), vars[1] = fixed_var(g, U, 0, 2, "b1");
    vars[2] = fixed_var(g, U, U, 3, "w2"), vars[3] = fixed_var(g, U, 0, 4, "b2");
    vars[4] = fixed_var(g, U, K, 5, "w3"), vars[5] = fixed_var(g, K, 0, 6, "b3");
    nb_output h = x;
    for (int l = 0; l < 3; l++) {
        h = nb_add(g, nb_matmul(g, h, vars[2 * l], false, false, NULL), vars[2 * l + 1], NULL);
        if (l < 2) h = nb_relu(g, h, NULL);
    }
    nb_output loss = nb_reduce_mean(g, nb_square(g, h, NULL), NULL, 0, false, "loss");
    nb_output t =
        nb_dist_minimize(nb_train_gradient_descent(g, 0.01), loss, vars, 6, NB_DIST_AVERAGE, nb_nil);
    nb_output init = nb_global_variables_initializer(g);
    CHECK_GRAPH_OK(g);
    *starts = 0;
    for (int i = 0; i < nb_graph_num_ops(g); i++)
        *starts += !strcmp(nb_op_type(nb_graph_op(g, i)), "NablaAllreduceStart");
    nb_session *s = nb_session_new(g);
    CHECK(nb_session_run(s, NULL, 0, &init, 1, NULL) == NB_OK);
    nb_tensor *xt = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){PB, F}, NULL);
    float *xp = nb_tensor_data(xt);
    for (int step = 0; step < 3; step++) {
        for (int i = 0; i < PB * F; i++) xp[i] = (float)sin(0.37 * i + 1.7 * R + 0.3 * step);
        nb_feed fd = {x, xt};
        if (nb_session_run(s, &fd, 1, &t, 1, NULL) != NB_OK) FAILF("rank %d: %s", R, nb_session_errmsg(s));
    }
    size_t at = 0;
    for (int v = 0; v < 6; v++) {
        nb_tensor *w = nb_session_variable_value(s, vars[v]);
        CHECK(w != NULL);
        if (!w) continue;
        CHECK(at + (size_t)nb_tensor_size(w) <= n_out);
        if (at + (size_t)nb_tensor_size(w) <= n_out) memcpy(out + at, nb_tensor_data(w), nb_tensor_nbytes(w));
        at += (size_t)nb_tensor_size(w);
        nb_tensor_unref(w);
    }
    CHECK(at == n_out);
    nb_tensor_unref(xt);
    nb_session_free(s);
    nb_graph_free(g);
}

/* The default first (nothing has set the overlap yet), then an explicit size. */
TEST(default_bucket_scales_with_ranks) {
    const char *e = getenv("NABLA_DIST_OVERLAP_PER_RANK");
    size_t per_rank = e && *e ? (size_t)strtoull(e, NULL, 10) : 65536;
    size_t want = (size_t)N * per_rank > ((size_t)1 << 20) ? (size_t)N * per_rank : (size_t)1 << 20;
    if (nb_dist_get_overlap() != want)
        FAILF("N = %d, per rank %zu: bucket %zu, expected %zu", N, per_rank, nb_dist_get_overlap(), want);
    enum { NW = F * U + U + U * U + U + U * K + K };
    float *overlapped = malloc(NW * sizeof(float)), *blocking = malloc(NW * sizeof(float));
    CHECK(overlapped && blocking);
    if (!overlapped || !blocking) return;
    int starts, none;
    train_3(overlapped, NW, &starts);
    int expect = want >= 1077288 ? 1 : 2;
    if (starts != expect) FAILF("bucket %zu: %d NablaAllreduceStart ops, expected %d", want, starts, expect);
    nb_dist_set_overlap(0);
    train_3(blocking, NW, &none);
    CHECK(none == 0);
    CHECK(!memcmp(overlapped, blocking, NW * sizeof(float)));
    if (R == 0)
        printf("# %d ranks, %zu bytes per rank: buckets of %zu bytes, %d start(s) a step; overlapped == "
               "blocking bit for bit after 3 steps\n", N, per_rank, want, starts);
    /* An explicit size is used as it is (not scaled), whatever N and P:
     * 300,000 bytes split the MLP into {b3, w3, b2, w2, b1} (274,472) and {w1}. */
    nb_dist_set_overlap(300000);
    CHECK(nb_dist_get_overlap() == 300000);
    train_3(overlapped, NW, &starts);
    CHECK(starts == 2);
    CHECK(!memcmp(overlapped, blocking, NW * sizeof(float)));
    nb_dist_set_overlap((size_t)1 << 20);
    free(overlapped), free(blocking);
}

int main(int argc, char **argv) {
    nb_error err;
    if (nb_dist_init(&argc, &argv, &err) != NB_OK) {
        fprintf(stderr, "nb_dist_init: %s\n", err.message);
        return 1;
    }
    nb_set_num_threads(1);
    nb_dist_set_timeout(60);
    R = nb_dist_rank(), N = nb_dist_size();
    int rc = run_tests(argc, argv);
    nb_dist_finalize();
    return rc;
}
