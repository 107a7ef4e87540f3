/*
 * test_grad.c — every differentiable op's gradient against central finite
 * differences in float64, and second derivatives of the elementwise ops.
 *
 * For a case with inputs x_i, the harness builds loss = sum(r * op(x)) with a
 * fixed random r, asks nb_gradients for d loss / d x_i, and compares each
 * element with (loss(x + h e) - loss(x - h e)) / 2h. Each case runs twice:
 * with fully known placeholder shapes, and with every dim unknown (so the
 * run-time broadcasting path is checked too). A coverage test fails when an
 * op that has a gradient builder appears in no case.
 */
#include "harness.h"
#include "nb_internal.h"

#define MAXIN 4

typedef nb_output (*build_fn)(nb_graph *g, const nb_output *x);

typedef struct {
    const char *name;
    int n_in;
    int rank[MAXIN];
    int64_t dims[MAXIN][4];
    double lo, hi;        /* input range */
    build_fn build;
    bool static_only;     /* needs known shapes (e.g. its gradient is built from them) */
} gcase;

static bool covered[NBI_OP_COUNT];

static void fill_random(nb_tensor *t, double lo, double hi, uint64_t *state) {
    for (int64_t i = 0; i < nb_tensor_size(t); i++) {
        *state = *state * 6364136223846793005ull + 1442695040888963407ull;
        double u = (double)(*state >> 11) / 9007199254740992.0;
        nb_tensor_set_flat(t, i, lo + (hi - lo) * u);
    }
}

/* Evaluates loss at the given inputs. */
static double eval_loss(nb_session *s, nb_output loss, const nb_output *ph, nb_tensor **vals, int n) {
    nb_feed f[MAXIN];
    for (int i = 0; i < n; i++) f[i] = (nb_feed){ph[i], vals[i]};
    nb_tensor *t = nb_session_eval(s, loss, f, n);
    if (!t) {
        FAILF("loss eval: %s", nb_session_errmsg(s));
        return NAN;
    }
    double v = nb_tensor_scalar_f64(t);
    nb_tensor_unref(t);
    return v;
}

