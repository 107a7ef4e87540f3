/*
 * dist_collectives.c — the collective ops under mpirun (2, 3 and 4 ranks, see
 * CMakeLists.txt): all-reduce (Sum for every dtype, Average for floats),
 * broadcast and all-gather against results computed here by hand from the
 * ranks' inputs (every rank can compute every other rank's input: they are
 * formulas of (rank, i)); empty tensors; a tensor over 64 MiB (more than one
 * all-reduce segment); fused (HorovodGroupedAllreduce) and unfused results
 * equal bit for bit and equal to the rank-order float sum computed here;
 * mismatched counts failing on every rank with a message naming them; the
 * variable-list check; the variable broadcast.
 */
#include "harness.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>

static int R, N;

static nb_tensor *run1(nb_graph *g, nb_output y) {
    nb_session *s = nb_session_new(g);
    nb_tensor *t = nb_session_eval(s, y, NULL, 0);
    if (!t) fprintf(stderr, "rank %d: %s\n", R, nb_session_errmsg(s));
    nb_session_free(s);
    return t;
}

/* Rank r's element i, as a double that every dtype holds exactly. */
static double val(int r, int64_t i) { return (double)((r + 1) * 3 + (i % 7) * (r + 2)); }

static nb_tensor *input_of(nb_dtype dt, int r, int64_t n) {
    nb_tensor *t = nb_tensor_new(dt, 1, (int64_t[]){n}, NULL);
    for (int64_t i = 0; i < n; i++) {
        double v = val(r, i);
        switch (dt) {
        case NB_FLOAT32: ((float *)nb_tensor_data(t))[i] = (float)v / 4; break;
        case NB_FLOAT64: ((double *)nb_tensor_data(t))[i] = v / 4; break;
        case NB_INT32: ((int32_t *)nb_tensor_data(t))[i] = (int32_t)v - 20; break;
        case NB_INT64: ((int64_t *)nb_tensor_data(t))[i] = ((int64_t)v << 33) - 7; break;
        case NB_UINT8: ((uint8_t *)nb_tensor_data(t))[i] = (uint8_t)(v * 9); break; /* sums wrap */
        case NB_BOOL: ((bool *)nb_tensor_data(t))[i] = (i % 5) == r; break;
        default: break;
        }
    }
    return t;
}

TEST(allreduce_sum_every_dtype_against_hand_sums) {
    nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT64, NB_INT32, NB_INT64, NB_UINT8, NB_BOOL};
    for (int d = 0; d < 6; d++) {
        int64_t n = 1000 + d; /* not a multiple of the rank count */
        nb_graph *g = nb_graph_new();
        nb_tensor *x = input_of(dts[d], R, n);
        nb_output y = nb_dist_allreduce(g, nb_constant(g, x, "x"), NB_DIST_SUM, NULL);
        nb_tensor_unref(x);
        nb_tensor *t = run1(g, y);
        CHECK(t != NULL);
        if (t) {
            int bad = 0;
            for (int64_t i = 0; i < n; i++) {
                double want = 0, got = 0;
                uint32_t w8 = 0;
                int64_t w64 = 0;
                bool wb = false;
                for (int r = 0; r < N; r++) want += val(r, i), w8 += (uint8_t)(val(r, i) * 9),
                                            w64 += ((int64_t)val(r, i) << 33) - 7, wb |= (i % 5) == r;
                switch (dts[d]) {
                case NB_FLOAT32: got = ((float *)nb_tensor_data(t))[i]; want /= 4; break;
                case NB_FLOAT64: got = ((double *)nb_tensor_data(t))[i]; want /= 4; break;
                case NB_INT32: got = ((int32_t *)nb_tensor_data(t))[i]; want -= 20.0 * N; break;
                case NB_INT64: got = (double)(((int64_t *)nb_tensor_data(t))[i] - w64); want = 0; break;
                case NB_UINT8: got = ((uint8_t *)nb_tensor_data(t))[i]; want = (double)(w8 % 256); break;
                case NB_BOOL: got = ((bool *)nb_tensor_data(t))[i]; want = wb; break;
                default: break;
                }
                if (got != want && bad++ < 3) FAILF("%s element %lld: %g, want %g", nb_dtype_name(dts[d]), (long long)i, got, want);
                checks_++;
            }
            nb_tensor_unref(t);
        }
        nb_graph_free(g);
    }
}

