/*
 * test_fusion.c — run-time fusion of a MatMul into the op that consumes it
 * (nb_set_fusion, nbi_opdef.fused): a dense layer's BiasAdd, the ReluGrad
 * after a backward product, and the Momentum update of a weight gradient.
 * Which plans fuse, and that a fused run leaves every variable and
 * accumulator bit-identical to the same run with fusion off, at 1 and 2
 * threads, on the fast path (the AVX-512 kernel with an epilogue) and on the
 * fallbacks (a batch deeper than one block for Momentum, Nesterov, float64, a
 * fetched gradient, a session checking numerics); errors name the same node
 * either way; each epilogue against a naive loop.
 */
#include "harness.h"
#include "ops/gemm_small.h"
#include "ops/ops_impl.h"
#include "run/run.h"

#include <stdint.h>

typedef struct {
    nb_graph *g;
    nb_output x, y, loss, train, init, grad0;
} mlp;

/* D -> 48 (ReLU) -> 20 (ReLU) -> 3 logits, softmax cross-entropy, Momentum.
 * A training plan folds 10 producers into their consumers: the three
 * MatMuls into their BiasAdds, the two hidden layers' BiasAdds (with their
 * MatMuls) into their Relus, the two products dY W^T into the ReluGrads
 * after them, the three weight gradients into their Momentum updates. The
 * kernel takes 6 products a step with an epilogue (not the 3-column layer's,
 * which run as two kernels): [B,D]x[D,48] and [B,48]x[48,20] (bias and ReLU),
 * [B,3]x[3,20] and [B,20]x[20,48] (ReLU mask), [D,B]x[B,48] and [48,B]x[B,20]
 * (Momentum). */
static void build(mlp *m, int64_t d, nb_dtype dt, bool nesterov) {
    m->g = nb_graph_new();
    nb_graph_set_seed(m->g, 7);
    m->x = nb_placeholder(m->g, dt, NB_SHAPE(NB_DIM_UNKNOWN, d), "x");
    m->y = nb_placeholder(m->g, NB_INT32, NB_SHAPE(NB_DIM_UNKNOWN), "y");
    nb_output h = nb_layers_dense(m->g, m->x, 48, NB_ACT_RELU, NULL);
    h = nb_layers_dense(m->g, h, 20, NB_ACT_RELU, NULL);
    nb_output logits = nb_layers_dense(m->g, h, 3, NB_ACT_NONE, NULL);
    m->loss = nb_reduce_mean(m->g, nb_nn_sparse_softmax_cross_entropy_with_logits(m->g, m->y, logits, NULL),
                             NULL, NB_ALL_AXES, false, NULL);
    nb_optimizer *opt = nb_train_momentum(m->g, 0.05, 0.9, nesterov);
    int nv = nb_graph_num_variables(m->g);
    nb_output vars[8], grads[8];
    for (int i = 0; i < nv; i++) vars[i] = nb_graph_variable(m->g, i);
    nb_optimizer_compute_gradients(opt, m->loss, vars, nv, grads);
    m->grad0 = grads[0];
    m->train = nb_optimizer_apply_gradients(opt, grads, vars, nv, nb_nil);
    m->init = nb_global_variables_initializer(m->g);
    CHECK(nb_graph_status(m->g) == NB_OK);
}

/* Deterministic data: x in [-1, 1), labels 0..2. */
static void data(nb_tensor *x, nb_tensor *y, int step) {
    int64_t n = nb_tensor_size(x);
    for (int64_t i = 0; i < n; i++)
        nb_tensor_set_flat(x, i, (double)(((i * 7919 + step * 104729) % 2001) - 1000) / 1000.0);
    for (int64_t i = 0; i < nb_tensor_size(y); i++) ((int32_t *)nb_tensor_data(y))[i] = (int32_t)((i + step) % 3);
}

/* Trains `steps` steps with fusion on or off; returns the variables' values
 * (every variable, the Momentum slots included) and the number of fused steps
 * in the session's plans. */