static void run_case(const gcase *c, bool dynamic) {
    nb_graph *g = nb_graph_new();
    nb_output ph[MAXIN];
    nb_tensor *vals[MAXIN];
    uint64_t state = 12345;
    for (int i = 0; i < c->n_in; i++) {
        int64_t d[4];
        for (int k = 0; k < c->rank[i]; k++) d[k] = dynamic ? NB_DIM_UNKNOWN : c->dims[i][k];
        ph[i] = nb_placeholder(g, NB_FLOAT64, nb_shape_make(c->rank[i], d), NULL);
        vals[i] = nb_tensor_new(NB_FLOAT64, c->rank[i], c->dims[i], NULL);
        fill_random(vals[i], c->lo, c->hi, &state);
    }
    int before = nb_graph_num_ops(g);
    nb_output y = c->build(g, ph);
    for (int i = before; i < nb_graph_num_ops(g); i++) covered[nb_graph_op(g, i)->type] = true;
    /* r: random weights shaped like y, fed (its shape may be unknown statically) */
    nb_output rph = nb_placeholder(g, NB_FLOAT64, nb_output_shape(y), "r");
    nb_output loss = nb_reduce_sum(g, nb_multiply(g, rph, y, NULL), NULL, NB_ALL_AXES, false, "loss");
    nb_output grads[MAXIN];
    nb_gradients(g, &loss, 1, ph, c->n_in, NULL, grads);
    for (int i = nb_graph_num_ops(g) - 1; i >= before; i--) covered[nb_graph_op(g, i)->type] = true;
    if (nb_graph_status(g) != NB_OK) {
        FAILF("%s%s: graph error: %s", c->name, dynamic ? " (dynamic)" : "", nb_graph_errmsg(g));
        goto out;
    }
    nb_session *s = nb_session_new(g);
    /* y's value gives r's shape */
    nb_feed f[MAXIN + 1];
    for (int i = 0; i < c->n_in; i++) f[i] = (nb_feed){ph[i], vals[i]};
    nb_tensor *yv = nb_session_eval(s, y, f, c->n_in);
    if (!yv) {
        FAILF("%s: forward: %s", c->name, nb_session_errmsg(s));
        nb_session_free(s);
        goto out;
    }
    nb_tensor *r = nb_tensor_new(NB_FLOAT64, nb_tensor_rank(yv), nb_tensor_dims(yv), NULL);
    fill_random(r, -1.0, 1.0, &state);
    nb_tensor_unref(yv);
    f[c->n_in] = (nb_feed){rph, r};
    nb_output all_ph[MAXIN + 1];
    nb_tensor *all_vals[MAXIN + 1];
    for (int i = 0; i < c->n_in; i++) {
        all_ph[i] = ph[i];
        all_vals[i] = vals[i];
    }
    all_ph[c->n_in] = rph;
    all_vals[c->n_in] = r;
    for (int i = 0; i < c->n_in; i++) {
        checks_++;
        if (nb_output_is_nil(grads[i])) {
            FAILF("%s: no gradient for input %d", c->name, i);
            continue;
        }
        nb_tensor *ga = nb_session_eval(s, grads[i], f, c->n_in + 1);
        if (!ga) {
            FAILF("%s%s: gradient %d: %s", c->name, dynamic ? " (dynamic)" : "", i, nb_session_errmsg(s));
            continue;
        }
        if (nb_tensor_size(ga) != nb_tensor_size(vals[i])) {
            FAILF("%s: gradient %d has %lld elements, input has %lld", c->name, i,
                  (long long)nb_tensor_size(ga), (long long)nb_tensor_size(vals[i]));
            nb_tensor_unref(ga);
            continue;
        }
        double *x = nb_tensor_data(vals[i]);
        for (int64_t e = 0; e < nb_tensor_size(vals[i]); e++) {
            double h = 1e-6 * (1.0 + fabs(x[e])), save = x[e];
            x[e] = save + h;
            double lp = eval_loss(s, loss, all_ph, all_vals, c->n_in + 1);
            x[e] = save - h;
            double lm = eval_loss(s, loss, all_ph, all_vals, c->n_in + 1);
            x[e] = save;
            double num = (lp - lm) / (2 * h), ana = nb_tensor_get_flat(ga, e);
            checks_++;
            if (!(fabs(num - ana) <= 1e-5 + 1e-5 * fabs(num))) {
                FAILF("%s%s: d loss / d x%d[%lld]: analytic %.10g, numeric %.10g", c->name,
                      dynamic ? " (dynamic)" : "", i, (long long)e, ana, num);
                break;
            }
        }
        nb_tensor_unref(ga);
    }
    nb_tensor_unref(r);
    nb_session_free(s);
out:
    for (int i = 0; i < c->n_in; i++) nb_tensor_unref(vals[i]);
    nb_graph_free(g);
}

/*** Cases ***/

#define B1(fname, EXPR) \
    static nb_output fname(nb_graph *g, const nb_output *x) { return EXPR; }