TEST(allreduce_average_floats_and_int_average_rejected) {
    nb_graph *g = nb_graph_new();
    nb_tensor *x = input_of(NB_FLOAT64, R, 64);
    nb_output y = nb_dist_allreduce(g, nb_constant(g, x, "x"), NB_DIST_AVERAGE, NULL);
    nb_tensor_unref(x);
    nb_tensor *t = run1(g, y);
    CHECK(t != NULL);
    for (int64_t i = 0; t && i < 64; i++) {
        double want = 0;
        for (int r = 0; r < N; r++) want += val(r, i) / 4;
        CHECK(((double *)nb_tensor_data(t))[i] == want / N);
    }
    nb_tensor_unref(t);
    nb_graph_free(g);
    g = nb_graph_new();
    nb_tensor *xi = input_of(NB_INT32, R, 4);
    nb_dist_allreduce(g, nb_constant(g, xi, "x"), NB_DIST_AVERAGE, "avg");
    nb_tensor_unref(xi);
    CHECK(nb_graph_status(g) == NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "Average is defined for float and double only, not int32");
    nb_graph_free(g);
}

TEST(empty_tensors_every_collective) {
    nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT64, NB_INT32, NB_INT64, NB_UINT8, NB_BOOL};
    for (int d = 0; d < 6; d++) {
        nb_graph *g = nb_graph_new();
        nb_tensor *x = nb_tensor_new(dts[d], 2, (int64_t[]){0, 3}, NULL);
        nb_output c = nb_constant(g, x, "x");
        nb_tensor_unref(x);
        nb_output ys[3] = {nb_dist_allreduce(g, c, NB_DIST_SUM, NULL), nb_dist_broadcast(g, c, NULL),
                           nb_dist_allgather(g, c, NULL)};
        for (int k = 0; k < 3; k++) {
            nb_tensor *t = run1(g, ys[k]);
            CHECK(t && nb_tensor_size(t) == 0 && nb_tensor_rank(t) == 2 && nb_tensor_dims(t)[1] == 3);
            nb_tensor_unref(t);
        }
        nb_graph_free(g);
    }
}

TEST(large_tensor_over_64_mib) {
    int64_t n = ((int64_t)64 << 20) / 4 + 4097; /* 64 MiB + 16 KiB of float32: two segments */
    nb_tensor *x = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){n}, NULL);
    float *p = nb_tensor_data(x);
    for (int64_t i = 0; i < n; i++) p[i] = (float)((R + 1) * (i % 1024));
    nb_graph *g = nb_graph_new();
    nb_output y = nb_dist_allreduce(g, nb_constant(g, x, "x"), NB_DIST_SUM, NULL);
    nb_output b = nb_dist_broadcast(g, nb_constant(g, x, "x2"), NULL);
    nb_tensor_unref(x);
    nb_tensor *t = run1(g, y);
    CHECK(t != NULL);
    int64_t bad = 0, s = (int64_t)N * (N + 1) / 2;
    for (int64_t i = 0; t && i < n; i++) bad += ((float *)nb_tensor_data(t))[i] != (float)(s * (i % 1024));
    CHECK(bad == 0);
    nb_tensor_unref(t);
    t = run1(g, b);
    bad = 0;
    for (int64_t i = 0; t && i < n; i++) bad += ((float *)nb_tensor_data(t))[i] != (float)(i % 1024);
    CHECK(t && bad == 0);
    nb_tensor_unref(t);
    nb_graph_free(g);
}

/* Inexact float32 inputs (a fixed LCG per rank): fused and unfused the same
 * bits, both equal to ((x0 + x1) + x2 ...) / N in float32, computed here. */
static float noise(int r, int k, int64_t i) {
    uint32_t s = (uint32_t)(r * 7919 + k * 104729) + (uint32_t)i * 2654435761u;
    s ^= s >> 13, s *= 0x5bd1e995u, s ^= s >> 15;
    return ((float)(s % 20001) - 10000.0f) / 3001.0f;
}