static int train(const mlp *m, bool fusion, bool check_numerics, bool fetch_grad, int64_t batch, int64_t d,
                 nb_dtype dt, int steps, nb_tensor **vals) {
    nb_set_fusion(fusion);
    nb_session *s = nb_session_new(m->g);
    nb_session_set_check_numerics(s, check_numerics);
    CHECK_STATUS(nb_session_run(s, NULL, 0, &m->init, 1, NULL), NB_OK);
    nb_tensor *x = nb_tensor_zeros(dt, 2, (int64_t[]){batch, d});
    nb_tensor *y = nb_tensor_zeros(NB_INT32, 1, (int64_t[]){batch});
    for (int t = 0; t < steps; t++) {
        data(x, y, t);
        nb_output f[3] = {m->loss, m->train, m->grad0};
        nb_tensor *out[3] = {NULL, NULL, NULL};
        CHECK_STATUS(nb_session_run(s, (nb_feed[]){{m->x, x}, {m->y, y}}, 2, f, fetch_grad ? 3 : 2, out), NB_OK);
        for (int i = 0; i < 3; i++) nb_tensor_unref(out[i]);
    }
    int nv = nb_graph_num_variables(m->g);
    for (int i = 0; i < nv; i++) vals[i] = nb_session_variable_value(s, nb_graph_variable(m->g, i));
    int fused = nbi_session_fused_steps(s);
    nb_tensor_unref(x);
    nb_tensor_unref(y);
    nb_session_free(s);
    nb_set_fusion(true);
    return fused;
}

/* Fusion on vs off: every variable bit-identical; returns the plans' fused
 * count, and in *taken how many products the fused kernel took. */
static int compare(int64_t batch, int64_t d, nb_dtype dt, bool nesterov, bool fetch_grad, bool check_numerics,
                   int threads, long *taken) {
    nb_set_num_threads(threads);
    mlp m;
    build(&m, d, dt, nesterov);
    nb_tensor *on[16] = {0}, *off[16] = {0};
    long t0 = nbi_sgemm_small_epi_taken();
    int fused = train(&m, true, check_numerics, fetch_grad, batch, d, dt, 4, on);
    long t1 = nbi_sgemm_small_epi_taken();
    int unfused = train(&m, false, check_numerics, fetch_grad, batch, d, dt, 4, off);
    CHECK(nbi_sgemm_small_epi_taken() == t1); /* off means off */
    (void)unfused; /* the plans are the same either way: fusion is chosen at each run */
    *taken = t1 - t0;
    int nv = nb_graph_num_variables(m.g), differ = 0, moved = 0;
    for (int i = 0; i < nv; i++) {
        CHECK(on[i] && off[i]);
        if (!on[i] || !off[i]) continue;
        CHECK(nb_tensor_nbytes(on[i]) == nb_tensor_nbytes(off[i]));
        differ += memcmp(nb_tensor_data_const(on[i]), nb_tensor_data_const(off[i]), nb_tensor_nbytes(on[i])) != 0;
        moved += nb_tensor_get_flat(on[i], 0) != 0.0; /* the run did train */
        nb_tensor_unref(on[i]);
        nb_tensor_unref(off[i]);
    }
    if (differ) FAILF("batch %lld d %lld threads %d: %d variables differ fused vs unfused", (long long)batch,
                      (long long)d, threads, differ);
    CHECK(moved > 0);
    nb_graph_free(m.g);
    nb_set_num_threads(1);
    return fused;
}

TEST(fused_training_is_bit_identical_to_unfused) {
    long per_step = nbi_sgemm_small_available() ? 6 : 0, steps = 4;
    for (int threads = 1; threads <= 2; threads++) {
        long taken = -1;
        CHECK(compare(64, 40, NB_FLOAT32, false, false, false, threads, &taken) == 10);
        CHECK(taken == per_step * steps);
        /* the last batch of an epoch: 37 rows */
        CHECK(compare(37, 40, NB_FLOAT32, false, false, false, threads, &taken) == 10);
        CHECK(taken == per_step * steps);
        /* 784 inputs, the course's first layer: its forward product is 4 depth blocks deep */
        CHECK(compare(64, 784, NB_FLOAT32, false, false, false, threads, &taken) == 10);
        CHECK(taken == per_step * steps);
        /* a batch of 300 is deeper than one block: the two Momentum fusions run as two kernels */
        CHECK(compare(300, 40, NB_FLOAT32, false, false, false, threads, &taken) == 10);
        CHECK(taken == (per_step ? 4 : 0) * steps);
        /* a batch of 5 rows is too short for the kernel's forward and backward
         * products: the chains fall back (BiasAdd's fused kernel, itself two
         * kernels, then Relu); only the two weight gradients ([40,5]x[5,48],
         * [48,5]x[5,20]) are taken */
        CHECK(compare(5, 40, NB_FLOAT32, false, false, false, threads, &taken) == 10);
        CHECK(taken == (per_step ? 2 : 0) * steps);
    }
}

