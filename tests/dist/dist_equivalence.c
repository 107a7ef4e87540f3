/*
 * dist_equivalence.c — under mpirun with N ranks: 20 steps of data-parallel
 * training (nb_dist_minimize, each rank fed its rows of every global batch)
 * give the weights that one process gets with the whole batch B, for
 * GradientDescent, Momentum and Adam. The one-process reference is trained in
 * the same program on every rank, in a graph with no collective op.
 *
 * Two rules are tested: B = 12 (divisible by 2, 3 and 4) with each rank's loss
 * its own mean and NB_DIST_AVERAGE; B = 10 (uneven for 3 and 4 ranks: shares
 * floor(B r/N)..floor(B (r+1)/N), e.g. 3, 3, 4) with each rank's loss its sum
 * divided by the global B and NB_DIST_SUM, which is the one-process mean loss.
 *
 * Tolerance (float32): max |w_N - w_1| <= 2e-6 (weights of magnitude <= ~1,
 * learning rates 0.05..0.2): the two differ only in how the gradient's terms
 * are rounded (per-rank partial sums, then the rank-order all-reduce).
 * All ranks must also hold the same bits (checked with a broadcast from 0).
 */
#include "harness.h"

#include <math.h>
#include <time.h>

enum { M = 60, D = 4, H = 8, C = 3 };
static int R, N;
static float X[M][D], Y[M][C];

static void make_data(void) {
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < D; j++) X[i][j] = (float)sin(1.3 * i + 0.7 * j) * 1.5f;
        int c = (int)((X[i][0] + X[i][1] > 0) + (X[i][2] > 0.5f));
        for (int j = 0; j < C; j++) Y[i][j] = j == c ? 1.0f : 0.0f;
    }
}

typedef struct model {
    nb_output x, y, loss, vars[4];
} model;

static nb_output fixed_var(nb_graph *g, int rows, int cols, int salt, const char *name) {
    int64_t dims[2] = {rows, cols};
    nb_tensor *t = nb_tensor_new(NB_FLOAT32, cols ? 2 : 1, cols ? dims : &dims[0], NULL);
    float *p = nb_tensor_data(t);
    for (int64_t i = 0; i < nb_tensor_size(t); i++) p[i] = (float)cos(0.9 * (double)i + salt) * 0.5f;
    nb_output v = nb_variable_from_tensor(g, t, name);
    nb_tensor_unref(t);
    return v;
}

/* x [?, D] -> tanh dense H -> dense C -> softmax cross-entropy; loss = mean
 * (mean_loss) or sum / global_b. */
static model build(nb_graph *g, bool mean_loss, int global_b) {
    model m;
    m.x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, D), "x");
    m.y = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, C), "y");
    m.vars[0] = fixed_var(g, D, H, 1, "w1");
    m.vars[1] = fixed_var(g, H, 0, 2, "b1");
    m.vars[2] = fixed_var(g, H, C, 3, "w2");
    m.vars[3] = fixed_var(g, C, 0, 4, "b2");
    nb_output h = nb_tanh(g, nb_add(g, nb_matmul(g, m.x, m.vars[0], false, false, NULL), m.vars[1], NULL), NULL);
    nb_output logits = nb_add(g, nb_matmul(g, h, m.vars[2], false, false, NULL), m.vars[3], NULL);
    nb_output xent = nb_nn_softmax_cross_entropy_with_logits(g, m.y, logits, NULL);
    if (mean_loss) {
        m.loss = nb_reduce_mean(g, xent, NULL, 0, false, "loss");
    } else {
        nb_output s = nb_reduce_sum(g, xent, NULL, 0, false, NULL);
        nb_tensor *inv = nb_tensor_scalar(NB_FLOAT32, 1.0 / global_b);
        m.loss = nb_multiply(g, s, nb_constant(g, inv, NULL), "loss");
        nb_tensor_unref(inv);
    }
    return m;
}

static nb_optimizer *make_opt(nb_graph *g, int kind) {
    return kind == 0 ? nb_train_gradient_descent(g, 0.2)
           : kind == 1 ? nb_train_momentum(g, 0.1, 0.9, false)
                       : nb_train_adam(g, 0.05, 0.9, 0.999, 1e-8);
}