TEST(fused_and_unfused_same_bits) {
    int64_t sizes[5] = {1, 7, 300, 4096, 33};
    nb_graph *g = nb_graph_new();
    nb_output xs[5], un[5], fu[5];
    for (int k = 0; k < 5; k++) {
        nb_tensor *x = nb_tensor_new(NB_FLOAT32, 1, &sizes[k], NULL);
        for (int64_t i = 0; i < sizes[k]; i++) ((float *)nb_tensor_data(x))[i] = noise(R, k, i);
        xs[k] = nb_constant(g, x, NULL);
        nb_tensor_unref(x);
        un[k] = nb_dist_allreduce(g, xs[k], NB_DIST_AVERAGE, NULL);
    }
    nb_dist_grouped_allreduce(g, xs, 5, NB_DIST_AVERAGE, NULL, fu);
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    nb_tensor *ou[5], *of[5];
    CHECK(nb_session_run(s, NULL, 0, un, 5, ou) == NB_OK);
    CHECK(nb_session_run(s, NULL, 0, fu, 5, of) == NB_OK);
    for (int k = 0; k < 5; k++) {
        CHECK(ou[k] && of[k] && !memcmp(nb_tensor_data(ou[k]), nb_tensor_data(of[k]), (size_t)sizes[k] * 4));
        int bad = 0;
        for (int64_t i = 0; ou[k] && i < sizes[k]; i++) {
            float sum = noise(0, k, i);
            for (int r = 1; r < N; r++) sum += noise(r, k, i);
            sum /= (float)N;
            bad += memcmp(&sum, (float *)nb_tensor_data(ou[k]) + i, 4) != 0;
        }
        CHECK(bad == 0);
        nb_tensor_unref(ou[k]);
        nb_tensor_unref(of[k]);
    }
    nb_session_free(s);
    nb_graph_free(g);
}

/* The pipelined ring (forced: from 1 rank and 0 bytes) and the direct
 * all-reduce give the same bits, equal to the rank-order sum computed here:
 * float32 Average over 2.5 MiB (three 1 MiB segments, the last partial) and
 * int32 Sum over an odd count; a job whose ranks choose different algorithms
 * fails on every rank saying so. (CTest also runs this whole program with
 * NABLA_DIST_RING=1,0: every collective above through the ring.) */
TEST(ring_and_direct_same_bits) {
    int ring_ranks;
    size_t ring_bytes;
    nb_dist_get_ring(&ring_ranks, &ring_bytes);
    int64_t n = (int64_t)(5 << 20) / 2 / 4, ni = 1001;
    float *f[2];
    int32_t *v[2];
    nb_error err;
    for (int ring = 0; ring < 2; ring++) {
        nb_dist_set_ring(ring ? 1 : 1 << 30, 0);
        f[ring] = malloc((size_t)n * 4), v[ring] = malloc((size_t)ni * 4);
        for (int64_t i = 0; i < n; i++) f[ring][i] = noise(R, 9, i);
        for (int64_t i = 0; i < ni; i++) v[ring][i] = (int32_t)val(R, i) * 1000003;
        CHECK(nb_dist_allreduce_buffer(f[ring], n, NB_FLOAT32, NB_DIST_AVERAGE, &err) == NB_OK);
        CHECK(nb_dist_allreduce_buffer(v[ring], ni, NB_INT32, NB_DIST_SUM, &err) == NB_OK);
    }
    CHECK(!memcmp(f[0], f[1], (size_t)n * 4));
    CHECK(!memcmp(v[0], v[1], (size_t)ni * 4));
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
        float sum = noise(0, 9, i);
        for (int r = 1; r < N; r++) sum += noise(r, 9, i);
        sum /= (float)N;
        bad += memcmp(&sum, &f[1][i], 4) != 0;
    }
    for (int64_t i = 0; i < ni; i++) {
        uint32_t want = 0;
        for (int r = 0; r < N; r++) want += (uint32_t)((int32_t)val(r, i) * 1000003);
        bad += (uint32_t)v[1][i] != want;
    }
    CHECK(bad == 0);
    for (int ring = 0; ring < 2; ring++) free(f[ring]), free(v[ring]);
    if (N > 1) { /* rank 0 alone takes the ring */
        nb_dist_set_ring(R == 0 ? 1 : 1 << 30, 0);
        float x[3] = {1, 2, 3};
        CHECK(nb_dist_allreduce_buffer(x, 3, NB_FLOAT32, NB_DIST_SUM, &err) == NB_ERR_FAILED_PRECONDITION);
        CHECK_STR_CONTAINS(err.message, "ranks chose different all-reduce algorithms");
    }
    nb_dist_set_ring(ring_ranks, ring_bytes);
}