TEST(what_does_not_fuse) {
    long taken = -1, avx = nbi_sgemm_small_available();
    /* Nesterov: the updates stay apart; BiasAdd and ReluGrad still fuse */
    CHECK(compare(64, 40, NB_FLOAT32, true, false, false, 1, &taken) == 7);
    CHECK(taken == (avx ? 4 * 4 : 0));
    CHECK(compare(64, 40, NB_FLOAT64, false, false, false, 1, &taken) == 0); /* float64 */
    CHECK(taken == 0);
    /* grads[0] fetched: it is computed and kept; the rest fuses */
    CHECK(compare(64, 40, NB_FLOAT32, false, true, false, 1, &taken) == 9);
    CHECK(taken == (avx ? 5 * 4 : 0));
    /* a session checking numerics computes (and checks) every intermediate */
    CHECK(compare(64, 40, NB_FLOAT32, false, false, true, 2, &taken) == 10);
    CHECK(taken == 0);
}

/* A variable written between a producer and its consumer keeps them apart:
 * y = BiasAdd(MatMul(x, w), b) with an AssignAdd to w in between (by a
 * control dependency of the BiasAdd); fused, the product would see the new w. */
TEST(a_variable_written_in_between_keeps_the_producer_in_place) {
    for (int f = 0; f <= 1; f++) {
        nb_set_fusion(f == 1);
        nb_graph *g = nb_graph_new();
        float ones[128];
        for (int i = 0; i < 128; i++) ones[i] = 1.0f;
        nb_output x = nb_constant_array(g, NB_FLOAT32, 2, (int64_t[]){8, 16}, ones, "x");
        nb_output w = nb_variable(g, nb_ones(g, NB_FLOAT32, NB_SHAPE(16, 16), NULL), "w");
        nb_output b = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(16), NULL), "b");
        nb_output init = nb_global_variables_initializer(g);
        nb_output prod = nb_matmul(g, x, w, false, false, "prod");
        nb_output bump = nb_assign_add(g, w, nb_ones(g, NB_FLOAT32, NB_SHAPE(16, 16), NULL), "bump");
        nb_control_dependencies_push(g, &bump, 1);
        nb_output y = nb_nn_bias_add(g, prod, b, "y");
        nb_control_dependencies_pop(g);
        CHECK(nb_graph_status(g) == NB_OK);
        nb_session *s = nb_session_new(g);
        CHECK_STATUS(nb_session_run(s, NULL, 0, &init, 1, NULL), NB_OK);
        nb_tensor *out = NULL;
        CHECK_STATUS(nb_session_run(s, NULL, 0, &y, 1, &out), NB_OK);
        CHECK(nbi_session_fused_steps(s) == 0);
        CHECK(out && nb_tensor_get_flat(out, 0) == 16.0); /* the product of the old w: 16 ones */
        nb_tensor_unref(out);
        nb_session_free(s);
        nb_graph_free(g);
    }
    nb_set_fusion(true);
}

/* Switching fusion off, and numerics checks on, between runs of one session
 * (the same plan): every run is bit-identical to an unfused session's. */