static void feed_rows(const int64_t *rows, int64_t n, nb_tensor *xt, nb_tensor *yt) {
    float *xp = nb_tensor_data(xt), *yp = nb_tensor_data(yt);
    for (int64_t i = 0; i < n; i++) {
        memcpy(xp + i * D, X[rows[i]], sizeof X[0]);
        memcpy(yp + i * C, Y[rows[i]], sizeof Y[0]);
    }
}

static void equivalence(int kind, bool mean_loss, int B) {
    nb_graph *g1 = nb_graph_new(), *gn = nb_graph_new();
    model m1 = build(g1, mean_loss, B), mn = build(gn, mean_loss, B);
    nb_output t1 = nb_optimizer_minimize(make_opt(g1, kind), m1.loss, m1.vars, 4, nb_nil);
    nb_output tn = nb_dist_minimize(make_opt(gn, kind), mn.loss, mn.vars, 4,
                                    mean_loss ? NB_DIST_AVERAGE : NB_DIST_SUM, nb_nil);
    nb_output i1 = nb_global_variables_initializer(g1), in = nb_global_variables_initializer(gn);
    nb_output bc = nb_dist_broadcast_global_variables(gn, NULL);
    nb_output same[4];
    for (int v = 0; v < 4; v++) same[v] = nb_dist_broadcast(gn, mn.vars[v], NULL);
    CHECK_GRAPH_OK(g1);
    CHECK_GRAPH_OK(gn);
    nb_session *s1 = nb_session_new(g1), *sn = nb_session_new(gn);
    CHECK(nb_session_run(s1, NULL, 0, &i1, 1, NULL) == NB_OK);
    CHECK(nb_session_run(sn, NULL, 0, &in, 1, NULL) == NB_OK);
    CHECK(nb_session_run(sn, NULL, 0, &bc, 1, NULL) == NB_OK);
    int64_t perm[M];
    int64_t b0, b1;
    nb_dist_shard_range(B, R, N, &b0, &b1);
    int per_epoch = M / B;
    for (int step = 0; step < 20; step++) {
        int epoch = step / per_epoch, k = step % per_epoch;
        CHECK(nb_dist_epoch_permutation(M, 1234, epoch, perm) == NB_OK);
        const int64_t *batch = perm + (int64_t)k * B;
        nb_tensor *xa = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){B, D}, NULL);
        nb_tensor *ya = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){B, C}, NULL);
        feed_rows(batch, B, xa, ya);
        nb_feed f1[2] = {{m1.x, xa}, {m1.y, ya}};
        CHECK(nb_session_run(s1, f1, 2, &t1, 1, NULL) == NB_OK);
        nb_tensor *xr = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){b1 - b0, D}, NULL);
        nb_tensor *yr = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){b1 - b0, C}, NULL);
        feed_rows(batch + b0, b1 - b0, xr, yr);
        nb_feed fn[2] = {{mn.x, xr}, {mn.y, yr}};
        if (nb_session_run(sn, fn, 2, &tn, 1, NULL) != NB_OK) FAILF("rank %d: %s", R, nb_session_errmsg(sn));
        nb_tensor_unref(xa), nb_tensor_unref(ya), nb_tensor_unref(xr), nb_tensor_unref(yr);
    }
    double worst = 0, moved = 0;
    for (int v = 0; v < 4; v++) {
        nb_tensor *a = nb_session_variable_value(s1, m1.vars[v]), *b = nb_session_variable_value(sn, mn.vars[v]);
        nb_tensor *r0 = nb_session_eval(sn, same[v], NULL, 0);
        CHECK(a && b && r0);
        if (!a || !b || !r0) continue;
        CHECK(!memcmp(nb_tensor_data(b), nb_tensor_data(r0), nb_tensor_nbytes(b))); /* ranks agree */
        for (int64_t i = 0; i < nb_tensor_size(a); i++) {
            double d = fabs(nb_tensor_get_flat(a, i) - nb_tensor_get_flat(b, i));
            if (d > worst) worst = d;
        }
        nb_tensor_unref(a), nb_tensor_unref(b), nb_tensor_unref(r0);
    }
    /* The weights moved (so the comparison means something). */
    nb_tensor *w = nb_session_variable_value(s1, m1.vars[2]);
    moved = fabs(nb_tensor_get_flat(w, 0) - (float)cos(3) * 0.5f);
    nb_tensor_unref(w);
    if (R == 0)
        printf("# %s, %s, B=%d, %d ranks: max |w_N - w_1| = %.3g (first weight moved %.3g)\n",
               kind == 0 ? "GD" : kind == 1 ? "Momentum" : "Adam", mean_loss ? "mean+Average" : "sum/B+Sum", B,
               N, worst, moved);
    CHECK(worst <= 2e-6);
    CHECK(moved > 1e-2);
    nb_session_free(s1), nb_session_free(sn);
    nb_graph_free(g1), nb_graph_free(gn);
}

