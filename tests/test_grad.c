/*
 * test_grad.c — every differentiable op's gradient against central finite
 * differences in float64 (harness in gradcheck.h), second derivatives of the
 * elementwise ops, and nb_gradients' behaviour.
 */
#include "gradcheck.h"

/*** Cases ***/

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
/* TF1's row-picking Select: a bool vector chooses whole rows of x or y */
B1(b_select_rows, nb_where(g, nb_constant_array(g, NB_BOOL, 1, (int64_t[]){3}, (const uint8_t[]){1, 0, 1}, NULL), x[0], x[1], NULL))
B1(b_select_scalar, nb_where(g, nb_less(g, nb_reduce_sum(g, x[0], NULL, NB_ALL_AXES, false, NULL),
                                        nb_constant_f64(g, 100.0, NULL), NULL), x[0], x[1], NULL))
B1(b_select_v2, nb_where_v2(g, nb_greater(g, x[0], x[1], NULL), x[0], x[1], NULL))
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
B1(b_squeeze, nb_squeeze(g, x[0], (int[]){1}, 1, NULL))
B1(b_concat, nb_concat(g, x, 2, 1, NULL))
B1(b_concat0, nb_concat(g, x, 2, -2, NULL))
B1(b_pack0, nb_stack(g, x, 2, 0, NULL))
B1(b_pack1, nb_stack(g, x, 2, 1, NULL))
B1(b_slice, nb_slice(g, x[0], (int64_t[]){1, 1}, (int64_t[]){2, -1}, 2, NULL))
B1(b_gather0, nb_gather(g, x[0], nb_constant_array(g, NB_INT32, 1, (int64_t[]){3}, (int32_t[]){2, 0, 2}, NULL), 0, NULL))
B1(b_gather1, nb_gather(g, x[0], nb_constant_array(g, NB_INT64, 2, (int64_t[]){2, 2}, (int64_t[]){1, 0, 2, 2}, NULL), 1, NULL))
B1(b_pad, nb_pad(g, x[0], (int64_t[]){1, 0, 2, 1}, 2, NULL))
B1(b_pad_v2, nb_pad_ex(g, x[0], (int64_t[]){1, 0, 2, 1}, 2, NB_PAD_CONSTANT, 1.5, NULL))
B1(b_mirror_reflect, nb_pad_ex(g, x[0], (int64_t[]){1, 1, 2, 1}, 2, NB_PAD_REFLECT, 0, NULL))
B1(b_mirror_symmetric, nb_pad_ex(g, x[0], (int64_t[]){2, 1, 0, 3}, 2, NB_PAD_SYMMETRIC, 0, NULL))
/* MirrorPadGrad itself (its gradient is MirrorPad): [4,5] folded by REFLECT (1,1), (2,0) to [2,3] */
static nb_output b_mirror_grad(nb_graph *g, const nb_output *x) {
    nb_output in[2] = {x[0], nb_constant_array(g, NB_INT32, 2, (int64_t[]){2, 2}, (int32_t[]){1, 1, 2, 0}, NULL)};
    nb_op *op = nbi_op_new(g, NBI_OP_MIRROR_PAD_GRAD, NULL, NULL, in, 2);
    if (!op) return nb_nil;
    op->attrs.ints[0] = NB_PAD_REFLECT;
    return nbi_op_finish(op);
}
B1(b_segsum, nb_unsorted_segment_sum(g, x[0], nb_constant_array(g, NB_INT32, 1, (int64_t[]){4}, (int32_t[]){0, 2, 0, 1}, NULL),
                                     nb_constant_i32(g, 3, NULL), NULL))
