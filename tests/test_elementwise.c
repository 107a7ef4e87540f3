/*
 * test_elementwise.c — the elementwise engine's tables agree with the
 * registry: every op whose kernel is one of the engine's has exactly one
 * table row (in one family), of its arity, with at least one dtype; no other
 * op has a row; an op that reaches the engine's inference without a row is a
 * graph error naming it, not a crash; and the parallel driver's chunks give
 * the same values as one call (a large tensor against a naive loop).
 */
#include "harness.h"
#include "ops/elementwise.h"

#include <math.h>

static bool engine_kernel(const nbi_opdef *d) {
    return d->kernel == nbi_ew_k_unary || d->kernel == nbi_ew_k_binary || d->kernel == nbi_ew_k_pair;
}

TEST(every_engine_op_has_one_table_row) {
    int engine_ops = 0;
    for (int t = 0; t < NBI_OP_COUNT; t++) {
        const nbi_opdef *d = nbi_registry[t];
        int claims = (nbi_ew_math[t].arity != 0) + (nbi_ew_activation[t].arity != 0) +
                     (nbi_ew_math_more[t].arity != 0);
        bool uses = engine_kernel(d);
        engine_ops += uses;
        checks_++;
        if (uses && claims != 1) FAILF("%s runs on the elementwise engine but %d families have a row", d->type, claims);
        checks_++;
        if (!uses && claims) FAILF("%s has an elementwise row but another kernel", d->type);
        if (!uses || claims != 1) continue;
        const nbi_ew_tab *tab = nbi_ew_table(t);
        checks_++;
        if (!tab || tab->arity != d->n_inputs) {
            FAILF("%s: row arity %d, registry inputs %d", d->type, tab ? tab->arity : -1, d->n_inputs);
            continue;
        }
        int rows = 0;
        for (int dt = 0; dt < NBI_EW_NDT; dt++) rows += tab->f[dt] != NULL;
        checks_++;
        if (!rows) FAILF("%s has a row with no dtype", d->type);
        /* the unary and binary kernels take their inference from the engine too */
        checks_++;
        if (d->infer != nbi_ew_infer_unary && d->infer != nbi_ew_infer_binary && d->infer != nbi_ew_infer_pair &&
            t != NBI_OP_ATAN2)
            FAILF("%s runs on the engine with its own inference", d->type);
    }
    /* math.def: 21 binary + 11 unary; activation.def: 20; math_more.def: 17 */
    CHECK(engine_ops == 69);
    CHECK(nbi_ew_table(-1) == NULL && nbi_ew_table(NBI_OP_COUNT) == NULL);
    CHECK(nbi_ew_table(NBI_OP_MATMUL) == NULL);
}

/* The engine's inference on an op no table has is an internal graph error. */
TEST(missing_row_is_a_graph_error) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 2), "a");
    nb_output m = nb_matmul(g, a, a, false, false, "m");
    CHECK_GRAPH_OK(g);
    CHECK_STATUS(nbi_ew_infer_binary(m.op), NB_ERR_INTERNAL);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "MatMul is not in an elementwise table");
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'m'");
    nb_graph_free(g);
}

/* Sizes around the driver's chunking (NBI_PAR_MIN) against a naive loop, for a
 * unary op with an attribute (LeakyRelu), a broadcasting binary op (Sub of a
 * [2, n] and an [n]: d repeats along the rows) and a (gradients, features) pair. */
TEST(chunked_driver_matches_a_naive_loop) {
    const int64_t sizes[] = {1, NBI_PAR_MIN - 1, NBI_PAR_MIN, 3 * NBI_PAR_MIN + 17};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        int64_t n = sizes[si];
        nb_graph *g = nb_graph_new();
        nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(n), "x");
        nb_output d = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(n), "d");
        nb_output x2 = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, n), "x2");
        nb_output lr = nb_nn_leaky_relu(g, x, 0.25, NULL);
        nb_output sub = nb_subtract(g, x2, d, NULL);
        nb_output ys[] = {lr, sub, nb_nil};
        nb_output xs[] = {x};
        nb_output gx = nb_nil;
        nb_gradients(g, &lr, 1, xs, 1, NULL, &gx); /* LeakyReluGrad(ones, x) */
        ys[2] = gx;
        CHECK_GRAPH_OK(g);
        nb_tensor *tx = nb_tensor_new(NB_FLOAT32, 1, &n, NULL), *td = nb_tensor_new(NB_FLOAT32, 1, &n, NULL);
        int64_t d2[2] = {2, n};
        nb_tensor *tx2 = nb_tensor_new(NB_FLOAT32, 2, d2, NULL);
        float *px = nb_tensor_data(tx), *pd = nb_tensor_data(td), *px2 = nb_tensor_data(tx2);
        for (int64_t i = 0; i < n; i++) {
            px[i] = (float)((i % 7) - 3) * 0.5f;
            pd[i] = (float)(i % 5) * 0.25f;
            px2[i] = (float)(i % 11);       /* row 0 */
            px2[n + i] = -(float)(i % 3);   /* row 1 */
        }
        nb_session *s = nb_session_new(g);
        nb_tensor *out[3] = {0};
        nb_feed feeds[] = {{x, tx}, {d, td}, {x2, tx2}};
        CHECK_STATUS(nb_session_run(s, feeds, 3, ys, 3, out), NB_OK);
        if (out[0] && out[1] && out[2]) {
            const float *o0 = nb_tensor_data(out[0]), *o1 = nb_tensor_data(out[1]), *o2 = nb_tensor_data(out[2]);
            int bad = 0;
            for (int64_t i = 0; i < n; i++) {
                float lrv = px[i] > 0 ? px[i] : 0.25f * px[i];
                float gv = px[i] > 0 ? 1.0f : 0.25f;
                /* x2[r, i] - d[i], written out for each row */
                float s0 = (float)(i % 11) - (float)(i % 5) * 0.25f;
                float s1 = -(float)(i % 3) - (float)(i % 5) * 0.25f;
                if (o0[i] != lrv || o1[i] != s0 || o1[n + i] != s1 || o2[i] != gv) bad++;
            }
            nb_shape ss = nb_tensor_shape(out[1]);
            CHECK(ss.rank == 2 && ss.dims[0] == 2 && ss.dims[1] == n);
            checks_++;
            if (bad) FAILF("n = %lld: %d wrong values", (long long)n, bad);
        }
        for (int i = 0; i < 3; i++) nb_tensor_unref(out[i]);
        nb_tensor_unref(tx);
        nb_tensor_unref(td);
        nb_tensor_unref(tx2);
        nb_session_free(s);
        nb_graph_free(g);
    }
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