TEST(gd_even_average) { equivalence(0, true, 12); }
TEST(momentum_even_average) { equivalence(1, true, 12); }
TEST(adam_even_average) { equivalence(2, true, 12); }
TEST(gd_uneven_sum) { equivalence(0, false, 10); }
TEST(momentum_uneven_sum) { equivalence(1, false, 10); }
TEST(adam_uneven_sum) { equivalence(2, false, 10); }

TEST(fused_and_unfused_training_same_bits) {
    /* Threshold 0 (one all-reduce per gradient) and 64 MiB (all four fused). */
    float got[2][D * H];
    for (int f = 0; f < 2; f++) {
        nb_dist_set_fusion_threshold(f ? (size_t)64 << 20 : 0);
        nb_dist_set_overlap(0); /* the blocking ops, counted below */
        nb_graph *g = nb_graph_new();
        model m = build(g, true, 12);
        nb_output t = nb_dist_minimize(nb_train_adam(g, 0.05, 0.9, 0.999, 1e-8), m.loss, m.vars, 4,
                                       NB_DIST_AVERAGE, nb_nil);
        nb_output init = nb_global_variables_initializer(g);
        int grouped = 0, single = 0;
        for (int i = 0; i < nb_graph_num_ops(g); i++) {
            const char *ty = nb_op_type(nb_graph_op(g, i));
            grouped += !strcmp(ty, "HorovodGroupedAllreduce");
            single += !strcmp(ty, "HorovodAllreduce");
        }
        if (f ? grouped != 1 || single != 0 : grouped != 0 || single != 4)
            FAILF("threshold %s: %d grouped, %d single all-reduces", f ? "64 MiB" : "0", grouped, single);
        nb_session *s = nb_session_new(g);
        CHECK(nb_session_run(s, NULL, 0, &init, 1, NULL) == NB_OK);
        int64_t b0, b1;
        nb_dist_shard_range(12, R, N, &b0, &b1);
        int64_t rows[M];
        for (int step = 0; step < 5; step++) {
            for (int64_t i = 0; i < b1 - b0; i++) rows[i] = (step * 12 + b0 + i) % M;
            nb_tensor *xr = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){b1 - b0, D}, NULL);
            nb_tensor *yr = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){b1 - b0, C}, NULL);
            feed_rows(rows, b1 - b0, xr, yr);
            nb_feed fd[2] = {{m.x, xr}, {m.y, yr}};
            CHECK(nb_session_run(s, fd, 2, &t, 1, NULL) == NB_OK);
            nb_tensor_unref(xr), nb_tensor_unref(yr);
        }
        nb_tensor *w = nb_session_variable_value(s, m.vars[0]);
        memcpy(got[f], nb_tensor_data(w), sizeof got[f]);
        nb_tensor_unref(w);
        nb_session_free(s);
        nb_graph_free(g);
    }
    CHECK(!memcmp(got[0], got[1], sizeof got[0]));
    nb_dist_set_fusion_threshold((size_t)64 << 20);
    nb_dist_set_overlap((size_t)1 << 20);
}

/* Index of op in creation order (the executor's order), -1 if absent. */
static int op_index(nb_graph *g, const nb_op *op) {
    for (int i = 0; i < nb_graph_num_ops(g); i++)
        if (nb_graph_op(g, i) == op) return i;
    return -1;
}

/* Trains 20 steps (B = 12, mean + Average, or B = 10, sum/B + Sum) with the
 * given overlap bucket size; copies the four variables out. */