/* reduce over all axes of an input whose rank is unknown until run time */
static nb_output b_sum_unknown_rank(nb_graph *g, const nb_output *x) {
    nb_output p = nb_reshape_t(g, x[0], nb_shape_of(g, x[0], NULL), NULL);
    nb_output u = nb_squeeze(g, nb_expand_dims(g, p, 0, NULL), NULL, 0, NULL); /* rank unknown */
    nb_output m = nb_reduce_mean(g, u, NULL, NB_ALL_AXES, false, NULL);
    return nb_add(g, m, nb_reduce_sum(g, x[0], (int[]){0}, 1, false, NULL), NULL);
}
B1(b_check_numerics, nb_check_numerics(g, nb_square(g, x[0], NULL), "square", NULL))
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
    {"select_rows", 2, {2, 2}, {{3, 2}, {3, 2}}, -2, 2, b_select_rows, false},
    {"select_scalar_cond", 2, {2, 2}, {{2, 2}, {2, 2}}, -2, 2, b_select_scalar, false},
    {"select_v2_broadcast", 2, {2, 1}, {{2, 3}, {3}}, -2, 2, b_select_v2, false},
    {"cast", 1, {1}, {{4}}, -2, 2, b_cast, false},
    {"check_numerics", 1, {2}, {{2, 3}}, -2, 2, b_check_numerics, false},
    {"identity", 1, {2}, {{2, 2}}, -2, 2, b_identity, false},
    {"sum_all", 1, {2}, {{2, 3}}, -2, 2, b_sum_all, false},
    {"sum_axis0", 1, {2}, {{2, 3}}, -2, 2, b_sum_0, false},
    {"sum_last_keep", 1, {2}, {{2, 3}}, -2, 2, b_sum_1k, false},
    {"sum_axes02", 1, {3}, {{2, 3, 2}}, -2, 2, b_sum_02, false},
    {"sum_unknown_rank", 1, {2}, {{2, 3}}, -2, 2, b_sum_unknown_rank, false},
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
    {"squeeze", 1, {3}, {{2, 1, 3}}, -2, 2, b_squeeze, false},
    {"concat_axis1", 2, {2, 2}, {{2, 3}, {2, 2}}, -2, 2, b_concat, false},
    {"concat_axis0", 2, {2, 2}, {{1, 3}, {2, 3}}, -2, 2, b_concat0, false},
    {"stack_axis0", 2, {2, 2}, {{2, 3}, {2, 3}}, -2, 2, b_pack0, false},
    {"stack_axis1", 2, {2, 2}, {{2, 3}, {2, 3}}, -2, 2, b_pack1, false},
    {"slice", 1, {2}, {{3, 4}}, -2, 2, b_slice, false},
    {"gather_axis0", 1, {2}, {{4, 3}}, -2, 2, b_gather0, false},
    {"gather_axis1", 1, {2}, {{2, 3}}, -2, 2, b_gather1, true},
    {"pad", 1, {2}, {{2, 3}}, -2, 2, b_pad, false},
    {"pad_v2", 1, {2}, {{2, 3}}, -2, 2, b_pad_v2, false},
    {"mirror_pad_reflect", 1, {2}, {{2, 3}}, -2, 2, b_mirror_reflect, false},
    {"mirror_pad_symmetric", 1, {2}, {{3, 4}}, -2, 2, b_mirror_symmetric, false},
    {"mirror_pad_grad", 1, {2}, {{4, 5}}, -2, 2, b_mirror_grad, false},
    {"unsorted_segment_sum", 1, {2}, {{4, 3}}, -2, 2, b_segsum, false},
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

/* Each op family may keep its cases in tests/grad_cases_<family>.inc, defining
 * builders with B1 and an array `<family>_cases` ended by a {NULL} row. */
#include "grad_cases_nn.inc"
#include "grad_cases_conv.inc"
#include "grad_cases_slicing.inc"
#include "grad_cases_math_more.inc"
#include "grad_cases_misc.inc"
#include "grad_cases_scan.inc"
#include "grad_cases_topk.inc"
#include "grad_cases_gather_nd.inc"
#include "grad_cases_diag.inc"
static const gcase *const family_cases[] = {nn_cases,   conv_cases, slicing_cases, math_more_cases, misc_cases,
                                            scan_cases, topk_cases, gather_nd_cases, diag_cases};

static void run_one(const gcase *c) {
    int before = failures_;
    run_case(c, false);
    if (!c->static_only) run_case(c, true);
    if (failures_ != before) fprintf(stderr, "  in case %s\n", c->name);
}

TEST(gradients_match_finite_differences) {
    for (int i = 0; i < N_CASES; i++) run_one(&cases[i]);
    for (size_t f = 0; f < sizeof family_cases / sizeof family_cases[0]; f++)
        for (const gcase *c = family_cases[f]; c->name; c++) run_one(c);
}

TEST(every_differentiable_op_has_a_check) {
    /* Run after the cases above (tests run in file order). */
    for (int t = 0; t < NBI_OP_COUNT; t++) {
        const nbi_opdef *d = nbi_registry[t];
        if (!d || !d->grad) continue;
        /* The all-reduces need MPI: their finite-difference check runs across
         * ranks in tests/dist/dist_collectives.c (gradient_matches_finite_differences). */
        if (t == NBI_OP_DIST_ALLREDUCE || t == NBI_OP_DIST_GROUPED_ALLREDUCE) continue;
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