B1(b_add, nb_add(g, x[0], x[1], NULL))
B1(b_sub, nb_subtract(g, x[0], x[1], NULL))
B1(b_mul, nb_multiply(g, x[0], x[1], NULL))
B1(b_div, nb_divide(g, x[0], x[1], NULL))
B1(b_floormod, nb_mod(g, x[0], x[1], NULL))
B1(b_pow, nb_pow(g, x[0], x[1], NULL))
B1(b_max, nb_maximum(g, x[0], x[1], NULL))
B1(b_min, nb_minimum(g, x[0], x[1], NULL))
B1(b_sqdiff, nb_squared_difference(g, x[0], x[1], NULL))
B1(b_addn, nb_add_n(g, x, 3, NULL))
B1(b_neg, nb_negative(g, x[0], NULL))
B1(b_abs, nb_abs(g, x[0], NULL))
B1(b_sign, nb_add(g, nb_sign(g, x[0], NULL), x[0], NULL))
B1(b_square, nb_square(g, x[0], NULL))
B1(b_sqrt, nb_sqrt(g, x[0], NULL))
B1(b_rsqrt, nb_rsqrt(g, x[0], NULL))
B1(b_exp, nb_exp(g, x[0], NULL))
B1(b_log, nb_log(g, x[0], NULL))
B1(b_log1p, nb_log1p(g, x[0], NULL))
B1(b_recip, nb_reciprocal(g, x[0], NULL))
B1(b_sigmoid, nb_sigmoid(g, x[0], NULL))
B1(b_tanh, nb_tanh(g, x[0], NULL))
B1(b_relu, nb_relu(g, x[0], NULL))
B1(b_select, nb_where(g, nb_greater(g, x[0], x[1], NULL), x[0], x[1], NULL))
B1(b_cast, nb_cast(g, nb_multiply(g, x[0], x[0], NULL), NB_FLOAT64, NULL))
B1(b_identity, nb_identity(g, x[0], NULL))
B1(b_sum_all, nb_reduce_sum(g, x[0], NULL, NB_ALL_AXES, false, NULL))
B1(b_sum_0, nb_reduce_sum(g, x[0], (int[]){0}, 1, false, NULL))
B1(b_sum_1k, nb_reduce_sum(g, x[0], (int[]){-1}, 1, true, NULL))
B1(b_sum_02, nb_reduce_sum(g, x[0], (int[]){0, 2}, 2, false, NULL))
B1(b_mean_1, nb_reduce_mean(g, x[0], (int[]){1}, 1, false, NULL))
B1(b_mean_all, nb_reduce_mean(g, x[0], NULL, NB_ALL_AXES, true, NULL))
B1(b_prod_1, nb_reduce_prod(g, x[0], (int[]){1}, 1, false, NULL))
B1(b_max_1, nb_reduce_max(g, x[0], (int[]){1}, 1, false, NULL))
B1(b_min_0, nb_reduce_min(g, x[0], (int[]){0}, 1, true, NULL))
B1(b_mm, nb_matmul(g, x[0], x[1], false, false, NULL))
B1(b_mm_tb, nb_matmul(g, x[0], x[1], false, true, NULL))
B1(b_mm_ta, nb_matmul(g, x[0], x[1], true, false, NULL))
B1(b_mm_tab, nb_matmul(g, x[0], x[1], true, true, NULL))
B1(b_bmm, nb_matmul(g, x[0], x[1], false, false, NULL))
B1(b_reshape, nb_reshape(g, x[0], 2, (int64_t[]){3, -1}, NULL))
B1(b_expand, nb_expand_dims(g, x[0], 1, NULL))
B1(b_transpose, nb_transpose(g, x[0], (int[]){2, 0, 1}, 3, NULL))
B1(b_tile, nb_tile(g, x[0], (int64_t[]){2, 3}, 2, NULL))
B1(b_fill, nb_fill(g, nb_constant_array(g, NB_INT32, 1, (int64_t[]){2}, (int32_t[]){2, 3}, NULL), x[0], NULL))
/* Gradient helper ops, differentiated directly (their second-order builders). */
B1(b_sigmoid_grad, nbi_binary(g, NBI_OP_SIGMOID_GRAD, x[0], x[1], NULL, NULL))
B1(b_tanh_grad, nbi_binary(g, NBI_OP_TANH_GRAD, x[0], x[1], NULL, NULL))
B1(b_relu_grad, nbi_binary(g, NBI_OP_RELU_GRAD, x[0], x[1], NULL, NULL))
B1(b_sqrt_grad, nbi_binary(g, NBI_OP_SQRT_GRAD, x[0], x[1], NULL, NULL))
B1(b_rsqrt_grad, nbi_binary(g, NBI_OP_RSQRT_GRAD, x[0], x[1], NULL, NULL))
B1(b_recip_grad, nbi_binary(g, NBI_OP_RECIPROCAL_GRAD, x[0], x[1], NULL, NULL))