/* The overlapped optimizer's split all-reduce: Start then Wait is the
 * all-reduce; a Wait fed a handle that no Start of this process made fails
 * naming it (and the job goes on). */
TEST(split_allreduce_and_unknown_handle) {
    nb_graph *g = nb_graph_new();
    nb_optimizer *opt = nb_train_gradient_descent(g, 1.0);
    nb_tensor *x0 = input_of(NB_FLOAT64, R, 5);
    nb_output w = nb_variable(g, nb_constant(g, x0, NULL), "w");
    nb_tensor_unref(x0);
    nb_output loss = nb_reduce_sum(g, nb_multiply(g, w, w, NULL), NULL, 0, false, "loss"); /* d/dw = 2w */
    nb_output grad;
    nb_dist_set_overlap(1 << 20);
    nb_dist_compute_gradients(opt, loss, &w, 1, NB_DIST_SUM, &grad);
    CHECK_GRAPH_OK(g);
    CHECK(grad.op && !strcmp(nb_op_type(grad.op), "NablaAllreduceWait"));
    nb_output handle = nb_op_input(grad.op, 0);
    nb_output init = nb_global_variables_initializer(g);
    nb_session *s = nb_session_new(g);
    CHECK(nb_session_run(s, NULL, 0, &init, 1, NULL) == NB_OK);
    nb_tensor *t = nb_session_eval(s, grad, NULL, 0);
    CHECK(t != NULL);
    for (int64_t i = 0; t && i < 5; i++) {
        double want = 0;
        for (int r = 0; r < N; r++) want += 2 * (val(r, i) / 4);
        CHECK(((double *)nb_tensor_data(t))[i] == want);
    }
    nb_tensor_unref(t);
    nb_tensor *bogus = nb_tensor_scalar(NB_INT64, 987654);
    nb_feed fd = {handle, bogus};
    CHECK(nb_session_eval(s, grad, &fd, 1) == NULL);
    CHECK(nb_session_status(s) == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "no all-reduce request 987654 is pending");
    nb_tensor_unref(bogus);
    nb_session_free(s);
    nb_graph_free(g);
}

/* The graph of split_allreduce_and_unknown_handle: w = this rank's values,
 * loss = sum(w * w), one overlapped bucket (Start, Wait) of d/dw = 2w,
 * all-reduced with Sum. */
typedef struct split_graph {
    nb_graph *g;
    nb_session *s;
    nb_output grad, handle;
} split_graph;

static split_graph split_build(void) {
    split_graph m = {nb_graph_new(), NULL, nb_nil, nb_nil};
    nb_optimizer *opt = nb_train_gradient_descent(m.g, 1.0);
    nb_tensor *x0 = input_of(NB_FLOAT64, R, 5);
    nb_output w = nb_variable(m.g, nb_constant(m.g, x0, NULL), "w");
    nb_tensor_unref(x0);
    nb_output loss = nb_reduce_sum(m.g, nb_multiply(m.g, w, w, NULL), NULL, 0, false, "loss");
    nb_dist_set_overlap(1 << 20);
    nb_dist_compute_gradients(opt, loss, &w, 1, NB_DIST_SUM, &m.grad);
    CHECK_GRAPH_OK(m.g);
    if (m.grad.op) m.handle = nb_op_input(m.grad.op, 0);
    nb_output init = nb_global_variables_initializer(m.g);
    m.s = nb_session_new(m.g);
    CHECK(nb_session_run(m.s, NULL, 0, &init, 1, NULL) == NB_OK);
    return m;
}