TEST(switching_between_runs_of_one_plan) {
    for (int threads = 1; threads <= 2; threads++) {
        nb_set_num_threads(threads);
        mlp m;
        build(&m, 40, NB_FLOAT32, false);
        nb_session *s[2];
        for (int i = 0; i < 2; i++) {
            s[i] = nb_session_new(m.g);
            CHECK_STATUS(nb_session_run(s[i], NULL, 0, &m.init, 1, NULL), NB_OK);
        }
        nb_tensor *x = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){64, 40});
        nb_tensor *y = nb_tensor_zeros(NB_INT32, 1, (int64_t[]){64});
        /* session 0: fused, unfused, numerics checked, fused; session 1: never fused */
        for (int t = 0; t < 4; t++) {
            data(x, y, t);
            for (int i = 0; i < 2; i++) {
                nb_set_fusion(i == 0 && t != 1);
                nb_session_set_check_numerics(s[i], i == 0 && t == 2);
                nb_output f[2] = {m.loss, m.train};
                nb_tensor *out[2] = {NULL, NULL};
                CHECK_STATUS(nb_session_run(s[i], (nb_feed[]){{m.x, x}, {m.y, y}}, 2, f, 2, out), NB_OK);
                nb_tensor_unref(out[0]);
            }
            int nv = nb_graph_num_variables(m.g), differ = 0;
            for (int v = 0; v < nv; v++) {
                nb_tensor *a = nb_session_variable_value(s[0], nb_graph_variable(m.g, v));
                nb_tensor *b = nb_session_variable_value(s[1], nb_graph_variable(m.g, v));
                differ += !a || !b || memcmp(nb_tensor_data_const(a), nb_tensor_data_const(b), nb_tensor_nbytes(a)) != 0;
                nb_tensor_unref(a);
                nb_tensor_unref(b);
            }
            if (differ) FAILF("threads %d, run %d: %d variables differ", threads, t, differ);
        }
        CHECK(nbi_session_fused_steps(s[0]) == 10);
        nb_set_fusion(true);
        for (int i = 0; i < 2; i++) nb_session_free(s[i]);
        nb_tensor_unref(x);
        nb_tensor_unref(y);
        nb_graph_free(m.g);
    }
    nb_set_num_threads(1);
}

/* Errors of bad feeds, fused or not: the same message, naming the same node,
 * after the same updates; the fast path's shape guards in each fused kernel
 * (a product the kernel would take, an operand of the consumer that does not
 * fit it) fall back to the kernels' own errors. Products [8,9]x[9,16]: the
 * kernel takes them (8 rows, 16 columns, 1152 multiply-adds). */
static nb_status run_feeds(nb_session *s, nb_output fetch, const nb_feed *feeds, int n, char *msg) {
    nb_status st = nb_session_run(s, feeds, n, &fetch, 1, NULL);
    snprintf(msg, 600, "%s", st == NB_OK ? "" : nb_session_errmsg(s));
    return st;
}

