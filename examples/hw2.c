/*
 * hw2.c — the course's HW2 graph:
 *
 *   with tf.name_scope("Input_placeholder"):
 *       a = tf.placeholder(tf.float32, None, name="a")
 *   with tf.name_scope("Middle_section"):
 *       b = tf.reduce_prod(a, name="prod_b")
 *       c = tf.reduce_mean(a)
 *       d = tf.reduce_sum(a, name="sum_a")
 *       e = tf.add(b, c, name="add_d")
 *   with tf.name_scope("Final_node"):
 *       f = tf.multiply(e, d, name="final_multiply_node")
 *
 * fed with A, 100 numbers drawn from normal(mean 1, stddev 2) with a fixed seed.
 * Prints f, and checks it against the same formula computed directly in double
 * precision (exit status 1 when they disagree).
 *
 * Usage: hw2 [--seed N] [--smoke]
 */
#include <nabla.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    uint64_t seed = 7;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);

    nb_graph *g = nb_graph_new();

    nb_name_scope_push(g, "Input_placeholder");
    nb_output a = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "a");
    nb_name_scope_pop(g);

    nb_name_scope_push(g, "Middle_section");
    nb_output b = nb_reduce_prod(g, a, NULL, NB_ALL_AXES, false, "prod_b");
    nb_output c = nb_reduce_mean(g, a, NULL, NB_ALL_AXES, false, NULL);
    nb_output d = nb_reduce_sum(g, a, NULL, NB_ALL_AXES, false, "sum_a");
    nb_output e = nb_add(g, b, c, "add_d");
    nb_name_scope_pop(g);

    nb_name_scope_push(g, "Final_node");
    nb_output f = nb_multiply(g, e, d, "final_multiply_node");
    nb_name_scope_pop(g);

    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "graph error: %s\n", nb_graph_errmsg(g));
        return 1;
    }

    nb_tensor *A = nb_tensor_random_normal(NB_FLOAT32, 1, (int64_t[]){100}, 1.0, 2.0, seed);
    nb_session *s = nb_session_new(g);
    nb_tensor *out = NULL;
    if (nb_session_run(s, &(nb_feed){a, A}, 1, &f, 1, &out) != NB_OK) {
        fprintf(stderr, "run error: %s\n", nb_session_errmsg(s));
        return 1;
    }
    printf("graph: ");
    for (int i = 0; i < nb_graph_num_ops(g); i++)
        printf("%s%s", i ? ", " : "", nb_op_name(nb_graph_op(g, i)));
    printf("\nf = ");
    nb_tensor_print(stdout, out);

    /* The same arithmetic, directly. */
    const float *x = nb_tensor_data(A);
    double prod = 1, sum = 0;
    for (int i = 0; i < 100; i++) {
        prod *= x[i];
        sum += x[i];
    }
    double expect = (prod + sum / 100) * sum;
    double got = nb_tensor_scalar_f64(out);
    int ok = fabs(got - expect) <= 1e-4 * fabs(expect) + 1e-6;
    printf("direct computation: %.9g (%s)\n", expect, ok ? "agrees" : "DISAGREES");

    nb_tensor_unref(out);
    nb_tensor_unref(A);
    nb_session_free(s);
    nb_graph_free(g);
    return ok ? 0 : 1;
}