/* A full step: the all-reduced gradient against the hand sum of 2 w_r. */
static void split_check_step(split_graph *m) {
    nb_tensor *t = nb_session_eval(m->s, m->grad, NULL, 0);
    if (!t) FAILF("rank %d: %s", R, nb_session_errmsg(m->s));
    for (int64_t i = 0; t && i < 5; i++) {
        double want = 0;
        for (int r = 0; r < N; r++) want += 2 * (val(r, i) / 4);
        CHECK(((double *)nb_tensor_data(t))[i] == want);
    }
    nb_tensor_unref(t);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A run that ends between a Start and its Wait (here it fetches only the
 * handle; a failed run does the same) leaves its request, a copy of the
 * bucket. The next run of the same Start replaces it: after 5 such runs one
 * request is pending, not 5, and after a full step none (it replaced the last
 * one). The full step still gives the hand-computed sum. */
TEST(orphaned_requests_are_replaced) {
    split_graph m = split_build();
    CHECK(nb_dist_pending_allreduces() == 0);
    for (int i = 0; i < 5; i++) {
        nb_tensor *h = nb_session_eval(m.s, m.handle, NULL, 0);
        if (!h) FAILF("rank %d: %s", R, nb_session_errmsg(m.s));
        nb_tensor_unref(h);
    }
    nb_error err;
    CHECK(nb_dist_barrier(&err) == NB_OK); /* after the 5 all-reduces, on every rank */
    int64_t left = nb_dist_pending_allreduces();
    if (left != 1) FAILF("rank %d: %lld requests pending after 5 handle-only runs, want 1", R, (long long)left);
    split_check_step(&m);
    CHECK(nb_dist_pending_allreduces() == 0);
    nb_session_free(m.s);
    nb_graph_free(m.g);
}

static atomic_int barrier_done;
static void *barrier_thread(void *arg) {
    nb_error err;
    *(nb_status *)arg = nb_dist_barrier(&err);
    atomic_store(&barrier_done, 1);
    return NULL;
}

/* A Start does not wait for a collective that is running. Rank 0 runs a
 * barrier on a second thread, which holds the runtime's MPI lock until the
 * other ranks join it 3 s later (as the communication thread holds it for a
 * whole all-reduce); meanwhile its session runs a NablaAllreduceStart (the
 * handle only). The Start must return at once (< 1 s; it took the rest of
 * the 3 s when it checked the runtime's state under that lock) and before the
 * barrier ends. Then every rank finishes the same collectives in the same
 * order and a full step gives the hand-computed sum. */
TEST(start_does_not_wait_for_a_running_allreduce) {
    split_graph m = split_build();
    nb_error err;
    CHECK(nb_dist_barrier(&err) == NB_OK);
    if (R == 0) {
        pthread_t th;
        nb_status bst = NB_ERR_INTERNAL;
        atomic_store(&barrier_done, 0);
        CHECK(pthread_create(&th, NULL, barrier_thread, &bst) == 0);
        nanosleep(&(struct timespec){0, 300000000}, NULL);
        double a = now_s();
        nb_tensor *h = nb_session_eval(m.s, m.handle, NULL, 0);
        double took = now_s() - a;
        int during = !atomic_load(&barrier_done);
        pthread_join(th, NULL);
        if (!h) FAILF("rank 0: %s", nb_session_errmsg(m.s));
        nb_tensor_unref(h);
        CHECK(bst == NB_OK);
        printf("# rank 0: the Start ran in %.3f s while a barrier held the MPI lock\n", took);
        if (took >= 1.0) FAILF("the Start took %.3f s: it waited for the running barrier", took);
        CHECK(during);
    } else {
        sleep(3);
        CHECK(nb_dist_barrier(&err) == NB_OK);
        nb_tensor *h = nb_session_eval(m.s, m.handle, NULL, 0);
        if (!h) FAILF("rank %d: %s", R, nb_session_errmsg(m.s));
        nb_tensor_unref(h);
    }
    CHECK(nb_dist_barrier(&err) == NB_OK);
    split_check_step(&m);
    CHECK(nb_dist_pending_allreduces() == 0);
    nb_session_free(m.s);
    nb_graph_free(m.g);
}

/* nb_dist_gradients (Python's DistributedOptimizer's entry): the gradient of
 * sum(w * w), 2 w, summed over ranks by hand, overlapped (Start/Wait) and
 * blocking (HorovodAllreduce); a non-variable in vars fails naming it. */
TEST(dist_gradients_without_an_optimizer) {
    for (int ov = 0; ov < 2; ov++) {
        nb_graph *g = nb_graph_new();
        nb_tensor *x0 = input_of(NB_FLOAT64, R, 5);
        nb_output w = nb_variable(g, nb_constant(g, x0, NULL), "w");
        nb_tensor_unref(x0);
        nb_output loss = nb_reduce_sum(g, nb_multiply(g, w, w, NULL), NULL, 0, false, "loss");
        nb_dist_set_overlap(ov ? 1 << 20 : 0);
        nb_output grad = nb_nil;
        nb_dist_gradients(loss, &w, 1, NB_DIST_SUM, &grad);
        CHECK_GRAPH_OK(g);
        CHECK(grad.op && !strcmp(nb_op_type(grad.op), ov ? "NablaAllreduceWait" : "HorovodAllreduce"));
        nb_output init = nb_global_variables_initializer(g);
        nb_session *s = nb_session_new(g);
        CHECK(nb_session_run(s, NULL, 0, &init, 1, NULL) == NB_OK);
        nb_tensor *t = nb_session_eval(s, grad, NULL, 0);
        if (!t) FAILF("rank %d: %s", R, nb_session_errmsg(s));
        for (int64_t i = 0; t && i < 5; i++) {
            double want = 0;
            for (int r = 0; r < N; r++) want += 2 * (val(r, i) / 4);
            CHECK(((double *)nb_tensor_data(t))[i] == want);
        }
        nb_tensor_unref(t);
        nb_session_free(s);
        nb_output bad = nb_nil;
        nb_dist_gradients(loss, &loss, 1, NB_DIST_SUM, &bad);
        CHECK(nb_graph_status(g) == NB_ERR_INVALID_ARGUMENT);
        CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'loss' is not a variable");
        nb_graph_free(g);
    }
    nb_dist_set_overlap(1 << 20);
}

/* nb_dist_grouped_allreduce with ys NULL: an error on the graph, no crash. */
TEST(grouped_allreduce_null_ys) {
    nb_graph *g = nb_graph_new();
    nb_tensor *one = nb_tensor_scalar(NB_FLOAT32, 1.0);
    nb_output x = nb_constant(g, one, NULL);
    nb_tensor_unref(one);
    nb_dist_grouped_allreduce(g, &x, 1, NB_DIST_SUM, NULL, NULL);
    CHECK(nb_graph_status(g) == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "nb_dist_grouped_allreduce: ys is NULL");
    nb_graph_free(g);
}

TEST(broadcast_and_allgather_every_dtype) {
    nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT64, NB_INT32, NB_INT64, NB_UINT8, NB_BOOL};
    for (int d = 0; d < 6; d++) {
        nb_graph *g = nb_graph_new();
        nb_tensor *x = input_of(dts[d], R, 10);
        nb_output b = nb_dist_broadcast(g, nb_constant(g, x, "x"), NULL);
        nb_tensor_unref(x);
        /* all-gather: rank r contributes r + 1 rows of 2 */
        int64_t rows = R + 1;
        nb_tensor *gx = nb_tensor_new(dts[d], 2, (int64_t[]){rows, 2}, NULL);
        nb_tensor *full = input_of(dts[d], R, rows * 2);
        memcpy(nb_tensor_data(gx), nb_tensor_data(full), nb_tensor_nbytes(full));
        nb_tensor_unref(full);
        nb_output a = nb_dist_allgather(g, nb_constant(g, gx, "g"), NULL);
        nb_tensor_unref(gx);
        CHECK(nb_output_shape(a).dims[0] == NB_DIM_UNKNOWN && nb_output_shape(a).dims[1] == 2);
        nb_tensor *tb = run1(g, b), *ta = run1(g, a);
        nb_tensor *want = input_of(dts[d], 0, 10);
        CHECK(tb && !memcmp(nb_tensor_data(tb), nb_tensor_data(want), nb_tensor_nbytes(want)));
        nb_tensor_unref(want);
        int64_t total = (int64_t)N * (N + 1) / 2;
        CHECK(ta && nb_tensor_dims(ta)[0] == total);
        size_t es = nb_tensor_nbytes(tb) / 10, off = 0;
        for (int r = 0; ta && r < N; r++) {
            nb_tensor *part = input_of(dts[d], r, (r + 1) * 2);
            CHECK(!memcmp((char *)nb_tensor_data(ta) + off, nb_tensor_data(part), nb_tensor_nbytes(part)));
            off += (size_t)(r + 1) * 2 * es;
            nb_tensor_unref(part);
        }
        nb_tensor_unref(tb);
        nb_tensor_unref(ta);
        nb_graph_free(g);
    }
}