TEST(errors_are_the_same_fused_or_not) {
    char msg[2][600], m2[2][600], m3[2][600], m4[2][600], m5[2][600], m6[2][600];
    float v_after[2][2];
    long taken[2];
    for (int f = 0; f <= 1; f++) {
        nb_set_fusion(f == 1);
        nb_graph *g = nb_graph_new();
        nb_output a = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, NB_DIM_UNKNOWN), "a");
        nb_output b = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, NB_DIM_UNKNOWN), "b");
        nb_output bias = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN), "bias");
        nb_output feat = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, NB_DIM_UNKNOWN), "feat");
        nb_output v = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(2), NULL), "v");
        nb_output w = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(8, 16), NULL), "w");
        /* Momentum over [v, w] with grads [constant, MatMul(a^T, b)]: v's update comes first */
        nb_output grads[2] = {nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){2}, (float[]){1, 2}, NULL),
                              nb_matmul(g, a, b, true, false, "grad")};
        nb_output vars[2] = {v, w};
        nb_output train = nb_optimizer_apply_gradients(nb_train_momentum(g, 0.1, 0.9, false), grads, vars, 2, nb_nil);
        /* a dense layer with a ReLU, and a ReluGrad after a product */
        nb_output layer = nb_nn_relu(g, nb_nn_bias_add(g, nb_matmul(g, a, b, true, false, "fwd"), bias, "ba"), "act");
        nb_output rg = nbi_binary(g, NBI_OP_RELU_GRAD, nb_matmul(g, a, b, true, false, "back"), feat, "rg", NULL);
        nb_output init = nb_global_variables_initializer(g);
        CHECK(nb_graph_status(g) == NB_OK);
        nb_session *s = nb_session_new(g);
        CHECK_STATUS(nb_session_run(s, NULL, 0, &init, 1, NULL), NB_OK);
        nb_tensor *ta = nb_tensor_fill(NB_FLOAT32, 2, (int64_t[]){9, 8}, 1.0);
        nb_tensor *tb = nb_tensor_fill(NB_FLOAT32, 2, (int64_t[]){9, 16}, 0.5);
        nb_tensor *bad_k = nb_tensor_fill(NB_FLOAT32, 2, (int64_t[]){10, 16}, 0.5);
        nb_tensor *bad_n = nb_tensor_fill(NB_FLOAT32, 2, (int64_t[]){9, 17}, 0.5);
        nb_tensor *tbias = nb_tensor_fill(NB_FLOAT32, 1, (int64_t[]){16}, -2.0);
        nb_tensor *bad_bias = nb_tensor_fill(NB_FLOAT32, 1, (int64_t[]){17}, 1.0);
        nb_tensor *tfeat = nb_tensor_fill(NB_FLOAT32, 2, (int64_t[]){8, 16}, 1.0);
        nb_tensor *bad_feat = nb_tensor_fill(NB_FLOAT32, 2, (int64_t[]){8, 15}, 1.0);
        long t0 = nbi_sgemm_small_epi_taken();
        /* good feeds: w = -0.1 * (9 * 0.5) everywhere; relu(4.5 - 2) = 2.5; the mask keeps 4.5 */
        CHECK_STATUS(run_feeds(s, train, (nb_feed[]){{a, ta}, {b, tb}}, 2, msg[f]), NB_OK);
        nb_tensor *out = NULL;
        CHECK_STATUS(nb_session_run(s, (nb_feed[]){{a, ta}, {b, tb}, {bias, tbias}}, 3, &layer, 1, &out), NB_OK);
        CHECK(out && nb_tensor_get_flat(out, 0) == 2.5 && nb_tensor_get_flat(out, 127) == 2.5);
        nb_tensor_unref(out);
        CHECK_STATUS(nb_session_run(s, (nb_feed[]){{a, ta}, {b, tb}, {feat, tfeat}}, 3, &rg, 1, &out), NB_OK);
        CHECK(out && nb_tensor_get_flat(out, 5) == 4.5);
        nb_tensor_unref(out);
        taken[f] = nbi_sgemm_small_epi_taken() - t0;
        nb_tensor *wv = nb_session_variable_value(s, w);
        CHECK(wv && nb_tensor_get_flat(wv, 0) == -0.1f * 4.5f && nb_tensor_get_flat(wv, 127) == -0.1f * 4.5f);
        /* bad feeds */
        CHECK_STATUS(run_feeds(s, train, (nb_feed[]){{a, ta}, {b, bad_k}}, 2, msg[f]), NB_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(run_feeds(s, train, (nb_feed[]){{a, ta}, {b, bad_n}}, 2, m2[f]), NB_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(run_feeds(s, layer, (nb_feed[]){{a, ta}, {b, tb}, {bias, bad_bias}}, 3, m3[f]),
                     NB_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(run_feeds(s, layer, (nb_feed[]){{a, ta}, {b, bad_k}, {bias, tbias}}, 3, m4[f]),
                     NB_ERR_INVALID_ARGUMENT);
        nb_status st5 = run_feeds(s, rg, (nb_feed[]){{a, ta}, {b, tb}, {feat, bad_feat}}, 3, m5[f]);
        CHECK(st5 != NB_OK);
        CHECK_STATUS(run_feeds(s, layer, (nb_feed[]){{a, ta}, {b, tb}}, 2, m6[f]), NB_ERR_INVALID_ARGUMENT);
        nb_tensor *vv = nb_session_variable_value(s, v);
        v_after[f][0] = vv ? (float)nb_tensor_get_flat(vv, 0) : NAN;
        v_after[f][1] = vv ? (float)nb_tensor_get_flat(vv, 1) : NAN;
        nb_tensor *wv2 = nb_session_variable_value(s, w);
        CHECK(wv2 && nb_tensor_equal(wv2, wv)); /* w never changed by a failed run */
        nb_tensor *ts[] = {ta, tb, bad_k, bad_n, tbias, bad_bias, tfeat, bad_feat, wv, wv2, vv};
        for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) nb_tensor_unref(ts[i]);
        if (f == 1) CHECK(nbi_session_fused_steps(s) >= 4); /* grad, fwd+ba (chain), back */
        nb_session_free(s);
        nb_graph_free(g);
    }
    nb_set_fusion(true);
    CHECK(taken[0] == 0);
    CHECK(taken[1] == (nbi_sgemm_small_available() ? 3 : 0));
    CHECK(strstr(msg[1], "Matrix size-incompatible: In[0]: [9,8], In[1]: [10,16]") != NULL);
    CHECK(strstr(msg[1], "node grad") != NULL);
    CHECK(strstr(m2[1], "var and grad do not have the same shape: [8,16] [8,17]") != NULL);
    CHECK(strstr(m3[1], "Must provide as many biases as the last dimension") != NULL);
    CHECK(strstr(m3[1], "node ba") != NULL);
    CHECK(strstr(m4[1], "Matrix size-incompatible") != NULL && strstr(m4[1], "node fwd") != NULL);
    CHECK(strstr(m6[1], "bias") != NULL); /* the bias is not fed */
    const char *pairs[][2] = {{msg[0], msg[1]}, {m2[0], m2[1]}, {m3[0], m3[1]}, {m4[0], m4[1]}, {m5[0], m5[1]},
                              {m6[0], m6[1]}};
    for (int i = 0; i < 6; i++)
        if (strcmp(pairs[i][0], pairs[i][1]) != 0)
            FAILF("error %d differs:\n unfused: %s\n fused:   %s", i, pairs[i][0], pairs[i][1]);
    /* v was updated by the good run and by each failing run before the failing step, alike */
    CHECK(v_after[0][0] == v_after[1][0] && v_after[0][1] == v_after[1][1]);
}