/* Second derivatives: the gradient of sum(f(x)) is itself differentiated. */
static nb_output first_grad(nb_graph *g, nb_output x, nb_output fx) {
    nb_output s = nb_reduce_sum(g, fx, NULL, NB_ALL_AXES, false, NULL), d;
    nb_gradients(g, &s, 1, &x, 1, NULL, &d);
    return d;
}
B1(b_d2_sigmoid, first_grad(g, x[0], nb_sigmoid(g, x[0], NULL)))
B1(b_d2_tanh, first_grad(g, x[0], nb_tanh(g, x[0], NULL)))
B1(b_d2_square, first_grad(g, x[0], nb_square(g, x[0], NULL)))
B1(b_d2_mul, first_grad(g, x[0], nb_multiply(g, x[0], nb_exp(g, x[0], NULL), NULL)))

#define S2(a, b) 2, {a, b}
static const gcase cases[] = {
    {"add", 2, {2, 1}, {{2, 3}, {3}}, -2, 2, b_add, false},
    {"add_bcast", 2, {2, 2}, {{2, 1}, {1, 3}}, -2, 2, b_add, false},
    {"add_scalar", 2, {0, 2}, {{0}, {2, 2}}, -2, 2, b_add, false},
    {"sub", 2, {2, 2}, {{3, 1}, {3, 4}}, -2, 2, b_sub, false},
    {"mul", 2, {2, 1}, {{2, 3}, {3}}, -2, 2, b_mul, false},
    {"div", 2, {2, 2}, {{2, 3}, {1, 3}}, 0.5, 2, b_div, false},
    {"floormod", 2, {1, 1}, {{4}, {4}}, 0.3, 0.45, b_floormod, false},
    {"pow", 2, {1, 1}, {{4}, {4}}, 0.5, 2, b_pow, false},
    {"maximum", 2, {2, 2}, {{2, 3}, {2, 3}}, -2, 2, b_max, false},
    {"minimum", 2, {1, 0}, {{5}, {0}}, -2, 2, b_min, false},
    {"squared_difference", 2, {2, 1}, {{2, 3}, {3}}, -2, 2, b_sqdiff, false},
    {"add_n", 3, {2, 2, 2}, {{2, 2}, {2, 2}, {2, 2}}, -2, 2, b_addn, false},
    {"neg", 1, {2}, {{2, 3}}, -2, 2, b_neg, false},
    {"abs", 1, {1}, {{6}}, 0.2, 2, b_abs, false},
    {"sign", 1, {1}, {{6}}, 0.2, 2, b_sign, false},
    {"square", 1, {2}, {{2, 3}}, -2, 2, b_square, false},
    {"sqrt", 1, {1}, {{5}}, 0.5, 3, b_sqrt, false},
    {"rsqrt", 1, {1}, {{5}}, 0.5, 3, b_rsqrt, false},
    {"exp", 1, {2}, {{2, 2}}, -2, 2, b_exp, false},
    {"log", 1, {1}, {{5}}, 0.5, 3, b_log, false},
    {"log1p", 1, {1}, {{5}}, -0.5, 3, b_log1p, false},
    {"reciprocal", 1, {1}, {{5}}, 0.5, 3, b_recip, false},
    {"sigmoid", 1, {2}, {{2, 3}}, -4, 4, b_sigmoid, false},
    {"tanh", 1, {2}, {{2, 3}}, -2, 2, b_tanh, false},
    {"relu", 1, {1}, {{8}}, -2, 2, b_relu, false},
    {"select", 2, {1, 1}, {{6}, {6}}, -2, 2, b_select, false},
    {"cast", 1, {1}, {{4}}, -2, 2, b_cast, false},
    {"identity", 1, {2}, {{2, 2}}, -2, 2, b_identity, false},
    {"sum_all", 1, {2}, {{2, 3}}, -2, 2, b_sum_all, false},
    {"sum_axis0", 1, {2}, {{2, 3}}, -2, 2, b_sum_0, false},
    {"sum_last_keep", 1, {2}, {{2, 3}}, -2, 2, b_sum_1k, false},
    {"sum_axes02", 1, {3}, {{2, 3, 2}}, -2, 2, b_sum_02, false},
    {"mean_axis1", 1, {2}, {{2, 3}}, -2, 2, b_mean_1, false},
    {"mean_all_keep", 1, {2}, {{2, 3}}, -2, 2, b_mean_all, false},
    {"prod_axis1", 1, {2}, {{2, 3}}, 0.5, 2, b_prod_1, false},
    {"max_axis1", 1, {2}, {{3, 4}}, -2, 2, b_max_1, false},
    {"min_axis0", 1, {2}, {{3, 4}}, -2, 2, b_min_0, false},
    {"matmul", 2, {2, 2}, {{2, 3}, {3, 4}}, -2, 2, b_mm, false},
    {"matmul_tb", 2, {2, 2}, {{2, 3}, {4, 3}}, -2, 2, b_mm_tb, false},
    {"matmul_ta", 2, {2, 2}, {{3, 2}, {3, 4}}, -2, 2, b_mm_ta, false},
    {"matmul_tab", 2, {2, 2}, {{3, 2}, {4, 3}}, -2, 2, b_mm_tab, false},
    {"batch_matmul", 2, {3, 3}, {{2, 2, 3}, {1, 3, 2}}, -2, 2, b_bmm, true},
    {"reshape", 1, {2}, {{2, 3}}, -2, 2, b_reshape, false},
    {"expand_dims", 1, {2}, {{2, 3}}, -2, 2, b_expand, false},
    {"transpose", 1, {3}, {{2, 3, 4}}, -2, 2, b_transpose, false},
    {"tile", 1, {2}, {{2, 2}}, -2, 2, b_tile, true},
    {"fill", 1, {0}, {{0}}, -2, 2, b_fill, false},
    {"sigmoid_grad", 2, {1, 1}, {{5}, {5}}, 0.1, 0.9, b_sigmoid_grad, false},
    {"tanh_grad", 2, {1, 1}, {{5}, {5}}, -0.9, 0.9, b_tanh_grad, false},
    {"relu_grad", 2, {1, 1}, {{5}, {5}}, 0.1, 0.9, b_relu_grad, false},
    {"sqrt_grad", 2, {1, 1}, {{5}, {5}}, 0.5, 2, b_sqrt_grad, false},
    {"rsqrt_grad", 2, {1, 1}, {{5}, {5}}, 0.5, 2, b_rsqrt_grad, false},
    {"reciprocal_grad", 2, {1, 1}, {{5}, {5}}, 0.5, 2, b_recip_grad, false},
    {"d2_sigmoid", 1, {2}, {{2, 3}}, -3, 3, b_d2_sigmoid, false},
    {"d2_tanh", 1, {2}, {{2, 3}}, -2, 2, b_d2_tanh, false},
    {"d2_square", 1, {2}, {{2, 3}}, -2, 2, b_d2_square, false},
    {"d2_x_exp_x", 1, {1}, {{4}}, -1, 1, b_d2_mul, false},
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

TEST(gradients_match_finite_differences) {
    for (int i = 0; i < N_CASES; i++) {
        int before = failures_;
        run_case(&cases[i], false);
        if (!cases[i].static_only) run_case(&cases[i], true);
        if (failures_ != before) fprintf(stderr, "  in case %s\n", cases[i].name);
    }
}

TEST(every_differentiable_op_has_a_check) {
    /* Run after the cases above (tests run in file order). */
    for (int t = 0; t < NBI_OP_COUNT; t++) {
        const nbi_opdef *d = nbi_registry[t];
        if (!d || !d->grad) continue;
        checks_++;
        if (!covered[t]) FAILF("op %s has a gradient but no finite-difference case", d->type);
    }
}

/*** nb_gradients behaviour ***/

TEST(gradients_names_follow_tensorflow) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3), "x");
    nb_output y = nb_reduce_sum(g, nb_square(g, x, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_output d, d2;
    nb_gradients(g, &y, 1, &x, 1, NULL, &d);
    nb_gradients(g, &y, 1, &x, 1, NULL, &d2);
    CHECK_GRAPH_OK(g);
    CHECK(nb_graph_find_op(g, "gradients/Fill") != NULL);
    CHECK(nb_graph_find_op(g, "gradients/grad_ys_0") != NULL);
    CHECK(nb_graph_find_op(g, "gradients/Square_grad/Mul") != NULL ||
          nb_graph_find_op(g, "gradients/Square_grad/mul") != NULL);
    CHECK(nb_graph_find_op(g, "gradients_1/Fill") != NULL);
    CHECK(!strncmp(nb_op_name(d2.op), "gradients_1/", 12));
    nb_graph_free(g);
}

TEST(unconnected_x_gives_nil_and_fan_in_sums) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2), "x");
    nb_output z = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2), "z");
    /* y = sum(x*x + 3x): dy/dx = 2x + 3, x used three times */
    nb_output three = nb_constant_f32(g, 3.0f, NULL);
    nb_output y = nb_reduce_sum(g, nb_add(g, nb_multiply(g, x, x, NULL), nb_multiply(g, three, x, NULL), NULL),
                                NULL, NB_ALL_AXES, false, NULL);
    nb_output d[2];
    nb_gradients(g, &y, 1, (nb_output[]){x, z}, 2, NULL, d);
    CHECK_GRAPH_OK(g);
    CHECK(!nb_output_is_nil(d[0]));
    CHECK(nb_output_is_nil(d[1]));
    CHECK(!strcmp(nb_op_type(d[0].op), "AddN"));
    nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){2}, (float[]){1.5f, -2.0f});
    nb_tensor *dv = eval1(g, d[0], &(nb_feed){x, xv}, 1);
    CHECK(dv != NULL);
    CHECK_NEAR(nb_tensor_get_flat(dv, 0), 6.0, 1e-6);
    CHECK_NEAR(nb_tensor_get_flat(dv, 1), -1.0, 1e-6);
    nb_tensor_unref(dv);
    nb_tensor_unref(xv);
    nb_graph_free(g);
}