TEST(mismatched_counts_fail_on_every_rank_naming_them) {
    nb_graph *g = nb_graph_new();
    nb_tensor *x = input_of(NB_FLOAT32, R, R == N - 1 ? 5 : 4);
    nb_output y = nb_dist_allreduce(g, nb_constant(g, x, "x"), NB_DIST_SUM, "odd_one");
    nb_tensor_unref(x);
    nb_session *s = nb_session_new(g);
    nb_tensor *t = nb_session_eval(s, y, NULL, 0);
    CHECK(t == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "odd_one: ranks disagree");
    CHECK_STR_CONTAINS(nb_session_errmsg(s), R == N - 1 ? "of 4 float32 elements" : "of 5 float32 elements");
    nb_session_free(s);
    nb_graph_free(g);
    /* the runtime still works */
    float v = 1;
    nb_error err;
    CHECK(nb_dist_allreduce_buffer(&v, 1, NB_FLOAT32, NB_DIST_SUM, &err) == NB_OK && v == (float)N);
}

TEST(variable_lists_checked_then_broadcast_from_rank_0) {
    /* Same list: rank r starts at r + 0.5; after the broadcast all hold 0.5. */
    nb_graph *g = nb_graph_new();
    nb_tensor *v0 = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){3}, NULL);
    for (int i = 0; i < 3; i++) ((float *)nb_tensor_data(v0))[i] = (float)R + 0.5f + (float)i;
    nb_output w = nb_variable_from_tensor(g, v0, "w");
    nb_tensor_unref(v0);
    nb_output init = nb_global_variables_initializer(g);
    nb_output bc = nb_dist_broadcast_global_variables(g, NULL);
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    CHECK(nb_session_run(s, NULL, 0, &init, 1, NULL) == NB_OK);
    CHECK(nb_session_run(s, NULL, 0, &bc, 1, NULL) == NB_OK);
    nb_tensor *t = nb_session_variable_value(s, w);
    for (int i = 0; t && i < 3; i++) CHECK(((float *)nb_tensor_data(t))[i] == 0.5f + (float)i);
    nb_tensor_unref(t);
    nb_session_free(s);
    nb_graph_free(g);

    /* The last rank's variable has another shape: every rank fails at once. */
    g = nb_graph_new();
    nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 2), NULL), "a");
    nb_variable(g, nb_zeros(g, NB_FLOAT32, R == N - 1 ? NB_SHAPE(3, 5) : NB_SHAPE(3, 4), NULL), "b");
    nb_output r = nb_dist_broadcast_global_variables(g, NULL);
    CHECK(nb_output_is_nil(r));
    CHECK(nb_graph_status(g) == NB_ERR_FAILED_PRECONDITION);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "variable lists differ between ranks");
    if (R == N - 1) CHECK_STR_CONTAINS(nb_graph_errmsg(g), "variable 1 is 'b float32 [3,4]' on rank 0 and 'b float32 [3,5]'");
    else CHECK_STR_CONTAINS(nb_graph_errmsg(g), "differs from rank 0's");
    nb_graph_free(g);
}