static void train_20(int kind, size_t overlap, bool mean_loss, float out[D * H + H + H * C + C],
                     int *n_start, int *first_start, int *w1_grad) {
    nb_dist_set_overlap(overlap);
    int B = mean_loss ? 12 : 10;
    nb_graph *g = nb_graph_new();
    model m = build(g, mean_loss, B);
    nb_output t = nb_dist_minimize(make_opt(g, kind), m.loss, m.vars, 4,
                                   mean_loss ? NB_DIST_AVERAGE : NB_DIST_SUM, nb_nil);
    nb_output init = nb_global_variables_initializer(g);
    CHECK_GRAPH_OK(g);
    *n_start = 0, *first_start = -1, *w1_grad = -1;
    int waits = 0, blocking = 0;
    for (int i = 0; i < nb_graph_num_ops(g); i++) {
        nb_op *o = nb_graph_op(g, i);
        const char *ty = nb_op_type(o);
        blocking += !strncmp(ty, "Horovod", 7);
        waits += !strcmp(ty, "NablaAllreduceWait");
        if (strcmp(ty, "NablaAllreduceStart")) continue;
        if ((*n_start)++ == 0) *first_start = i;
        for (int j = 0; j < nb_op_num_inputs(o); j++) /* the bucket holding w1's gradient */
            if (j == nb_op_num_inputs(o) - 1) *w1_grad = op_index(g, nb_op_input(o, j).op);
    }
    CHECK(waits == *n_start);
    CHECK(overlap ? blocking == 0 : blocking > 0 && *n_start == 0);
    nb_session *s = nb_session_new(g);
    CHECK(nb_session_run(s, NULL, 0, &init, 1, NULL) == NB_OK);
    int64_t b0, b1, perm[M];
    nb_dist_shard_range(B, R, N, &b0, &b1);
    for (int step = 0; step < 20; step++) {
        CHECK(nb_dist_epoch_permutation(M, 99, step / (M / B), perm) == NB_OK);
        const int64_t *batch = perm + (int64_t)(step % (M / B)) * B + b0;
        nb_tensor *xr = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){b1 - b0, D}, NULL);
        nb_tensor *yr = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){b1 - b0, C}, NULL);
        feed_rows(batch, b1 - b0, xr, yr);
        nb_feed fd[2] = {{m.x, xr}, {m.y, yr}};
        if (nb_session_run(s, fd, 2, &t, 1, NULL) != NB_OK) FAILF("rank %d: %s", R, nb_session_errmsg(s));
        nb_tensor_unref(xr), nb_tensor_unref(yr);
    }
    size_t at = 0;
    for (int v = 0; v < 4; v++) {
        nb_tensor *w = nb_session_variable_value(s, m.vars[v]);
        CHECK(w != NULL);
        if (!w) continue;
        memcpy(out + at, nb_tensor_data(w), nb_tensor_nbytes(w));
        at += (size_t)nb_tensor_size(w);
        nb_tensor_unref(w);
    }
    nb_session_free(s);
    nb_graph_free(g);
}

/* The overlapped path (split all-reduces started during the backward pass)
 * gives the same bits as the blocking one after 20 steps, for GD, Momentum and
 * Adam, with even (Average) and uneven (Sum) shares; and it is built so that
 * the first bucket (the top layer's gradients, ready first) starts before the
 * gradient op of w1 (the bottom layer) is created, i.e. runs. Buckets of 150
 * bytes: b2 (12) + w2 (96) + b1 (32) = 140, then w1 (128) alone: 2 starts. */
static void overlap_same_bits(int kind) {
    enum { NW = D * H + H + H * C + C };
    for (int mean = 1; mean >= 0; mean--) {
        float blocking[NW], overlapped[NW];
        int ns0, fs0, wg0, ns, fs, wg;
        train_20(kind, 0, mean, blocking, &ns0, &fs0, &wg0);
        train_20(kind, 150, mean, overlapped, &ns, &fs, &wg);
        CHECK(ns0 == 0);
        if (ns != 2 || fs < 0 || wg < 0 || fs >= wg)
            FAILF("%d starts, the first at op %d, w1's gradient made at op %d", ns, fs, wg);
        CHECK(!memcmp(blocking, overlapped, sizeof blocking));
        if (R == 0)
            printf("# %s, %s: overlapped == blocking bit for bit after 20 steps (w[0] %.9g)\n",
                   kind == 0 ? "GD" : kind == 1 ? "Momentum" : "Adam", mean ? "B=12 Average" : "B=10 Sum",
                   (double)overlapped[0]);
    }
    nb_dist_set_overlap((size_t)1 << 20);
}