TEST(stop_gradient_blocks_and_grad_ys_scale) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(2), "x");
    /* y = x * stop(x): dy/dx = stop(x) = x, not 2x */
    nb_output y = nb_multiply(g, x, nb_stop_gradient(g, x, NULL), NULL);
    nb_output gy = nb_constant_array(g, NB_FLOAT64, 1, (int64_t[]){2}, (double[]){10, 100}, NULL);
    nb_output d;
    nb_gradients(g, &y, 1, &x, 1, &gy, &d);
    CHECK_GRAPH_OK(g);
    nb_tensor *xv = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){2}, (double[]){3, 4});
    nb_tensor *dv = eval1(g, d, &(nb_feed){x, xv}, 1);
    CHECK(dv && nb_tensor_get_flat(dv, 0) == 30 && nb_tensor_get_flat(dv, 1) == 400);
    nb_tensor_unref(dv);
    nb_tensor_unref(xv);
    nb_graph_free(g);
}

TEST(no_gradient_defined_is_an_error) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2), "x");
    /* FloorDiv is not differentiable in TF: it yields no gradient, no error. */
    nb_output y = nb_reduce_sum(g, nb_floor_div(g, x, x, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_output d;
    nb_gradients(g, &y, 1, &x, 1, NULL, &d);
    CHECK_GRAPH_OK(g);
    CHECK(nb_output_is_nil(d));
    nb_graph_free(g);
    /* An op with a missing builder on the path is reported, naming it. */
    for (int t = 0; t < NBI_OP_COUNT; t++) {
        const nbi_opdef *def = nbi_registry[t];
        if (!def || def->grad || (def->flags & NBI_NO_GRAD)) continue;
        FAILF("op %s has neither a gradient nor NBI_NO_GRAD", def->type);
    }
}

TEST(gradients_reject_bad_arguments) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2), "x");
    nb_output d = {(nb_op *)1, 0};
    nb_gradients(g, &nb_nil, 1, &x, 1, NULL, &d);
    CHECK(nb_output_is_nil(d));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_INVALID_ARGUMENT);
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