/* A consumer's uninitialized input and a bad feed of its producer: the
 * producer's error comes first, as without fusion (its checks run at its own
 * step, before the consumer's inputs are read). */
TEST(the_producers_error_comes_first) {
    char msg[2][600];
    for (int f = 0; f <= 1; f++) {
        nb_set_fusion(f == 1);
        nb_graph *g = nb_graph_new();
        nb_output a = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, NB_DIM_UNKNOWN), "a");
        nb_output w = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(16, 16), NULL), "w");
        nb_output prod = nb_matmul(g, a, w, false, false, "prod");
        /* made after the product, so its own step comes after the product's */
        nb_output b = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(16), NULL), "b");
        nb_output y = nb_nn_bias_add(g, prod, b, "y");
        CHECK(nb_graph_status(g) == NB_OK);
        nb_session *s = nb_session_new(g);
        nb_tensor *w0 = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){16, 16});
        CHECK_STATUS(nb_session_set_variable(s, w, w0), NB_OK); /* b stays uninitialized */
        nb_tensor *bad = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){8, 15});
        CHECK_STATUS(run_feeds(s, y, (nb_feed[]){{a, bad}}, 1, msg[f]), NB_ERR_INVALID_ARGUMENT);
        nb_tensor *good = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){8, 16});
        char m2[600];
        CHECK_STATUS(run_feeds(s, y, (nb_feed[]){{a, good}}, 1, m2), NB_ERR_FAILED_PRECONDITION);
        CHECK(strstr(m2, "Attempting to use uninitialized value b") != NULL);
        if (f == 1) CHECK(nbi_session_fused_steps(s) == 1);
        nb_tensor_unref(w0);
        nb_tensor_unref(bad);
        nb_tensor_unref(good);
        nb_session_free(s);
        nb_graph_free(g);
    }
    nb_set_fusion(true);
    CHECK(strstr(msg[1], "Matrix size-incompatible: In[0]: [8,15], In[1]: [16,16]") != NULL);
    CHECK(strcmp(msg[0], msg[1]) == 0);
}

/* Each epilogue against a naive product and consumer, every tail, both
 * transposes, 1 and 2 threads, one and several depth blocks. The operands
 * are small integers over powers of two, so every sum is exact in any order
 * and the comparison is exact. */