TEST(overlap_same_bits_gd) { overlap_same_bits(0); }
TEST(overlap_same_bits_momentum) { overlap_same_bits(1); }
TEST(overlap_same_bits_adam) { overlap_same_bits(2); }

/* Overlap happens: a 3-layer MLP whose lower layers' backward pass is long
 * (64 x 1024 x 1024 matmuls). Buckets of 1 MiB, in the order the gradients
 * are made: {b3, w3, b2} (45 KB), {w2} (4 MiB), {b1}, {w1} (1 MiB): four
 * all-reduces a step. The first is started right after the top layer's
 * gradients, the second after w2's; while the session computes the layers
 * below, the communication thread must begin and finish some of them before
 * the session reaches a NablaAllreduceWait (counted by nb_dist_get_stats).
 * Without overlap nothing can begin before the wait (and the counters do not
 * move). On this shared 2-core machine the ranks drift apart by scheduling
 * noise, so the bound is low: at least 8 of the 80 begun before a wait
 * (measured 21-36 at 2 and 3 ranks, load 9). "Finished" is printed, not
 * bounded: before NablaAllreduceStart stopped taking the MPI lock (which the
 * communication thread holds for a whole all-reduce), each Start waited for
 * the previous bucket's all-reduce to end, so 3 of the 4 finished "before the
 * wait" while the session sat idle (measured 21-57 then); now the session
 * computes the layers below meanwhile and reaches the waits sooner (measured
 * 1-17 finished, with the step time no longer). */
TEST(overlap_happens) {
    enum { F = 256, U = 1024, K = 10, PB = 64 };
    nb_dist_set_overlap((size_t)1 << 20);
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, F), "x");
    nb_output vars[6];
    vars[0] = fixed_var(g, F, U, 1, "w1"), vars[1] = fixed_var(g, U, 0, 2, "b1");
    vars[2] = fixed_var(g, U, U, 3, "w2"), vars[3] = fixed_var(g, U, 0, 4, "b2");
    vars[4] = fixed_var(g, U, K, 5, "w3"), vars[5] = fixed_var(g, K, 0, 6, "b3");
    nb_output h = x;
    for (int l = 0; l < 3; l++) {
        h = nb_add(g, nb_matmul(g, h, vars[2 * l], false, false, NULL), vars[2 * l + 1], NULL);
        if (l < 2) h = nb_tanh(g, h, NULL);
    }
    nb_output loss = nb_reduce_mean(g, nb_square(g, h, NULL), NULL, 0, false, "loss");
    nb_output t = nb_dist_minimize(nb_train_gradient_descent(g, 1e-4), loss, vars, 6, NB_DIST_AVERAGE, nb_nil);
    nb_output init = nb_global_variables_initializer(g);
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    CHECK(nb_session_run(s, NULL, 0, &init, 1, NULL) == NB_OK);
    nb_tensor *xt = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){PB, F}, NULL);
    float *xp = nb_tensor_data(xt);
    for (int i = 0; i < PB * F; i++) xp[i] = (float)sin(0.37 * i + R);
    nb_dist_stats a, b;
    nb_error err;
    CHECK(nb_dist_barrier(&err) == NB_OK);
    nb_dist_get_stats(&a);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int step = 0; step < 20; step++) {
        nb_feed fd = {x, xt};
        if (nb_session_run(s, &fd, 1, &t, 1, NULL) != NB_OK) FAILF("rank %d: %s", R, nb_session_errmsg(s));
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    nb_dist_get_stats(&b);
    int64_t n = b.overlap_allreduces - a.overlap_allreduces, began = b.overlap_started - a.overlap_started,
            finished = b.overlap_finished - a.overlap_finished;
    printf("# rank %d: %lld all-reduces started in 20 steps (%.1f ms a step), %lld begun and %lld finished "
           "before the run reached a wait\n", R, (long long)n,
           50.0 * ((double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec)),
           (long long)began, (long long)finished);
    CHECK(n == 80); /* four buckets a step */
    CHECK(began >= 8);
    CHECK(began >= finished);
    nb_tensor_unref(xt);
    nb_session_free(s);
    nb_graph_free(g);
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
    make_data();
    int rc = run_tests(argc, argv);
    nb_dist_finalize();
    return rc;
}