/* Checkpoints, as the examples do them: rank 0 alone saves;
 * then every rank starts from its own values, rank 0 alone restores, and the
 * broadcast gives every rank the saved values. */
TEST(rank_0_saves_restores_and_broadcasts) {
    char path[] = "/tmp/nb_dist_ckpt_XXXXXX";
    if (R == 0 && mkstemp(path) < 0) FAILF("mkstemp failed");
    nb_error err;
    CHECK(nb_dist_allreduce_buffer(NULL, 0, NB_FLOAT32, NB_DIST_SUM, &err) == NB_OK); /* barrier-ish */
    nb_graph *g = nb_graph_new();
    nb_tensor *v0 = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){4}, NULL);
    nb_output w = nb_variable_from_tensor(g, v0, "w");
    nb_tensor_unref(v0);
    nb_output bc = nb_dist_broadcast_global_variables(g, NULL);
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    nb_tensor *saved = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){4}, NULL);
    for (int i = 0; i < 4; i++) ((double *)nb_tensor_data(saved))[i] = 1.25 * i - 3;
    CHECK(nb_session_set_variable(s, w, saved) == NB_OK);
    if (R == 0) CHECK(nb_checkpoint_save(s, path, &err) == NB_OK);
    nb_tensor *mine = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){4}, NULL);
    for (int i = 0; i < 4; i++) ((double *)nb_tensor_data(mine))[i] = 100.0 * (R + 1) + i;
    CHECK(nb_session_set_variable(s, w, mine) == NB_OK);
    if (R == 0) CHECK(nb_checkpoint_restore(s, path, &err) == NB_OK);
    CHECK(nb_session_run(s, NULL, 0, &bc, 1, NULL) == NB_OK);
    nb_tensor *t = nb_session_variable_value(s, w);
    CHECK(t && !memcmp(nb_tensor_data(t), nb_tensor_data(saved), 4 * sizeof(double)));
    nb_tensor_unref(t), nb_tensor_unref(saved), nb_tensor_unref(mine);
    nb_session_free(s);
    nb_graph_free(g);
    if (R == 0) unlink(path);
}