TEST(epilogues_match_a_naive_product_and_consumer) {
    if (!nbi_sgemm_small_available()) {
        printf("note: this CPU has no AVX-512; the fused kernels decline and the two-kernel path runs\n");
        nbi_sgemm_geom g = {false, false, 16, 16, 8, 8, 16, (float[128]){0}, (float[128]){0}};
        CHECK(!nbi_sgemm_small_epi_takes(&g, NBI_EPI_BIAS));
        return;
    }
    /* the last two: B packed by rows a depth block at a time (k * n > 2^18
     * floats; plain B only), and the rows split over the threads (one panel) */
    int shapes[][3] = {{8, 16, 1}, {13, 37, 5}, {64, 256, 64}, {784, 48, 37}, {9, 33, 256}, {64, 48, 784},
                       {16, 1024, 300}, {64, 32, 40}};
    for (int kind = NBI_EPI_MOMENTUM; kind <= NBI_EPI_BIAS_RELU; kind++)
        for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++)
            for (int ta = 0; ta <= 1; ta++)
                for (int tb = 0; tb <= 1; tb++)
                    for (int threads = 1; threads <= 2; threads++) {
                        int64_t m = shapes[si][0], n = shapes[si][1], k = shapes[si][2];
                        if (n == 1024 && tb) continue; /* a transposed B is packed by panels instead */
                        int64_t lda = ta ? m : k, ldb = tb ? k : n;
                        nbi_sgemm_geom g = {ta, tb, m, n, k, lda, ldb, NULL, NULL};
                        bool takes = nbi_sgemm_small_epi_takes(&g, kind);
                        CHECK(takes == (kind != NBI_EPI_MOMENTUM || k <= 256));
                        if (!takes) continue;
                        float *A = malloc(sizeof(float) * (size_t)(m * k)), *B = malloc(sizeof(float) * (size_t)(k * n));
                        float *c = malloc(sizeof(float) * (size_t)(m * n)), *side = malloc(sizeof(float) * (size_t)(m * n));
                        float *c2 = malloc(sizeof(float) * (size_t)(m * n)), *side2 = malloc(sizeof(float) * (size_t)(m * n));
                        for (int64_t i = 0; i < m * k; i++) A[i] = (float)((i * 31 % 17) - 8) / 8.0f;
                        for (int64_t i = 0; i < k * n; i++) B[i] = (float)((i * 13 % 11) - 5) / 4.0f;
                        for (int64_t i = 0; i < m * n; i++) {
                            c[i] = c2[i] = kind == NBI_EPI_MOMENTUM ? (float)(i % 7) * 0.25f : NAN; /* NaN: never read */
                            side[i] = side2[i] = (float)(i % 5) - 2.0f; /* var, bias or features (some <= 0) */
                        }
                        if (kind == NBI_EPI_RELU_GRAD) side[3 % (m * n)] = side2[3 % (m * n)] = NAN;
                        if (kind == NBI_EPI_BIAS_RELU) side[1] = side2[1] = NAN; /* a NaN bias: column 1 stays NaN */
                        g.a = A;
                        g.b = B;
                        nbi_gemm_epi e = {kind, side, 0.05f, 0.9f, side};
                        CHECK(nbi_sgemm_small_epi(&g, c, &e, threads));
                        int bad = 0;
                        for (int64_t i = 0; i < m; i++)
                            for (int64_t j = 0; j < n; j++) {
                                float s = 0;
                                for (int64_t p = 0; p < k; p++)
                                    s += (ta ? A[p * lda + i] : A[i * lda + p]) * (tb ? B[j * ldb + p] : B[p * ldb + j]);
                                int64_t o = i * n + j;
                                if (kind == NBI_EPI_MOMENTUM) {
                                    /* one rounding a statement: no compiler contracts these to FMA */
                                    float a2 = c2[o] * 0.9f;
                                    a2 = a2 + s;
                                    float l2 = 0.05f * a2, v2 = side2[o] - l2;
                                    bad += c[o] != a2 || side[o] != v2;
                                } else if (kind == NBI_EPI_BIAS) {
                                    bad += c[o] != s + side2[j];
                                } else if (kind == NBI_EPI_BIAS_RELU) {
                                    float x = s + side2[j]; /* Relu's row: NaN kept */
                                    bad += memcmp(&c[o], &(float){x < 0 ? 0 : x}, sizeof(float)) != 0;
                                } else {
                                    float want = side2[o] > 0 ? s : 0.0f; /* ReluGrad's row; NaN features give 0 */
                                    bad += c[o] != want;
                                }
                            }
                        if (bad)
                            FAILF("kind %d m %lld n %lld k %lld ta %d tb %d threads %d: %d elements differ", kind,
                                  (long long)m, (long long)n, (long long)k, ta, tb, threads, bad);
                        free(A), free(B), free(c), free(side), free(c2), free(side2);
                    }
    /* what it declines: narrow or short products, Momentum deeper than one block */
    nbi_sgemm_geom n15 = {false, false, 8, 15, 4, 4, 15, NULL, NULL}, m7 = {false, false, 7, 16, 4, 4, 16, NULL, NULL};
    nbi_sgemm_geom deep = {true, false, 8, 16, 257, 8, 16, NULL, NULL};
    CHECK(!nbi_sgemm_small_epi_takes(&n15, NBI_EPI_BIAS));
    CHECK(!nbi_sgemm_small_epi_takes(&m7, NBI_EPI_RELU_GRAD));
    CHECK(!nbi_sgemm_small_epi_takes(&deep, NBI_EPI_MOMENTUM));
    CHECK(nbi_sgemm_small_epi_takes(&deep, NBI_EPI_BIAS));
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