/* L = sum over ranks r of sum_i w_r[i] * op(x)[i], op an all-reduce (Average,
 * then Sum through the grouped op): the gradient nb_gradients builds on rank q
 * (from q's own loss) against central differences of L in x_q[i], every rank
 * perturbing in turn; float64. */
TEST(gradient_matches_finite_differences) {
    for (int grouped = 0; grouped < 2; grouped++) {
        nb_dist_reduce op = grouped ? NB_DIST_SUM : NB_DIST_AVERAGE;
        nb_graph *g = nb_graph_new();
        nb_output x = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(4), "x");
        nb_tensor *wt = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){4}, NULL);
        for (int i = 0; i < 4; i++) ((double *)nb_tensor_data(wt))[i] = 0.5 + R - 0.75 * i;
        nb_output a;
        if (grouped) nb_dist_grouped_allreduce(g, &x, 1, op, NULL, &a);
        else a = nb_dist_allreduce(g, x, op, NULL);
        nb_output loss = nb_reduce_sum(g, nb_multiply(g, nb_constant(g, wt, "w"), nb_square(g, a, NULL), NULL),
                                       NULL, 0, false, NULL);
        nb_tensor_unref(wt);
        nb_output dx;
        nb_gradients(g, &loss, 1, &x, 1, NULL, &dx);
        CHECK_GRAPH_OK(g);
        nb_session *s = nb_session_new(g);
        nb_tensor *xv = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){4}, NULL);
        double *xp = nb_tensor_data(xv);
        for (int i = 0; i < 4; i++) xp[i] = 0.3 * (i + 1) - 0.2 * R;
        nb_feed f = {x, xv};
        nb_tensor *gt = nb_session_eval(s, dx, &f, 1);
        CHECK(gt != NULL);
        for (int q = 0; gt && q < N; q++)
            for (int i = 0; i < 4; i++) {
                double L[2], eps = 1e-4;
                for (int sgn = 0; sgn < 2; sgn++) {
                    double keep = xp[i];
                    if (R == q) xp[i] += sgn ? -eps : eps;
                    nb_tensor *lt = nb_session_eval(s, loss, &f, 1);
                    xp[i] = keep;
                    L[sgn] = lt ? nb_tensor_scalar_f64(lt) : 0;
                    nb_tensor_unref(lt);
                    nb_error err;
                    CHECK(nb_dist_allreduce_buffer(&L[sgn], 1, NB_FLOAT64, NB_DIST_SUM, &err) == NB_OK);
                }
                double fd = (L[0] - L[1]) / (2 * eps);
                if (R == q) CHECK_NEAR(((double *)nb_tensor_data(gt))[i], fd, 1e-6 * (1 + fabs(fd)));
            }
        nb_tensor_unref(gt);
        nb_tensor_unref(xv);
        nb_session_free(s);
        nb_graph_free(g);
    }
}

int main(int argc, char **argv) {
    nb_error err;
    if (nb_dist_init(&argc, &argv, &err) != NB_OK) {
        fprintf(stderr, "nb_dist_init: %s\n", err.message);
        return 1;
    }
    nb_dist_set_timeout(60);
    R = nb_dist_rank(), N = nb_dist_size();
    int rc = run_tests(argc, argv);
    nb_dist_finalize();
    return rc;
}
